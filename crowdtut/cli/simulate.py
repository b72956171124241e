"""``crowdtut simulate``: a simulated crowd written as a dataset folder (peerannot's options)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    USAGE,
    CLIError,
    add_command,
    add_overwrite,
    check_free,
    count,
    dataset_files,
    file_name_part,
    number,
    show,
)

STRATEGIES = {
    "independent-confusion": "independent_confusion",
    "hammer-spammer": "hammer_spammer",
    "student-teacher": "student_teacher",
    "discrete-difficulty": "discrete_difficulty",
}
# what --ratio means for each strategy, and its default (None: the strategy ignores it)
_RATIO = {
    "independent-confusion": (None, None),
    "hammer-spammer": ("ratio_spammers", 0.1),
    "student-teacher": ("ratio_students", 0.8),
    "discrete-difficulty": ("ratio_good", 0.35),
}

_DESCRIPTION = """\
Simulate a crowd and write answers.json, metadata.json and ground_truth.npy into --folder.

Strategies (peerannot's):
  independent-confusion  each worker answers from their own confusion matrix, rows drawn
                         uniformly on the simplex with the largest entry on the diagonal
  hammer-spammer         hammers always right, a share --ratio of spammers answer at random
  student-teacher        a share --ratio of students copy the confusion matrix of a teacher
  discrete-difficulty    a share --ratio of good workers; easy tasks (everyone right), hard
                         tasks (confusion matrices), random tasks (--random); --ratio-diff is
                         P(easy)/P(hard)

Each task gets --feedback answers from distinct workers drawn uniformly (all workers by
default); --imbalance-votes draws each task's number of answers uniformly in 1..feedback.
The same call from Python: crowdtut.simulate.<strategy>(n_task, n_worker, n_classes, ...)."""

_EXAMPLE = """\
example (the first setting of the peerannot paper):
  crowdtut simulate --n-worker 30 --n-task 200 --n-classes 5 \\
      --strategy independent-confusion --feedback 10 --seed 0 --folder simus/independent"""


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "simulate",
        help="simulate a crowd into a dataset folder",
        description=_DESCRIPTION,
        epilog=_EXAMPLE,
        folder=False,
    )
    p.add_argument("--n-worker", type=count(1), default=30, help="number of workers")
    p.add_argument("--n-task", type=count(1), default=200, help="number of tasks")
    p.add_argument("--n-classes", "-K", type=count(2), default=5, help="number of classes")
    p.add_argument(
        "--strategy", "-s", default="independent-confusion", metavar="STRATEGY",
        help=f"how workers answer: {', '.join(STRATEGIES)}",
    )
    p.add_argument(
        "--ratio", "-r", type=number(0, 1), default=None,
        help="share of spammers (hammer-spammer, default 0.1), students (student-teacher, "
        "default 0.8) or good workers (discrete-difficulty, default 0.35)",
    )
    p.add_argument(
        "--ratio-diff", type=number(0), default=1.0,
        help="discrete-difficulty: P(easy task) / P(hard task)",
    )
    p.add_argument(
        "--random", type=number(0, 1), default=0.0,
        help="discrete-difficulty: probability that a task is random (unidentifiable)",
    )
    p.add_argument(
        "--feedback", "-fb", type=count(1), default=None,
        help="answers per task, from distinct workers (default: every worker)",
    )
    p.add_argument(
        "--imbalance-votes", action="store_true",
        help="draw each task's number of answers uniformly in 1..feedback",
    )
    p.add_argument(
        "--matrix-file", type=Path, default=None,
        help=".npy file of confusion matrices (n_worker, K, K) to use instead of random ones "
        "(teachers first for student-teacher; not for hammer-spammer)",
    )
    p.add_argument(
        "--diag-range", type=number(0, 1), nargs=2, metavar=("LOW", "HIGH"), default=None,
        help="independent-confusion: draw each diagonal entry uniformly in [LOW, HIGH]",
    )
    p.add_argument(
        "--no-dominant", action="store_true",
        help="independent-confusion, student-teacher: keep the Dirichlet rows as drawn instead "
        "of moving their largest entry onto the diagonal",
    )
    p.add_argument("--seed", type=count(0), default=0, help="random seed")
    p.add_argument(
        "--folder", type=Path, default=Path("simulation"), help="output folder (created)"
    )
    p.add_argument(
        "--name", default=None, help="dataset name in metadata.json (default: the strategy)"
    )
    add_overwrite(p)
    p.set_defaults(run=run)


def _strategy(text: str) -> str:
    key = text.strip().lower().replace("_", "-")
    if key not in STRATEGIES:
        raise CLIError(
            f"unknown simulation strategy {text!r}; valid: {', '.join(STRATEGIES)}", USAGE
        )
    return key


def run(args: argparse.Namespace) -> int:
    strategy = _strategy(args.strategy)
    file_name_part(args.name, "--name")  # it goes into output file names
    folder: Path = args.folder
    check_free(dataset_files(folder), args.overwrite)

    import numpy as np

    from .. import simulate as sim
    from ..io import write_peerannot

    kwargs: dict = dict(
        feedback=args.feedback, imbalance_votes=args.imbalance_votes, seed=args.seed
    )
    ratio_kw, ratio_default = _RATIO[strategy]
    if ratio_kw is not None:
        kwargs[ratio_kw] = ratio_default if args.ratio is None else args.ratio
    elif args.ratio is not None:
        raise CLIError(f"--ratio does not apply to {strategy}", USAGE)
    if strategy == "discrete-difficulty":
        kwargs.update(ratio_diff=args.ratio_diff, p_random=args.random)
    elif args.ratio_diff != 1.0 or args.random != 0.0:
        raise CLIError("--ratio-diff and --random apply to discrete-difficulty only", USAGE)
    if args.diag_range is not None:
        if strategy != "independent-confusion":
            raise CLIError("--diag-range applies to independent-confusion only", USAGE)
        kwargs["diag_range"] = tuple(args.diag_range)
    if args.no_dominant:
        if strategy not in ("independent-confusion", "student-teacher"):
            raise CLIError(
                "--no-dominant applies to independent-confusion and student-teacher", USAGE
            )
        kwargs["dominant"] = False
    if args.matrix_file is not None:
        if strategy == "hammer-spammer":
            raise CLIError("--matrix-file does not apply to hammer-spammer", USAGE)
        try:
            kwargs["confusion"] = np.load(args.matrix_file, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise CLIError(f"cannot read --matrix-file {args.matrix_file}: {e}") from None

    crowd = getattr(sim, STRATEGIES[strategy])(args.n_task, args.n_worker, args.n_classes, **kwargs)

    name = args.name or strategy
    # peerannot keeps the simulation options in metadata.json; so do we (written once, atomically)
    reserved = {"name", "n_classes", "n_workers", "n_tasks"}
    extra = {k: v for k, v in crowd.params.items() if k not in reserved and v is not None}
    write_peerannot(
        crowd.answers, folder, name=name, n_classes=crowd.n_classes, truth=crowd.truth,
        overwrite=True,  # check_free above refused existing files unless --overwrite
        metadata=extra,
    )

    per_task = crowd.answers.groupby("task").size()
    print(
        f"simulated {strategy}: {crowd.n_tasks} tasks, {crowd.n_workers} workers, "
        f"{len(crowd.answers)} answers ({per_task.min()}-{per_task.max()} per task), "
        f"K={crowd.n_classes}, seed {args.seed} -> {show(folder)}/"
    )
    return 0
