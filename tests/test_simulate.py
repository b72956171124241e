"""Simulated crowds: reproducibility, shapes, the strategies' definitions, argument checks."""

import time

import numpy as np
import pandas as pd
import pytest

from crowdtut.answers import encode_answers
from crowdtut.metrics import accuracy
from crowdtut.simulate import (
    SimulatedCrowd,
    bayes_oracle,
    discrete_difficulty,
    hammer_spammer,
    independent_confusion,
    student_teacher,
)

STRATEGIES = {
    "independent": lambda **kw: independent_confusion(**kw),
    "hammer-spammer": lambda **kw: hammer_spammer(ratio_spammers=0.4, **kw),
    "student-teacher": lambda **kw: student_teacher(ratio_students=0.5, **kw),
    "discrete-difficulty": lambda **kw: discrete_difficulty(**kw),
}


def majority_vote(answers: pd.DataFrame) -> pd.Series:
    counts = encode_answers(answers).vote_counts
    return pd.Series(counts.argmax(axis=1), index=np.unique(answers["task"]))


@pytest.mark.parametrize("name", STRATEGIES)
def test_shapes_and_invariants(name):
    sim = STRATEGIES[name](n_tasks=300, n_workers=12, n_classes=4, feedback=5, seed=3)
    assert isinstance(sim, SimulatedCrowd)
    assert list(sim.answers.columns) == ["task", "worker", "label"]
    assert all(sim.answers[c].dtype == np.int64 for c in sim.answers.columns)
    assert len(sim.answers) == 300 * 5
    per_task = sim.answers.groupby("task")["worker"]
    assert (per_task.nunique() == 5).all() and (per_task.size() == 5).all()
    assert sim.answers["label"].between(0, 3).all() and sim.answers["worker"].between(0, 11).all()
    assert sim.truth.index.equals(pd.RangeIndex(300)) and sim.truth.between(0, 3).all()
    assert sim.confusion.shape == (12, 4, 4)
    np.testing.assert_allclose(sim.confusion.sum(axis=2), 1.0)
    assert (sim.n_tasks, sim.n_workers, sim.n_classes) == (300, 12, 4)
    ordered = sim.answers.sort_values(["task", "worker"], ignore_index=True)
    pd.testing.assert_frame_equal(sim.answers, ordered)


@pytest.mark.parametrize("name", STRATEGIES)
def test_reproducible_with_a_seed(name):
    first = STRATEGIES[name](n_tasks=50, n_workers=8, n_classes=3, feedback=3, seed=11)
    again = STRATEGIES[name](n_tasks=50, n_workers=8, n_classes=3, feedback=3, seed=11)
    other = STRATEGIES[name](n_tasks=50, n_workers=8, n_classes=3, feedback=3, seed=12)
    pd.testing.assert_frame_equal(first.answers, again.answers)
    pd.testing.assert_series_equal(first.truth, again.truth)
    np.testing.assert_array_equal(first.confusion, again.confusion)
    assert not first.answers.equals(other.answers)


@pytest.mark.parametrize("feedback", [3, 8], ids=["floyd", "dense-keys"])
def test_workers_are_chosen_uniformly(feedback):
    sim = independent_confusion(3000, 10, 2, feedback=feedback, seed=0)
    load = sim.answers["worker"].value_counts()
    expected = 3000 * feedback / 10
    assert len(load) == 10 and (np.abs(load - expected) < 0.1 * expected).all()


def test_default_feedback_is_every_worker():
    sim = independent_confusion(20, 4, 3, seed=0)
    assert (sim.answers.groupby("task").size() == 4).all()


def test_imbalance_votes_draws_one_to_feedback_answers():
    sim = independent_confusion(2000, 10, 3, feedback=4, imbalance_votes=True, seed=0)
    sizes = sim.answers.groupby("task").size()
    assert len(sizes) == 2000 and set(sizes.unique()) == {1, 2, 3, 4}
    assert (sim.answers.groupby("task")["worker"].nunique() == sizes).all()


def test_independent_confusion_is_diagonally_dominant_and_mv_is_sensible():
    sim = independent_confusion(2000, 30, 5, feedback=10, seed=1)
    diag = np.einsum("jkk->jk", sim.confusion)
    np.testing.assert_array_equal(diag, sim.confusion.max(axis=2))
    mv = accuracy(majority_vote(sim.answers), sim.truth)
    oracle = accuracy(bayes_oracle(sim.answers, sim.confusion), sim.truth)
    assert 0.65 < mv < 0.95
    assert oracle >= mv


def test_independent_confusion_options():
    raw = independent_confusion(10, 50, 4, feedback=2, dominant=False, seed=0)
    # uniform rows on the simplex: the diagonal is not always the row maximum
    assert (np.einsum("jkk->jk", raw.confusion) < raw.confusion.max(axis=2)).any()
    ranged = independent_confusion(10, 20, 4, feedback=2, diag_range=(0.6, 0.9), seed=0)
    diag = np.einsum("jkk->jk", ranged.confusion)
    assert ((diag >= 0.6) & (diag <= 0.9)).all()
    np.testing.assert_allclose(ranged.confusion.sum(axis=2), 1.0)
    given = np.tile(np.eye(3), (4, 1, 1))
    sim = independent_confusion(30, 4, 3, feedback=2, confusion=given, seed=0)
    np.testing.assert_array_equal(sim.answers["label"], sim.truth[sim.answers["task"]].to_numpy())


def test_hammer_spammer():
    sim = hammer_spammer(500, 10, 3, ratio_spammers=0.3, feedback=4, seed=0)
    assert sim.worker_type.tolist() == ["hammer"] * 7 + ["spammer"] * 3
    answers = sim.answers.assign(truth=sim.truth[sim.answers["task"]].to_numpy())
    hammers = answers[answers["worker"] < 7]
    assert (hammers["label"] == hammers["truth"]).all()
    spam = answers[answers["worker"] >= 7]
    assert 0.2 < (spam["label"] == spam["truth"]).mean() < 0.5  # about 1/3
    np.testing.assert_allclose(sim.confusion[7:], 1 / 3)


def test_student_teacher_students_copy_their_teacher():
    sim = student_teacher(20, 10, 4, ratio_students=0.8, feedback=3, seed=5)
    assert (sim.worker_type == "teacher").sum() == 2
    np.testing.assert_array_equal(sim.confusion, sim.confusion[sim.teacher.to_numpy()])
    assert sim.teacher[:2].tolist() == [0, 1] and sim.teacher[2:].between(0, 1).all()


def test_discrete_difficulty_levels():
    sim = discrete_difficulty(
        4000, 20, 4, feedback=3, ratio_good=0.35, ratio_diff=1.0, p_random=0.2, seed=2
    )
    share = sim.difficulty.value_counts(normalize=True)
    # P(hard) = (1 - 0.2) / 2 = 0.4 = P(easy)
    assert abs(share["easy"] - 0.4) < 0.03 and abs(share["random"] - 0.2) < 0.03
    assert (sim.worker_type == "good").sum() == 7
    good = sim.confusion[:7]
    np.testing.assert_array_equal(np.einsum("jkk->jk", good), good.max(axis=2))
    level = sim.difficulty[sim.answers["task"]].to_numpy()
    right = sim.answers["label"].to_numpy() == sim.truth[sim.answers["task"]].to_numpy()
    assert right[level == "easy"].all()
    assert abs(right[level == "random"].mean() - 0.25) < 0.05


def test_bayes_oracle_hand_checked():
    # two workers, binary; worker 0 right w.p. 0.9, worker 1 right w.p. 0.6
    conf = np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.6, 0.4], [0.4, 0.6]]])
    answers = pd.DataFrame({"task": ["t", "t", "u"], "worker": [0, 1, 1], "label": [0, 1, 1]})
    post = bayes_oracle(answers, conf)
    # t: class 0 -> 0.9 * 0.4 = 0.36 ; class 1 -> 0.1 * 0.6 = 0.06 -> 6/7, 1/7
    # u: class 0 -> 0.4 ; class 1 -> 0.6
    np.testing.assert_allclose(post.to_numpy(), [[6 / 7, 1 / 7], [0.4, 0.6]])
    post = bayes_oracle(answers, conf, priors=np.array([0.25, 0.75]))
    # t: 0.36 * 0.25 = 0.09 vs 0.06 * 0.75 = 0.045 -> 2/3, 1/3
    np.testing.assert_allclose(post.loc["t"].to_numpy(), [2 / 3, 1 / 3])
    with pytest.raises(ValueError, match="no confusion matrix"):
        bayes_oracle(answers.assign(worker=[0, 7, 1]), conf)
    hammers = np.tile(np.eye(2), (2, 1, 1))
    with pytest.raises(ValueError, match="probability 0"):
        bayes_oracle(answers, hammers)


def test_generation_is_fast():
    def simulate(seed):
        return lambda: independent_confusion(20_000, 30, 10, feedback=5, seed=seed)

    best = min(_timed(simulate(seed)) for seed in range(3))
    assert best < 0.5


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: independent_confusion(10, 3, 2, feedback=5), r"feedback=5.*n_workers=3"),
        (lambda: independent_confusion(10, 3, 1), "n_classes must be at least 2"),
        (lambda: independent_confusion(0, 3, 2), "n_tasks must be at least 1"),
        (lambda: independent_confusion(10, 3, 2, feedback=1.5), "feedback must be an integer"),
        (lambda: independent_confusion(10, 3, 2, diag_range=(0.9, 0.5)), "low <= high"),
        (lambda: independent_confusion(10, 3, 2, diag_range=(0.5, 1.5)), r"in \[0, 1\]"),
        (lambda: independent_confusion(10, 3, 2, confusion=np.ones((3, 2, 2))), "sum to 1"),
        (lambda: independent_confusion(10, 3, 2, confusion=np.ones((2, 2, 2)) / 2), "shape"),
        (lambda: hammer_spammer(10, 3, 2, ratio_spammers=1.2), r"ratio_spammers .* \[0, 1\]"),
        (lambda: student_teacher(10, 3, 2, ratio_students=1.0), "no teacher"),
        (lambda: discrete_difficulty(10, 3, 2, p_random=-0.1), "p_random"),
        (lambda: discrete_difficulty(10, 3, 2, ratio_diff=-1), "ratio_diff"),
    ],
    ids=[
        "feedback>workers", "one-class", "no-task", "float-feedback", "diag-order", "diag-range",
        "rows-sum", "confusion-shape", "spam-ratio", "no-teacher", "p-random", "ratio-diff",
    ],
)  # fmt: skip
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
