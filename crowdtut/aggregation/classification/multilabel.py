"""Multi-label answers (each answer is a set of classes) by one binary aggregation per class."""

from __future__ import annotations

from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from .._base import ClassificationAggregator, Estimator
from .voting import MajorityVote

__all__ = ["BinaryRelevance"]


def _label_sets(answers: pd.DataFrame) -> list[frozenset]:
    """The ``label`` column as sets, checked: each cell a list, tuple or set (not a string)."""
    missing = [c for c in ("task", "worker", "label") if c not in answers.columns]
    if missing:
        raise ValueError(
            f"answers lack the column(s) {missing}; expected task, worker and label (a list of "
            "classes per answer)"
        )
    if len(answers) == 0:
        raise ValueError("answers are empty: expected at least one row")
    sets = []
    for row, cell in enumerate(answers["label"].tolist()):
        if isinstance(cell, (str, bytes)) or not isinstance(cell, (list, tuple, set, frozenset, np.ndarray)):
            raise ValueError(
                f"label at row {row} is {cell!r}; BinaryRelevance expects a list of classes per "
                "answer (an empty list for none), e.g. ['tree', 'house']"
            )
        sets.append(frozenset(cell))
    return sets


class BinaryRelevance(Estimator):
    """Binary relevance: one yes/no aggregation per class, each with a fresh copy of ``base``.

    The answers follow crowd-kit's layout: a long frame with ``task``, ``worker`` and ``label``
    where each label is the list of classes the worker chose (possibly empty). For every class
    ``c`` the answers become ``c in label`` (True/False) and ``base`` aggregates them; a task's
    label set holds the classes whose aggregate is True.

    Parameters
    ----------
    base : a classification aggregator (default :class:`MajorityVote`); it is copied with its
        hyper-parameters for each class and never fitted itself.

    Attributes
    ----------
    labels_ : Series of lists, the classes chosen for each task (in ``classes_`` order).
    probas_ : DataFrame (tasks x classes), each class's probability of being in the set as
        given by its binary aggregator.
    classes_ : Index of the classes.
    aggregators_ : dict, the fitted binary aggregator of each class.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "task": ["t1", "t1", "t1", "t2", "t2", "t2"], "worker": ["a", "b", "c"] * 2,
    ...     "label": [["house", "tree"], ["house"], ["house", "tree"], ["car"], ["car"], []]})
    >>> BinaryRelevance().fit_predict(answers).tolist()
    [['house', 'tree'], ['car']]
    """

    def __init__(self, base: ClassificationAggregator | None = None):
        self.base = base

    def fit(self, answers: pd.DataFrame, *, classes: Iterable[Hashable] | None = None,
            duplicates: str = "raise") -> "BinaryRelevance":
        """Fit one binary aggregator per class on long multi-label answers."""
        base = MajorityVote() if self.base is None else self.base
        if not isinstance(base, ClassificationAggregator):
            raise ValueError(
                f"base={self.base!r}; expected a classification aggregator such as DawidSkene()"
            )
        sets = _label_sets(answers)
        seen = set().union(*sets)
        if classes is None:
            try:
                names = sorted(seen)
            except TypeError:
                names = list(dict.fromkeys(c for s in sets for c in s))
        else:
            names = list(classes)
            unknown = seen.difference(names)
            if unknown:
                raise ValueError(f"labels {sorted(map(str, unknown))[:5]} are not in classes={names}")
        if not names:
            raise ValueError("no answer names any class: pass classes=[...] with the classes")
        frame = answers[["task", "worker"]].reset_index(drop=True)
        aggregators, chosen, proba = {}, {}, {}
        for name in names:
            member = np.fromiter((name in s for s in sets), dtype=bool, count=len(sets))
            model = type(base)(**base.get_params())
            model.fit(frame.assign(label=member), classes=[False, True], duplicates=duplicates)
            aggregators[name] = model
            chosen[name] = model.labels_.astype(bool)
            proba[name] = model.probas_[True]
        chosen = pd.DataFrame(chosen)
        self.classes_ = pd.Index(names)
        self.aggregators_ = aggregators
        self.probas_ = pd.DataFrame(proba)
        self.probas_.columns.name = "label"
        self.labels_ = pd.Series(
            [list(self.classes_[row]) for row in chosen.to_numpy()], index=chosen.index, name="agg_label"
        )
        return self

    def fit_predict(self, answers: pd.DataFrame, **kwargs) -> pd.Series:
        """Fit and return each task's list of classes."""
        return self.fit(answers, **kwargs).labels_

    def fit_predict_proba(self, answers: pd.DataFrame, **kwargs) -> pd.DataFrame:
        """Fit and return each class's probability of being in each task's set."""
        return self.fit(answers, **kwargs).probas_
