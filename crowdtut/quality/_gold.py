"""Gold (control) labels checked against encoded answers: the one boundary for every gold input."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers

__all__ = ["encode_gold", "gold_hits"]


def encode_gold(data: CrowdAnswers, gold, *, what: str = "gold") -> tuple[np.ndarray, np.ndarray]:
    """Task codes and class codes of gold labels given as a Series (or dict) indexed by task.

    Raises ``ValueError`` for an empty gold set, a missing label, a task given twice, a task that
    is not in the answers, or a label outside ``data.classes``; each message names the bad values.
    """
    if isinstance(gold, dict):
        gold = pd.Series(gold, dtype=object)
    if not isinstance(gold, pd.Series):
        raise TypeError(
            f"{what} must be a pandas Series (task -> label) or a dict; got {type(gold).__name__}"
        )
    if len(gold) == 0:
        raise ValueError(f"{what} is empty: give the true label of at least one task")
    isna = gold.isna().to_numpy()
    if isna.any():
        raise ValueError(
            f"{what} has {int(isna.sum())} missing label(s), e.g. for task(s) "
            f"{gold.index[isna].tolist()[:5]}"
        )
    if not gold.index.is_unique:
        dup = gold.index[gold.index.duplicated()].unique().tolist()[:5]
        raise ValueError(f"{what} lists task(s) {dup} more than once; give one label per task")
    task_codes = data.tasks.get_indexer(gold.index)
    unknown = task_codes < 0
    if unknown.any():
        raise ValueError(
            f"{what} has {int(unknown.sum())} task(s) that are not in the answers, e.g. "
            f"{gold.index[unknown].tolist()[:5]}; drop them or pass the answers that contain them"
        )
    class_codes = data.classes.get_indexer(gold.to_numpy())
    outside = class_codes < 0
    if outside.any():
        raise ValueError(
            f"{what} has label(s) {pd.unique(gold.to_numpy()[outside]).tolist()[:5]} outside the classes "
            f"{data.classes.tolist()[:20]}; pass classes=[...] to fit if they are valid classes nobody chose"
        )
    return task_codes.astype(np.int64), class_codes.astype(np.int64)


def gold_hits(data: CrowdAnswers, gold) -> tuple[np.ndarray, np.ndarray]:
    """Per worker (code order), the number of gold answers and of correct gold answers."""
    task_codes, class_codes = encode_gold(data, gold)
    truth = np.full(data.n_tasks, -1, dtype=np.int64)
    truth[task_codes] = class_codes
    ref = truth[data.task]
    on_gold = ref >= 0
    n = np.bincount(data.worker[on_gold], minlength=data.n_workers)
    right = data.label[on_gold] == ref[on_gold]
    hits = np.bincount(data.worker[on_gold], weights=right, minlength=data.n_workers)
    return n.astype(np.int64), hits
