"""The function core of the pairwise models: small functions over integer arrays of codes.

Every function works on the codes of :class:`~crowdtut.answers.ComparisonAnswers`: ``winner``
and ``loser`` (int64 item codes, one entry per comparison), optional per-comparison ``weight``,
and returns log-space scores ``s`` (``pi = exp(s)`` in Bradley and Terry's notation).

The prior (``alpha``) is the same in every model: each item plays ``alpha`` virtual games
against a fixed anchor of score 0, winning one and losing one, i.e. the log-prior
``alpha * sum_i [log sigmoid(s_i) + log sigmoid(-s_i)]``. It keeps undefeated items and
disconnected components finite and ties the components to the common anchor (crowd-kit's
NoisyBradleyTerry uses the same form with a free anchor).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, cg, spsolve
from scipy.special import expit

__all__ = [
    "log_sigmoid",
    "sigmoid_parts",
    "bt_loss",
    "bt_newton",
    "bt_mm",
    "bt_hessian",
    "DENSE_LIMIT",
]

DENSE_LIMIT = 4000  # items: above this the Hessian is a sparse matrix
SMALL_LIMIT = 64  # items: up to this each Newton step is a dense solve (BLAS), above it CG
MAX_STEP = 2.0  # largest change of any log-score in one Newton step


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log(1 / (1 + exp(-x)))`` without overflow."""
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def sigmoid_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log sigmoid(x)`` and ``sigmoid(x)`` from one exponential, without overflow."""
    e = np.exp(-np.abs(x))
    log_sig = np.minimum(x, 0.0) - np.log1p(e)
    return log_sig, np.exp(log_sig)


def _weights(weight, n: int) -> np.ndarray:
    return np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)


def bt_loss(s, winner, loser, weight=None, alpha: float = 0.0, outcome=None) -> float:
    """Negative log-likelihood of Bradley-Terry plus the anchor prior's penalty (not averaged).

    ``outcome`` (default 1) is the probability that ``winner`` really won each comparison: soft
    outcomes ``y`` give the cross-entropy ``-y log p - (1 - y) log (1 - p)`` (CrowdBT's M-step).
    """
    w = _weights(weight, len(winner))
    d = s[winner] - s[loser]
    log_p = log_sigmoid(d)
    if outcome is None:
        data = -np.sum(w * log_p)  # not np.dot: a BLAS call that may spawn threads
    else:
        data = -np.sum(w * (log_p - (1.0 - outcome) * d))  # log(1 - p) = log p - d
    prior = -alpha * np.sum(2.0 * log_sigmoid(s) - s)  # log sigmoid(-s) = log sigmoid(s) - s
    return float(data + prior)


def bt_hessian(s, winner, loser, weight=None, alpha: float = 0.0, dense: bool | None = None):
    """Hessian of :func:`bt_loss` (a weighted graph Laplacian plus the prior's diagonal).

    A dense ndarray (default up to :data:`DENSE_LIMIT` items) or a scipy CSR matrix.
    """
    n = len(s)
    w = _weights(weight, len(winner))
    p = expit(s[winner] - s[loser])
    v = w * p * (1.0 - p)
    sig = expit(s)
    diag = np.bincount(winner, v, n) + np.bincount(loser, v, n) + 2.0 * alpha * sig * (1.0 - sig)
    if dense is None:
        dense = n <= DENSE_LIMIT
    if dense:
        off = np.bincount(winner * n + loser, v, n * n).reshape(n, n)
        hess = -(off + off.T)
        hess[np.diag_indices(n)] += diag
        return hess
    rows = np.concatenate([winner, loser, np.arange(n)])
    cols = np.concatenate([loser, winner, np.arange(n)])
    vals = np.concatenate([-v, -v, diag])
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))


def gradient(s, winner, loser, w, alpha, outcome=None, p=None):
    """Gradient of :func:`bt_loss`; ``p`` (``sigmoid(s_winner - s_loser)``) when already known."""
    n = len(s)
    if p is None:
        p = expit(s[winner] - s[loser])
    q = w * ((1.0 if outcome is None else outcome) - p)
    return np.bincount(loser, q, n) - np.bincount(winner, q, n) + alpha * np.tanh(s / 2.0)


def loss_and_p(s, winner, loser, w, alpha, outcome=None) -> tuple[float, np.ndarray]:
    """:func:`bt_loss` and ``sigmoid(s_winner - s_loser)`` from one pass over the comparisons."""
    d = s[winner] - s[loser]
    log_p, p = sigmoid_parts(d)
    if outcome is None:
        data = -np.sum(w * log_p)  # not np.dot: a BLAS call that may spawn threads
    else:
        data = -np.sum(w * (log_p - (1.0 - outcome) * d))
    return float(data - alpha * np.sum(2.0 * log_sigmoid(s) - s)), p


class Laplacian:
    """The sparsity pattern of the comparison graph, built once per fit: each Newton step only
    refills the values of a canonical CSR matrix (one entry per pair of items compared, columns
    sorted), the comparisons of a pair summed by a bincount."""

    def __init__(self, winner, loser, n):
        # by (row, column): two stable sorts, by column then by row; a stable sort of small
        # integers is a radix sort (several times faster than sorting int64 keys)
        code = np.uint16 if n <= np.iinfo(np.uint16).max else np.int64
        rows = np.concatenate([winner, loser]).astype(code)
        cols = np.concatenate([loser, winner]).astype(code)
        by_col = np.argsort(cols, kind="stable")
        order = by_col[np.argsort(rows[by_col], kind="stable")]
        r, c = rows[order], cols[order]
        first = np.ones(len(r), dtype=bool)
        first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        slot = np.cumsum(first) - 1  # the entry of each sorted (row, column)
        self.n_entries = int(slot[-1]) + 1 if len(slot) else 0
        self.slot = np.empty_like(slot)
        self.slot[order] = slot  # by position in concatenate([v, v])
        self.indices = c[first].astype(np.int32)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(r[first], minlength=n))]).astype(np.int32)
        self.n = n

    def components(self) -> np.ndarray:
        """Connected component of each item (int64 codes from 0), as
        :meth:`~crowdtut.answers.ComparisonAnswers.components` but from the canonical pattern."""
        from scipy.sparse.csgraph import connected_components

        ones = np.ones(len(self.indices))
        graph = sparse.csr_matrix((ones, self.indices, self.indptr), shape=(self.n, self.n))
        _, labels = connected_components(graph, directed=False)
        return labels.astype(np.int64)

    def matrix(self, v) -> sparse.csr_matrix:
        """The off-diagonal part of the Hessian: ``-sum v`` over the comparisons of each pair."""
        data = -np.bincount(self.slot, np.concatenate([v, v]), self.n_entries)
        matrix = sparse.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))
        matrix.has_canonical_format = True
        return matrix

    def hessian(self, s, winner, loser, w, alpha, p) -> sparse.csr_matrix:
        """The Hessian of :func:`bt_loss` as a canonical CSR matrix."""
        v = w * p * (1.0 - p)
        sig = expit(s)
        diag = np.bincount(winner, v, self.n) + np.bincount(loser, v, self.n)
        diag += 2.0 * alpha * sig * (1.0 - sig)
        return self.matrix(v) + sparse.diags(diag, format="csr")


def newton_step(
    s, winner, loser, w, alpha, grad, pattern: Laplacian, p=None, rtol: float = 1e-6
) -> np.ndarray:
    """Solve ``H x = grad`` for the Hessian ``H`` of :func:`bt_loss`: a dense solve up to
    :data:`SMALL_LIMIT` items; above, conjugate gradients on the sparse Laplacian with a Jacobi
    preconditioner (a handful of sparse products on a well-connected comparison graph, and no
    multithreaded BLAS call: a dense Cholesky factorisation of 1,000 items costs more, and far more
    on a loaded machine); a direct solver when CG does not converge (long chains, nearly
    disconnected graphs). ``p``: ``sigmoid(s_winner - s_loser)`` when already known; ``rtol``:
    CG's relative tolerance (a loose one still gives a descent direction)."""
    n = len(s)
    if n <= SMALL_LIMIT:
        matrix = bt_hessian(s, winner, loser, w, alpha, dense=True)
        return np.linalg.solve(matrix, grad)
    if p is None:
        p = expit(s[winner] - s[loser])
    v = w * p * (1.0 - p)
    sig = expit(s)
    diag = np.bincount(winner, v, n) + np.bincount(loser, v, n) + 2.0 * alpha * sig * (1.0 - sig)
    off = pattern.matrix(v)

    def matvec(x):
        x = np.ravel(x)
        return diag * x + off @ x

    hess = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    precond = LinearOperator((n, n), matvec=lambda x: np.ravel(x) / np.maximum(diag, 1e-300), dtype=np.float64)
    x, info = cg(hess, grad, rtol=rtol, maxiter=200, M=precond)  # inexact Newton
    if info == 0:
        return x
    matrix = bt_hessian(s, winner, loser, w, alpha)
    if isinstance(matrix, np.ndarray):
        return np.linalg.solve(matrix, grad)
    return spsolve(matrix.tocsc(), grad)


def bt_newton(
    winner,
    loser,
    n_items: int,
    weight=None,
    alpha: float = 0.1,
    s0=None,
    max_iter: int = 100,
    tol: float = 1e-8,
    outcome=None,
    pattern=None,
):
    """Newton's method with step halving on the Bradley-Terry loss (strictly convex for alpha > 0).

    ``outcome``: soft outcomes (see :func:`bt_loss`); ``pattern``: the graph's sparsity pattern
    (:class:`Laplacian`) when the caller fits the same comparisons repeatedly. Started (unless
    ``s0`` is given) from the log-odds of each item's win rate, which is within a few hundredths
    of the optimum on a well-connected graph: two or three steps converge. Returns
    ``(s, n_iter, converged, losses)``; ``losses`` holds the loss per unit of weight before the
    first step and after each step (non-increasing).
    """
    w = _weights(weight, len(winner))
    total = max(float(w.sum()), 1.0)
    if s0 is None:  # log-odds of each item's (weighted) win rate: a start close to the optimum
        won, lost = np.bincount(winner, w, n_items), np.bincount(loser, w, n_items)
        s = np.log(won + alpha) - np.log(lost + alpha)
    else:
        s = np.array(s0, dtype=np.float64)
    loss, p = loss_and_p(s, winner, loser, w, alpha, outcome)
    losses = [loss / total]
    if pattern is None and n_items > SMALL_LIMIT:
        pattern = Laplacian(winner, loser, n_items)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        grad = gradient(s, winner, loser, w, alpha, outcome, p)
        step = newton_step(s, winner, loser, w, alpha, grad, pattern, p)
        largest = float(np.max(np.abs(step)))
        t = 1.0 if largest <= MAX_STEP else MAX_STEP / largest  # trust region: the loss is
        # nearly linear far out (an item that only wins), where a full step would overshoot
        while True:
            candidate = s - t * step
            new, new_p = loss_and_p(candidate, winner, loser, w, alpha, outcome)
            if new <= loss + 1e-12 * abs(loss) or t < 1e-8:
                break
            t /= 2.0
        if new > loss:  # no descent possible (rounding): converged if the step was tiny anyway
            converged = largest < max(tol, 1e-6)
            break
        s, change, loss, p = candidate, float(np.max(np.abs(t * step))), new, new_p
        losses.append(loss / total)
        if change < tol or losses[-2] - losses[-1] < tol * 1e-3:
            converged = True
            break
    return s, n_iter, converged, losses


def bt_mm(
    winner,
    loser,
    n_items: int,
    weight=None,
    alpha: float = 0.1,
    s0=None,
    max_iter: int = 1000,
    tol: float = 1e-8,
):
    """Hunter's (2004) minorisation-maximisation update with the anchor prior, in log space.

    ``pi_i <- (W_i + alpha) / (sum_c n_c / (pi_i + pi_j) + 2 alpha / (pi_i + 1))`` where ``W_i``
    is the (weighted) number of wins of item ``i``. Returns ``(s, n_iter, converged, losses)``.
    """
    w = _weights(weight, len(winner))
    total = max(float(w.sum()), 1.0)
    wins = np.bincount(winner, w, n_items) + alpha
    s = np.zeros(n_items) if s0 is None else np.array(s0, dtype=np.float64)
    losses = [bt_loss(s, winner, loser, w, alpha) / total]
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # w / (pi_a + pi_b) = w * exp(-s_a) * sigmoid(s_a - s_b), computed without overflow
        d = s[winner] - s[loser]
        per_winner = w * np.exp(-s[winner]) * expit(d)
        per_loser = w * np.exp(-s[loser]) * expit(-d)
        denom = (
            np.bincount(winner, per_winner, n_items)
            + np.bincount(loser, per_loser, n_items)
            + 2.0 * alpha * np.exp(-s) * expit(s)
        )
        new = np.log(wins) - np.log(denom)
        change = float(np.max(np.abs(new - s)))
        s = new
        losses.append(bt_loss(s, winner, loser, w, alpha) / total)
        if change < tol:
            converged = True
            break
    return s, n_iter, converged, losses
