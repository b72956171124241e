import numpy as np
import pandas as pd
import pytest

from crowdtut.aggregation import IWMV, MajorityVote, NaiveSoft, Wawa, ZeroBasedSkill


def test_majority_vote_ties_go_to_first_class(tiny_answers):
    mv = MajorityVote().fit(tiny_answers)
    assert mv.labels_.tolist() == [0, 1, 0]  # t2 is a 1-1 tie: class 0 comes first
    np.testing.assert_allclose(mv.probas_.loc["t2"].to_numpy(), [0.5, 0.5])


def test_random_ties_are_seeded_and_only_touch_ties(tiny_answers):
    draws = {MajorityVote(tie_break="random", random_state=s).fit_predict(tiny_answers)["t2"] for s in range(20)}
    assert draws == {0, 1}
    a = MajorityVote(tie_break="random", random_state=3).fit_predict(tiny_answers)
    b = MajorityVote(tie_break="random", random_state=3).fit_predict(tiny_answers)
    pd.testing.assert_series_equal(a, b)
    assert a[["t0", "t1"]].tolist() == [0, 1]


def test_weighted_majority_vote(tiny_answers):
    # t0: w0=0 (weight 1), w1=0 (weight 1), w2=1 (weight 3) -> class 1 wins 3 to 2
    mv = MajorityVote().fit(tiny_answers, weights={"w0": 1, "w1": 1, "w2": 3})
    assert mv.labels_["t0"] == 1
    np.testing.assert_allclose(mv.probas_.loc["t0"].to_numpy(), [0.4, 0.6])
    with pytest.raises(ValueError, match="weights lack 1 worker"):
        MajorityVote().fit(tiny_answers, weights={"w0": 1, "w1": 1})


def test_naive_soft_is_vote_share(tiny_answers):
    np.testing.assert_allclose(
        NaiveSoft().fit_predict_proba(tiny_answers).to_numpy(), [[2 / 3, 1 / 3], [0, 1], [0.5, 0.5]]
    )


def test_wawa_skills_are_agreement_with_majority(tiny_answers):
    # MV: t0=0, t1=1, t2 tied (each class half a win: the tie rule)
    # w0 answers 0,1,0 -> (1 + 1 + 1/2)/3 ; w1 answers 0,1,1 -> the same ; w2 answers 1,1 -> 1/2
    wawa = Wawa().fit(tiny_answers)
    np.testing.assert_allclose(wawa.skills_.to_numpy(), [5 / 6, 5 / 6, 1 / 2])
    # t2 stays tied (it used to become 1.0/0.0 for class 0): equal probabilities, first class
    np.testing.assert_allclose(wawa.probas_.loc["t2"].to_numpy(), [0.5, 0.5])
    assert wawa.labels_["t2"] == 0


def test_zbs_converges_to_agreement(tiny_answers):
    zbs = ZeroBasedSkill().fit(tiny_answers)
    np.testing.assert_allclose(zbs.skills_.to_numpy(), [5 / 6, 5 / 6, 1 / 2], atol=1e-6)
    assert zbs.converged_ and 0 < zbs.n_iter_ <= 100


def test_iwmv_weights(tiny_answers):
    iwmv = IWMV().fit(tiny_answers)
    np.testing.assert_allclose(iwmv.weights_.to_numpy(), 2 * iwmv.skills_.to_numpy() - 1)
    assert iwmv.labels_.tolist() == [0, 1, 0]
