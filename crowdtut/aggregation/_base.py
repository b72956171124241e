"""The estimator contract shared by every classification aggregator."""

from __future__ import annotations

from typing import Iterable, Hashable

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers, DuplicatePolicy, encode_answers

__all__ = ["Estimator", "ClassificationAggregator", "NotFittedError"]


class NotFittedError(AttributeError):
    """Raised when a learned attribute is read before ``fit``."""


class Estimator:
    """What every crowdtut estimator shares: a repr of its hyper-parameters, and a clear
    :class:`NotFittedError` when a learned (trailing-underscore) attribute is read before ``fit``."""

    def __repr__(self) -> str:
        params = {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}
        inner = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return f"{type(self).__name__}({inner})"

    def __getattr__(self, name: str):
        if name.endswith("_") and not name.startswith("__"):
            raise NotFittedError(
                f"{type(self).__name__} has no attribute {name!r} yet: call fit(answers) first"
            )
        raise AttributeError(name)


class ClassificationAggregator(Estimator):
    """Base class: ``fit`` encodes the answers once and calls ``_fit`` on the integer codes.

    Subclasses implement ``_fit(data: CrowdAnswers)`` returning the posterior class probabilities,
    shape (n_tasks, n_classes) (or a pair ``(proba, label_codes)`` when the hard labels are not
    the argmax of ``proba``), and may set further ``*_`` attributes. The base class
    turns them into ``probas_`` (DataFrame) and ``labels_`` (Series). Hard labels take the most
    probable class; exact ties go to the class that comes first in ``classes_``.
    """

    def fit(
        self,
        answers: pd.DataFrame | CrowdAnswers,
        *,
        classes: Iterable[Hashable] | None = None,
        duplicates: DuplicatePolicy = "raise",
    ) -> "ClassificationAggregator":
        """Fit the model on long answers (columns ``task``, ``worker``, ``label``)."""
        self._validate_params()
        data = encode_answers(answers, classes=classes, duplicates=duplicates)
        result = self._fit(data)
        if isinstance(result, tuple):  # (proba, label codes) when the labels are not the argmax
            self._set_result(data, np.asarray(result[0], dtype=np.float64), result[1])
        else:
            self._set_result(data, np.asarray(result, dtype=np.float64))
        return self

    def fit_predict(self, answers: pd.DataFrame | CrowdAnswers, **kwargs) -> pd.Series:
        """Fit and return the aggregated label of every task (Series indexed by task)."""
        return self.fit(answers, **kwargs).labels_

    def fit_predict_proba(self, answers: pd.DataFrame | CrowdAnswers, **kwargs) -> pd.DataFrame:
        """Fit and return class probabilities (DataFrame: one row per task, one column per class)."""
        return self.fit(answers, **kwargs).probas_

    # --- for subclasses ----------------------------------------------------------------------
    def _fit(self, data: CrowdAnswers) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate_params(self) -> None:
        """Check hyper-parameters; subclasses extend it. Called when ``fit`` starts."""

    def _set_result(
        self, data: CrowdAnswers, proba: np.ndarray, label_codes: np.ndarray | None = None
    ) -> None:
        """Store ``probas_`` and ``labels_``; ``label_codes`` overrides the argmax (tie-breaking)."""
        if proba.shape != (data.n_tasks, data.n_classes):
            raise RuntimeError(f"internal: proba has shape {proba.shape}")
        if label_codes is None:
            label_codes = proba.argmax(axis=1)
        self.classes_ = data.classes
        self.probas_ = data.task_class_frame(proba)
        self.probas_.columns.name = "label"
        self.labels_ = data.task_series(data.classes.take(label_codes), name="agg_label")



def check_positive_int(name: str, value, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        what = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name}={value!r}; expected {what} integer")


def check_non_negative(name: str, value) -> None:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{name}={value!r}; expected a non-negative number")


def check_choice(name: str, value, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r}; expected one of {', '.join(map(repr, choices))}")
