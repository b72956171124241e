"""DavidsonBradleyTerry: Bradley-Terry with ties (Davidson, 1970)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ..._checks import check_non_negative, check_positive, check_positive_int
from ._base import PairwiseAggregator
from ._core import sigmoid_parts

__all__ = ["DavidsonBradleyTerry", "davidson_loss_grad"]


def davidson_loss_grad(x, first, second, tie, n_items, alpha):
    """Negative log-posterior of Davidson's model and its gradient over ``x = [s, log nu]``.

    ``first`` won (or tied with) ``second``. With ``D = e^{s_i} + e^{s_j} + nu e^{(s_i + s_j)/2}``:
    ``P(i wins) = e^{s_i} / D``, ``P(tie) = nu e^{(s_i + s_j)/2} / D``. Anchor prior ``alpha``.
    """
    s, log_nu = x[:n_items], x[n_items]
    a, b = s[first], s[second]
    terms = np.stack([a, b, log_nu + (a + b) / 2.0])
    top = terms.max(axis=0)
    expd = np.exp(terms - top)
    norm = expd.sum(axis=0)
    log_d = top + np.log(norm)
    share = expd / norm  # q_i, q_j, q_tie
    numerator = np.where(tie, terms[2], a)
    log_sc, _ = sigmoid_parts(s)
    loss = -(numerator - log_d).sum() - alpha * np.sum(2.0 * log_sc - s)
    half_tie = share[2] / 2.0
    # d(-log P)/d s_i: win: -(1 - q_i - q_t/2); tie: -(1/2 - q_i - q_t/2); s_j likewise
    g_first = np.where(tie, 0.5, 1.0) - share[0] - half_tie
    g_second = np.where(tie, 0.5, 0.0) - share[1] - half_tie
    grad = np.empty_like(x)
    grad[:n_items] = -(np.bincount(first, g_first, n_items) + np.bincount(second, g_second, n_items))
    grad[:n_items] += alpha * np.tanh(s / 2.0)
    grad[n_items] = -np.sum(tie - share[2])
    return float(loss), grad


class DavidsonBradleyTerry(PairwiseAggregator):
    """Bradley-Terry with ties: Davidson's (1970) model, fitted by L-BFGS-B.

    ``P(i > j) = pi_i / D``, ``P(i = j) = nu sqrt(pi_i pi_j) / D`` with
    ``D = pi_i + pi_j + nu sqrt(pi_i pi_j)``: a tie is likeliest between items of equal score,
    and ``nu`` (``tie_``) measures how often the crowd says "same". A tie is a row with a missing
    ``label`` (see :func:`crowdtut.answers.encode_comparisons`); answers without ties are fine
    too. Same anchor prior ``alpha`` as :class:`BradleyTerry`.

    Parameters
    ----------
    n_iter : int, default 500
        Maximum number of L-BFGS-B iterations.
    tol : float, default 1e-10
        L-BFGS-B's relative tolerance on the loss.
    alpha : float, default 0.1
        Anchor prior on the scores.

    Attributes
    ----------
    scores_ : Series, log-scores by item; ``tie_``: ``nu``.
    n_iter_, converged_, loss_history_ : iterations, success flag, negative log-posterior per
        comparison after each iteration.

    References
    ----------
    Davidson (1970), "On extending the Bradley-Terry model to accommodate ties in paired
    comparison experiments", JASA 65:317-328, doi:10.1080/01621459.1970.10481082.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"worker": [1, 2, 3, 4], "left": ["a", "a", "b", "a"],
    ...                         "right": ["b", "b", "c", "c"], "label": ["a", None, "b", "a"]})
    >>> model = DavidsonBradleyTerry().fit(answers)
    >>> model.ranks_.tolist(), bool(model.tie_ > 0)
    ([1, 2, 3], True)
    """

    _supports_ties = True

    def __init__(self, n_iter: int = 500, tol: float = 1e-10, alpha: float = 0.1):
        self.n_iter = n_iter
        self.tol = tol
        self.alpha = alpha

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter)
        check_non_negative("tol", self.tol)
        check_positive("alpha", self.alpha)

    def _fit(self, data, graph) -> np.ndarray:
        n = data.n_items
        tie = data.tie.astype(np.float64)
        args = (data.winner, data.loser, tie, n, self.alpha)
        share = (tie.sum() + 0.5) / (data.n_comparisons + 1.0)
        x0 = np.concatenate([np.zeros(n), [np.log(2.0 * share / (1.0 - share))]])
        total = data.n_comparisons
        history = [davidson_loss_grad(x0, *args)[0] / total]

        def record(intermediate_result):
            history.append(float(intermediate_result.fun) / total)

        result = minimize(davidson_loss_grad, x0, args=args, jac=True, method="L-BFGS-B",
                          bounds=[(None, None)] * n + [(-30.0, 30.0)], callback=record,
                          options={"maxiter": self.n_iter, "ftol": self.tol})
        self.n_iter_ = int(result.nit)
        self.converged_ = bool(result.success)
        self.loss_history_ = history
        self.tie_ = float(np.exp(result.x[n]))
        return result.x[:n]
