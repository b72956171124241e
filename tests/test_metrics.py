"""Hand-checked values for crowdtut.metrics (each tiny example is worked out in a comment)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdtut.answers import encode_answers
from crowdtut.metrics import (
    accuracy,
    adjusted_rand_index,
    confusion_matrix,
    dice,
    empirical_confusion,
    expected_calibration_error,
    iou,
    krippendorff_alpha,
    mean_iou,
    normalized_mutual_info,
    reliability_curve,
    soft_accuracy,
    vote_entropy,
    worker_accuracy,
)

KRIPPENDORFF_DIR = Path("/work/shared/datasets/peerannot_toy/krippendorff-data")


def long_frame(rows):
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


@pytest.fixture
def small_answers():
    # task a: w1=x w2=x w3=y ; task b: w1=y w2=y ; task c: w1=x w3=x
    return long_frame(
        [
            ("a", "w1", "x"), ("a", "w2", "x"), ("a", "w3", "y"),
            ("b", "w1", "y"), ("b", "w2", "y"),
            ("c", "w1", "x"), ("c", "w3", "x"),
        ]
    )  # fmt: skip


# --- accuracy --------------------------------------------------------------------------------
def test_accuracy_hard_labels_on_the_tasks_of_truth():
    pred = pd.Series({"a": 0, "b": 1, "c": 1, "d": 2})
    truth = pd.Series({"c": 0, "a": 0, "b": 1})  # d is not scored; c is wrong -> 2/3
    assert accuracy(pred, truth) == pytest.approx(2 / 3)


def test_accuracy_missing_prediction_is_named():
    pred = pd.Series({"a": 0})
    with pytest.raises(ValueError, match=r"truth have no entry in pred: \['zz'\]"):
        accuracy(pred, pd.Series({"a": 0, "zz": 1}))


def test_accuracy_missing_truth_and_nan_prediction():
    with pytest.raises(ValueError, match="missing value"):
        accuracy(pd.Series({"a": 0, "b": 1}), pd.Series({"a": 0, "b": np.nan}))
    # an abstention (NaN) counts as a miss: 1 right out of 2
    assert accuracy(pd.Series({"a": 0.0, "b": np.nan}), pd.Series({"a": 0, "b": 1})) == 0.5


def test_accuracy_probabilities_take_the_argmax_and_ties():
    proba = pd.DataFrame(
        [[0.7, 0.3], [0.5, 0.5], [0.2, 0.8]], index=["a", "b", "c"], columns=["cat", "dog"]
    )
    truth = pd.Series({"a": "cat", "b": "dog", "c": "dog"})
    # argmax: cat, cat (tie -> first column), dog  -> 2/3
    assert accuracy(proba, truth) == pytest.approx(2 / 3)
    # shared credit: 1 + 1/2 + 1 over 3 tasks
    assert accuracy(proba, truth, ties="share") == pytest.approx(2.5 / 3)
    with pytest.raises(ValueError, match="not columns of proba"):
        accuracy(proba, pd.Series({"a": "bird"}))


def test_accuracy_and_soft_accuracy_on_numpy_arrays():
    proba = np.array([[0.7, 0.3], [0.4, 0.6], [0.9, 0.1]])
    truth = np.array([0, 0, 1])
    assert accuracy(proba, truth) == pytest.approx(1 / 3)
    # mass on the truth: 0.7, 0.4, 0.1 -> mean 0.4
    assert soft_accuracy(proba, truth) == pytest.approx(0.4)
    assert accuracy(np.array(["x", "y"]), np.array(["x", "x"])) == 0.5
    with pytest.raises(ValueError, match=r"truth codes must lie in \[0, 1\]"):
        soft_accuracy(proba, np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="rows must sum to 1"):
        soft_accuracy(np.array([[0.5, 0.6]]), np.array([0]))


# --- calibration -----------------------------------------------------------------------------
def test_ece_of_a_perfectly_calibrated_toy_is_zero():
    # ten tasks at confidence 0.8, eight right: accuracy 0.8 = confidence
    proba = np.tile([0.8, 0.2], (10, 1))
    truth = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(proba, truth) == pytest.approx(0.0, abs=1e-12)


def test_ece_hand_checked_and_reliability_curve():
    proba = np.array([[0.85, 0.15], [0.85, 0.15], [0.55, 0.45], [0.55, 0.45]])
    truth = np.array([0, 0, 1, 1])
    # 10 bins: (0.8, 0.9] holds two right answers at 0.85 -> gap 0.15 with weight 1/2;
    # (0.5, 0.6] holds two wrong answers at 0.55 -> gap 0.55 with weight 1/2. ECE = 0.35
    assert expected_calibration_error(proba, truth, n_bins=10) == pytest.approx(0.35)
    # 1 bin: confidence 0.7, accuracy 0.5 -> 0.2
    assert expected_calibration_error(proba, truth, n_bins=1) == pytest.approx(0.2)
    curve = reliability_curve(proba, truth, n_bins=10)
    assert list(curve.columns) == ["lower", "upper", "confidence", "accuracy", "count"]
    assert curve["count"].tolist() == [0, 0, 0, 0, 0, 2, 0, 0, 2, 0]
    np.testing.assert_allclose(curve.loc[[5, 8], "confidence"], [0.55, 0.85])
    np.testing.assert_allclose(curve.loc[[5, 8], "accuracy"], [0.0, 1.0])
    assert curve["accuracy"].isna().sum() == 8
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(proba, truth, n_bins=0)


def test_ece_aligns_a_dataframe_on_truth():
    proba = pd.DataFrame([[0.9, 0.1], [0.2, 0.8]], index=["t1", "t2"], columns=[0, 1])
    truth = pd.Series({"t2": 1})  # only t2 scored: confidence 0.8, right -> 0.2
    assert expected_calibration_error(proba, truth) == pytest.approx(0.2)


# --- agreement -------------------------------------------------------------------------------
def test_vote_entropy_from_answers_and_counts(small_answers):
    h = vote_entropy(small_answers)
    # a: (2/3, 1/3) -> -(2/3 ln 2/3 + 1/3 ln 1/3); b and c unanimous -> 0
    expected_a = -(2 / 3 * np.log(2 / 3) + 1 / 3 * np.log(1 / 3))
    np.testing.assert_allclose(h.to_numpy(), [expected_a, 0.0, 0.0])
    assert h.index.tolist() == ["a", "b", "c"] and h.name == "entropy"
    pd.testing.assert_series_equal(vote_entropy(encode_answers(small_answers)), h)

    counts = np.array([[5, 5, 0], [1, 1, 1], [0, 0, 0]])
    hn = vote_entropy(counts, normalize=True)
    # ln 2 / ln 3, ln 3 / ln 3, no vote -> NaN
    np.testing.assert_allclose(hn.to_numpy(), [np.log(2) / np.log(3), 1.0, np.nan])


def krippendorff_2011_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", C. Nominal data, any
    # number of observers, missing values: 4 observers x 12 units (unit 12 has one value and
    # drops out). Published nominal alpha = 0.743.
    data = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    rows = [(u, o, v) for o, vals in data.items() for u, v in enumerate(vals) if v is not None]
    return long_frame(rows)


def test_krippendorff_alpha_textbook_example():
    assert krippendorff_alpha(krippendorff_2011_example()) == pytest.approx(0.743, abs=5e-4)


@pytest.mark.skipif(not KRIPPENDORFF_DIR.exists(), reason="peerannot toy data not available")
def test_krippendorff_alpha_on_peerannot_krippendorff_data():
    # peerannot's krippendorff-data is the Wikipedia example (3 coders x 15 units, values 1-4),
    # not the 2011 one. Pairable units give the coincidences o11=6, o22=4, o33=7, o44=3,
    # o13=o31=1, o34=o43=2, so n=26, n_c=(7, 4, 10, 5) and
    # alpha = 1 - (n-1) * 6 / (26^2 - (49+16+100+25)) = 1 - 150/486 = 56/81 = 0.691.
    raw = json.loads((KRIPPENDORFF_DIR / "answers.json").read_text())
    rows = [(t, w, lab) for t, answers in raw.items() for w, lab in answers.items()]
    assert krippendorff_alpha(long_frame(rows)) == pytest.approx(56 / 81)


def test_krippendorff_alpha_edge_cases():
    perfect = long_frame([(0, 0, "x"), (0, 1, "x"), (1, 0, "y"), (1, 1, "y"), (2, 0, "z")])
    assert krippendorff_alpha(perfect) == 1.0
    # every pairable value is x (task 1 has a single answer): no variation, alpha undefined
    same = long_frame([(0, 0, "x"), (0, 1, "x"), (1, 0, "y")])
    assert np.isnan(krippendorff_alpha(same))
    with pytest.raises(ValueError, match="two or more answers"):
        krippendorff_alpha(long_frame([(0, 0, "x"), (1, 0, "y")]))


def test_worker_accuracy(small_answers):
    labels = pd.Series({"a": "x", "b": "y"})  # c has no label: its answers are not counted
    acc = worker_accuracy(small_answers, labels)
    # w1: a x (ok), b y (ok) -> 1 ; w2: a x, b y -> 1 ; w3: a y (wrong) -> 0
    assert acc.to_dict() == {"w1": 1.0, "w2": 1.0, "w3": 0.0}
    acc = worker_accuracy(small_answers, pd.Series({"b": "x"}))
    # w1, w2 answered y on b -> 0; w3 never answered b -> NaN
    assert acc["w1"] == 0.0 and acc["w2"] == 0.0 and np.isnan(acc["w3"])


def test_empirical_confusion(small_answers):
    truth = pd.Series({"a": "x", "b": "y", "c": "z"})  # z: a true class nobody answered
    conf = empirical_confusion(small_answers, truth, normalize=False)
    assert conf.classes.tolist() == ["x", "y", "z"] and conf.workers.tolist() == ["w1", "w2", "w3"]
    # w3: true x answered y (task a); true z answered x (task c)
    np.testing.assert_array_equal(conf.matrices[2], [[0, 1, 0], [0, 0, 0], [1, 0, 0]])
    norm = empirical_confusion(small_answers, truth)
    w1 = norm["w1"]  # a: x->x, b: y->y, c: z->x
    np.testing.assert_allclose(w1.to_numpy(), [[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    assert np.isnan(norm.matrices[1, 2]).all()  # w2 never met a z task
    assert norm.to_frame().shape == (9, 3)


def test_confusion_matrix():
    pred = pd.Series({"a": "x", "b": "x", "c": "y", "d": "y"})
    truth = pd.Series({"a": "x", "b": "y", "c": "y", "d": "y"})
    cm = confusion_matrix(pred, truth)
    # rows true: x -> [1, 0]; y -> [1 predicted x, 2 predicted y]
    np.testing.assert_array_equal(cm.to_numpy(), [[1, 0], [1, 2]])
    assert cm.index.name == "true" and cm.columns.name == "predicted"
    cm = confusion_matrix(pred, truth, classes=["y", "x", "z"], normalize="true")
    np.testing.assert_allclose(cm.to_numpy(), [[2 / 3, 1 / 3, 0], [0, 1, 0], [np.nan] * 3])
    with pytest.raises(ValueError, match="outside classes"):
        confusion_matrix(pred, truth, classes=["x"])


# --- masks -----------------------------------------------------------------------------------
def test_iou_and_dice_hand_checked():
    a = np.array([[1, 1, 0], [0, 0, 0]], dtype=bool)
    b = np.array([[0, 1, 1], [0, 0, 0]], dtype=bool)
    # intersection 1, union 3 -> 1/3 ; dice 2*1/(2+2) = 1/2
    assert iou(a, b) == pytest.approx(1 / 3)
    assert dice(a, b) == pytest.approx(0.5)
    empty = np.zeros((2, 3), dtype=bool)
    assert iou(empty, empty) == 1.0 and dice(empty, empty) == 1.0
    assert iou(a, empty) == 0.0
    assert iou(a.astype(int), b.astype(int)) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="shapes"):
        iou(a, np.zeros((3, 2), dtype=bool))
    with pytest.raises(ValueError, match="boolean mask"):
        iou(a.astype(float) * 0.5, b)


def test_iou_sequences_and_series():
    a = np.array([True, True, False])
    b = np.array([True, False, False])
    np.testing.assert_allclose(iou([a, a], [b, a]), [0.5, 1.0])
    pred = pd.Series({"t1": a, "t2": a})
    true = pd.Series({"t2": a, "t1": b})  # aligned by task, not by position
    scores = iou(pred, true)
    assert scores.to_dict() == {"t1": 0.5, "t2": 1.0}
    assert mean_iou(pred, true) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="t3"):
        iou(pd.Series({"t1": a, "t3": a}), true)


# --- partitions ------------------------------------------------------------------------------
def test_ari_and_nmi_identical_and_permuted():
    a = [0, 0, 1, 1, 2, 2]
    assert adjusted_rand_index(a, a) == pytest.approx(1.0)
    assert adjusted_rand_index(a, ["c", "c", "a", "a", "b", "b"]) == pytest.approx(1.0)
    assert normalized_mutual_info(a, [5, 5, 3, 3, 9, 9]) == pytest.approx(1.0)


def test_ari_and_nmi_known_values():
    a, b = [0, 0, 1, 1], [0, 0, 1, 2]
    # contingency [[2,0,0],[0,1,1]]: sum C(n_ij,2)=1, rows C=1+1=2, cols C=1, C(4,2)=6
    # expected = 2*1/6 = 1/3, max = (2+1)/2 = 3/2 -> ARI = (1-1/3)/(3/2-1/3) = 4/7
    assert adjusted_rand_index(a, b) == pytest.approx(4 / 7)
    assert adjusted_rand_index(b, a) == pytest.approx(4 / 7)
    # H(a)=ln2, H(b)=1.5 ln2, MI = H(b) - H(b|a) = 1.5 ln2 - 0.5 ln2 = ln2
    # arithmetic: ln2 / 1.25 ln2 = 0.8 ; min: 1 ; geometric: 1/sqrt(1.5)
    assert normalized_mutual_info(a, b) == pytest.approx(0.8)
    assert normalized_mutual_info(a, b, average="min") == pytest.approx(1.0)
    assert normalized_mutual_info(a, b, average="geometric") == pytest.approx(1 / np.sqrt(1.5))
    # independent halves: MI = 0
    assert normalized_mutual_info([0, 0, 1, 1], [0, 1, 0, 1]) == 0.0
    # ARI of [0,0,1,1] vs [0,1,0,1]: index 0, expected 2*2/6, max 2 -> (0-2/3)/(2-2/3) = -1/2
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)


def test_partitions_alignment_and_errors():
    a = pd.Series({"i": 0, "j": 0, "k": 1, "l": 1})
    b = pd.Series({"l": 2, "k": 1, "j": 0, "i": 0})  # same items, other order
    assert adjusted_rand_index(a, b) == pytest.approx(4 / 7)
    assert adjusted_rand_index([0, 0, 0], [1, 1, 1]) == 1.0
    assert normalized_mutual_info([0, 0, 0], [1, 1, 1]) == 1.0
    with pytest.raises(ValueError, match="same length"):
        adjusted_rand_index([0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="missing cluster labels"):
        normalized_mutual_info([0, None], [0, 1])


# --- issue 12: unanimous crowds, and the keywords the messages mention ---------------------------
from crowdtut.identification import worker_agreement  # noqa: E402
from crowdtut.metrics import empirical_confusion, krippendorff_alpha, vote_entropy, worker_accuracy  # noqa: E402

_UNANIMOUS = pd.DataFrame({"task": [0, 0, 1, 1], "worker": [0, 1, 0, 1], "label": [2, 2, 2, 2]})


def test_unanimous_single_class_has_entropy_zero():
    entropy = vote_entropy(_UNANIMOUS)
    np.testing.assert_allclose(entropy.to_numpy(), 0.0)
    assert not np.signbit(entropy.to_numpy()).any()  # 0.0, not -0.0
    assert np.isnan(krippendorff_alpha(_UNANIMOUS))  # no variation: alpha undefined


def test_classes_keyword_sets_the_universe():
    np.testing.assert_allclose(vote_entropy(_UNANIMOUS, classes=[1, 2], normalize=True), 0.0)
    mixed = _UNANIMOUS.assign(label=[1, 2, 2, 2])
    np.testing.assert_allclose(
        vote_entropy(mixed, classes=[1, 2, 3], normalize=True).iloc[0], np.log(2) / np.log(3)
    )
    with pytest.raises(ValueError, match="outside the given label list"):
        krippendorff_alpha(mixed, classes=[1])


@pytest.mark.parametrize(
    "call",
    [
        lambda a, **k: vote_entropy(a, **k),
        lambda a, **k: krippendorff_alpha(a, **k),
        lambda a, **k: worker_accuracy(a, pd.Series({0: 2, 1: 2}), **k),
        lambda a, **k: worker_agreement(a, pd.Series({0: 2, 1: 2}), **k),
        lambda a, **k: empirical_confusion(a, pd.Series({0: 2, 1: 2}), **k),
    ],
    ids=["vote_entropy", "krippendorff_alpha", "worker_accuracy", "worker_agreement",
         "empirical_confusion"],
)
def test_advice_in_messages_is_a_keyword_the_function_takes(call):
    repeated = pd.concat([_UNANIMOUS.assign(label=[1, 2, 2, 2]), _UNANIMOUS.head(1)])
    with pytest.raises(ValueError, match="pass duplicates='keep'"):
        call(repeated)
    call(repeated, duplicates="keep")  # what the message says works
    call(repeated, duplicates="first", classes=[1, 2, 3])


def test_counts_matrix_refuses_classes():
    with pytest.raises(ValueError, match="counts matrix"):
        vote_entropy(np.array([[1.0, 2.0]]), classes=[0, 1])
