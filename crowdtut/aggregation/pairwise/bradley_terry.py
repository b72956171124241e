"""BradleyTerry: one log-score per item from who beat whom (Newton or MM, anchor prior)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..._checks import check_choice, check_non_negative, check_positive_int
from .._base import NotFittedError
from ._base import PairwiseAggregator
from ._core import DENSE_LIMIT, bt_hessian, bt_mm, bt_newton

__all__ = ["BradleyTerry"]


class BradleyTerry(PairwiseAggregator):
    """Bradley-Terry model fitted by Newton's method or MM, with a small anchor prior.

    ``P(i beats j) = 1 / (1 + exp(s_j - s_i))``. The prior gives every item ``alpha`` virtual
    wins and ``alpha`` virtual losses against an anchor of score 0, so that undefeated items,
    winless items and disconnected components keep finite scores. Ties are refused (see
    :class:`DavidsonBradleyTerry`).

    Parameters
    ----------
    n_iter : int, default 100
        Maximum number of iterations (Newton steps, or MM sweeps; MM needs many more).
    tol : float, default 1e-8
        Stop when no score moves by more than ``tol``.
    alpha : float, default 0.1
        Strength of the anchor prior (virtual games per item); must be positive.
    method : {"newton", "mm"}, default "newton"
        Newton with step halving, or Hunter's (2004) MM update.

    Attributes
    ----------
    scores_ : Series, log-scores by item (higher = preferred); ``ranks_``: 1 = best.
    standard_errors_ : Series, of the scores relative to their mean, from the inverse Hessian of
        the penalised log-likelihood at the optimum (observed Fisher information), computed on
        first use; NaN above 4,000 items.
    n_iter_, converged_, loss_history_ : iterations run, whether ``tol`` was met, and the
        negative log-likelihood plus the prior's penalty per comparison, non-increasing.
    components_, n_components_ : connected components of the comparison graph.

    References
    ----------
    Bradley & Terry (1952), Biometrika 39:324-345; Hunter (2004), Ann. Statist. 32:384-406.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"worker": ["w1", "w1", "w2", "w2"],
    ...                         "left": ["a", "b", "a", "a"], "right": ["b", "c", "c", "b"],
    ...                         "label": ["a", "b", "a", "a"]})
    >>> BradleyTerry().fit(answers).ranks_.tolist()
    [1, 2, 3]
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-8, alpha: float = 0.1, method: str = "newton"):
        self.n_iter = n_iter
        self.tol = tol
        self.alpha = alpha
        self.method = method

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter)
        check_non_negative("tol", self.tol)
        check_non_negative("alpha", self.alpha)
        if not self.alpha > 0:
            raise ValueError(f"alpha={self.alpha!r}; expected a positive number (the prior keeps scores finite)")
        check_choice("method", self.method, ("newton", "mm"))

    def _fit(self, data) -> np.ndarray:
        solver = bt_newton if self.method == "newton" else bt_mm
        s, self.n_iter_, self.converged_, self.loss_history_ = solver(
            data.winner, data.loser, data.n_items, alpha=self.alpha, max_iter=self.n_iter, tol=self.tol
        )
        self.standard_errors_ = self._standard_errors(s, data.winner, data.loser, data.items)
        return s

    def _standard_errors(self, s, winner, loser, items) -> pd.Series:
        """Standard errors of the scores relative to their mean (``standard_errors_``), from the
        inverse Hessian of the penalised negative log-likelihood at the optimum. A shift of every
        score leaves the likelihood unchanged, so only the prior pins the mean; the uncertainty of
        the ranking is that of the centred scores. NaN above ``DENSE_LIMIT`` items."""
        if len(s) <= DENSE_LIMIT:
            cov = np.linalg.inv(bt_hessian(s, winner, loser, alpha=self.alpha))
            # of the scores relative to their mean: diag of C cov C, C = I - 11'/n
            row_mean = cov.mean(axis=1)
            var = np.diag(cov) - 2.0 * row_mean + row_mean.mean()
            se = np.sqrt(np.clip(var, 0.0, None))
        else:
            se = np.full(len(s), np.nan)
        errors = pd.Series(se, index=items.copy(), name="standard_error")
        errors.index.name = "item"
        return errors
