"""Run several aggregators on several datasets and tabulate accuracy and time."""

from __future__ import annotations

import copy
import time
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from .answers import CrowdAnswers, encode_answers
from .metrics import accuracy

__all__ = [
    "compare_aggregators",
    "benchmark_datasets",
    "subsample_answers",
    "accuracy_by_effort",
    "accuracy_over_seeds",
]


def compare_aggregators(
    models: Mapping[str, object],
    answers: pd.DataFrame | CrowdAnswers,
    truth: pd.Series | None = None,
    *,
    classes=None,
    duplicates: str = "keep",
) -> pd.DataFrame:
    """Fit every model on the same answers (encoded once).

    Returns one row per model with ``accuracy`` on the tasks in ``truth`` (NaN without truth) and
    ``seconds`` (wall time of the fit). The models passed in are left untouched: each fit runs on
    a copy, available as ``result.attrs["fitted"][name]``.
    """
    data = encode_answers(answers, classes=classes, duplicates=duplicates)
    rows, fitted = [], {}
    for name, model in models.items():
        model = copy.deepcopy(model)
        start = time.perf_counter()
        model.fit(data)
        seconds = time.perf_counter() - start
        acc = accuracy(model.labels_, truth) if truth is not None and len(truth) else np.nan
        rows.append({"method": name, "accuracy": acc, "seconds": seconds})
        fitted[name] = model
    table = pd.DataFrame(rows).set_index("method")
    table.attrs["fitted"] = fitted
    return table


def benchmark_datasets(models: Mapping[str, object], names: Iterable[str]) -> pd.DataFrame:
    """:func:`compare_aggregators` over datasets loaded with :func:`crowdtut.datasets.load_dataset`.

    Returns a long table with columns ``dataset``, ``method``, ``accuracy``, ``seconds``.
    Repeated (task, worker) pairs, present in some real sets, are all counted.
    """
    from .datasets import load_dataset

    parts = []
    for name in names:
        ds = load_dataset(name)
        table = compare_aggregators(models, ds.answers, ds.truth, classes=ds.classes)
        parts.append(table.reset_index().assign(dataset=name))
    return pd.concat(parts, ignore_index=True)[["dataset", "method", "accuracy", "seconds"]]


def _subsample_mask(task: np.ndarray, per_task: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask keeping ``per_task`` answers of each task (all of them when it has fewer),
    drawn uniformly without replacement: shuffle within tasks, keep the first ``per_task``."""
    n = len(task)
    order = np.lexsort((rng.random(n), task))
    sorted_task = task[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_task)) + 1]
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    mask = np.zeros(n, dtype=bool)
    mask[order[rank < per_task]] = True
    return mask


def subsample_answers(answers: pd.DataFrame | CrowdAnswers, per_task: int, random_state=None):
    """Keep ``per_task`` answers of every task, drawn at random without replacement.

    Simulates a labeling job that asked fewer workers per task. Tasks with fewer answers keep
    them all. Returns the same type as ``answers`` (a DataFrame keeps its rows' order and index;
    a CrowdAnswers keeps its task, worker and class indexes).

    >>> import pandas as pd
    >>> answers = pd.DataFrame(
    ...     {"task": [0, 0, 0, 1], "worker": [0, 1, 2, 0], "label": [1, 1, 0, 0]}
    ... )
    >>> subsample_answers(answers, 2, random_state=0).groupby("task").size().tolist()
    [2, 1]
    """
    if isinstance(per_task, bool) or not isinstance(per_task, (int, np.integer)) or per_task < 1:
        raise ValueError(f"per_task={per_task!r}; expected a positive integer")
    rng = np.random.default_rng(random_state)
    if isinstance(answers, CrowdAnswers):
        return answers.subset(_subsample_mask(answers.task, per_task, rng))
    data = encode_answers(answers, duplicates="keep")
    return answers[_subsample_mask(data.task, per_task, rng)]


def accuracy_by_effort(
    models: Mapping[str, object],
    answers: pd.DataFrame | CrowdAnswers,
    truth: pd.Series,
    *,
    per_task: Iterable[int] = (1, 2, 3, 4, 5),
    n_repeats: int = 20,
    random_state=0,
    classes=None,
) -> pd.DataFrame:
    """Accuracy of each model when each task keeps only ``k`` of its answers, for each ``k``.

    For every ``k`` in ``per_task`` and every repeat, one random subsample
    (:func:`subsample_answers`) is drawn and every model is fitted on it; all models see the
    same subsample. Models with a ``random_state`` attribute (``MajorityVote(tie_break=
    "random")``) get a fresh seed drawn from ``random_state`` for each fit, so the whole table is
    reproducible. The models passed in are left untouched.

    Returns
    -------
    DataFrame with one row per (k, repeat, model): ``per_task``, ``repeat``, ``method``,
    ``accuracy`` (on the tasks of ``truth``).
    """
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ValueError(f"n_repeats={n_repeats!r}; expected a positive integer")
    data = encode_answers(answers, classes=classes, duplicates="keep")
    rng = np.random.default_rng(random_state)
    rows = []
    for k in per_task:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"per_task holds {k!r}; expected positive integers")
        for repeat in range(n_repeats):
            subset = data.subset(_subsample_mask(data.task, int(k), rng))
            for name, template in models.items():
                model = copy.deepcopy(template)
                if hasattr(model, "random_state"):
                    model.random_state = int(rng.integers(2**31))
                model.fit(subset)
                rows.append(
                    {"per_task": int(k), "repeat": repeat, "method": name,
                     "accuracy": accuracy(model.labels_, truth)}
                )
    return pd.DataFrame(rows)


def accuracy_over_seeds(
    simulate: Callable[[int], object],
    models: Mapping[str, object],
    seeds: Iterable[int] = range(20),
) -> pd.DataFrame:
    """Accuracy of every model on a simulated crowd drawn again with every seed.

    One seed at a few hundred tasks is noisy; the spread over seeds shows which differences
    between methods are real.

    Parameters
    ----------
    simulate : ``simulate(seed)`` returns a crowd with ``answers`` and ``truth`` (and
        ``n_classes``), e.g. ``lambda seed: simulate.independent_confusion(200, 30, 5,
        feedback=10, seed=seed)``.
    models : ``{name: unfitted aggregator}``; each is fitted on a copy
        (:func:`compare_aggregators`), with the classes ``0..n_classes-1``.
    seeds : the seeds.

    Returns
    -------
    DataFrame with one row per (seed, model): ``seed``, ``method``, ``accuracy``, ``seconds``.

    >>> from crowdtut import simulate
    >>> from crowdtut.aggregation import MajorityVote
    >>> table = accuracy_over_seeds(
    ...     lambda s: simulate.independent_confusion(50, 10, 3, feedback=5, seed=s),
    ...     {"MV": MajorityVote()}, seeds=range(3))
    >>> table.shape, table.columns.tolist()
    ((3, 4), ['seed', 'method', 'accuracy', 'seconds'])
    """
    parts = []
    for seed in seeds:
        crowd = simulate(seed)
        n_classes = getattr(crowd, "n_classes", None)
        classes = range(n_classes) if n_classes is not None else None
        table = compare_aggregators(models, crowd.answers, crowd.truth, classes=classes)
        parts.append(table.reset_index().assign(seed=seed))
    if not parts:
        raise ValueError("seeds is empty")
    return pd.concat(parts, ignore_index=True)[["seed", "method", "accuracy", "seconds"]]
