"""The contract of the texts family: ``fit(answers) -> self``, ``texts_``, ``fit_predict``."""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np
import pandas as pd

from ...answers.texts import TextAnswers, encode_texts, normalize
from .._base import Estimator

__all__ = ["TextAggregator"]


class TextAggregator(Estimator):
    """Base class: ``fit`` normalises and codes the answers once, ``_fit`` aggregates the codes.

    Subclasses implement ``_fit(data: TextAnswers)`` returning one (normalised) text per task, in
    the order of ``data.tasks``, and may set further ``*_`` attributes. The texts are stored in
    ``texts_``, a Series of str indexed by task.
    """

    def fit(
        self,
        answers: pd.DataFrame | TextAnswers,
        *,
        normalize: Callable[[str], str] | None = normalize,
        duplicates: Literal["raise", "keep", "first"] = "raise",
    ) -> "TextAggregator":
        """Fit on long answers (columns ``task``, ``worker``, ``text``); see
        :func:`crowdtut.answers.encode_texts` for ``normalize`` and ``duplicates``."""
        self._validate_params()
        data = encode_texts(answers, normalize=normalize, duplicates=duplicates)
        texts = self._fit(data)
        self.texts_ = data.task_series(np.asarray(texts, dtype=object), name="text")
        return self

    def fit_predict(self, answers: pd.DataFrame | TextAnswers, **kwargs) -> pd.Series:
        """Fit and return the aggregated text of every task (Series of str indexed by task)."""
        return self.fit(answers, **kwargs).texts_

    def _fit(self, data: TextAnswers) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate_params(self) -> None:
        """Check hyper-parameters; subclasses extend it. Called when ``fit`` starts."""


def best_per_task(data: TextAnswers, score: np.ndarray) -> np.ndarray:
    """Row of the highest-scoring answer of each task.

    Equal scores go to the smallest of the tied texts (``data.text_ranks``), so the chosen text
    does not depend on the order of the rows; equal texts to the first row.
    """
    task = data.task
    order = np.lexsort((np.arange(len(task)), data.text_ranks, -score, task))
    first = np.ones(len(order), dtype=bool)
    first[1:] = task[order[1:]] != task[order[:-1]]
    best = np.full(data.n_tasks, -1, dtype=np.int64)
    best[task[order[first]]] = order[first]
    return best
