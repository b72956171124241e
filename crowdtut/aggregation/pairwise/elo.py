"""Elo: the online rating everybody knows, as a baseline for the batch models."""

from __future__ import annotations

import numpy as np

from ..._checks import check_non_negative, check_positive
from ._base import PairwiseAggregator

__all__ = ["Elo"]


class Elo(PairwiseAggregator):
    """Elo ratings: read the comparisons once, in the order given, nudging both ratings.

    After each comparison of ``i`` and ``j``: ``r_i += k (y - E)`` and ``r_j -= k (y - E)``, with
    ``E = 1 / (1 + 10^((r_j - r_i) / scale))`` and ``y`` = 1 for a win, 1/2 for a tie (a missing
    label), 0 for a loss. The result depends on the order of the rows and forgets early games:
    the reason batch models (:class:`BradleyTerry`) are preferred when all comparisons are at
    hand. A sequential update is one Python step per comparison by nature.

    Parameters
    ----------
    k : float, default 16
        Step size (points per surprise).
    initial : float, default 1500
        Starting rating of every item.
    scale : float, default 400
        Rating difference that makes a win ten times likelier than a loss.

    Attributes
    ----------
    scores_ : Series, ratings in Elo points by item (``(r - initial) * ln(10) / scale`` is on
        the Bradley-Terry log scale); ``ranks_``.

    References
    ----------
    Elo (1978), *The Rating of Chessplayers, Past and Present*, Arco.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"worker": 1, "left": ["a", "b", "a"], "right": ["b", "c", "c"],
    ...                         "label": ["a", "b", "a"]})
    >>> Elo().fit(answers).ranks_.tolist()
    [1, 2, 3]
    """

    _supports_ties = True

    def __init__(self, k: float = 16.0, initial: float = 1500.0, scale: float = 400.0):
        self.k = k
        self.initial = initial
        self.scale = scale

    def _validate_params(self) -> None:
        check_non_negative("k", self.k)
        if not isinstance(self.initial, (int, float)) or isinstance(self.initial, bool):
            raise ValueError(f"initial={self.initial!r}; expected a number")
        check_positive("scale", self.scale)

    def _fit(self, data, graph) -> np.ndarray:
        rating = np.full(data.n_items, float(self.initial))
        outcome = np.where(data.tie, 0.5, 1.0).tolist()
        k, scale = float(self.k), float(self.scale)
        for i, j, y in zip(data.winner.tolist(), data.loser.tolist(), outcome):
            expected = 1.0 / (1.0 + 10.0 ** ((rating[j] - rating[i]) / scale))
            step = k * (y - expected)
            rating[i] += step
            rating[j] -= step
        return rating
