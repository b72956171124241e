"""NoisyBradleyTerry: Bradley-Terry with a skill and a left/right bias per worker (crowd-kit's model)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from ..._checks import check_non_negative, check_positive_int
from .._base import check_random_state
from ._base import PairwiseAggregator
from ._core import bt_newton, sigmoid_parts

__all__ = ["NoisyBradleyTerry"]


def noisy_bt_loss_grad(x, winner, loser, worker, y, n_items, n_workers, reg):
    """Negative log-posterior of NoisyBT and its gradient, vectorised over comparisons.

    ``x = [anchor, s (n_items), q (n_workers), gamma (n_workers)]``; ``y`` is +1 where the
    left item won, -1 elsewhere. ``P(answer) = sigmoid(gamma) sigmoid(s_win - s_lose) +
    sigmoid(-gamma) sigmoid(y q)``; prior ``reg * sum_i [log sigmoid(a - s_i) +
    log sigmoid(s_i - a)]``. Worker factors are computed per worker, then gathered.
    """
    anchor, s = x[0], x[1:1 + n_items]
    sig_q = expit(x[1 + n_items:1 + n_items + n_workers])
    sig_g = expit(x[1 + n_items + n_workers:])
    sd = expit(s[winner] - s[loser])
    sq = (1.0 - y) / 2.0 + y * sig_q[worker]  # sigmoid(y q)
    sg = sig_g[worker]
    a = sg * sd
    p = np.maximum(a + (1.0 - sg) * sq, 1e-300)
    inv_p = 1.0 / p
    centred = s - anchor
    log_sc, _ = sigmoid_parts(centred)
    loss = -np.log(p).sum() - reg * np.sum(2.0 * log_sc - centred)
    g_d = a * (1.0 - sd) * inv_p  # d log P / d (s_win - s_lose)
    grad = np.empty_like(x)
    tanh = np.tanh(centred / 2.0)
    grad[1:1 + n_items] = np.bincount(loser, g_d, n_items) - np.bincount(winner, g_d, n_items) + reg * tanh
    grad[0] = -reg * tanh.sum()
    # d log P / d q_w = sigmoid(-g) sigmoid(q)(1 - sigmoid(q)) y / P; d / d gamma_w =
    # sigmoid(g)(1 - sigmoid(g)) (sigmoid(d) - sigmoid(y q)) / P: sums per worker, then factors
    grad[1 + n_items:1 + n_items + n_workers] = -(1.0 - sig_g) * sig_q * (1.0 - sig_q) * np.bincount(
        worker, y * inv_p, n_workers)
    grad[1 + n_items + n_workers:] = -sig_g * (1.0 - sig_g) * np.bincount(
        worker, (sd - sq) * inv_p, n_workers)
    return float(loss), grad


def _worker_order(data, s0) -> np.ndarray:
    """The workers ordered by what they answered, not by their names or the row order: number of
    answers, of left picks, of agreements with the scores ``s0`` (then by worker code)."""
    m = data.n_workers
    answered = np.bincount(data.worker, minlength=m)
    left = np.bincount(data.worker, data.left_won, m)
    agreed = np.bincount(data.worker, s0[data.winner] > s0[data.loser], m)
    return np.lexsort((np.arange(m), agreed, left, answered))


class NoisyBradleyTerry(PairwiseAggregator):
    """Bradley-Terry with a skill and a bias per worker: crowd-kit's NoisyBradleyTerry model.

    A worker of skill ``sigmoid(gamma_w)`` answers by Bradley-Terry; otherwise she picks the left
    item with probability ``sigmoid(q_w)`` (her bias), whatever the items. Fitted by L-BFGS-B on
    the exact, vectorised gradient, started from plain Bradley-Terry scores and crowd-kit's random
    start of the worker parameters (see ``random_state``); the prior pulls each score towards a
    free anchor, as in crowd-kit. Ties are refused.

    Parameters
    ----------
    n_iter : int, default 100
        Maximum number of L-BFGS-B iterations.
    tol : float, default 1e-5
        L-BFGS-B's relative tolerance on the loss (``ftol``).
    regularization_ratio : float, default 1e-5
        Weight of the prior on the scores (crowd-kit's name and default).
    random_state : None, int or numpy Generator, default 0
        Seeds crowd-kit's random start of the worker parameters (bias ``N(0, 0.1)``, skill
        ``N(1, 0.1)``; crowd-kit's default seed, 0). The draws go to the workers in an order
        fixed by their answers (number of answers, of left picks, of agreements with the
        Bradley-Terry start; workers equal on all three in the order of their ids), so that
        neither the order of the rows nor the workers' names change the result.

    Attributes
    ----------
    scores_ : Series, log-scores by item (crowd-kit reports ``sigmoid`` of these: same order).
    skills_, biases_ : Series by worker, ``sigmoid(gamma)`` and ``sigmoid(q)`` (as crowd-kit).
    n_iter_, converged_, loss_history_ : L-BFGS-B iterations, its success flag, and the negative
        log-posterior per comparison after each iteration.

    References
    ----------
    crowd-kit 1.4.2, ``crowdkit.aggregation.NoisyBradleyTerry`` (Ustalov, Pavlichenko &
    Tseitlin, "Learning from crowds with Crowd-Kit", JOSS 2024, doi:10.21105/joss.06227).

    Examples
    --------
    >>> from crowdtut.simulate.comparisons import simulate_comparisons
    >>> crowd = simulate_comparisons(30, 10, 600, seed=0)
    >>> model = NoisyBradleyTerry().fit(crowd.answers)
    >>> bool(model.scores_.corr(crowd.scores, method="spearman") > 0.8)
    True
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, regularization_ratio: float = 1e-5,
                 random_state=0):
        self.n_iter = n_iter
        self.tol = tol
        self.regularization_ratio = regularization_ratio
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter)
        check_non_negative("tol", self.tol)
        check_non_negative("regularization_ratio", self.regularization_ratio)
        check_random_state(self.random_state)

    def _fit(self, data, graph) -> np.ndarray:
        n, m = data.n_items, data.n_workers
        alpha = max(self.regularization_ratio, 1e-3)
        s0 = bt_newton(data.winner, data.loser, n, alpha=alpha, pattern=graph)[0]
        rng = np.random.default_rng(self.random_state)
        order = _worker_order(data, s0)  # the k-th draw goes to the k-th worker in this order
        bias, skill = np.empty(m), np.empty(m)
        bias[order] = rng.normal(0.0, 0.1, m)
        skill[order] = 1.0 + rng.normal(0.0, 0.1, m)
        x0 = np.concatenate([[0.0], s0, bias, skill])
        y = np.where(data.left_won, 1.0, -1.0)
        args = (data.winner, data.loser, data.worker, y, n, m, self.regularization_ratio)
        total = data.n_comparisons
        history = [noisy_bt_loss_grad(x0, *args)[0] / total]

        def record(intermediate_result):
            history.append(float(intermediate_result.fun) / total)

        result = minimize(noisy_bt_loss_grad, x0, args=args, jac=True, method="L-BFGS-B",
                          callback=record, options={"maxiter": self.n_iter, "ftol": self.tol})
        x = result.x
        self.n_iter_ = int(result.nit)
        self.converged_ = bool(result.success)
        self.loss_history_ = history
        self.biases_ = data.worker_series(expit(x[1 + n:1 + n + m]), name="bias")
        self.skills_ = data.worker_series(expit(x[1 + n + m:]), name="skill")
        self.anchor_ = float(x[0])
        return x[1:1 + n]
