"""The estimator contract every classification aggregator must pass (in the spirit of
scikit-learn's estimator checks): renaming and reordering invariance, proper probabilities,
no NaN on sparse corners, ``n_iter=0``, and a clear error before ``fit``."""

import inspect

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import crowdtut.aggregation as agg
from crowdtut import encode_answers

AGGREGATORS = sorted(
    (
        cls
        for name in agg.__all__
        if inspect.isclass(cls := getattr(agg, name))
        and issubclass(cls, agg.ClassificationAggregator)
        and cls is not agg.ClassificationAggregator
    ),
    key=lambda c: c.__name__,
)


# binary-only models raise a ValueError on answers that use more than two classes
BINARY_ONLY = {"KOS"}
# models whose random start is drawn per task or per worker, so that renaming or reordering the
# answers changes the start (and, on tiny frames, the result): EBCC's random subtype split
# (the authors' start), MMSR's random starting vector
ORDER_DEPENDENT = {"EBCC", "MMSR"}


def make(cls, **kwargs):
    if cls is agg.ClusteredDawidSkene:
        kwargs.setdefault("n_clusters", 1)  # the random frames may have a single worker
    if cls.__name__ == "KOS":
        kwargs.setdefault("init", "ones")  # the deterministic start: order-independent
    params = inspect.signature(cls).parameters
    if "random_state" in params:
        kwargs.setdefault("random_state", 0)
    return cls(**kwargs)


@st.composite
def answer_frames(draw):
    n_tasks = draw(st.integers(2, 8))
    n_workers = draw(st.integers(2, 5))
    n_classes = draw(st.integers(2, 3))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_tasks - 1), st.integers(0, n_workers - 1)),
            min_size=2, max_size=30, unique=True,
        )
    )
    labels = draw(st.lists(st.integers(0, n_classes - 1), min_size=len(pairs), max_size=len(pairs)))
    df = pd.DataFrame(pairs, columns=["task", "worker"])
    df["label"] = labels
    return df, list(range(n_classes))


def clear_winners(proba: np.ndarray, margin: float = 1e-6) -> np.ndarray:
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0] > margin


@pytest.mark.parametrize("cls", AGGREGATORS, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=answer_frames())
def test_renaming_and_reordering_invariance(cls, case):
    df, classes = case
    if cls.__name__ in ORDER_DEPENDENT:
        pytest.skip(f"{cls.__name__} draws its start per task or worker")
    assume(cls.__name__ not in BINARY_ONLY or df["label"].nunique() <= 2)
    base = make(cls).fit(df, classes=classes)
    renamed = df.assign(
        task=df["task"].map(lambda t: f"task-{99 - t}"), worker=df["worker"].map(lambda w: f"w{9 - w}")
    ).sample(frac=1.0, random_state=1)
    other = make(cls).fit(renamed, classes=classes)
    proba = other.probas_.rename(index=lambda t: 99 - int(t.split("-")[1])).loc[base.probas_.index]
    np.testing.assert_allclose(proba.to_numpy(), base.probas_.to_numpy(), atol=1e-6)
    sure = clear_winners(base.probas_.to_numpy())
    labels = other.labels_.rename(index=lambda t: 99 - int(t.split("-")[1])).loc[base.labels_.index]
    np.testing.assert_array_equal(labels.to_numpy()[sure], base.labels_.to_numpy()[sure])


@pytest.mark.parametrize("cls", AGGREGATORS, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None)
@given(case=answer_frames())
def test_probabilities_are_proper(cls, case):
    df, classes = case
    assume(cls.__name__ not in BINARY_ONLY or df["label"].nunique() <= 2)
    model = make(cls).fit(df, classes=classes)
    proba = model.probas_.to_numpy()
    assert not np.isnan(proba).any()
    assert (proba >= 0).all() and (proba <= 1 + 1e-12).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.probas_.columns) == classes
    assert model.labels_.index.equals(model.probas_.index)
    assert model.labels_.isin(classes).all()


@pytest.mark.parametrize("cls", AGGREGATORS, ids=lambda c: c.__name__)
def test_sparse_corners_give_no_nan(cls):
    # w3 has one answer; t3 has one answer; class 2 is never chosen; t4 has no answer at all
    df = pd.DataFrame(
        [("t0", "w0", 0), ("t0", "w1", 0), ("t0", "w2", 1), ("t1", "w0", 1), ("t1", "w1", 1),
         ("t2", "w1", 0), ("t2", "w2", 0), ("t3", "w3", 1)],
        columns=["task", "worker", "label"],
    )
    data = encode_answers(df, classes=[0, 1, 2], tasks=["t0", "t1", "t2", "t3", "t4"])
    model = make(cls).fit(data)
    proba = model.probas_.to_numpy()
    assert proba.shape == (5, 3)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    for name, value in vars(model).items():
        if name.endswith("_") and isinstance(value, (pd.Series, pd.DataFrame, np.ndarray)):
            arr = np.asarray(value, dtype=float)
            assert np.isfinite(arr).all(), f"{name} has NaN or inf"


@pytest.mark.parametrize(
    "cls",
    [c for c in AGGREGATORS if "n_iter" in inspect.signature(c).parameters],
    ids=lambda c: c.__name__,
)
def test_zero_iterations_still_label_every_task(cls, tiny_answers):
    model = make(cls, n_iter=0).fit(tiny_answers)
    assert model.labels_.notna().all() and len(model.labels_) == 3


@pytest.mark.parametrize("cls", AGGREGATORS, ids=lambda c: c.__name__)
def test_unfitted_use_is_a_clear_error(cls):
    with pytest.raises(agg.NotFittedError, match="call fit"):
        make(cls).labels_


@pytest.mark.parametrize("cls", AGGREGATORS, ids=lambda c: c.__name__)
def test_fit_predict_matches_fit(cls, tiny_answers):
    labels = make(cls).fit_predict(tiny_answers)
    proba = make(cls).fit_predict_proba(tiny_answers)
    pd.testing.assert_series_equal(labels, make(cls).fit(tiny_answers).labels_)
    assert proba.shape == (3, 2)


def test_bad_hyper_parameters_are_named():
    with pytest.raises(ValueError, match="n_iter=-1"):
        agg.DawidSkene(n_iter=-1).fit(pd.DataFrame({"task": [0, 0], "worker": [0, 1], "label": [0, 1]}))
    with pytest.raises(ValueError, match="tie_break='coin'"):
        agg.MajorityVote(tie_break="coin").fit(pd.DataFrame({"task": [0], "worker": [0], "label": [0]}))
