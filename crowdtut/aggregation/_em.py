"""Numerical helpers shared by the EM-type aggregators: log-space normalisation and stopping."""

from __future__ import annotations

import numpy as np

_TINY = 1e-300


def normalize_log(log_joint: np.ndarray) -> tuple[np.ndarray, float]:
    """Row-normalise log joint probabilities.

    Returns the posterior (rows sum to one) and the log-likelihood (sum of row log-sum-exps).
    Works in place on ``log_joint``.
    """
    shift = row_reduce(np.maximum, log_joint)
    log_joint -= shift
    np.exp(log_joint, out=log_joint)
    total = row_reduce(np.add, log_joint)
    log_joint /= total
    return log_joint, float(np.log(total).sum() + shift.sum())


def row_reduce(ufunc: np.ufunc, x: np.ndarray) -> np.ndarray:
    """``ufunc.reduce`` over axis 1, one column at a time, keeping that axis: for the narrow
    (n_tasks, K) arrays of EM (or (n_tasks, K, n_restarts) of batched MACE) this is several
    times faster than ``x.max(axis=1)`` on a C-ordered array."""
    out = x[:, 0].copy()
    for k in range(1, x.shape[1]):
        ufunc(out, x[:, k], out=out)
    return out[:, None]


def column_means(x: np.ndarray) -> np.ndarray:
    """Mean of each column of a tall ``(n, K)`` array (the class prior of an M-step): one BLAS
    product, several times faster than ``x.mean(axis=0)`` on a C-ordered array."""
    if len(x) == 0:
        return np.full(x.shape[1:], np.nan)
    return (np.ones(len(x)) @ x) / len(x)


def safe_log(x: np.ndarray) -> np.ndarray:
    """Natural log with zeros mapped to a large negative number instead of -inf."""
    return np.log(np.maximum(x, _TINY))


def converged(loglik: float, previous: float, tol: float) -> bool:
    """Relative change of the log-likelihood below ``tol``."""
    if not np.isfinite(previous):
        return False
    return abs(loglik - previous) <= tol * max(abs(previous), 1e-12)


def normalize_rows(counts: np.ndarray) -> np.ndarray:
    """Divide the last axis by its sum; all-zero rows become uniform."""
    total = counts.sum(axis=-1, keepdims=True)
    k = counts.shape[-1]
    out = np.where(total > 0, counts / np.where(total > 0, total, 1.0), 1.0 / k)
    return out
