"""Ranking metrics: Kendall's tau, Spearman's rho, NDCG@k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crowdtut.metrics import kendall_tau, ndcg_at_k, spearman_rho


def test_tau_and_rho_match_scipy_and_align_by_name():
    rng = np.random.default_rng(0)
    pred = pd.Series(rng.normal(size=40), index=[f"i{k}" for k in range(40)])
    truth = pd.Series(pred.to_numpy() + rng.normal(size=40), index=pred.index)
    shuffled = truth.sample(frac=1.0, random_state=1)
    assert kendall_tau(pred, shuffled) == pytest.approx(stats.kendalltau(pred, truth).statistic)
    assert spearman_rho(pred, shuffled) == pytest.approx(stats.spearmanr(pred, truth).statistic)
    # extra scored items are ignored; the truth decides which items count
    assert kendall_tau(pred, truth.iloc[:10]) == pytest.approx(
        stats.kendalltau(pred.iloc[:10], truth.iloc[:10]).statistic)


def test_tau_b_counts_tied_truth():
    # grades tie: tau-b, as scipy, not tau-a
    assert kendall_tau([1, 2, 3, 4], [1, 1, 2, 2]) == pytest.approx(np.sqrt(2 / 3), rel=1e-9)


def test_ndcg_by_hand():
    # predicted order: c, a, b with gains 0, 3, 1: DCG@2 = 0 + 3/log2(3); ideal = 3 + 1/log2(3)
    expected = (3 / np.log2(3)) / (3 + 1 / np.log2(3))
    assert ndcg_at_k([2.0, 1.0, 3.0], [3, 1, 0], k=2) == pytest.approx(expected)
    assert ndcg_at_k([3.0, 2.0, 1.0], [3, 1, 0], k=10) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: kendall_tau(pd.Series({"a": 1.0, "b": 2.0}), pd.Series({"a": 1, "z": 2})), ValueError, r"\['z'\]"),
        (lambda: kendall_tau([1.0, 2.0], pd.Series({"a": 1, "b": 2})), TypeError, "both"),
        (lambda: spearman_rho([1.0], [1.0]), ValueError, "at least two"),
        (lambda: spearman_rho([1.0, np.nan], [1.0, 2.0]), ValueError, "finite"),
        (lambda: spearman_rho([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "one length"),
        (lambda: ndcg_at_k([1.0, 2.0], [-1.0, 2.0]), ValueError, "non-negative"),
        (lambda: ndcg_at_k([1.0, 2.0], [0, 0]), ValueError, "undefined"),
        (lambda: ndcg_at_k([1.0, 2.0], [1, 2], k=0), ValueError, "k=0"),
    ],
    ids=["missing-item", "mixed-types", "one-item", "nan", "lengths", "negative-gain", "zero-gains", "bad-k"],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
