"""Simulated crowds for classification, following peerannot's ``simulate`` strategies.

Every simulator draws the true labels uniformly over the classes, gives each worker a confusion
matrix ``pi[j, k, l] = P(worker j answers l | true class k)``, lets ``feedback`` distinct workers,
chosen uniformly at random, answer each task, and returns a :class:`SimulatedCrowd`. Tasks,
workers and classes are the integers ``0..n-1``. The four strategies are peerannot's
(``peerannot simulate --strategy ...``): ``independent-confusion``, ``hammer-spammer``,
``student-teacher`` and ``discrete-difficulty``; the generation is vectorised over answers, so
the random streams differ from peerannot's for the same seed (the distributions are the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_int as _check_int, check_fraction as _check_fraction
from ..answers import CrowdAnswers, encode_answers
from ._common import numbered, seed_value

__all__ = [
    "SimulatedCrowd",
    "independent_confusion",
    "hammer_spammer",
    "student_teacher",
    "discrete_difficulty",
    "bayes_oracle",
]

_DENSE_LIMIT = 4_000_000  # random keys drawn at once when choosing workers (32 MB of float64)


@dataclass(frozen=True, eq=False)
class SimulatedCrowd:
    """A simulated crowd and the ground truth behind it.

    Attributes
    ----------
    answers : DataFrame
        Long answers with integer columns ``task``, ``worker``, ``label``, sorted by task then
        worker.
    truth : Series
        True class of each task, indexed by task (``0..n_tasks-1``).
    confusion : ndarray, shape (n_workers, n_classes, n_classes)
        ``confusion[j, k, l]``: probability that worker ``j`` answers ``l`` when the truth is
        ``k``; rows sum to one. Under ``discrete_difficulty`` it applies to hard tasks only.
    worker_type : Series or None
        Kind of each worker (``"hammer"``/``"spammer"``, ``"teacher"``/``"student"``,
        ``"good"``/``"bad"``), indexed by worker.
    difficulty : Series or None
        ``"easy"``, ``"hard"`` or ``"random"`` per task (``discrete_difficulty`` only).
    teacher : Series or None
        The teacher each worker copies (a teacher maps to itself; ``student_teacher`` only).
    params : dict
        The arguments of the simulation (for metadata files).
    """

    answers: pd.DataFrame
    truth: pd.Series
    confusion: np.ndarray
    worker_type: pd.Series | None = None
    difficulty: pd.Series | None = None
    teacher: pd.Series | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_tasks(self) -> int:
        return len(self.truth)

    @property
    def n_workers(self) -> int:
        return int(self.confusion.shape[0])

    @property
    def n_classes(self) -> int:
        return int(self.confusion.shape[1])


# --- validation ------------------------------------------------------------------------------
def _check_sizes(n_tasks, n_workers, n_classes, feedback) -> tuple[int, int, int, int]:
    n_tasks = _check_int(n_tasks, "n_tasks", 1)
    n_workers = _check_int(n_workers, "n_workers", 1)
    n_classes = _check_int(n_classes, "n_classes", 2)
    if feedback is None:
        feedback = n_workers
    feedback = _check_int(feedback, "feedback", 1)
    if feedback > n_workers:
        raise ValueError(
            f"feedback={feedback} answers per task needs at least as many workers, but "
            f"n_workers={n_workers}"
        )
    return n_tasks, n_workers, n_classes, feedback


def _check_confusion(confusion, n_workers: int, n_classes: int) -> np.ndarray:
    conf = np.asarray(confusion, dtype=np.float64)
    if conf.shape != (n_workers, n_classes, n_classes):
        raise ValueError(
            f"confusion must have shape (n_workers, n_classes, n_classes) = "
            f"{(n_workers, n_classes, n_classes)}; got {conf.shape}"
        )
    if not np.isfinite(conf).all() or (conf < 0).any():
        raise ValueError("confusion must hold finite non-negative probabilities")
    off = np.abs(conf.sum(axis=2) - 1.0) > 1e-6
    if off.any():
        j, k = np.argwhere(off)[0]
        raise ValueError(f"confusion rows must sum to 1; row [worker {j}, true class {k}] does not")
    return conf


# --- confusion matrices ----------------------------------------------------------------------
def _dirichlet_rows(rng: np.random.Generator, n: int, n_classes: int, alpha: float) -> np.ndarray:
    """``n`` matrices whose rows are independent Dirichlet(alpha, ..., alpha) draws."""
    return rng.dirichlet(np.full(n_classes, alpha), size=(n, n_classes))


def _max_to_diagonal(mats: np.ndarray) -> np.ndarray:
    """Swap, in every row, the largest entry with the diagonal one (peerannot's dominance)."""
    mats = mats.copy()
    n, k, _ = mats.shape
    w, r = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    top = mats.argmax(axis=2)
    diag = mats[w, r, r].copy()
    mats[w, r, r] = mats[w, r, top]
    mats[w, r, top] = diag
    return mats


def _random_confusion(
    rng: np.random.Generator, n: int, n_classes: int, dominant: bool, diag_range
) -> np.ndarray:
    if diag_range is None:
        mats = _dirichlet_rows(rng, n, n_classes, 1.0)
        return _max_to_diagonal(mats) if dominant else mats
    low, high = diag_range
    diag = rng.uniform(low, high, size=(n, n_classes))
    rest = rng.dirichlet(np.ones(n_classes - 1), size=(n, n_classes)) * (1.0 - diag)[..., None]
    mats = np.empty((n, n_classes, n_classes))
    eye = np.eye(n_classes, dtype=bool)
    mats[:, eye] = diag
    mats[:, ~eye] = rest.reshape(n, -1)
    return mats


# --- answer generation -----------------------------------------------------------------------
def _choose_workers(rng: np.random.Generator, n_tasks: int, n_workers: int, feedback: int):
    """``feedback`` distinct workers per task, uniformly, in random order: (n_tasks, feedback)."""
    if feedback == n_workers:
        chosen = np.broadcast_to(np.arange(n_workers), (n_tasks, n_workers))
    elif feedback * feedback < 4 * n_workers:
        # Floyd's sampling, vectorised over tasks: a loop over the feedback slots only
        chosen = np.empty((n_tasks, feedback), dtype=np.int64)
        for slot, top in enumerate(range(n_workers - feedback, n_workers)):
            draw = rng.integers(0, top + 1, size=n_tasks)
            seen = (chosen[:, :slot] == draw[:, None]).any(axis=1)
            chosen[:, slot] = np.where(seen, top, draw)
    else:
        # the `feedback` smallest of n_workers uniform keys, in chunks of tasks to bound memory
        step = max(1, _DENSE_LIMIT // n_workers)
        parts = []
        for start in range(0, n_tasks, step):
            keys = rng.random((min(step, n_tasks - start), n_workers))
            parts.append(np.argpartition(keys, feedback - 1, axis=1)[:, :feedback])
        chosen = np.concatenate(parts)
    return rng.permuted(chosen, axis=1)


def _generate(
    rng: np.random.Generator,
    truth: np.ndarray,
    confusion: np.ndarray,
    feedback: int,
    imbalance_votes: bool,
    difficulty: np.ndarray | None = None,
) -> pd.DataFrame:
    n_tasks = len(truth)
    n_workers, n_classes, _ = confusion.shape
    chosen = _choose_workers(rng, n_tasks, n_workers, feedback)
    if imbalance_votes:
        # peerannot: the number of votes is uniform on {1, ..., feedback}
        n_votes = rng.integers(1, feedback + 1, size=n_tasks)
        chosen = np.where(np.arange(feedback) < n_votes[:, None], chosen, n_workers)
    chosen = np.sort(chosen, axis=1)
    keep = chosen < n_workers
    task = np.broadcast_to(np.arange(n_tasks)[:, None], chosen.shape)[keep]
    worker = chosen[keep]
    y = truth[task]

    # inverse-CDF sampling of row confusion[worker, y], one class at a time (memory O(answers))
    cdf = np.cumsum(confusion, axis=2)
    u = rng.random(len(task))
    label = np.zeros(len(task), dtype=np.int64)
    for k in range(n_classes - 1):
        label += u >= cdf[worker, y, k]
    if difficulty is not None:
        level = difficulty[task]
        uniform = rng.integers(0, n_classes, size=len(task))
        label = np.where(level == "easy", y, np.where(level == "random", uniform, label))
    return pd.DataFrame(
        {"task": task.astype(np.int64), "worker": worker.astype(np.int64), "label": label}
    )


def _kinds(first: str, n_first: int, second: str, n_second: int) -> pd.Series:
    """The kind of each worker: ``n_first`` workers of the first kind, then the others."""
    return numbered(np.array([first] * n_first + [second] * n_second), "worker", "worker_type")


def _crowd(
    strategy: str,
    rng: np.random.Generator,
    truth: np.ndarray,
    confusion: np.ndarray,
    feedback: int,
    imbalance_votes: bool,
    seed,
    options: dict[str, Any],
    difficulty: np.ndarray | None = None,
    **series: pd.Series,
) -> SimulatedCrowd:
    """Draw the answers and record the simulation: the sizes, ``feedback``, the strategy's own
    ``options``, ``imbalance_votes`` and the seed (in that order) go into ``params``; ``series``
    are the crowd's per-worker Series (``worker_type``, ``teacher``)."""
    answers = _generate(rng, truth, confusion, feedback, imbalance_votes, difficulty)
    n_workers, n_classes, _ = confusion.shape
    params = dict(
        strategy=strategy,
        n_tasks=len(truth),
        n_workers=n_workers,
        n_classes=n_classes,
        feedback=feedback,
        **options,
        imbalance_votes=imbalance_votes,
        seed=seed_value(seed),
    )
    if difficulty is not None:
        series["difficulty"] = numbered(difficulty, "task", "difficulty")
    return SimulatedCrowd(
        answers, numbered(truth, "task", "truth"), confusion, params=params, **series
    )


# --- strategies ------------------------------------------------------------------------------
def independent_confusion(
    n_tasks: int,
    n_workers: int,
    n_classes: int,
    *,
    feedback: int | None = None,
    dominant: bool = True,
    diag_range: tuple[float, float] | None = None,
    confusion: np.ndarray | None = None,
    imbalance_votes: bool = False,
    seed: int | np.random.Generator | None = None,
) -> SimulatedCrowd:
    """Workers answer independently from their own confusion matrix (peerannot's
    ``independent-confusion``, the Dawid-Skene model).

    Parameters
    ----------
    n_tasks, n_workers, n_classes : sizes.
    feedback : answers per task, from distinct workers chosen uniformly (default: every worker,
        peerannot's default).
    dominant : every row is drawn uniformly on the simplex (Dirichlet(1)); with ``dominant`` its
        largest entry is swapped onto the diagonal, as peerannot's documentation describes. With
        ``False`` rows stay as drawn (the code of peerannot 0.x does this).
    diag_range : instead, draw each diagonal entry uniformly in ``(low, high)`` and spread the
        rest over the other classes by a Dirichlet(1) draw.
    confusion : given matrices (n_workers, K, K) instead of random ones (peerannot's
        ``--matrix-file``).
    imbalance_votes : draw each task's number of answers uniformly in ``{1, ..., feedback}``.
    seed : seed or Generator for ``np.random.default_rng``.
    """
    n_tasks, n_workers, n_classes, feedback = _check_sizes(n_tasks, n_workers, n_classes, feedback)
    if diag_range is not None:
        low, high = (_check_fraction(v, "diag_range bound") for v in diag_range)
        if low > high:
            raise ValueError(f"diag_range must be (low, high) with low <= high; got {diag_range}")
        diag_range = (low, high)
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, size=n_tasks)
    if confusion is not None:
        mats = _check_confusion(confusion, n_workers, n_classes)
    else:
        mats = _random_confusion(rng, n_workers, n_classes, dominant, diag_range)
    return _crowd(
        "independent-confusion", rng, truth, mats, feedback, imbalance_votes, seed,
        dict(dominant=dominant, diag_range=diag_range),
    )


def hammer_spammer(
    n_tasks: int,
    n_workers: int,
    n_classes: int,
    *,
    ratio_spammers: float,
    feedback: int | None = None,
    imbalance_votes: bool = False,
    seed: int | np.random.Generator | None = None,
) -> SimulatedCrowd:
    """Hammers always answer the truth; spammers answer uniformly at random (peerannot's
    ``hammer-spammer``).

    ``int(ratio_spammers * n_workers)`` workers are spammers; as in peerannot the hammers come
    first (workers ``0..n_hammers-1``) and the spammers last. Other parameters as in
    :func:`independent_confusion`.
    """
    n_tasks, n_workers, n_classes, feedback = _check_sizes(n_tasks, n_workers, n_classes, feedback)
    ratio_spammers = _check_fraction(ratio_spammers, "ratio_spammers")
    n_spammers = int(ratio_spammers * n_workers)
    n_hammers = n_workers - n_spammers
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, size=n_tasks)
    mats = np.concatenate(
        [
            np.broadcast_to(np.eye(n_classes), (n_hammers, n_classes, n_classes)),
            np.full((n_spammers, n_classes, n_classes), 1.0 / n_classes),
        ]
    )
    return _crowd(
        "hammer-spammer", rng, truth, mats, feedback, imbalance_votes, seed,
        dict(ratio=ratio_spammers),
        worker_type=_kinds("hammer", n_hammers, "spammer", n_spammers),
    )


def student_teacher(
    n_tasks: int,
    n_workers: int,
    n_classes: int,
    *,
    ratio_students: float = 0.8,
    feedback: int | None = None,
    dominant: bool = True,
    confusion: np.ndarray | None = None,
    imbalance_votes: bool = False,
    seed: int | np.random.Generator | None = None,
) -> SimulatedCrowd:
    """Correlated mistakes: each student copies the confusion matrix of one teacher (peerannot's
    ``student-teacher``, after Cao et al., 2019).

    ``int(ratio_students * n_workers)`` workers are students and come last; each follows a
    teacher chosen uniformly at random. Teachers' matrices are drawn as in
    :func:`independent_confusion` (or are the first rows of ``confusion``, shape
    (n_teachers, K, K) or larger). Every worker then answers independently.
    """
    n_tasks, n_workers, n_classes, feedback = _check_sizes(n_tasks, n_workers, n_classes, feedback)
    ratio_students = _check_fraction(ratio_students, "ratio_students")
    n_students = int(n_workers * ratio_students)
    n_teachers = n_workers - n_students
    if n_teachers < 1:
        raise ValueError(
            f"ratio_students={ratio_students} with n_workers={n_workers} leaves no teacher"
        )
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, size=n_tasks)
    if confusion is not None:
        given = np.asarray(confusion, dtype=np.float64)
        if given.ndim != 3 or given.shape[0] < n_teachers:
            raise ValueError(
                f"confusion must hold at least n_teachers={n_teachers} matrices; "
                f"got shape {given.shape}"
            )
        teachers = _check_confusion(given[:n_teachers], n_teachers, n_classes)
    else:
        teachers = _random_confusion(rng, n_teachers, n_classes, dominant, None)
    following = rng.integers(0, n_teachers, size=n_students)
    mats = np.concatenate([teachers, teachers[following]])
    return _crowd(
        "student-teacher", rng, truth, mats, feedback, imbalance_votes, seed,
        dict(ratio=ratio_students, dominant=dominant),
        worker_type=_kinds("teacher", n_teachers, "student", n_students),
        teacher=numbered(np.concatenate([np.arange(n_teachers), following]), "worker", "teacher"),
    )


def discrete_difficulty(
    n_tasks: int,
    n_workers: int,
    n_classes: int,
    *,
    feedback: int | None = None,
    ratio_good: float = 0.35,
    ratio_diff: float = 1.0,
    p_random: float = 0.0,
    confusion: np.ndarray | None = None,
    imbalance_votes: bool = False,
    seed: int | np.random.Generator | None = None,
) -> SimulatedCrowd:
    """Good and bad workers, easy, hard and random tasks (peerannot's ``discrete-difficulty``,
    after Whitehill et al., 2009).

    Every worker answers an easy task correctly and a random task uniformly at random; on a hard
    task they answer from their confusion matrix. ``int(ratio_good * n_workers)`` good workers
    come first: their rows are Dirichlet(0.2) draws with the largest entry swapped onto the
    diagonal (sharp and diagonally dominant); bad workers' rows are Dirichlet(1) draws.

    Parameters
    ----------
    ratio_good : share of good workers.
    ratio_diff : ``P(easy) / P(hard)`` (peerannot's ``--ratio-diff``; 1 means as many easy as hard).
    p_random : probability that a task is ``"random"`` (impossible to label; peerannot's
        ``--random``). ``P(hard) = (1 - p_random) / (1 + ratio_diff)``.
    Other parameters as in :func:`independent_confusion`.
    """
    n_tasks, n_workers, n_classes, feedback = _check_sizes(n_tasks, n_workers, n_classes, feedback)
    ratio_good = _check_fraction(ratio_good, "ratio_good")
    p_random = _check_fraction(p_random, "p_random")
    if isinstance(ratio_diff, bool) or not np.isfinite(ratio_diff) or ratio_diff < 0:
        raise ValueError(
            f"ratio_diff = P(easy)/P(hard) must be a finite number >= 0; got {ratio_diff!r}"
        )
    n_good = int(ratio_good * n_workers)
    n_bad = n_workers - n_good
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, size=n_tasks)
    p_hard = (1.0 - p_random) / (ratio_diff + 1.0)
    levels = np.array(["easy", "hard", "random"])
    difficulty = levels[
        rng.choice(3, size=n_tasks, p=np.array([ratio_diff * p_hard, p_hard, p_random]))
    ]
    if confusion is not None:
        mats = _check_confusion(confusion, n_workers, n_classes)
    else:
        good = _max_to_diagonal(_dirichlet_rows(rng, n_good, n_classes, 0.2))
        bad = _dirichlet_rows(rng, n_bad, n_classes, 1.0)
        mats = np.concatenate([good, bad])
    return _crowd(
        "discrete-difficulty", rng, truth, mats, feedback, imbalance_votes, seed,
        dict(ratio=ratio_good, ratio_diff=ratio_diff, random=p_random),
        difficulty=difficulty,
        worker_type=_kinds("good", n_good, "bad", n_bad),
    )


# --- the accuracy ceiling --------------------------------------------------------------------
def bayes_oracle(
    answers: pd.DataFrame | CrowdAnswers,
    confusion: np.ndarray,
    priors: np.ndarray | None = None,
    *,
    workers=None,
    classes=None,
) -> pd.DataFrame:
    """Posterior class probabilities under the true confusion matrices (the Bayes classifier).

    ``P(y_i = k | answers) ∝ priors[k] * prod_j confusion[j, k, answer_ij]``; its argmax is the
    best accuracy any aggregator can reach on a crowd drawn from ``confusion`` (exact for
    independent-confusion, hammer-spammer and student-teacher crowds; under discrete-difficulty
    it ignores the task levels and is only an approximation).

    Parameters
    ----------
    answers : long answers (``task``, ``worker``, ``label``) or CrowdAnswers.
    confusion : ndarray (n_workers, K, K), ``[worker, true, answered]``.
    priors : class probabilities (K,); uniform by default (the simulators draw truths uniformly).
    workers : worker names along the first axis of ``confusion``; default ``0..n_workers-1``.
    classes : class names along the last two axes; default ``0..K-1``.

    Returns
    -------
    DataFrame (tasks x classes) of posterior probabilities, indexed by task.
    """
    conf = np.asarray(confusion, dtype=np.float64)
    if conf.ndim != 3 or conf.shape[1] != conf.shape[2]:
        raise ValueError(f"confusion must have shape (n_workers, K, K); got {conf.shape}")
    n_workers, n_classes, _ = conf.shape
    classes = pd.RangeIndex(n_classes) if classes is None else pd.Index(list(classes))
    workers = pd.RangeIndex(n_workers) if workers is None else pd.Index(list(workers))
    if len(classes) != n_classes or len(workers) != n_workers:
        raise ValueError(
            f"confusion has shape {conf.shape} but {len(workers)} workers and {len(classes)} "
            "classes were named"
        )
    if priors is None:
        priors = np.full(n_classes, 1.0 / n_classes)
    priors = np.asarray(priors, dtype=np.float64)
    if priors.shape != (n_classes,) or (priors < 0).any() or abs(priors.sum() - 1.0) > 1e-6:
        raise ValueError(
            f"priors must be {n_classes} non-negative numbers summing to 1; got {priors}"
        )
    data = encode_answers(answers, classes=classes)
    pos = workers.get_indexer(data.workers)
    if (pos < 0).any():
        raise ValueError(
            f"worker(s) {list(data.workers[pos < 0])[:10]} answered but have no confusion matrix"
        )
    with np.errstate(divide="ignore"):
        log_conf = np.log(conf)
        log_post = np.tile(np.log(priors), (data.n_tasks, 1))
    # contribution of every answer to every class: log confusion[worker, k, label]
    contrib = log_conf[pos[data.worker], :, data.label]  # (n_answers, K)
    for k in range(n_classes):
        log_post[:, k] += np.bincount(data.task, weights=contrib[:, k], minlength=data.n_tasks)
    top = log_post.max(axis=1, keepdims=True)
    impossible = ~np.isfinite(top[:, 0])
    if impossible.any():
        raise ValueError(
            f"the answers of task(s) {list(data.tasks[impossible])[:10]} have probability 0 under "
            "the given confusion matrices and priors"
        )
    post = np.exp(log_post - top)
    post /= post.sum(axis=1, keepdims=True)
    return data.task_class_frame(post)
