"""Long answers from per-task vote counts, for sets that publish counts only (CIFAR-10H)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["votes_from_counts"]


def votes_from_counts(
    counts: np.ndarray, *, classes: Sequence | None = None, n_tasks: int | None = None, random_state=None
) -> pd.DataFrame:
    """One answer row per vote of a (n_tasks, n_classes) count matrix, rows in a random order.

    Counts do not say who voted, so every vote gets its own anonymous worker (``"v0"``,
    ``"v1"``, ...): count-based models (majority vote, one-coin with one skill) are meaningful on
    the result, worker models are not. ``n_tasks`` keeps a random subset of that many tasks
    (task names stay the row numbers of ``counts``).

    Examples
    --------
    >>> answers = votes_from_counts(np.array([[2, 0], [1, 1]]), random_state=0)
    >>> answers.groupby("task")["label"].apply(sorted).tolist()
    [[0, 0], [0, 1]]
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or not np.issubdtype(counts.dtype, np.integer) or (counts < 0).any():
        raise ValueError("counts must be a 2-D array of non-negative integers (tasks x classes)")
    rng = np.random.default_rng(random_state)
    tasks = np.arange(counts.shape[0])
    if n_tasks is not None:
        is_int = isinstance(n_tasks, (int, np.integer)) and not isinstance(n_tasks, bool)
        if not is_int or not 1 <= n_tasks <= len(tasks):
            raise ValueError(f"n_tasks={n_tasks!r}; expected an integer in [1, {len(tasks)}]")
        tasks = np.sort(rng.choice(tasks, size=n_tasks, replace=False))
    sub = counts[tasks]
    labels = np.arange(sub.shape[1]) if classes is None else np.asarray(classes)
    if len(labels) != sub.shape[1]:
        raise ValueError(f"{len(labels)} class names for {sub.shape[1]} columns of counts")
    flat = sub.ravel()
    task = np.repeat(np.repeat(tasks, sub.shape[1]), flat)
    label = np.repeat(np.tile(labels, len(tasks)), flat)
    order = rng.permutation(len(task))
    return pd.DataFrame(
        {"task": task[order], "worker": [f"v{i}" for i in range(len(task))], "label": label[order]}
    )
