"""Scores for rankings: Kendall's tau, Spearman's rho and NDCG@k against a true score or order.

Predicted scores and the truth are pandas Series aligned by item name (an item of the truth
missing from the scores is a ``ValueError`` naming it; extra scored items are ignored), or
plain arrays matched by position. Higher means better on both sides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._align import as_truth_series, rows_for

__all__ = ["kendall_tau", "spearman_rho", "ndcg_at_k"]


def _aligned(scores, truth) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(truth, pd.Series) or isinstance(scores, pd.Series):
        if not isinstance(scores, pd.Series) or not isinstance(truth, pd.Series):
            raise TypeError("pass both scores and truth as pandas Series (aligned by item) or both as arrays")
        truth = as_truth_series(truth)
        rows = rows_for(scores.index, truth.index, "scores")
        pred, true = scores.to_numpy(dtype=np.float64)[rows], truth.to_numpy(dtype=np.float64)
    else:
        pred, true = np.asarray(scores, dtype=np.float64), np.asarray(truth, dtype=np.float64)
        if pred.shape != true.shape or pred.ndim != 1:
            raise ValueError(f"scores and truth must be 1-d arrays of one length; got {pred.shape} and {true.shape}")
    if len(true) < 2:
        raise ValueError(f"a ranking score needs at least two items; got {len(true)}")
    if not (np.isfinite(pred).all() and np.isfinite(true).all()):
        raise ValueError("scores and truth must be finite numbers (no NaN or infinity)")
    return pred, true


def kendall_tau(scores, truth) -> float:
    """Kendall's tau-b between predicted scores and the true scores (ties handled as tau-b).

    Examples
    --------
    >>> kendall_tau(pd.Series({"a": 3.0, "b": 2.0, "c": 1.0}), pd.Series({"a": 1, "b": 2, "c": 3}))
    -1.0
    """
    pred, true = _aligned(scores, truth)
    return float(stats.kendalltau(pred, true).statistic)


def spearman_rho(scores, truth) -> float:
    """Spearman's rank correlation between predicted scores and the true scores.

    Examples
    --------
    >>> spearman_rho([0.1, 0.5, 0.9], [1, 2, 3])
    1.0
    """
    pred, true = _aligned(scores, truth)
    return float(stats.spearmanr(pred, true).statistic)


def ndcg_at_k(scores, truth, k: int = 10) -> float:
    """Normalised discounted cumulative gain of the top ``k`` items by predicted score.

    The gain of an item is its true relevance (non-negative, e.g. a grade); DCG =
    ``sum_{r=1..k} gain_r / log2(r + 1)`` over the predicted order, divided by the DCG of the
    true order. Items with equal predicted scores keep their order in ``truth``.

    Examples
    --------
    >>> ndcg_at_k([3.0, 2.0, 1.0], [3, 2, 1], k=2)
    1.0
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k={k!r}; expected a positive integer")
    pred, true = _aligned(scores, truth)
    if (true < 0).any():
        raise ValueError("NDCG needs non-negative true relevances; shift or rank the truth first")
    k = min(int(k), len(true))
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    order = np.argsort(-pred, kind="stable")[:k]
    ideal = np.sort(true)[::-1][:k]
    best = float(np.dot(ideal, discount))
    if best == 0:
        raise ValueError("every true relevance is 0: NDCG is undefined")
    return float(np.dot(true[order], discount) / best)
