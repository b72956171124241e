"""``crowdtut aggregate``: one label (or distribution) per task from the answers of a folder."""

from __future__ import annotations

import argparse
import time

from ._common import (
    add_check_labels,
    add_command,
    add_overwrite,
    check_free,
    load_folder,
    npy_bytes,
    show,
    task_order,
    write_outputs,
)
from ._strategies import AGGREGATORS, add_strategy, parse_strategy

_DESCRIPTION = """\
Aggregate the answers of FOLDER with one strategy and write
FOLDER/labels/labels_<name>_<strategy>.npy: an array (n_tasks, n_classes) of probabilities,
or with --hard (and always for MV) one integer label per task. Row i is task i (or the i-th
task of answers.json when the task ids are not 0..n-1). With FOLDER/ground_truth.npy the
accuracy of the labels on the tasks with a known truth (AccTrain) is printed.

Strategies and their bracket parameters with defaults, e.g. -s "DSWC[L=5]" (quote the
brackets in a shell; names and keys ignore case, - and _):
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "aggregate",
        help="aggregate the answers of a folder with one strategy",
        description=_DESCRIPTION,
        epilog='example: crowdtut aggregate simus/independent -s "DSWC[L=5]"',
    )
    add_strategy(p, AGGREGATORS, "aggregation strategy", default="MV")
    p.add_argument(
        "--hard", action="store_true",
        help="write hard labels (argmax of the probabilities) to labels_<name>_<strategy>_hard.npy",
    )
    add_check_labels(p)
    add_overwrite(p)
    p.set_defaults(run=run)


def strategy_of(text: str):
    """(Strategy, options, slug); a :class:`StrategyError` (a usage error) names the valid ones."""
    return parse_strategy(text, AGGREGATORS, "aggregation strategy")


def run(args: argparse.Namespace) -> int:
    strategy, options, slug = strategy_of(args.strategy)
    folder = load_folder(args.folder, args.check_labels)
    target = folder.labels_path(slug + ("_hard" if args.hard else ""))
    check_free([target], args.overwrite)

    from ..metrics import accuracy

    data = folder.encode()
    model = strategy.build(options)
    start = time.perf_counter()
    model.fit(data)
    seconds = time.perf_counter() - start

    order = task_order(folder)
    if args.hard or strategy.hard:
        values = model.labels_.reindex(order).to_numpy().astype("int64")
    else:
        values = model.probas_.reindex(order).to_numpy()
    write_outputs({target: npy_bytes(values)}, args.overwrite)

    brackets = args.strategy.strip()
    shown = strategy.name + (brackets[brackets.index("["):] if "[" in brackets else "")
    line = (
        f"{shown}: {data.n_tasks} tasks, {data.n_answers} "
        f"answers, {data.n_classes} classes, fit in {seconds:.3f} s"
    )
    if folder.truth is not None and len(folder.truth):
        acc = accuracy(model.labels_, folder.truth)
        line += f"; AccTrain {acc:.3f} on {len(folder.truth)} tasks"
    print(line)
    print(f"labels {values.shape} -> {show(target)}")
    return 0
