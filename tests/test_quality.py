"""crowdtut.quality: exams, gold planning, dynamic overlap replay, budget curves, votes from counts."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crowdtut.aggregation import DawidSkene, GoldMajorityVote, MajorityVote
from crowdtut.quality import (
    accuracy_interval,
    budget_curve,
    dynamic_overlap,
    exam_scores,
    plan_gold_questions,
    threshold_error_rates,
    votes_from_counts,
)
from crowdtut.simulate import independent_confusion


# --- exams ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (9, 10), (10, 10), (17, 40), (1, 1)])
@pytest.mark.parametrize("method, scipy_name", [("wilson", "wilson"), ("beta", "exact")])
def test_interval_matches_scipy(k, n, method, scipy_name):
    low, high = accuracy_interval(k, n, confidence=0.9, method=method)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.9, method=scipy_name)
    np.testing.assert_allclose([low, high], [ci.low, ci.high], atol=1e-9)


def test_interval_vectorised_and_empty():
    low, high = accuracy_interval(np.array([0, 5, 0]), np.array([0, 10, 3]))
    assert low.shape == (3,) and (low[0], high[0]) == (0.0, 1.0)
    assert low[1] < 0.5 < high[1] and low[2] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"confidence": 1.0}, "confidence"), ({"confidence": 0}, "confidence"), ({"method": "wald"}, "method")],
)
def test_interval_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        accuracy_interval(3, 10, **kwargs)
    with pytest.raises(ValueError, match="correct <= total"):
        accuracy_interval(11, 10)


def _binom_cdf(m, n, p):  # P(Bin(n, p) <= m), by hand
    return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(0, m + 1))


def test_threshold_error_rates_by_hand():
    rates = threshold_error_rates(np.array([5, 10, 10]), np.array([4, 8, 0]), good=0.9, bad=0.7)
    for row in rates.itertuples():
        n, m = row.n_questions, row.min_correct
        assert row.false_reject == pytest.approx(_binom_cdf(m - 1, n, 0.9) if m > 0 else 0.0)
        assert row.false_admit == pytest.approx(1 - _binom_cdf(m - 1, n, 0.7) if m > 0 else 1.0)
    # a higher pass mark rejects more good workers and admits fewer bad ones
    r = threshold_error_rates(20, np.arange(0, 21))
    assert np.all(np.diff(r.false_reject) >= 0) and np.all(np.diff(r.false_admit) <= 0)


@pytest.mark.parametrize("args", [(0, 0), (5, 6), (5, -1), (5.0, 3)])
def test_threshold_error_rates_bad(args):
    with pytest.raises(ValueError):
        threshold_error_rates(*args)
    with pytest.raises(ValueError, match="good"):
        threshold_error_rates(10, 5, good=1.0)


def test_plan_gold_questions_is_the_smallest_exam():
    plan = plan_gold_questions(good=0.9, bad=0.7, max_error=0.1, max_questions=60)
    n_best = None
    for n in range(1, 61):  # brute force
        reject = [_binom_cdf(m - 1, n, 0.9) if m else 0.0 for m in range(n + 1)]
        admit = [1 - _binom_cdf(m - 1, n, 0.7) if m else 1.0 for m in range(n + 1)]
        worse = np.maximum(reject, admit)
        if min(worse) <= 0.1:
            n_best, m_best = n, int(np.argmin(worse))
            break
    assert (plan.n_questions, plan.min_correct) == (n_best, m_best)
    assert max(plan.false_reject, plan.false_admit) <= 0.1
    harder = plan_gold_questions(good=0.9, bad=0.7, max_error=0.01)
    assert harder.n_questions > plan.n_questions


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"good": 0.7, "bad": 0.9}, "must exceed"),
        ({"max_error": 0.0}, "max_error"),
        ({"max_questions": 0}, "max_questions"),
        ({"max_error": 0.001, "max_questions": 5}, "no exam"),
    ],
)
def test_plan_gold_questions_bad(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plan_gold_questions(**kwargs)


@pytest.fixture
def exam():
    answers = pd.DataFrame(
        {"task": [1, 2, 3, 1, 2, 3, 4], "worker": ["a", "a", "a", "b", "b", "b", "c"],
         "label": ["x", "y", "x", "x", "x", "x", "y"]}
    )
    return answers, pd.Series({1: "x", 2: "y", 3: "y"})


def test_exam_scores(exam):
    answers, gold = exam
    table = exam_scores(answers, gold, threshold=0.6)
    assert table.n_gold.tolist() == [3, 3, 0] and table.n_correct.tolist() == [2, 1, 0]
    np.testing.assert_allclose(table.accuracy[["a", "b"]], [2 / 3, 1 / 3])
    assert np.isnan(table.accuracy["c"]) and table.passed.tolist() == [True, False, False]
    low, high = accuracy_interval(2, 3)
    assert (table.low["a"], table.high["a"]) == (pytest.approx(float(low)), pytest.approx(float(high)))
    assert (table.low["c"], table.high["c"]) == (0.0, 1.0)
    assert "passed" not in exam_scores(answers, gold).columns


@pytest.mark.parametrize(
    "gold, kwargs, match",
    [
        (pd.Series({9: "x"}), {}, "not in the answers"),
        (pd.Series({1: "z"}), {}, "outside the classes"),
        (pd.Series({1: "x"}), {"threshold": 2}, "threshold"),
        (pd.Series({1: "x"}), {"confidence": 1.2}, "confidence"),
    ],
)
def test_exam_scores_bad(exam, gold, kwargs, match):
    with pytest.raises(ValueError, match=match):
        exam_scores(exam[0], gold, **kwargs)


# --- dynamic overlap -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crowd():
    return independent_confusion(150, 12, 3, feedback=9, diag_range=(0.5, 0.9), seed=5)


def _reference(answers, *, min_overlap, max_overlap, confidence, posterior, seed):
    """Per-task loop: the same random order (one key per answer row), buy while unsure."""
    keys = np.random.default_rng(seed).random(len(answers))
    bought, labels = [], {}
    for task, rows in answers.assign(key=keys).groupby("task", sort=True):
        rows = rows.sort_values("key")
        cap = len(rows) if max_overlap is None else min(len(rows), max_overlap)
        for n in range(1, cap + 1):
            post = posterior(rows.iloc[:n])
            if (n >= min_overlap and post.max() >= confidence - 1e-12) or n == cap:
                break
        bought.extend(rows.index[:n])
        labels[task] = int(np.argmax(post))
    return sorted(bought), pd.Series(labels)


def _mv_posterior(rows):
    return np.bincount(rows.label, minlength=3) / len(rows)


def _one_coin_posterior(skills):
    def posterior(rows):
        q = skills.reindex(rows.worker).to_numpy()
        logp = np.zeros(3)
        for qi, label in zip(q, rows.label):
            logp += np.where(np.arange(3) == label, np.log(qi), np.log((1 - qi) / 2))
        p = np.exp(logp - logp.max())
        return p / p.sum()
    return posterior


def _ds_posterior(model):
    def posterior(rows):
        w = model.workers_.get_indexer(rows.worker)
        logp = np.log(model.priors_.to_numpy()).copy()
        for wi, label in zip(w, rows.label):
            logp += np.log(np.clip(model.confusion_[wi, :, label], 1e-6, 1))
        p = np.exp(logp - logp.max())
        return p / p.sum()
    return posterior


@pytest.mark.parametrize("min_overlap, max_overlap, confidence", [(1, None, 0.8), (3, 6, 0.95), (2, 2, 0.5)])
def test_dynamic_overlap_matches_a_per_task_loop(crowd, min_overlap, max_overlap, confidence):
    answers = crowd.answers
    skills = pd.Series(np.linspace(0.5, 0.95, 12), index=range(12))
    ds = DawidSkene().fit(answers)
    cases = [("majority", _mv_posterior, {}), ("one_coin", _one_coin_posterior(skills), {"skills": skills}),
             (ds, _ds_posterior(ds), {})]
    for aggregator, posterior, extra in cases:
        got = dynamic_overlap(answers, min_overlap=min_overlap, max_overlap=max_overlap,
                              confidence=confidence, aggregator=aggregator, random_state=7, **extra)
        rows, labels = _reference(answers, min_overlap=min_overlap, max_overlap=max_overlap,
                                  confidence=confidence, posterior=posterior, seed=7)
        assert got.answers.index.tolist() == rows  # input rows, input order
        assert (got.labels.to_numpy() == labels.to_numpy()).all()
        assert got.n_bought.tolist() == got.answers.groupby("task").size().tolist()


def test_dynamic_overlap_budget_rules(crowd):
    answers = crowd.answers
    fixed = dynamic_overlap(answers, min_overlap=4, max_overlap=4, confidence=0.5, random_state=0)
    assert (fixed.n_bought == 4).all() and fixed.fraction_bought == pytest.approx(4 / 9)
    every = dynamic_overlap(answers, min_overlap=9, confidence=0.99, random_state=0)
    assert every.answers.equals(answers)
    assert (every.labels == MajorityVote().fit_predict(answers)).all()
    cheap = dynamic_overlap(answers, min_overlap=2, confidence=0.01, random_state=0)
    assert (cheap.n_bought == 2).all()
    # more confidence never buys less, for the same order
    low = dynamic_overlap(answers, confidence=0.8, aggregator="one_coin", random_state=3)
    high = dynamic_overlap(answers, confidence=0.95, aggregator="one_coin", random_state=3)
    assert (high.n_bought >= low.n_bought).all() and high.n_bought.sum() > low.n_bought.sum()
    # the same seed replays the same purchases; another seed other ones
    again = dynamic_overlap(answers, confidence=0.8, aggregator="one_coin", random_state=3)
    other = dynamic_overlap(answers, confidence=0.8, aggregator="one_coin", random_state=4)
    assert again.answers.equals(low.answers) and not other.answers.equals(low.answers)
    assert (low.confidence[low.n_bought < low.n_available] >= 0.8).all()


def test_dynamic_overlap_with_gold_skills_and_unknown_workers(crowd):
    answers = crowd.answers
    model = GoldMajorityVote(default_skill=0.6).fit(answers[answers.worker < 6], crowd.truth.iloc[:50])
    result = dynamic_overlap(answers, aggregator=model, confidence=0.9, random_state=1)
    skills = model.skills_.reindex(range(12)).fillna(0.6)
    _, labels = _reference(answers, min_overlap=1, max_overlap=None, confidence=0.9,
                           posterior=_one_coin_posterior(skills), seed=1)
    assert (result.labels.to_numpy() == labels.to_numpy()).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"confidence": 0.0}, "confidence"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": "0.9"}, "confidence"),
        ({"min_overlap": 0}, "min_overlap"),
        ({"min_overlap": 5, "max_overlap": 3}, "min_overlap=5 is larger than max_overlap=3"),
        ({"max_overlap": 0}, "max_overlap"),
        ({"aggregator": "dawid"}, "aggregator"),
        ({"aggregator": DawidSkene()}, "fit it first"),
        ({"aggregator": "one_coin", "skills": 1.5}, "skills"),
    ],
)
def test_dynamic_overlap_bad_input(crowd, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dynamic_overlap(crowd.answers, **kwargs)


def test_dynamic_overlap_refuses_classes_the_model_never_saw(crowd):
    model = DawidSkene().fit(crowd.answers[crowd.answers.label < 2])
    with pytest.raises(ValueError, match="never saw"):
        dynamic_overlap(crowd.answers, aggregator=model)


# --- budget curves and counts --------------------------------------------------------------------
def test_budget_curve(crowd):
    curve = budget_curve(crowd.answers, crowd.truth, overlaps=[1, 3, 9], confidences=[0.8, 0.95],
                         n_repeats=2, n_boot=100, random_state=0)
    assert curve.policy.tolist() == ["fixed"] * 3 + ["dynamic"] * 2 + ["all"]
    fixed = curve[curve.policy == "fixed"]
    np.testing.assert_allclose(fixed.answers_per_task, [1, 3, 9])
    mv = (MajorityVote().fit_predict(crowd.answers) == crowd.truth).mean()
    assert curve.accuracy.iloc[-1] == pytest.approx(mv)
    assert curve.accuracy.iloc[2] == pytest.approx(mv)  # 9 of 9 answers is majority vote on all
    assert (curve.accuracy_low <= curve.accuracy + 1e-12).all()
    assert (curve.accuracy <= curve.accuracy_high + 1e-12).all()
    assert (curve.accuracy_high - curve.accuracy_low).iloc[0] > 0
    assert curve.fraction_bought.iloc[3] < curve.fraction_bought.iloc[4] <= 1.0


@pytest.mark.parametrize(
    "kwargs, match",
    [({"band": 1.0}, "band"), ({"n_boot": 0}, "n_boot"), ({"confidences": [1.0]}, "confidence"),
     ({"min_overlap": 3, "max_overlap": 2}, "min_overlap")],
)
def test_budget_curve_bad(crowd, kwargs, match):
    with pytest.raises(ValueError, match=match):
        budget_curve(crowd.answers, crowd.truth, **kwargs)
    with pytest.raises(ValueError, match="not in the answers"):
        budget_curve(crowd.answers, pd.Series({"nope": 1}))


def test_votes_from_counts():
    counts = np.array([[3, 0, 1], [0, 2, 2], [5, 5, 0]])
    answers = votes_from_counts(counts, classes=["a", "b", "c"], random_state=0)
    table = pd.crosstab(answers.task, answers.label).reindex(columns=["a", "b", "c"], fill_value=0)
    np.testing.assert_array_equal(table.to_numpy(), counts)
    assert answers.worker.is_unique
    sub = votes_from_counts(counts, n_tasks=2, random_state=1)
    assert sub.task.nunique() == 2 and len(sub) == counts[np.unique(sub.task)].sum()
    for bad in (np.array([[1.5, 2]]), np.array([1, 2]), np.array([[-1, 2]])):
        with pytest.raises(ValueError, match="counts"):
            votes_from_counts(bad)
    with pytest.raises(ValueError, match="n_tasks"):
        votes_from_counts(counts, n_tasks=4)


# --- the acceptance test on real dense sets -----------------------------------------------
def test_dynamic_overlap_saves_answers_on_real_sets(mirror):
    from crowdtut.datasets import load_dataset

    cases = []
    for name in ("rte", "bluebird"):
        data = load_dataset(name)
        cases.append((name, data.answers, data.truth))
    cifar = load_dataset("cifar10h")
    answers = votes_from_counts(cifar.extras["counts"], n_tasks=2000, random_state=0)
    cases.append(("cifar10h", answers, cifar.truth[np.unique(answers.task)]))
    for name, answers, truth in cases:
        mv = (MajorityVote().fit_predict(answers)[truth.index] == truth).mean()
        accs, fractions = [], []
        for seed in range(3):
            r = dynamic_overlap(answers, confidence=0.95, aggregator="one_coin", skills=0.7,
                                random_state=seed)
            accs.append((r.labels[truth.index] == truth).mean())
            fractions.append(r.fraction_bought)
        assert np.mean(accs) >= mv - 0.01, name
        assert np.mean(fractions) <= 0.70, name
