"""Edge error rates of partition answers (crowdtut.metrics.edge_errors)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from crowdtut import metrics


@pytest.fixture
def crowd():
    # u: {a, b} {c} (a-b wrong, a-c right, b-c wrong); v: {a, c} (wrong); w: {b, c, d} one group
    answers = pd.DataFrame(
        {
            "hit": ["h1"] * 3 + ["h2"] * 2 + ["h3"] * 3,
            "worker": ["u"] * 3 + ["v"] * 2 + ["w"] * 3,
            "item": ["a", "b", "c", "a", "c", "b", "c", "d"],
            "group": [0, 0, 1, 5, 5, 2, 2, 2],
        }
    )
    truth = pd.Series({"a": 0, "b": 1, "c": 1, "d": 0})
    return answers, truth


def _by_hand(answers, truth, clusters=None):
    """Loop over every pair of every answer: (pairs, same true, diff true, fs, fm)."""
    counts = np.zeros(5)
    for _, rows in answers.groupby("hit"):
        for (_, r), (_, s) in itertools.combinations(rows.iterrows(), 2):
            same = r["group"] == s["group"]
            if clusters is not None:
                same = clusters[r["item"]] == clusters[s["item"]]
            true_same = truth[r["item"]] == truth[s["item"]]
            counts += [1, true_same, not true_same, true_same and not same, same and not true_same]
    return counts


def test_counts_and_rates_match_a_loop_over_pairs(crowd):
    answers, truth = crowd
    got = metrics.edge_errors(answers, truth)
    pairs, same, diff, fs, fm = _by_hand(answers, truth)
    np.testing.assert_allclose(got[["pairs", "same_true", "different_true"]], [pairs, same, diff])
    np.testing.assert_allclose(got[["false_split", "false_merge", "edge_error"]],
                               [fs / same, fm / diff, (fs + fm) / pairs])
    # u: 2 wrong of 3; v: 1 of 1; w: b-c right, b-d and c-d wrong: 2 of 3 -> 5 of 7
    assert got["edge_error"] == pytest.approx(5 / 7)


def test_per_worker_rows_add_up_to_the_total(crowd):
    answers, truth = crowd
    per_worker = metrics.edge_errors(answers, truth, level="worker")
    np.testing.assert_allclose(per_worker["edge_error"].loc[["u", "v", "w"]], [2 / 3, 1, 2 / 3])
    total = metrics.edge_errors(answers, truth)
    np.testing.assert_allclose(per_worker["pairs"].sum(), total["pairs"])
    assert np.isnan(per_worker.loc["v", "false_split"])  # v saw no same-class pair


def test_clusters_are_scored_on_the_answered_pairs(crowd):
    answers, truth = crowd
    np.testing.assert_allclose(metrics.edge_errors(answers, truth, clusters=truth)["edge_error"], 0.0)
    clusters = pd.Series({"a": 0, "b": 0, "c": 0, "d": 0})  # everything together
    got = metrics.edge_errors(answers, truth, clusters=clusters)
    pairs, same, diff, fs, fm = _by_hand(answers, truth, clusters)
    np.testing.assert_allclose(got[["false_split", "false_merge"]], [0.0, 1.0])
    np.testing.assert_allclose(got["edge_error"], diff / pairs)


def test_renaming_items_and_reordering_rows_changes_nothing(crowd):
    answers, truth = crowd
    names = {"a": "z", "b": "y", "c": "x", "d": "w"}
    renamed = answers.assign(item=answers["item"].map(names)).iloc[::-1]
    np.testing.assert_allclose(metrics.edge_errors(renamed, truth.rename(index=names)),
                               metrics.edge_errors(answers, truth))


def test_bad_inputs_raise(crowd):
    answers, truth = crowd
    with pytest.raises(ValueError, match="level='task'"):
        metrics.edge_errors(answers, truth, level="task")
    with pytest.raises(ValueError, match="'d'"):
        metrics.edge_errors(answers, truth.drop("d"))
    with pytest.raises(ValueError, match="clusters"):
        metrics.edge_errors(answers, truth, clusters=truth.drop("a"))
    with pytest.raises(ValueError, match="missing"):
        metrics.edge_errors(answers, truth.astype(float).where(truth.index != "a"))
