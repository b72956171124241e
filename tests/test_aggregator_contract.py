"""The estimator contract, checked on every estimator in ``crowdtut.aggregation.__all__``, in the
spirit of scikit-learn's ``parametrize_with_checks``.

Each estimator is put in a family by its base class (``FAMILIES``); an estimator whose base class
is not in the map fails ``test_every_estimator_has_a_family``, so a new family cannot slip past.
A family says how to build a small answer set, how to rename it (tasks, workers, labels) and
shuffle its rows, and how to compare two fitted models up to that renaming. Adding a family
(pairwise comparisons, texts, ...) is one ``Family(...)`` entry of about ten lines.
"""

from __future__ import annotations

import inspect
import pickle
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import crowdtut.aggregation as agg
from crowdtut import metrics
from crowdtut.aggregation._base import ClassificationAggregator, Estimator, NotFittedError
from crowdtut.aggregation.clustering._base import PartitionAggregator
from crowdtut.aggregation.pairwise._base import PairwiseAggregator
from crowdtut.aggregation.texts._base import TextAggregator
from crowdtut.aggregation.segmentation._base import SegmentationAggregator


# --- families: fixture factory, renaming and comparison ------------------------------------------
@dataclass
class Family:
    name: str
    base: type
    make_answers: Callable[[], pd.DataFrame]
    rename: Callable[[pd.DataFrame], tuple[pd.DataFrame, Callable]]  # -> answers, task map back
    compare: Callable  # (model, renamed_model, map_back) -> None, raises AssertionError
    result: str = "labels_"  # what fit_predict returns
    proba: str | None = "probas_"  # what fit_predict_proba returns (None: no probabilities)
    check_proba: Callable | None = None  # (probas_) -> None
    params: dict = field(default_factory=dict)  # hyper-parameters for the small fixture, by class


def _classification_answers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    truth = rng.integers(3, size=14)
    rows = []
    for w, acc in enumerate([0.9, 0.8, 0.7, 0.6, 0.4]):
        for t in range(14):
            if rng.random() < 0.8:
                label = truth[t] if rng.random() < acc else rng.integers(3)
                rows.append((f"t{t:02d}", f"w{w}", "abc"[label]))
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def _rename_classification(df):
    renamed = df.assign(
        task=df["task"].map(lambda t: f"task-{99 - int(t[1:])}"),  # reverses the order
        worker=df["worker"].map(lambda w: f"x{9 - int(w[1:])}"),
        label=df["label"].map(lambda c: f"label-{c}"),  # keeps the order of classes_
    ).sample(frac=1.0, random_state=1)
    return renamed, lambda t: f"t{99 - int(t.split('-')[1]):02d}"


def _compare_classification(model, other, back):
    proba = other.probas_.rename(index=back).loc[model.probas_.index]
    np.testing.assert_allclose(proba.to_numpy(), model.probas_.to_numpy(), atol=1e-6)
    top2 = np.sort(model.probas_.to_numpy(), axis=1)[:, -2:]
    sure = top2[:, 1] - top2[:, 0] > 1e-6  # exact ties go to the first class of each naming
    labels = other.labels_.rename(index=back).loc[model.labels_.index].str.replace("label-", "")
    np.testing.assert_array_equal(labels.to_numpy()[sure], model.labels_.to_numpy()[sure])


def _check_class_proba(proba):
    values = proba.to_numpy()
    assert ((values >= 0) & (values <= 1 + 1e-12)).all()
    np.testing.assert_allclose(values.sum(axis=1), 1.0)


def _segmentation_answers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for t in range(3):
        truth = np.zeros((7, 6), dtype=bool)
        truth[1 + t: 5, 1:5 - t] = True
        for w, noise in enumerate([0.05, 0.1, 0.2, 0.35]):
            rows.append((f"img{t}", f"w{w}", truth ^ (rng.random(truth.shape) < noise)))
    return pd.DataFrame(rows, columns=["task", "worker", "segmentation"])


def _rename_segmentation(df):
    renamed = df.assign(
        task=df["task"].map(lambda t: f"image-{9 - int(t[3:])}"),
        worker=df["worker"].map(lambda w: f"x{9 - int(w[1:])}"),
    ).sample(frac=1.0, random_state=1)
    return renamed, lambda t: f"img{9 - int(t.split('-')[1])}"


def _compare_segmentation(model, other, back):
    for attr in ("segmentations_", "probas_"):
        mine, theirs = getattr(model, attr), getattr(other, attr).rename(index=back)
        for task in mine.index:
            np.testing.assert_allclose(theirs[task].astype(float), mine[task].astype(float), atol=1e-6)


def _check_maps(proba):
    for values in proba:
        assert values.dtype == np.float32 and ((values >= 0) & (values <= 1)).all()


def _partition_answers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    truth = np.arange(18) % 3
    rows = []
    for h, start in enumerate(range(0, 18, 3)):
        items = [(start + k) % 18 for k in range(7)]
        for w in range(3):
            for i in items:
                group = truth[i] if rng.random() > 0.1 * w else rng.integers(3)
                rows.append((f"h{h}", f"w{w}", f"img{i:02d}", f"g{group}"))
    return pd.DataFrame(rows, columns=["hit", "worker", "item", "group"])


def _rename_partition(df):
    renamed = df.assign(
        hit=df["hit"].map(lambda h: f"hit-{9 - int(h[1:])}"),
        worker=df["worker"].map(lambda w: f"x{9 - int(w[1:])}"),
        group=df["group"] + "-" + df["worker"],  # group names only matter within an answer
    ).sample(frac=1.0, random_state=1)
    return renamed, lambda i: i


def _compare_partition(model, other, back):
    labels = other.labels_.rename(index=back).loc[model.labels_.index]
    assert metrics.adjusted_rand_index(labels, model.labels_) == 1.0


def _binary_answers() -> pd.DataFrame:
    df = _classification_answers()
    return df.assign(label=df["label"].replace({"c": "a"}))


def _comparison_answers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    strength = np.linspace(2, -2, 8)
    rows = []
    for w, skill in enumerate([1.0, 0.9, 0.8, 0.5, 0.2]):
        for _ in range(30):
            a, b = rng.choice(8, size=2, replace=False)
            p = 1 / (1 + np.exp(strength[b] - strength[a]))
            a_wins = rng.random() < (p if rng.random() < skill else 0.5)
            rows.append((f"w{w}", f"i{a}", f"i{b}", f"i{a if a_wins else b}"))
    return pd.DataFrame(rows, columns=["worker", "left", "right", "label"])


def _rename_comparisons(df):
    item = lambda i: f"item-{9 - int(i[1:])}"  # noqa: E731 - reverses the order
    renamed = df.assign(
        worker=df["worker"].map(lambda w: f"x{9 - int(w[1:])}"),
        left=df["left"].map(item), right=df["right"].map(item), label=df["label"].map(item),
    ).sample(frac=1.0, random_state=1)
    return renamed, lambda i: f"i{9 - int(i.split('-')[1])}"


def _compare_scores(model, other, back):
    scores = other.scores_.rename(index=back).loc[model.scores_.index]
    np.testing.assert_allclose(scores.to_numpy(), model.scores_.to_numpy(), atol=1e-5)


def _text_answers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    sentences = ["the cat sat on the mat", "a quick brown fox", "hello world again",
                 "crowds write noisy texts", "one more short line"]
    typos = {"cat": "hat", "quick": "quack", "world": "word", "noisy": "nosy", "line": "lime"}
    rows = []
    for t, sentence in enumerate(sentences):
        for w in range(4):
            words = [typos.get(x, x) if rng.random() < 0.3 * (w == 3) + 0.1 else x
                     for x in sentence.split()]
            rows.append((f"t{t}", f"w{w}", " ".join(words)))
    # three equally central answers: in row order (crowd-kit's ROVER) the first one decides
    rows += [("t5", "w0", "c c"), ("t5", "w1", "b d c"), ("t5", "w2", "b")]
    return pd.DataFrame(rows, columns=["task", "worker", "text"])


def _rename_texts(df):
    renamed = df.assign(
        task=df["task"].map(lambda t: f"task-{9 - int(t[1:])}"),
        worker=df["worker"].map(lambda w: f"x{9 - int(w[1:])}"),
    ).sample(frac=1.0, random_state=1)
    return renamed, lambda t: f"t{9 - int(t.split('-')[1])}"


def _compare_texts(model, other, back):
    texts = other.texts_.rename(index=back).loc[model.texts_.index]
    assert texts.tolist() == model.texts_.tolist()


FAMILIES = [
    # KOS is for two classes: it gets the binary fixture (and its deterministic start)
    Family("binary classification", agg.KOS, _binary_answers, _rename_classification,
           _compare_classification, check_proba=_check_class_proba,
           params={agg.KOS: {"init": "ones"}}),
    Family("classification", ClassificationAggregator, _classification_answers,
           _rename_classification, _compare_classification, check_proba=_check_class_proba,
           params={agg.ClusteredDawidSkene: {"n_clusters": 2}}),
    Family("segmentation", SegmentationAggregator, _segmentation_answers, _rename_segmentation,
           _compare_segmentation, result="segmentations_", check_proba=_check_maps),
    Family("clustering", PartitionAggregator, _partition_answers, _rename_partition,
           _compare_partition, proba=None,
           params={agg.CrowdClustering: {"n_dims": 2, "n_iter": 15, "max_clusters": 5}}),
    Family("pairwise", PairwiseAggregator, _comparison_answers, _rename_comparisons,
           _compare_scores, result="scores_", proba=None),
    Family("texts", TextAggregator, _text_answers, _rename_texts, _compare_texts,
           result="texts_", proba=None),
]
# Elo updates the ratings one comparison after another (by definition), so row order matters;
# every random start elsewhere is handed out by what a task or worker answered (draws_by_key)
ORDER_DEPENDENT = {"Elo"}
# meta-estimators over a base aggregator (label sets, not labels): tested in test_multilabel.py
META = {"BinaryRelevance"}


def family_of(cls) -> Family:
    found = [f for f in FAMILIES if issubclass(cls, f.base)]
    if not found:
        pytest.fail(f"{cls.__name__} has no family in FAMILIES: add one (fixture, renaming, comparison)")
    return found[0]


BASES = tuple(f.base for f in FAMILIES) + (Estimator,)
ESTIMATORS = sorted(
    (
        cls for name in agg.__all__
        if inspect.isclass(cls := getattr(agg, name)) and issubclass(cls, Estimator)
        and cls not in BASES and cls.__name__ not in META
    ),
    key=lambda c: c.__name__,
)
IDS = [c.__name__ for c in ESTIMATORS]
_ANSWERS: dict[str, pd.DataFrame] = {}


def answers_for(family: Family) -> pd.DataFrame:
    if family.name not in _ANSWERS:
        _ANSWERS[family.name] = family.make_answers()
    return _ANSWERS[family.name].copy()


def make(cls, **kwargs):
    params = dict(family_of(cls).params.get(cls, {}))
    if "random_state" in inspect.signature(cls).parameters:
        params["random_state"] = 0
    params.update(kwargs)
    return cls(**params)


_FITTED: dict[type, Estimator] = {}


def fitted(cls):
    """One fitted model per class, shared by the read-only checks (keeps the suite fast)."""
    if cls not in _FITTED:
        _FITTED[cls] = make(cls).fit(answers_for(family_of(cls)))
    return _FITTED[cls]


def _assert_same_results(family, a, b):
    family.compare(a, b, lambda t: t)


# --- the checks ----------------------------------------------------------------------------------
def test_every_estimator_has_a_family():
    assert len(ESTIMATORS) >= 30
    missing = [c.__name__ for c in ESTIMATORS if not any(issubclass(c, f.base) for f in FAMILIES)]
    assert not missing, f"estimators of unknown family: {missing}"


def test_an_unknown_family_fails():
    class Stray(Estimator):
        pass

    with pytest.raises(pytest.fail.Exception, match="no family"):
        family_of(Stray)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_fit_returns_self_and_fit_predict_matches(cls):
    family = family_of(cls)
    model = make(cls)
    assert model.fit(answers_for(family)) is model
    result = make(cls).fit_predict(answers_for(family))
    family.compare(model, _with(model, family.result, result), lambda t: t)
    if family.proba is not None:
        proba = make(cls).fit_predict_proba(answers_for(family))
        family.compare(model, _with(model, family.proba, proba), lambda t: t)


def _with(model, name, value):
    """A shallow copy of ``model`` whose ``name`` is ``value`` (to compare one attribute)."""
    other = pickle.loads(pickle.dumps(model))
    setattr(other, name, value)
    return other


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_results_are_finite_and_proper(cls):
    family, model = family_of(cls), fitted(cls)
    for name, value in vars(model).items():
        if name.endswith("_") and isinstance(value, (pd.Series, pd.DataFrame, np.ndarray)):
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                continue  # object Series of masks: checked through check_proba
            assert np.isfinite(arr).all(), f"{name} has NaN or inf"
    if family.check_proba is not None:
        family.check_proba(getattr(model, family.proba))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_renaming_and_row_order_leave_results_unchanged(cls):
    if cls.__name__ in ORDER_DEPENDENT:
        pytest.skip(f"{cls.__name__}'s result depends on the order of the answers (documented)")
    family = family_of(cls)
    renamed, back = family.rename(answers_for(family))
    family.compare(fitted(cls), make(cls).fit(renamed), back)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_clone_and_pickle_round_trips(cls):
    family, model = family_of(cls), fitted(cls)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not copy._learned_attributes()
    _assert_same_results(family, model, copy.fit(answers_for(family)))
    _assert_same_results(family, model, pickle.loads(pickle.dumps(model)))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_unfitted_use_and_misspelt_attributes(cls):
    family = family_of(cls)
    with pytest.raises(NotFittedError, match="fit"):
        getattr(make(cls), family.result)
    model = fitted(cls)
    with pytest.raises(AttributeError, match=family.result) as info:
        model.lables_  # noqa: B018 - a typo after fit lists what exists
    assert not isinstance(info.value, NotFittedError)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_deterministic_under_random_state(cls):
    family = family_of(cls)
    _assert_same_results(family, make(cls).fit(answers_for(family)), make(cls).fit(answers_for(family)))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_iteration_attributes(cls):
    model = fitted(cls)
    if "loss_history_" in vars(model):
        loss = np.asarray(model.loss_history_)
        assert len(loss) == model.n_iter_ and isinstance(model.converged_, bool)
        assert np.isfinite(loss).all()
        assert np.all(np.diff(loss) <= 1e-9 * np.abs(loss[1:])), "loss_history_ must not rise"
    elif "n_iter" in inspect.signature(cls).parameters:
        assert isinstance(model.n_iter_, int) and isinstance(model.converged_, bool)
    else:  # not iterative: none of the three
        assert not {"n_iter_", "converged_", "loss_history_"} & set(vars(model))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_no_hidden_state_on_the_estimator(cls):
    params = set(inspect.signature(cls).parameters)
    extra = [k for k in vars(fitted(cls)) if not k.endswith("_") and k not in params]
    assert not extra, f"hidden temporaries left on the estimator: {extra}"


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
@pytest.mark.parametrize("bad", ["0.3", object()], ids=["str", "object"])
def test_wrong_types_are_value_errors_naming_the_parameter(cls, bad):
    answers = answers_for(family_of(cls))
    for name in inspect.signature(cls).parameters:
        with pytest.raises(ValueError, match=name):
            make(cls, **{name: bad}).fit(answers)


# --- exact ties (classification) -----------------------------------------------------------------
TIE = pd.DataFrame(
    [("t0", "w0", "a"), ("t0", "w1", "a"), ("t0", "w2", "b"), ("t0", "w3", "b"),
     ("t1", "w0", "b"), ("t1", "w1", "b"), ("t1", "w2", "a"), ("t1", "w3", "a")],
    columns=["task", "worker", "label"],
)
LONE_TIE = TIE[TIE["task"] == "t0"]
CLASSIFIERS = [c for c in ESTIMATORS if issubclass(c, ClassificationAggregator)]


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("lone", [False, True], ids=["mirrored-tasks", "lone-task"])
def test_exact_ties_give_equal_probabilities_and_the_first_class(cls, lone):
    # Wawa, ZeroBasedSkill and IWMV used to give 1.0/0.0, ModifiedDawidSkene the second class,
    # MACE about 0.98/0.02 on the lone task, EBCC and MMSR either class (random starts)
    model = make(cls).fit(LONE_TIE if lone else TIE)
    np.testing.assert_allclose(model.probas_.to_numpy(), 0.5, atol=1e-9)
    assert set(model.labels_) == {"a"}


def test_majority_vote_random_ties_are_seeded():
    draws = {tuple(agg.MajorityVote(tie_break="random", random_state=s).fit_predict(TIE)) for s in range(8)}
    assert len(draws) > 1
    again = agg.MajorityVote(tie_break="random", random_state=3)
    assert again.fit_predict(TIE).equals(agg.MajorityVote(tie_break="random", random_state=3).fit_predict(TIE))
