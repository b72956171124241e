"""The estimator contract shared by every classification aggregator."""

from __future__ import annotations

import inspect
from typing import Callable, Hashable, Iterable

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers, DuplicatePolicy, encode_answers
from ._em import row_reduce

__all__ = [
    "Estimator", "ClassificationAggregator", "NotFittedError", "check_number", "check_random_state",
    "draws_by_key",
]


def check_number(
    name: str, value, low: float = -np.inf, high: float = np.inf, *,
    low_open: bool = False, high_open: bool = False,
) -> float:
    """A finite real number (not a bool, not a string) in the interval from ``low`` to ``high``.

    Raises a ``ValueError`` naming the hyper-parameter, its value and the interval expected.
    """
    number = isinstance(value, (int, float, np.integer, np.floating))
    ok = number and not isinstance(value, (bool, np.bool_)) and bool(np.isfinite(value))
    if ok:
        below = value <= low if low_open else value < low
        above = value >= high if high_open else value > high
        ok = not (below or above)
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name}={value!r}; expected a number in {left}{low}, {high}{right}")
    return float(value)


def check_random_state(value) -> None:
    """``None``, a non-negative integer or a :class:`numpy.random.Generator`."""
    ok = value is None or isinstance(value, np.random.Generator) or (
        isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= 0
    )
    if not ok:
        raise ValueError(
            f"random_state={value!r}; expected None, a non-negative integer or a numpy Generator"
        )


def draws_by_key(keys: np.ndarray, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """Random starting values that depend on what each row is, not on its name or position.

    ``keys`` holds integer features of each row (a task or a worker: counts of its answers, of
    its agreements, ...). ``draw(n)`` is called once with the number of distinct keys, the
    draws go to the distinct keys in sorted order and rows with equal keys share a draw. So
    renaming or shuffling the answers leaves a random start unchanged, and rows that the data
    cannot tell apart start equal (a symmetric design keeps its symmetry, exact ties included).
    """
    keys = np.asarray(keys)
    if keys.ndim == 1:
        keys = keys[:, None]
    distinct, which = np.unique(keys, axis=0, return_inverse=True)
    return draw(len(distinct))[which.reshape(-1)]


_TIE = 1e-12  # probabilities this close to the row's maximum are ties (rounding of sums)


def first_of_max(proba: np.ndarray) -> np.ndarray:
    """Per row, the first column whose value equals the maximum up to rounding (``_TIE``): the
    hard-label rule for exact ties, immune to the order in which sums were taken."""
    return (proba >= row_reduce(np.maximum, proba) - _TIE).argmax(axis=1)


class NotFittedError(AttributeError):
    """Raised when a learned attribute is read before ``fit``."""


class Estimator:
    """What every crowdtut estimator shares.

    The contract (every family: classification, segmentation, clustering, ...):

    - hyper-parameters are only stored in ``__init__``; ``fit`` checks them first and raises a
      ``ValueError`` naming the bad one; ``fit`` returns ``self``; ``fit_predict`` returns
      ``labels_`` (or the family's hard result); ``fit_predict_proba`` returns ``probas_``
      wherever the model has probabilities;
    - ``random_state`` (None, int or :class:`numpy.random.Generator`) on every estimator that
      draws numbers, turned into a generator in ``fit``;
    - **iterative models** expose ``n_iter_`` (iterations run), ``converged_`` (whether the
      stopping rule was met before ``n_iter``) and ``loss_history_``: after each iteration, the
      model's objective as a loss per observation, **non-increasing** (up to rounding):
      the negative log-likelihood per answer (maximum likelihood), the negative log-posterior
      per answer (MAP: GLAD, MACE with ``method="em"``), or the negative evidence lower bound per
      answer (variational models: MACE with ``method="vb"``, ClusteredDawidSkene,
      CrowdClustering, per pairwise label). A model whose objective is not a likelihood says so
      in its docstring (RASA). EM models finish on an M-step of their final posteriors, so the
      parameters they expose are those of ``probas_``. Non-iterative models (MajorityVote,
      NaiveSoft, Wawa) have none of the three.
    - **exact ties**: classes with equal scores get equal probabilities, and the hard label is
      the first of them in ``classes_`` (or a seeded random choice where the estimator offers
      ``tie_break="random"``). A model whose likelihood has several optima may break a tie
      (MACE: see its notes).

    - ``get_params`` / ``set_params`` read the hyper-parameters from the signature of
      ``__init__`` (which stores each argument unchanged under its own name), so that
      :func:`sklearn.base.clone` and grid searches work;
    - a repr of the hyper-parameters;
    - reading a learned (trailing-underscore) attribute before ``fit`` raises
      :class:`NotFittedError`; after ``fit``, a name the model does not have raises a plain
      :class:`AttributeError` listing the learned attributes that exist.
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        params = inspect.signature(init).parameters.values()
        return [
            p.name for p in params
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict:
        """The hyper-parameters, by name (``deep`` is accepted for scikit-learn's sake)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params) -> "Estimator":
        """Set hyper-parameters by name; an unknown name is a ``ValueError`` listing the valid ones."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no hyper-parameter {name!r}; valid ones: "
                    f"{', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({inner})"

    def _learned_attributes(self) -> list[str]:
        return sorted(k for k in vars(self) if k.endswith("_") and not k.startswith("_"))

    def __getattr__(self, name: str):
        if name.startswith("__") or not name.endswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        learned = self._learned_attributes()
        if not learned:
            raise NotFittedError(
                f"{type(self).__name__} has no attribute {name!r} yet: call fit(answers) first"
            )
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; after fit it has "
            f"{', '.join(learned)}"
        )


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
            label_codes = first_of_max(proba)
        self.classes_ = data.classes
        self.probas_ = data.task_class_frame(proba)
        self.probas_.columns.name = "label"
        self.labels_ = data.task_series(data.classes.take(label_codes), name="agg_label")
