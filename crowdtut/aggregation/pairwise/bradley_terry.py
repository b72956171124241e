"""BradleyTerry: one log-score per item from who beat whom (Newton or MM, anchor prior)."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular

from ..._checks import check_choice, check_non_negative, check_positive, check_positive_int
from ._base import PairwiseAggregator
from ._core import DENSE_LIMIT, loss_and_p, bt_mm, bt_newton

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
        Newton with step halving, started from the log-odds of each item's win rate (two or
        three steps on a well-connected graph; each solves with the Hessian by conjugate
        gradients on the sparse comparison graph, a dense solve up to 64 items), or Hunter's
        (2004) MM update.

    Attributes
    ----------
    scores_ : Series, log-scores by item (higher = preferred); ``ranks_``: 1 = best.
    fisher_information_ : scipy sparse matrix (n_items, n_items), the Hessian of the penalised
        negative log-likelihood at the optimum (observed Fisher information), in item order.
    standard_errors_ : Series, of the scores relative to their mean, from the inverse of
        ``fisher_information_``, computed on first use (a Cholesky factorisation: the fit itself
        never pays for it); NaN above 4,000 items.
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
        check_positive("alpha", self.alpha)
        check_choice("method", self.method, ("newton", "mm"))

    def _fit(self, data, graph) -> np.ndarray:
        pattern = graph
        if self.method == "newton":
            s, self.n_iter_, self.converged_, self.loss_history_ = bt_newton(
                data.winner, data.loser, data.n_items, alpha=self.alpha, max_iter=self.n_iter,
                tol=self.tol, pattern=pattern)
        else:
            s, self.n_iter_, self.converged_, self.loss_history_ = bt_mm(
                data.winner, data.loser, data.n_items, alpha=self.alpha, max_iter=self.n_iter, tol=self.tol)
        weight = np.ones(len(data.winner))
        p = loss_and_p(s, data.winner, data.loser, weight, self.alpha)[1]
        fisher = pattern.hessian(s, data.winner, data.loser, weight, self.alpha, p)
        self.fisher_information_ = fisher
        self.__dict__.pop("standard_errors_", None)  # computed again from the new fit on first use
        return s

    @cached_property
    def standard_errors_(self) -> pd.Series:
        """Standard errors of the scores relative to their mean, from the inverse of
        ``fisher_information_``. A shift of every score leaves the likelihood unchanged, so only
        the prior pins the mean; the uncertainty of the ranking is that of the centred scores.
        NaN above ``DENSE_LIMIT`` items."""
        fisher, items = self.fisher_information_, self.scores_.index
        n = fisher.shape[0]
        if n > DENSE_LIMIT:
            se = np.full(n, np.nan)
        else:
            # H = L L' (Cholesky), cov = H^-1 = M' M with M = L^-1; the centred scores C s
            # (C = I - 11'/n) have covariance C cov C, whose diagonal is
            # diag(cov) - 2 cov 1 / n + 1' cov 1 / n^2
            try:
                lower = np.linalg.cholesky(fisher.toarray())
                inv_lower = solve_triangular(lower, np.eye(n), lower=True)
                diag = np.einsum("ij,ij->j", inv_lower, inv_lower)
                row_mean = inv_lower.T @ inv_lower.mean(axis=1)
            except np.linalg.LinAlgError:  # not positive definite after rounding (extreme scores)
                cov = np.linalg.pinv(fisher.toarray(), hermitian=True)
                diag, row_mean = np.diag(cov), cov.mean(axis=1)
            var = diag - 2.0 * row_mean + row_mean.mean()
            se = np.sqrt(np.clip(var, 0.0, None))
        errors = pd.Series(se, index=items.copy(), name="standard_error")
        errors.index.name = "item"
        return errors
