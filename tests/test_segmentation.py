"""Segmentation aggregators, their input checks, the segmentation simulator and the loaders.

The tiny example below has 3 workers on one 4x4 image. Its union region holds 6 pixels with 4
vote patterns (bits w1 w2 w3): 111 three times, 110, 010 and 001 once each. The expected values
in the tests were worked out by hand from those counts (the comments show the arithmetic).
"""

from __future__ import annotations

import io
import os
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdtut import metrics
from crowdtut.aggregation import (
    STAPLE,
    NotFittedError,
    SegmentationEM,
    SegmentationMajorityVote,
    SegmentationRASA,
)
from crowdtut.answers import encode_masks as encode_segmentations
from crowdtut.simulate import simulate_segmentations

METHODS = [SegmentationMajorityVote, SegmentationEM, SegmentationRASA, STAPLE]
VARIANTS = [
    SegmentationMajorityVote(),
    SegmentationEM(),
    SegmentationEM(scope="global", region="image", prior="learned"),
    SegmentationRASA(),
    SegmentationRASA(scope="global"),
    STAPLE(),
    STAPLE(region="union", prior="learned"),
    STAPLE(scope="global"),
]
IDS = [repr(m) for m in VARIANTS]

W1 = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=bool)
W2 = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=bool)
W3 = np.array([[0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]], dtype=bool)
MV = W1  # 2 of 3 votes: (0,0) 110, (0,1) (1,0) (1,1) 111


def frame(*masks, task="img", workers=None) -> pd.DataFrame:
    workers = workers or [f"w{i + 1}" for i in range(len(masks))]
    return pd.DataFrame({"task": task, "worker": workers, "segmentation": list(masks)})


@pytest.fixture
def tiny() -> pd.DataFrame:
    return frame(W1, W2, W3)


# --- hand-checked values on the tiny example -----------------------------------------------------
def test_majority_vote_tiny(tiny):
    mv = SegmentationMajorityVote().fit(tiny)
    np.testing.assert_array_equal(mv.segmentations_["img"], MV)
    np.testing.assert_allclose(mv.probas_["img"][0, :3], [2 / 3, 1, 1 / 3], rtol=1e-6)


def test_weighted_majority_vote_tiny(tiny):
    # weights 1, 1, 3 (total 5, half 2.5): 111 -> 5 in, 110 -> 2 out, 010 -> 1 out, 001 -> 3 in
    mv = SegmentationMajorityVote().fit(tiny, weights={"w1": 1, "w2": 1, "w3": 3})
    expected = np.zeros((4, 4), dtype=bool)
    expected[0, 1] = expected[1, 0] = expected[1, 1] = expected[3, 3] = True
    np.testing.assert_array_equal(mv.segmentations_["img"], expected)
    np.testing.assert_allclose(mv.weights_.to_numpy(), [0.2, 0.2, 0.6])
    by_pair = pd.Series([1.0, 1.0, 3.0], index=pd.MultiIndex.from_product([["img"], ["w1", "w2", "w3"]]))
    again = SegmentationMajorityVote().fit(tiny, weights=by_pair)
    np.testing.assert_array_equal(again.segmentations_["img"], expected)


def test_majority_vote_keeps_ties():
    a, b = np.array([[1, 0]], dtype=bool), np.array([[1, 1]], dtype=bool)
    out = SegmentationMajorityVote().fit_predict(frame(a, b))["img"]
    np.testing.assert_array_equal(out, [[True, True]])  # 1 of 2 votes is half: kept, as crowd-kit


def test_em_one_iteration_tiny(tiny):
    # start: vote shares 111 -> 1, 110 -> 2/3, 010 -> 1/3, 001 -> 1/3 over the 6 union pixels
    # skill = expected agreement / 6: w1 (3 + 2/3 + 2/3 + 2/3)/6 = 5/6, w2 (3 + 2/3 + 1/3 + 2/3)/6
    # = 7/9, w3 (3 + 1/3 + 2/3 + 1/3)/6 = 13/18; with a uniform prior the odds of a pattern are
    # the product of s/(1-s) for the workers who marked it and (1-s)/s for the others:
    # 110 -> 5 * 7/2 * 5/13 = 175/26, 111 -> 5 * 7/2 * 13/5 = 91/2
    em = SegmentationEM(n_iter=1).fit(tiny)
    assert em.skills_.index.tolist() == [("img", "w1"), ("img", "w2"), ("img", "w3")]
    p = em.probas_["img"]
    np.testing.assert_allclose([p[0, 0], p[0, 1]], [175 / 201, 91 / 93], rtol=1e-6)
    assert p[2, 0] == 0.0  # outside the union region
    np.testing.assert_array_equal(em.segmentations_["img"], MV)
    assert em.n_iter_ == 1 and len(em.loss_history_) == 1
    # skills_ are the M-step of these final posteriors (they used to be the 5/6, 7/9, 13/18 of
    # the M-step before the last E-step): expected agreement of each mask over the union region
    np.testing.assert_allclose(em.skills_.to_numpy(), _pixel_skills(p, [W1, W2, W3]), rtol=1e-6)


def _pixel_skills(proba: np.ndarray, masks) -> np.ndarray:
    region = np.any(masks, axis=0)
    p = proba[region].astype(np.float64)
    return np.array([np.mean(np.where(m[region], p, 1.0 - p)) for m in masks])


def _pixel_rates(proba: np.ndarray, masks) -> tuple[np.ndarray, np.ndarray]:
    p = proba.astype(np.float64).ravel()
    sens = np.array([np.sum(p * m.ravel()) / p.sum() for m in masks])
    spec = np.array([np.sum((1 - p) * ~m.ravel()) / (1 - p).sum() for m in masks])
    return sens, spec


@pytest.mark.parametrize("n_iter", [1, 3, 100])
def test_em_and_staple_parameters_are_one_m_step_of_probas(tiny, n_iter):
    em = SegmentationEM(n_iter=n_iter, min_skill=0.0).fit(tiny)
    np.testing.assert_allclose(
        em.skills_.to_numpy(), _pixel_skills(em.probas_["img"], [W1, W2, W3]), rtol=1e-6
    )
    st_ = STAPLE(n_iter=n_iter, prior="learned").fit(tiny)
    sens, spec = _pixel_rates(st_.probas_["img"], [W1, W2, W3])
    np.testing.assert_allclose(st_.sensitivity_.to_numpy(), np.clip(sens, 1e-10, 1 - 1e-10), rtol=1e-5)
    np.testing.assert_allclose(st_.specificity_.to_numpy(), np.clip(spec, 1e-10, 1 - 1e-10), rtol=1e-5)
    np.testing.assert_allclose(st_.priors_.to_numpy(), [st_.probas_["img"].mean()], rtol=1e-6)


def test_staple_one_iteration_tiny(tiny):
    # prior = mean vote share of the region = (3 + 2/3 + 1/3 + 1/3) / 6 = 13/18 (held fixed)
    # sum W = 13/3, sum (1 - W) = 5/3
    # sensitivity: w1 (3 + 2/3) / (13/3) = 11/13, w2 (3 + 2/3 + 1/3) = 12/13, w3 (3 + 1/3) = 10/13
    # specificity: w1 (2/3 + 2/3) / (5/3) = 4/5, w2 (2/3) = 2/5, w3 (1/3 + 2/3) = 3/5
    # 110: odds 13/5 * (11/13)/(1/5) * (12/13)/(3/5) * (3/13)/(3/5) = 14300/2197
    st_ = STAPLE(n_iter=1, region="union").fit(tiny)
    np.testing.assert_allclose(st_.priors_.to_numpy(), [13 / 18])
    np.testing.assert_allclose(st_.probas_["img"][0, 0], 14300 / 16497, rtol=1e-6)
    # the rates exposed are the M-step of the final posteriors (no longer 11/13, 12/13, 10/13)
    assert st_.sensitivity_.to_numpy()[0] != pytest.approx(11 / 13)
    np.testing.assert_array_equal(st_.segmentations_["img"], MV)


def test_rasa_tiny(tiny):
    # the majority vote equals w1 (IoU 1), w2 adds one pixel (IoU 4/5), w3 swaps one (IoU 3/5)
    rasa = SegmentationRASA().fit(tiny)
    raw = np.log(1 / (np.array([0.0, 0.2, 0.4]) + 1e-5) + 1)
    np.testing.assert_allclose(rasa.weights_.to_numpy(), raw / raw.sum())
    np.testing.assert_array_equal(rasa.segmentations_["img"], MV)
    assert rasa.n_iter_ == 1 and rasa.changed_history_ == [0.0]  # the estimate did not move
    assert rasa.converged_ and not hasattr(rasa, "loss_history_")  # RASA has no objective


def test_em_reweights_against_a_bad_worker():
    # two careful workers split a pixel; the third marks everything: EM learns that its "yes"
    # is weak evidence and breaks the tie the careful way
    good1 = np.zeros((4, 4), dtype=bool)
    good1[:2, :2] = True
    good2 = good1.copy()
    good2[0, 2] = True
    sloppy = np.ones((4, 4), dtype=bool)
    sloppy[3, 3] = False
    answers = frame(good1, good2, sloppy)
    assert SegmentationMajorityVote().fit_predict(answers)["img"][0, 2]  # 2 of 3 votes
    # the plain model reads the sloppy worker backwards: its "yes" on (0, 2) becomes a "no"
    plain = SegmentationEM(min_skill=0).fit(answers)
    assert plain.skills_["img", "w3"] < 0.5 < plain.skills_["img", "w1"]
    np.testing.assert_array_equal(plain.segmentations_["img"], good1)
    # by default a worker worse than chance is ignored (skill 1/2, log-odds weight 0)
    em = SegmentationEM().fit(answers)
    assert em.skills_["img", "w3"] == 0.5
    np.testing.assert_array_equal(em.segmentations_["img"], good2)


# --- properties ----------------------------------------------------------------------------------
@st.composite
def crowds(draw):
    n_tasks = draw(st.integers(1, 3))
    rows = []
    for t in range(n_tasks):
        h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        n_workers = draw(st.integers(1, 5))
        for j in range(n_workers):
            bits = draw(st.lists(st.booleans(), min_size=h * w, max_size=h * w))
            rows.append((f"t{t}", f"w{j}", np.array(bits, dtype=bool).reshape(h, w)))
    return pd.DataFrame(rows, columns=["task", "worker", "segmentation"])


def _same_up_to_ties(a: pd.Series, b: pd.Series, probas: pd.Series) -> None:
    for task in a.index:
        clear = np.abs(probas[task] - 0.5) > 1e-6
        np.testing.assert_array_equal(a[task][clear], b[task][clear], err_msg=str(task))


@pytest.mark.parametrize("model", VARIANTS, ids=IDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=crowds(), seed=st.integers(0, 2**16))
def test_worker_permutation_leaves_the_result_unchanged(model, answers, seed):
    rng = np.random.default_rng(seed)
    before = model.fit(answers)
    first, probas = before.segmentations_, before.probas_
    names = answers["worker"].unique()
    renamed = dict(zip(names, rng.permutation([f"x{i}" for i in range(len(names))])))
    shuffled = answers.assign(worker=answers["worker"].map(renamed)).sample(frac=1, random_state=seed)
    second = model.fit(shuffled).segmentations_
    assert second.index.equals(first.index)
    _same_up_to_ties(first, second, probas)


@pytest.mark.parametrize("model", VARIANTS, ids=IDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=crowds(), n_copies=st.integers(1, 6))
def test_all_agree_returns_that_mask(model, answers, n_copies):
    first = answers.drop_duplicates("task")
    agree = pd.concat([first.assign(worker=f"w{j}") for j in range(n_copies)], ignore_index=True)
    out = model.fit(agree).segmentations_
    for task, mask in zip(first["task"], first["segmentation"]):
        np.testing.assert_array_equal(out[task], mask)
        assert out[task].dtype == bool


@pytest.mark.parametrize("cls", METHODS, ids=lambda c: c.__name__)
def test_no_nan_and_valid_outputs(cls):
    crowd = simulate_segmentations(6, 4, shape=(12, 10), feedback=3, seed=1)
    answers = pd.concat(  # plus an image nobody marked and one everybody marked entirely
        [
            crowd.answers,
            frame(np.zeros((3, 3), bool), np.zeros((3, 3), bool), task=100, workers=[0, 1]),
            frame(np.ones((2, 5), bool), np.ones((2, 5), bool), task=101, workers=[2, 3]),
        ],
        ignore_index=True,
    )
    model = cls().fit(answers)
    assert model.segmentations_.index.tolist() == list(range(6)) + [100, 101]
    assert not model.segmentations_[100].any() and model.segmentations_[101].all()
    for task, probas in model.probas_.items():
        assert np.isfinite(probas).all() and (probas >= 0).all() and (probas <= 1).all(), task
    for name, value in vars(model).items():
        if name.endswith("_") and isinstance(value, pd.Series) and value.dtype.kind == "f":
            assert np.isfinite(value.to_numpy()).all(), name


# --- the compressed table agrees with plain per-pixel computations --------------------------------
def _reference_em(stack: np.ndarray, n_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """One-coin EM with a uniform prior over the union, skills at least 1/2, pixel by pixel."""
    region = stack.any(axis=0)
    votes = stack[:, region].astype(float)  # (K, n_region)
    post = votes.mean(axis=0)
    for _ in range(n_iter):
        skill = (votes * post + (1 - votes) * (1 - post)).mean(axis=1)
        skill = np.clip(skill, 0.5, 1 - 1e-10)
        lam = np.log(skill / (1 - skill))
        post = 1 / (1 + np.exp(-((2 * votes - 1) * lam[:, None]).sum(axis=0)))
    # the skills reported are the M-step of the final posteriors
    skill = np.clip((votes * post + (1 - votes) * (1 - post)).mean(axis=1), 0.5, 1 - 1e-10)
    full = np.zeros(stack.shape[1:])
    full[region] = post
    return full, skill


def _reference_staple(stack: np.ndarray, n_iter: int, whole: bool) -> np.ndarray:
    """STAPLE (fixed prior) over the union or the whole image, written pixel by pixel."""
    region = np.ones(stack.shape[1:], dtype=bool) if whole else stack.any(axis=0)
    d = stack[:, region].astype(float)
    w = d.mean(axis=0)
    prior = np.clip(d.mean(), 1e-10, 1 - 1e-10)
    for _ in range(n_iter):
        p = np.clip((d * w).sum(1) / w.sum(), 1e-10, 1 - 1e-10)
        q = np.clip(((1 - d) * (1 - w)).sum(1) / (1 - w).sum(), 1e-10, 1 - 1e-10)
        a = prior * np.prod(np.where(d > 0, p[:, None], 1 - p[:, None]), axis=0)
        b = (1 - prior) * np.prod(np.where(d > 0, 1 - q[:, None], q[:, None]), axis=0)
        w = a / (a + b)
    full = np.zeros(stack.shape[1:])
    full[region] = w
    return full


@pytest.mark.parametrize("n_iter", [1, 5])
def test_pattern_table_matches_pixel_by_pixel_em_and_staple(n_iter):
    crowd = simulate_segmentations(5, 4, shape=(20, 17), seed=3, ratio_spammers=0.25)
    em = SegmentationEM(n_iter=n_iter, tol=0).fit(crowd.answers)
    staple = STAPLE(n_iter=n_iter, tol=0, region="union").fit(crowd.answers)
    whole = STAPLE(n_iter=n_iter, tol=0, region="image").fit(crowd.answers)
    for task, group in crowd.answers.groupby("task"):
        stack = np.stack(group.sort_values("worker")["segmentation"].to_list())
        post, skill = _reference_em(stack, n_iter)
        np.testing.assert_allclose(em.probas_[task], post, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(em.skills_[task].to_numpy(), skill, rtol=1e-9)
        for model, whole_frame in ((staple, False), (whole, True)):
            np.testing.assert_allclose(
                model.probas_[task], _reference_staple(stack, n_iter, whole_frame), rtol=1e-5, atol=1e-6
            )


def test_many_workers_mixed_shapes_and_counts():
    # 20 masks on one image (patterns counted with np.unique), 2 and 3 masks on others
    rng = np.random.default_rng(0)
    rows = [("big", j, rng.random((6, 7)) < 0.5) for j in range(20)]
    rows += [("a", j, rng.random((3, 2)) < 0.5) for j in range(2)]
    rows += [("b", j, rng.random((5, 5)) < 0.5) for j in range(3)]
    answers = pd.DataFrame(rows, columns=["task", "worker", "segmentation"])
    data = encode_segmentations(answers)
    assert data.n_answers == 25 and data.rank_worker.shape == (3, 20)
    out = SegmentationMajorityVote().fit_predict(data)
    for task, group in answers.groupby("task"):
        share = np.mean(np.stack(group["segmentation"].to_list()), axis=0)
        np.testing.assert_array_equal(out[task], share >= 0.5)
        np.testing.assert_array_equal(data.vote_counts()[task], np.rint(share * len(group)))


def test_integer_masks_are_accepted(tiny):
    as_int = tiny.assign(segmentation=[m.astype(np.uint8) for m in tiny["segmentation"]])
    as_float = tiny.assign(segmentation=[m.astype(float).tolist() for m in tiny["segmentation"]])
    for answers in (as_int, as_float):
        np.testing.assert_array_equal(SegmentationEM().fit_predict(answers)["img"], MV)


# --- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "answers, message",
    [
        (frame(W1, np.zeros((4, 5), bool)), "different shapes"),
        (pd.DataFrame(columns=["task", "worker", "segmentation"]), "empty"),
        (frame(W1, W2).drop(columns="worker"), "missing column"),
        (frame(W1, W2 * 2), "other than 0 and 1"),
        (frame(W1, W2 * 0.5), "other than 0 and 1"),
        (frame(W1, np.array([["a"]])), "boolean"),
        (frame(W1, W1.ravel()), "2-D"),
        (frame(W1, np.zeros((0, 4), bool)), "empty"),
        (frame(W1, None), "missing"),
        (frame(W1, W2, workers=["w1", "w1"]), "repeated"),
        (frame(W1, W2).assign(task=[None, "img"]), "missing value"),
    ],
    ids=["shape", "empty", "column", "2", "0.5", "string", "1-D", "no pixel", "None", "repeat", "NaN task"],
)
@pytest.mark.parametrize("cls", METHODS, ids=lambda c: c.__name__)
def test_bad_input_is_a_clear_value_error(cls, answers, message):
    with pytest.raises(ValueError, match=message):
        cls().fit(answers)


def test_shape_error_names_the_task_and_workers():
    with pytest.raises(ValueError) as err:
        SegmentationEM().fit(frame(W1, np.zeros((4, 5), bool), task="cell-7"))
    assert "'cell-7'" in str(err.value) and "(4, 5)" in str(err.value) and "w2" in str(err.value)


def test_not_a_frame():
    with pytest.raises(TypeError, match="DataFrame"):
        SegmentationEM().fit([W1, W2])


@pytest.mark.parametrize(
    "model",
    [
        SegmentationEM(scope="worker"),
        SegmentationEM(region="box"),
        SegmentationEM(n_iter=-1),
        SegmentationEM(prior="beta"),
        SegmentationEM(min_skill=1),
        STAPLE(prior="uniform"),
        STAPLE(tol=-1),
        SegmentationRASA(eps=0),
        SegmentationMajorityVote(smoothing=-1),
    ],
    ids=repr,
)
def test_hyper_parameters_are_checked_when_fit_starts(model, tiny):
    with pytest.raises(ValueError):
        model.fit(tiny)


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"w1": 1, "w2": 1}, "lack"),
        ({"w1": 1, "w2": -1, "w3": 1}, "non-negative"),
        ({"w1": 0, "w2": 0, "w3": 0}, "positive"),
    ],
)
def test_bad_weights(tiny, weights, message):
    with pytest.raises(ValueError, match=message):
        SegmentationMajorityVote().fit(tiny, weights=weights)


@pytest.mark.parametrize("cls", METHODS, ids=lambda c: c.__name__)
def test_not_fitted(cls):
    model = cls()
    with pytest.raises(NotFittedError, match="fit"):
        model.segmentations_
    with pytest.raises(NotFittedError):
        model.probas_


def test_probas_are_stored_at_fit_and_fit_predict_proba(tiny):
    for cls in METHODS:
        model = cls().fit(tiny)
        assert "probas_" in vars(model) and not [k for k in vars(model) if k.startswith("_")]
        proba = cls().fit_predict_proba(tiny)
        np.testing.assert_array_equal(proba["img"], model.probas_["img"])
        assert proba["img"].dtype == np.float32 and proba["img"].shape == W1.shape


@pytest.mark.parametrize("cls", [SegmentationEM, STAPLE])
def test_loss_never_rises(cls):
    rng = np.random.default_rng(0)
    truth = np.zeros((12, 12), dtype=bool)
    truth[3:9, 2:10] = True
    masks = [truth ^ (rng.random(truth.shape) < rate) for rate in (0.05, 0.1, 0.2, 0.4)]
    model = cls(n_iter=50, tol=0.0).fit(frame(*masks))
    loss = np.asarray(model.loss_history_)
    assert len(loss) == 50 and model.converged_ is False
    assert np.all(np.diff(loss) <= 1e-9 * np.abs(loss[1:]))


def test_n_iter_zero_is_the_vote(tiny):
    for model in (SegmentationEM(n_iter=0), STAPLE(n_iter=0), SegmentationRASA(n_iter=0)):
        np.testing.assert_array_equal(model.fit_predict(tiny)["img"], MV)


def test_smoothing_removes_isolated_pixels():
    base = np.zeros((15, 15), dtype=bool)
    base[3:12, 3:12] = True
    noisy = base.copy()
    noisy[0, 14] = True  # an isolated speck marked by both workers
    answers = frame(noisy, noisy)
    assert SegmentationMajorityVote().fit_predict(answers)["img"][0, 14]
    smooth = SegmentationMajorityVote(smoothing=1.0).fit_predict(answers)["img"]
    assert not smooth[0, 14] and smooth[7, 7]


# --- simulator -----------------------------------------------------------------------------------
def test_simulator_shapes_and_seed():
    crowd = simulate_segmentations(8, 5, shape=(24, 20), feedback=3, seed=7, ratio_spammers=0.4)
    again = simulate_segmentations(8, 5, shape=(24, 20), feedback=3, seed=7, ratio_spammers=0.4)
    assert crowd.answers.shape == (24, 3) and crowd.n_tasks == 8 and crowd.n_workers == 5
    assert crowd.answers.groupby("task")["worker"].nunique().eq(3).all()
    assert all(m.shape == (24, 20) and m.dtype == bool for m in crowd.answers["segmentation"])
    assert all(t.any() for t in crowd.truth)
    assert crowd.workers["spammer"].tolist() == [False, False, False, True, True]
    for a, b in zip(crowd.answers["segmentation"], again.answers["segmentation"]):
        np.testing.assert_array_equal(a, b)


def test_simulated_workers_behave_as_asked():
    crowd = simulate_segmentations(
        40, 3, shape=(40, 40), shift=[3.0, 0.0, -3.0], jitter=0.3, miss=0, spurious=0, seed=0
    )
    sizes = crowd.answers.assign(size=crowd.answers["segmentation"].map(np.sum))
    mean_size = sizes.groupby("worker")["size"].mean()
    assert mean_size[0] > mean_size[1] > mean_size[2]  # grown, faithful, shrunk
    best = SegmentationMajorityVote().fit_predict(crowd.answers)
    assert metrics.mean_iou(best, crowd.truth) > 0.9


def test_worker_models_beat_the_vote_against_spammers():
    crowd = simulate_segmentations(60, 5, shape=(48, 48), ratio_spammers=0.4, seed=2)
    mv = metrics.mean_iou(SegmentationMajorityVote().fit_predict(crowd.answers), crowd.truth)
    em = metrics.mean_iou(SegmentationEM().fit_predict(crowd.answers), crowd.truth)
    staple = metrics.mean_iou(STAPLE().fit_predict(crowd.answers), crowd.truth)
    assert em > mv + 0.01 and staple > mv + 0.01


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(feedback=6), dict(shift=(2, 1)), dict(miss=1.5), dict(jitter=-1),
        dict(ratio_spammers=2), dict(shape=(2, 8)),
    ],
    ids=str,
)
def test_simulator_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        simulate_segmentations(3, 5, **kwargs)


# --- loaders -------------------------------------------------------------------------------------
@pytest.fixture
def use_mirror(mirror: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not (mirror / "bubil" / "aligned").is_dir():
        pytest.skip("the mirror has no bubil/aligned arrays")
    monkeypatch.setenv("CROWDTUT_DATA", str(mirror))
    return mirror


def test_bubil_loader(use_mirror):
    from crowdtut.datasets import load_dataset

    ds = load_dataset("bubil")
    answers = ds.answers
    assert list(answers.columns) == ["task", "worker", "segmentation"]
    assert len(answers) == 2135 and answers["task"].nunique() == 305 == len(ds.truth)
    assert sorted(answers["worker"].unique()) == list(range(1, 8))
    assert ds.extras["subset"].value_counts().sort_index().tolist() == [35, 69, 47, 61, 58, 35]
    first = answers.groupby("task").first()
    for task, mask in ds.truth.items():
        assert mask.dtype == bool and mask.shape == first.loc[task, "segmentation"].shape
    mv = SegmentationMajorityVote().fit_predict(encode_segmentations(answers))
    iou = metrics.iou(mv, ds.truth)
    assert iou.mean() == pytest.approx(0.834, abs=0.001)  # crowd-kit 1.4.2: 0.834
    per_subset = iou.groupby(ds.extras["subset"]).mean()  # the mirror's README
    np.testing.assert_allclose(per_subset, [0.75, 0.78, 0.84, 0.90, 0.90, 0.80], atol=0.011)


def test_bubil_subsets_and_images(use_mirror):
    from crowdtut.datasets import load_dataset

    four = load_dataset("bubil", subset=4, images=True)
    assert four.n_tasks == 61 and set(four.extras["subset"]) == {4}
    for task, image in four.extras["images"].items():
        assert image.dtype == np.uint8 and image.shape == four.truth[task].shape
    assert load_dataset("bu-bil", subset=["bubil-5", 6]).n_tasks == 58 + 35
    with pytest.raises(ValueError, match="subsets"):
        load_dataset("bubil", subset=7)
    with pytest.raises(ValueError, match="no subsets"):
        load_dataset("bluebird", subset=1)


def _mscoco_zip(path: Path) -> Path:
    rng = np.random.default_rng(0)
    labels, gold = io.BytesIO(), io.BytesIO()
    np.savez(labels, **{f"{t}\tp{j}": rng.random((4, 6)) < 0.5 for t in (3, 1) for j in range(3)})
    np.savez(gold, **{str(t): rng.random((4, 6)) < 0.5 for t in (3, 1)})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mscoco_small/crowd_labels.npz", labels.getvalue())
        zf.writestr("mscoco_small/gt.npz", gold.getvalue())
    return path


def test_mscoco_small_reads_crowd_kits_layout(tmp_path, monkeypatch):
    import dataclasses
    import hashlib

    from crowdtut.datasets import REGISTRY, load_dataset

    archive = tmp_path / "mscoco_small" / "mscoco_small.zip"
    archive.parent.mkdir()
    _mscoco_zip(archive)
    files = REGISTRY["mscoco_small"].files  # pin the fake archive's MD5 instead of crowd-kit's
    md5 = hashlib.md5(archive.read_bytes(), usedforsecurity=False).hexdigest()
    monkeypatch.setitem(files, "archive", dataclasses.replace(files["archive"], md5=md5))
    ds = load_dataset("mscoco_small", data_home=tmp_path)
    assert ds.answers["task"].tolist() == [1, 1, 1, 3, 3, 3]
    assert ds.truth.index.tolist() == [1, 3] and ds.truth[1].shape == (4, 6)
    SegmentationEM().fit(ds.answers)  # the masks are valid input


def test_mscoco_small_offline_fails_clearly(tmp_path, monkeypatch):
    from crowdtut.datasets import REGISTRY, _fetch, load_dataset

    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path / "mirror"))
    with pytest.raises(FileNotFoundError, match="huggingface.co/datasets/toloka/crowdkit-datasets"):
        load_dataset("mscoco_small")
    monkeypatch.delenv("CROWDTUT_DATA")
    monkeypatch.setenv("CROWDTUT_CACHE", str(tmp_path / "cache"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(_fetch.urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match="needs network access") as err:
        load_dataset("mscoco_small")
    assert REGISTRY["mscoco_small"].files["archive"].md5 in str(err.value)
    assert "bubil" in str(err.value)
    assert not any((tmp_path / "cache").rglob("*.zip"))
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_dataset("mscoco_small", download=False)


def test_mscoco_small_wrong_checksum(tmp_path):
    from crowdtut.datasets import load_dataset

    archive = tmp_path / "mscoco_small" / "mscoco_small.zip"
    archive.parent.mkdir()
    _mscoco_zip(archive)
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_dataset("mscoco_small", data_home=tmp_path)
    assert os.path.exists(archive)
