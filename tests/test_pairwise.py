"""Pairwise comparisons: the encoder, the Bradley-Terry family, intervals, active selection."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime
from scipy.special import expit
from sklearn.base import clone

from crowdtut.aggregation import (
    BradleyTerry,
    CrowdBT,
    DavidsonBradleyTerry,
    Elo,
    NoisyBradleyTerry,
    NotFittedError,
    active_learning_curve,
    bootstrap_scores,
    propose_pairs,
    score_intervals,
)
from crowdtut.aggregation.pairwise._base import DisconnectedComparisonsWarning
from crowdtut.aggregation.pairwise._core import gradient, Laplacian, bt_hessian, bt_mm, bt_newton
from crowdtut.aggregation.pairwise.noisy_bradley_terry import noisy_bt_loss_grad
from crowdtut.answers import encode_comparisons
from crowdtut.metrics import kendall_tau, spearman_rho
from crowdtut.simulate import simulate_comparisons

MODELS = [BradleyTerry, NoisyBradleyTerry, CrowdBT, DavidsonBradleyTerry, Elo]
NO_TIES = [BradleyTerry, NoisyBradleyTerry, CrowdBT]


def frame(rows):
    return pd.DataFrame(rows, columns=["worker", "left", "right", "label"])


@pytest.fixture
def small():
    return simulate_comparisons(30, 8, 900, seed=1)


# --- the encoder ------------------------------------------------------------------------------
def test_encoder_codes_follow_rows():
    data = encode_comparisons(frame([("w1", "a", "b", "b"), ("w2", "c", "a", "c"), ("w1", "b", "c", "b")]))
    assert data.items.tolist() == ["a", "b", "c"] and data.workers.tolist() == ["w1", "w2"]
    assert data.winner.tolist() == [1, 2, 1] and data.loser.tolist() == [0, 0, 2]
    assert data.left_won.tolist() == [False, True, True] and data.worker.tolist() == [0, 1, 0]
    assert not data.has_ties


def test_encoder_keeps_a_given_item_universe():
    data = encode_comparisons(frame([("w", "a", "b", "a")]), items=["z", "b", "a"])
    assert data.items.tolist() == ["z", "b", "a"] and data.winner.tolist() == [2]
    with pytest.raises(ValueError, match="outside the given item list"):
        encode_comparisons(frame([("w", "a", "q", "a")]), items=["a", "b"])


@pytest.mark.parametrize(
    "rows, match",
    [
        ([("w", "a", "a", "a"), ("w", "a", "b", "a")], r"row 0: worker 'w' compared item 'a' with itself"),
        ([("w", "a", "b", "a"), ("w", "a", "b", "c")], r"row 1: label 'c' is neither left \('a'\) nor right"),
        ([("w", "a", "b", None)], r"row 0 .* has no label .* ties='allow'"),
        ([("w", "a", "b", "a"), ("w", None, "b", "b")], r"column 'left' has 1 missing"),
    ],
    ids=["self-comparison", "label-neither", "tie-not-allowed", "missing-item"],
)
def test_encoder_refuses_bad_rows(rows, match):
    with pytest.raises(ValueError, match=match):
        encode_comparisons(frame(rows))


def test_encoder_refuses_one_item_empty_and_bad_policy():
    with pytest.raises(ValueError, match=r"only one item \('a'\) is compared"):
        encode_comparisons(frame([("w", "a", "a", "a"), ("v", "a", "a", "a")]))
    with pytest.raises(ValueError, match="empty"):
        encode_comparisons(frame([]))
    with pytest.raises(ValueError, match="ties='maybe'"):
        encode_comparisons(frame([("w", "a", "b", "a")]), ties="maybe")
    with pytest.raises(ValueError, match="missing column"):
        encode_comparisons(frame([("w", "a", "b", "a")]).drop(columns="label"))


def test_ties_are_kept_only_when_allowed():
    answers = frame([("w", "a", "b", "a"), ("v", "a", "b", None)])
    data = encode_comparisons(answers, ties="allow")
    assert data.tie.tolist() == [False, True] and data.winner.tolist() == [0, 0]
    with pytest.raises(ValueError, match="tie"):
        encode_comparisons(data)  # encoded answers with ties, ties='raise'


@pytest.mark.parametrize("cls", NO_TIES, ids=lambda c: c.__name__)
def test_models_without_ties_refuse_them_by_row(cls):
    answers = frame([("w", "a", "b", "a"), ("v", "b", "c", "b"), ("v", "a", "c", None)])
    answers.index = ["r1", "r2", "r3"]
    with pytest.raises(ValueError, match=rf"{cls.__name__} does not model ties, and row 'r3'.*DavidsonBradleyTerry"):
        cls().fit(answers)


# --- the contract -----------------------------------------------------------------------------
@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_contract(cls, small):
    model = cls()
    with pytest.raises(NotFittedError):
        model.scores_
    assert clone(model).get_params() == model.get_params()
    scores = model.fit_predict(small.answers)
    assert isinstance(scores, pd.Series) and scores.index.tolist() == list(range(30))
    assert np.isfinite(scores).all() and model.ranks_.min() == 1
    assert model.ranks_.idxmin() == scores.idxmax()
    assert spearman_rho(scores, small.scores) > 0.7
    with pytest.raises(AttributeError, match="after fit it has"):
        model.skils_


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_renaming_items_and_workers_carries_the_scores(cls, small):
    renamed = small.answers.copy()
    for column in ("left", "right", "label"):
        renamed[column] = renamed[column].map(lambda i: f"item{i:02d}")
    renamed["worker"] = renamed["worker"].map(lambda w: f"w{w:03d}")
    a = cls().fit_predict(small.answers)
    b = cls().fit_predict(renamed)
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", [BradleyTerry, CrowdBT, DavidsonBradleyTerry], ids=lambda c: c.__name__)
def test_batch_models_ignore_row_order(cls, small):
    shuffled = small.answers.sample(frac=1.0, random_state=0)
    np.testing.assert_allclose(cls().fit_predict(shuffled).to_numpy(),
                               cls().fit_predict(small.answers).to_numpy(), atol=1e-5)


def test_elo_depends_on_row_order(small):
    shuffled = small.answers.sample(frac=1.0, random_state=0)
    assert not np.allclose(Elo().fit_predict(shuffled), Elo().fit_predict(small.answers))


@pytest.mark.parametrize(
    "model, match",
    [
        (BradleyTerry(alpha=0), r"alpha=0; expected a positive"),
        (BradleyTerry(method="lbfgs"), r"method='lbfgs'"),
        (BradleyTerry(n_iter=0), r"n_iter=0"),
        (CrowdBT(eta_prior=(1,)), r"eta_prior=\(1,\)"),
        (NoisyBradleyTerry(regularization_ratio=-1), r"regularization_ratio=-1"),
        (DavidsonBradleyTerry(tol=-1), r"tol=-1"),
        (Elo(scale=0), r"scale=0"),
    ],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__,
)
def test_bad_hyper_parameters(model, match, small):
    with pytest.raises(ValueError, match=match):
        model.fit(small.answers)


# --- Bradley-Terry ----------------------------------------------------------------------------
def test_two_items_give_the_log_odds():
    # a beats b 3 times out of 4: the maximum-likelihood difference is log 3
    answers = frame([("w", "a", "b", "a")] * 3 + [("w", "a", "b", "b")])
    for method in ("newton", "mm"):
        model = BradleyTerry(alpha=1e-6, method=method, n_iter=20000, tol=1e-12).fit(answers)
        assert model.scores_["a"] - model.scores_["b"] == pytest.approx(np.log(3), abs=1e-4)
    # with the prior, the scores are pulled towards the anchor 0
    strong = BradleyTerry(alpha=5).fit(answers).scores_
    assert 0 < strong["a"] - strong["b"] < np.log(3)


def test_newton_and_mm_agree_and_the_gradient_vanishes(small):
    data = encode_comparisons(small.answers)
    s_newton, n_iter, converged, losses = bt_newton(data.winner, data.loser, data.n_items, alpha=0.1)
    s_mm = bt_mm(data.winner, data.loser, data.n_items, alpha=0.1, max_iter=20000, tol=1e-11)[0]
    np.testing.assert_allclose(s_newton, s_mm, atol=1e-6)
    np.testing.assert_allclose(gradient(s_newton, data.winner, data.loser, np.ones(len(data.winner)), 0.1),
                               0.0, atol=1e-8)
    assert converged and n_iter < 20 and np.all(np.diff(losses) <= 1e-12)


def test_mm_loss_falls(small):
    model = BradleyTerry(method="mm", n_iter=50).fit(small.answers)
    assert len(model.loss_history_) == 50 and np.all(np.diff(model.loss_history_) <= 1e-12)


def test_undefeated_and_disconnected_items_stay_finite():
    answers = frame([("w", "a", "b", "a"), ("w", "a", "b", "a"), ("w", "c", "d", "d")])
    with pytest.warns(DisconnectedComparisonsWarning, match="2 connected components"):
        model = BradleyTerry().fit(answers)
    assert np.isfinite(model.scores_).all() and model.n_components_ == 2
    assert model.components_.tolist() == [0, 0, 1, 1]
    assert model.scores_["a"] > model.scores_["b"] and model.scores_["d"] > model.scores_["c"]
    # a connected graph does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BradleyTerry().fit(frame([("w", "a", "b", "a"), ("w", "b", "c", "b")]))


def test_items_never_compared_get_the_prior():
    with pytest.warns(DisconnectedComparisonsWarning):
        model = BradleyTerry().fit(frame([("w", "a", "b", "a")] * 3), items=["a", "b", "z"])
    assert model.scores_["z"] == pytest.approx(0.0, abs=1e-8)


def test_standard_errors_shrink_like_one_over_root_n():
    crowd = simulate_comparisons(10, 5, 400, seed=3)
    quad = pd.concat([crowd.answers] * 4, ignore_index=True)
    se1 = BradleyTerry(alpha=1e-3).fit(crowd.answers).standard_errors_
    se4 = BradleyTerry(alpha=1e-3).fit(quad).standard_errors_
    np.testing.assert_allclose(se4 / se1, 0.5, rtol=0.02)


def test_fisher_information_is_the_hessian_and_standard_errors_come_on_first_read():
    crowd = simulate_comparisons(70, 10, 3000, seed=5)  # above the dense-solve limit: CG steps
    model = BradleyTerry().fit(crowd.answers)
    data = encode_comparisons(crowd.answers)
    s = model.scores_.loc[data.items].to_numpy()
    np.testing.assert_allclose(model.fisher_information_.toarray(),
                               bt_hessian(s, data.winner, data.loser, alpha=0.1), atol=1e-10)
    assert "standard_errors_" not in vars(model)  # the fit does not pay for the inverse
    cov = np.linalg.inv(bt_hessian(s, data.winner, data.loser, alpha=0.1))
    centre = np.eye(len(s)) - 1.0 / len(s)
    expected = np.sqrt(np.diag(centre @ cov @ centre))
    np.testing.assert_allclose(model.standard_errors_.loc[data.items], expected, rtol=1e-8)
    assert model.standard_errors_ is model.standard_errors_  # computed once
    before = model.standard_errors_
    model.fit(pd.concat([crowd.answers] * 4, ignore_index=True))  # a refit forgets them
    np.testing.assert_allclose(model.standard_errors_ / before, 0.5, rtol=0.05)
    with pytest.raises(NotFittedError, match="fit"):
        BradleyTerry().standard_errors_


def test_graph_pattern_components_and_laplacian():
    data = encode_comparisons(frame([("w", "a", "b", "a"), ("w", "b", "a", "a"), ("w", "c", "d", "d"),
                                     ("w", "b", "e", "e")]), items=list("abcdef"))
    graph = Laplacian(data.winner, data.loser, data.n_items)
    np.testing.assert_array_equal(graph.components(), data.components())
    v = np.arange(1.0, data.n_comparisons + 1)
    dense = np.zeros((6, 6))
    np.add.at(dense, (data.winner, data.loser), -v)
    np.add.at(dense, (data.loser, data.winner), -v)
    np.testing.assert_allclose(graph.matrix(v).toarray(), dense)
    assert graph.matrix(v).nnz == 6  # one entry per compared pair and direction: a-b summed


def test_fisher_and_bootstrap_intervals_agree(small):
    model = BradleyTerry().fit(small.answers)
    fisher = score_intervals(model)
    boot = bootstrap_scores(BradleyTerry(), small.answers, n_resamples=150, random_state=0)
    assert (fisher.upper > fisher.lower).all()
    ratio = boot["std"] / fisher["std"]
    assert 0.7 < ratio.median() < 1.3
    again = bootstrap_scores(BradleyTerry(), small.answers, n_resamples=150, random_state=0)
    pd.testing.assert_frame_equal(boot, again)
    with pytest.raises(ValueError, match="confidence=1.5"):
        score_intervals(model, confidence=1.5)
    with pytest.raises(ValueError, match="no standard_errors_"):
        score_intervals(Elo().fit(small.answers))
    with pytest.raises(ValueError, match="n_resamples=0"):
        bootstrap_scores(BradleyTerry(), small.answers, n_resamples=0)


# --- the crowd models -------------------------------------------------------------------------
def crowdkit_noisy_bt_loglik(x, left, right, label_is_left, worker, n_items, n_workers):
    """crowd-kit 1.4.2's likelihood as written there (y = +1 when the left item won)."""
    s, q, gamma = x[1:1 + n_items], x[1 + n_items:1 + n_items + n_workers], x[1 + n_items + n_workers:]
    y = np.where(label_is_left, 1.0, -1.0)
    g = gamma[worker]
    return np.sum(np.log(expit(g) * expit(y * (s[left] - s[right])) + (1 - expit(g)) * expit(y * q[worker])))


def test_noisy_bt_is_crowdkits_likelihood_with_an_exact_gradient(small):
    data = encode_comparisons(small.answers)
    n, m = data.n_items, data.n_workers
    x = np.random.default_rng(0).normal(size=1 + n + 2 * m)
    y = np.where(data.left_won, 1.0, -1.0)
    loss, grad = noisy_bt_loss_grad(x, data.winner, data.loser, data.worker, y, n, m, 0.0)
    left = np.where(data.left_won, data.winner, data.loser)
    right = np.where(data.left_won, data.loser, data.winner)
    assert -loss == pytest.approx(crowdkit_noisy_bt_loglik(x, left, right, data.left_won, data.worker, n, m))
    numeric = approx_fprime(x, lambda z: noisy_bt_loss_grad(z, data.winner, data.loser, data.worker, y, n, m, 0.3)[0], 1e-6)
    np.testing.assert_allclose(noisy_bt_loss_grad(x, data.winner, data.loser, data.worker, y, n, m, 0.3)[1],
                               numeric, atol=1e-4)


def test_noisy_bt_finds_unskilled_and_biased_workers():
    crowd = simulate_comparisons(40, 20, 6000, random_fraction=0.3, seed=2)
    answers = crowd.answers.copy()
    # worker 0 always picks the left item
    rows = answers.worker == 0
    answers.loc[rows, "label"] = answers.loc[rows, "left"]
    model = NoisyBradleyTerry(random_state=0).fit(answers)
    kinds = crowd.workers
    assert model.skills_[kinds == "random"].mean() < model.skills_[(kinds == "good") & (kinds.index != 0)].mean()
    assert model.biases_[0] > 0.9 and model.skills_[0] < 0.2
    assert np.all(np.diff(model.loss_history_) <= 1e-9)


def test_noisy_bt_random_start_ignores_row_order_and_names(small):
    answers = small.answers
    renamed = answers.assign(worker=answers["worker"].map(lambda w: f"z{99 - w}"))
    renamed = renamed.sample(frac=1.0, random_state=3)
    back = {f"z{99 - w}": w for w in answers["worker"].unique()}
    for seed in (0, 7):
        a = NoisyBradleyTerry(random_state=seed).fit(answers)
        b = NoisyBradleyTerry(random_state=seed).fit(renamed)
        np.testing.assert_allclose(b.scores_.loc[a.scores_.index], a.scores_, atol=1e-6)
        np.testing.assert_allclose(b.skills_.rename(index=back).loc[a.skills_.index], a.skills_, atol=1e-6)
    # the seed does change the start
    starts = [NoisyBradleyTerry(random_state=seed, n_iter=1).fit(answers).loss_history_[0] for seed in (0, 7)]
    assert starts[0] != starts[1]


@pytest.fixture(scope="module")
def noisy_crowd():
    return simulate_comparisons(200, 60, 20000, random_fraction=0.2, adversarial_fraction=0.05, seed=4)


def test_crowd_bt_beats_bt_on_a_noisy_crowd(noisy_crowd):
    bt = spearman_rho(BradleyTerry().fit_predict(noisy_crowd.answers), noisy_crowd.scores)
    model = CrowdBT().fit(noisy_crowd.answers)
    crowd_bt = spearman_rho(model.scores_, noisy_crowd.scores)
    assert crowd_bt > bt + 0.005
    kinds = noisy_crowd.workers
    assert (model.skills_[kinds == "adversarial"] < 0.5).all()
    assert model.skills_[kinds == "random"].between(0.3, 0.7).all()
    assert (model.skills_[kinds == "good"] > 0.8).all()
    assert np.all(np.diff(model.loss_history_) <= 1e-12) and model.converged_


def test_davidson_recovers_ties_and_matches_bt_without_them():
    crowd = simulate_comparisons(50, 10, 8000, tie_margin=0.4, tie_rate=0.8, seed=5)
    model = DavidsonBradleyTerry().fit(crowd.answers)
    assert model.tie_ > 0.2 and spearman_rho(model.scores_, crowd.scores) > 0.9
    plain = simulate_comparisons(30, 5, 2000, seed=6).answers
    david = DavidsonBradleyTerry().fit(plain)
    assert david.tie_ < 1e-3
    np.testing.assert_allclose(david.scores_, BradleyTerry().fit_predict(plain), atol=1e-3)


def test_elo_counts_a_tie_as_half_a_win():
    model = Elo(k=32).fit(frame([("w", "a", "b", None)]))
    assert model.scores_.tolist() == [1500.0, 1500.0]
    won = Elo(k=32).fit(frame([("w", "a", "b", "a")])).scores_
    assert won.tolist() == [1516.0, 1484.0]


# --- active selection -------------------------------------------------------------------------
def test_propose_pairs_prefers_close_uncertain_pairs():
    answers = frame([("w", "a", "b", "a")] * 20 + [("w", "b", "c", "b")] * 2 + [("w", "c", "d", "d"), ("w", "c", "d", "c")])
    model = BradleyTerry().fit(answers)
    proposal = propose_pairs(model, n_pairs=2)
    assert len(proposal) == 2
    assert set(proposal.iloc[0][["left", "right"]]) == {"c", "d"}  # equal scores, few answers
    assert not set(proposal.left) & set(proposal.right)  # each item once per batch
    with pytest.raises(ValueError, match="n_pairs=0"):
        propose_pairs(model, n_pairs=0)


def test_active_learning_curve_is_seeded_and_sized():
    truth = np.random.default_rng(0).normal(size=15)
    a = active_learning_curve(truth, n_rounds=2, batch_size=4, seed=1)
    b = active_learning_curve(truth, n_rounds=2, batch_size=4, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert a.n_comparisons.tolist() == [15, 19, 23] and a.kendall_tau.between(-1, 1).all()
    with pytest.raises(ValueError, match="strategy='best'"):
        active_learning_curve(truth, strategy="best")


# --- the simulator ----------------------------------------------------------------------------
def test_simulator_is_seeded_and_mixes_workers():
    a = simulate_comparisons(50, 20, 500, random_fraction=0.2, adversarial_fraction=0.1, seed=7)
    b = simulate_comparisons(50, 20, 500, random_fraction=0.2, adversarial_fraction=0.1, seed=7)
    pd.testing.assert_frame_equal(a.answers, b.answers)
    assert a.params["seed"] == 7 and a.params == b.params  # the seed is recorded, as elsewhere
    rng_made = simulate_comparisons(50, 20, 500, seed=np.random.default_rng(7))
    assert rng_made.params["seed"] is None  # a Generator cannot be written to metadata
    assert a.workers.value_counts().to_dict() == {"good": 14, "random": 4, "adversarial": 2}
    assert (a.answers.left != a.answers.right).all()
    assert ((a.answers.label == a.answers.left) | (a.answers.label == a.answers.right)).all()
    with pytest.raises(ValueError, match="at most 1"):
        simulate_comparisons(5, 5, 5, random_fraction=0.6, adversarial_fraction=0.6)
    with pytest.raises(ValueError, match="n_items"):
        simulate_comparisons(1, 5, 5)


def test_adversarial_workers_answer_backwards():
    crowd = simulate_comparisons(30, 2, 4000, adversarial_fraction=0.5, scale=3.0, seed=8)
    answers = crowd.answers.assign(kind=crowd.workers.to_numpy()[crowd.answers.worker])
    truth = crowd.scores.to_numpy()
    better = np.where(truth[answers.left] > truth[answers.right], answers.left, answers.right)
    agree = pd.Series(answers.label.to_numpy() == better).groupby(answers.kind.to_numpy()).mean()
    assert agree["good"] > 0.75 and agree["adversarial"] < 0.25


# --- the real data ----------------------------------------------------------------------------
def test_readability_kendall_tau(mirror):
    from crowdtut.datasets import load_dataset

    data = load_dataset("readability")
    answers, grades = data.answers, data.truth
    assert len(answers) == 11763 and answers.worker.nunique() == 624
    bt = kendall_tau(BradleyTerry().fit_predict(answers), grades)
    crowd_bt = kendall_tau(CrowdBT().fit_predict(answers), grades)
    assert bt >= 0.33 and crowd_bt >= 0.36 and crowd_bt > bt


def test_music_preferences_ties_need_a_tie_model(mirror):
    from crowdtut.datasets import load_dataset

    answers = load_dataset("music_preferences").answers[["worker", "left", "right", "label"]]
    with pytest.raises(ValueError, match="BradleyTerry does not model ties"):
        BradleyTerry().fit(answers)
    with pytest.warns(DisconnectedComparisonsWarning):  # one component per query
        model = DavidsonBradleyTerry().fit(answers)
    assert model.tie_ > 1.0 and np.isfinite(model.scores_).all()
