"""The contract of every pairwise aggregator: encode once, fit on codes, scores by item."""

from __future__ import annotations

import warnings
from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from ...answers._encode import plain
from ...answers.comparisons import ComparisonAnswers, encode_comparisons
from .._base import Estimator
from ._core import Laplacian

__all__ = ["PairwiseAggregator", "DisconnectedComparisonsWarning"]


class DisconnectedComparisonsWarning(UserWarning):
    """The comparison graph has more than one connected component."""


class PairwiseAggregator(Estimator):
    """Base class: ``fit`` encodes the comparisons once and calls ``_fit`` on the codes.

    Subclasses implement ``_fit(data: ComparisonAnswers, graph)`` returning one log-space score per
    item (higher = preferred; ``graph`` is the comparison graph's sparsity pattern, built once
    per fit for the components and the Newton solvers) and may set further ``*_`` attributes.
    The base class stores
    ``scores_`` (Series indexed by item), ``ranks_`` (1 = best; equal scores share the best
    rank), ``components_`` (the connected component of each item) and ``n_components_``.

    A disconnected comparison graph is not an error: the prior keeps every score finite, but
    scores of different components are compared only through it, so ``fit`` warns
    (:class:`DisconnectedComparisonsWarning`) and ``components_`` says which items belong
    together. Models that do not model ties (``_supports_ties = False``) refuse answers with ties.
    """

    _supports_ties = False

    def fit(
        self,
        answers: pd.DataFrame | ComparisonAnswers,
        *,
        items: Iterable[Hashable] | None = None,
    ) -> "PairwiseAggregator":
        """Fit on comparisons (columns ``worker``, ``left``, ``right``, ``label``).

        ``items`` optionally fixes the universe of items (items never compared get the prior's
        score, 0). A missing ``label`` is a tie: accepted by models that support ties, refused
        with an error naming the row by the others.
        """
        self._validate_params()
        data = encode_comparisons(answers, items=items, ties="allow")
        if data.has_ties and not self._supports_ties:
            first = int(np.flatnonzero(data.tie)[0])
            row = answers.index[first] if isinstance(answers, pd.DataFrame) else first
            raise ValueError(
                f"{type(self).__name__} does not model ties, and row {plain(row)!r} (and "
                f"{int(data.tie.sum()) - 1} more) has no label, i.e. a tie; use "
                "DavidsonBradleyTerry or Elo, or drop the tie rows"
            )
        graph = Laplacian(data.winner, data.loser, data.n_items)  # built once, shared with _fit
        components = graph.components()
        self.n_components_ = int(components.max()) + 1
        self.components_ = data.item_series(components, name="component")
        if self.n_components_ > 1:
            warnings.warn(
                f"the comparison graph has {self.n_components_} connected components: scores in "
                "different components are related only through the prior (see components_)",
                DisconnectedComparisonsWarning,
                stacklevel=2,
            )
        scores = np.asarray(self._fit(data, graph), dtype=np.float64)
        history = getattr(self, "loss_history_", None)
        if history is not None and len(history) == self.n_iter_ + 1:
            # one entry per iteration, as in every iterative model (the start is not an iteration)
            self.loss_history_ = np.asarray(history)[1:]
        self.scores_ = data.item_series(scores, name="score")
        self.scores_.index.name = "item"
        self.ranks_ = self.scores_.rank(ascending=False, method="min").astype(np.int64)
        self.ranks_.name = "rank"
        return self

    def fit_predict(self, answers: pd.DataFrame | ComparisonAnswers, **kwargs) -> pd.Series:
        """Fit and return the score of every item (Series indexed by item, higher = preferred)."""
        return self.fit(answers, **kwargs).scores_

    # --- for subclasses ----------------------------------------------------------------------
    def _fit(self, data: ComparisonAnswers, graph: Laplacian) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate_params(self) -> None:
        """Check hyper-parameters; subclasses extend it. Called when ``fit`` starts."""
