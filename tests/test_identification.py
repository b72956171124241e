"""Task and worker scores of crowdtut.identification, on hand-checkable inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdtut import identification as idf
from crowdtut.aggregation import MajorityVote


# --- worker scores ---------------------------------------------------------------------------
def test_spam_score_by_hand():
    spammer = np.array([[0.6, 0.4], [0.6, 0.4]])  # the answer ignores the truth
    perfect = np.eye(2)
    swapper = np.array([[0.0, 1.0], [1.0, 0.0]])  # always wrong, but informative
    noisy = np.array([[0.8, 0.2], [0.3, 0.7]])  # (0.8-0.3)^2 + (0.2-0.7)^2 = 0.5, / (2 * 1)
    scores = idf.spam_score(np.stack([spammer, perfect, swapper, noisy]), workers=list("abcd"))
    np.testing.assert_allclose(scores.to_numpy(), [0.0, 1.0, 1.0, 0.25])
    assert scores.name == "spam_score" and list(scores.index) == list("abcd")


def test_spam_score_three_classes():
    uniform = np.full((3, 3), 1 / 3)
    assert idf.spam_score(uniform).iloc[0] == pytest.approx(0.0)
    assert idf.spam_score(np.eye(3)).iloc[0] == pytest.approx(1.0)
    # a worker who confuses classes 1 and 2 completely: rows 1 and 2 equal, row 0 distinct
    half = np.array([[1.0, 0, 0], [0, 0.5, 0.5], [0, 0.5, 0.5]])
    # pairs (0,1) and (0,2): 1 + 0.25 + 0.25 = 1.5 each; pair (1,2): 0 -> 3 / (3 * 2)
    assert idf.spam_score(half).iloc[0] == pytest.approx(0.5)


def test_confusion_trace():
    trace = idf.confusion_trace(np.stack([np.eye(3), np.full((3, 3), 1 / 3)]))
    np.testing.assert_allclose(trace.to_numpy(), [3.0, 1.0])
    assert trace.index.tolist() == [0, 1]


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((2, 3, 2)), np.ones((1, 1, 1))])
def test_confusion_shape_errors(bad):
    with pytest.raises(ValueError, match="confusion must have shape"):
        idf.spam_score(bad)


def test_worker_agreement(tiny_answers):
    labels = MajorityVote().fit(tiny_answers).labels_  # t0: 0, t1: 1, t2: tie -> 0
    agreement = idf.worker_agreement(tiny_answers, labels)
    # w0 answers 0, 1, 0 (3/3); w1 answers 0, 1, 1 (2/3); w2 answers 1, 1 (1/2)
    np.testing.assert_allclose(agreement.loc[["w0", "w1", "w2"]], [1.0, 2 / 3, 0.5])
    assert agreement.name == "agreement"


# --- task scores from answers ----------------------------------------------------------------
def test_glad_difficulty_ranks_split_votes_harder():
    rows = []
    for t in range(10):  # unanimous tasks
        rows += [(f"u{t}", f"w{j}", t % 2) for j in range(6)]
    for t in range(4):  # tasks split 3 / 3
        rows += [(f"s{t}", f"w{j}", j % 2) for j in range(6)]
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    difficulty = idf.glad_difficulty(answers)
    assert difficulty.name == "glad_difficulty" and (difficulty > 0).all()
    split = difficulty[difficulty.index.str.startswith("s")]
    unanimous = difficulty[difficulty.index.str.startswith("u")]
    assert split.min() > unanimous.max()


def test_vote_entropy_and_alpha_are_the_metrics():
    from crowdtut import metrics

    assert idf.vote_entropy is metrics.vote_entropy
    assert idf.krippendorff_alpha is metrics.krippendorff_alpha


# --- AUM and WAUM ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def blobs():
    """Two separable blobs; the labels of 15 tasks are flipped."""
    rng = np.random.default_rng(0)
    n = 150
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 5)) + 3.0 * y[:, None]
    flipped = rng.choice(n, 15, replace=False)
    noisy = y.copy()
    noisy[flipped] = 1 - noisy[flipped]
    return x.astype(np.float32), y, noisy, flipped


def test_aum_flags_flipped_labels(blobs):
    x, _, noisy, flipped = blobs
    scores = idf.aum(x, noisy, epochs=15, lr=1e-2, seed=0)
    assert scores.name == "aum" and scores.index.tolist() == list(range(len(x)))
    others = np.setdiff1d(np.arange(len(x)), flipped)
    assert scores.iloc[flipped].mean() < 0 < scores.iloc[others].mean()
    again = idf.aum(x, pd.Series(noisy), epochs=15, lr=1e-2, seed=0)  # same seed, same values
    np.testing.assert_allclose(again.to_numpy(), scores.to_numpy())


def test_aum_input_errors(blobs):
    x, y, _, _ = blobs
    with pytest.raises(ValueError, match="non-negative integer class codes"):
        idf.aum(x, y[:-1])
    with pytest.raises(ValueError, match="row positions"):
        idf.aum(x, pd.Series(y, index=np.arange(len(y)) + 5))


def _crowd_on_blobs(x, y, ambiguous, rng):
    """4 workers on every task: right with probability 0.9, at random on ambiguous tasks."""
    rows = []
    for i in range(len(x)):
        for j in range(4):
            if i in ambiguous:
                label = int(rng.integers(0, 2))
            else:
                label = int(y[i]) if rng.random() < 0.9 else 1 - int(y[i])
            rows.append((i, j, label))
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def test_waum_flags_ambiguous_tasks(blobs):
    x, y, _, _ = blobs
    rng = np.random.default_rng(1)
    ambiguous = set(range(0, 150, 10))
    x = x.copy()
    x[sorted(ambiguous)] = 1.5  # halfway between the blobs
    answers = _crowd_on_blobs(x, y, ambiguous, rng)
    result = idf.waum(x, answers, alpha=0.1, epochs=15, lr=1e-2, seed=0)
    assert result.waum.index.tolist() == list(range(150)) and result.waum.name == "waum"
    assert len(result.per_answer) == len(answers)
    assert result.per_answer["trust"].between(0, 1).all()
    assert len(result.flagged) == 15 and result.threshold == pytest.approx(
        np.quantile(result.waum, 0.1))
    amb = result.waum.loc[sorted(ambiguous)]
    assert amb.mean() < result.waum.drop(amb.index).mean() - 0.2
    assert len(set(result.flagged) & ambiguous) >= 10
    pleiss = idf.waum(x, answers, margin="pleiss", epochs=3, seed=0)
    assert pleiss.waum.notna().all()


def test_waum_errors(blobs):
    x, y, _, _ = blobs
    answers = pd.DataFrame({"task": [0, 1, 200], "worker": [0, 0, 1], "label": [0, 1, 1]})
    with pytest.raises(ValueError, match="row positions"):
        idf.waum(x, answers, epochs=1)
    good = answers.iloc[:2]
    with pytest.raises(ValueError, match="margin"):
        idf.waum(x, good, margin="other")
    with pytest.raises(ValueError, match="alpha"):
        idf.waum(x, good, alpha=2.0)
    with pytest.raises(ValueError, match="confusion has shape"):
        idf.waum(x, good, confusion=np.ones((5, 2, 2)) / 2, epochs=1)
