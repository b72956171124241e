"""crowdtut.deep: crowd layers, CoNAL, the masked loss, the training helper and deep EM."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from crowdtut import deep  # noqa: E402
from crowdtut.aggregation import NotFittedError  # noqa: E402

K, W = 4, 3


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: these networks are tiny, and two threads on a busy two-core machine run
    several times slower (the book's LabelMe chapter shows the measurement)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_import_crowdtut_does_not_import_torch():
    code = (
        "import crowdtut, crowdtut.aggregation, crowdtut.metrics, crowdtut.datasets, sys; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _probs(batch: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(batch, K, generator=g), dim=-1)


# --- CrowdLayer ------------------------------------------------------------------------------
@pytest.mark.parametrize("conn_type", deep.CONN_TYPES)
@pytest.mark.parametrize("batch", [1, 5], ids=["batch1", "batch5"])
def test_crowd_layer_shapes_and_identity_init(conn_type, batch):
    layer = deep.CrowdLayer(K, W, conn_type)
    probs = _probs(batch)
    dense = layer(probs)
    assert dense.shape == (batch, W, K)
    # the identity map: every worker answers what the classifier believes
    np.testing.assert_allclose(dense.detach(), probs[:, None, :].expand(batch, W, K).detach())
    workers = torch.arange(batch) % W
    long = layer(probs, workers)
    assert long.shape == (batch, K)
    np.testing.assert_allclose(long.detach(), probs.detach())
    # rows: several answers on the same task
    rows = torch.tensor([0] * 3)
    assert layer(probs, torch.arange(3), rows=rows).shape == (3, K)
    conf = layer.confusion().detach()
    assert conf.shape == (W, K, K)
    expected = torch.softmax(torch.eye(K), dim=-1)  # identity map, then the softmax
    np.testing.assert_allclose(conf, expected.expand(W, K, K), rtol=1e-6)


@pytest.mark.parametrize("conn_type", deep.CONN_TYPES)
def test_crowd_layer_dense_and_long_agree_after_training_steps(conn_type):
    layer = deep.CrowdLayer(K, W, conn_type)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    probs = _probs(6, seed=2)
    workers = torch.tensor([0, 2, 1, 1, 0, 2])
    dense = layer(probs)
    long = layer(probs, workers)
    np.testing.assert_allclose(long.detach(), dense[torch.arange(6), workers].detach(), rtol=1e-6)


def test_crowd_layer_pure_functions_on_one_example():
    probs = torch.tensor([[0.5, 0.25, 0.25, 0.0]])
    weight = torch.arange(W * K * K, dtype=torch.float32).reshape(W, K, K)
    workers = torch.tensor([2])
    np.testing.assert_allclose(deep.crowd_layer_mw(probs, weight, workers)[0], probs[0] @ weight[2])
    scale, bias = torch.full((W, K), 2.0), torch.full((W, K), 1.0)
    np.testing.assert_allclose(deep.crowd_layer_vw(probs, scale, workers), 2 * probs)
    np.testing.assert_allclose(deep.crowd_layer_vb(probs, bias, workers), probs + 1)
    np.testing.assert_allclose(deep.crowd_layer_vw_b(probs, scale, bias, workers), 2 * probs + 1)
    assert deep.crowd_layer_mw(probs, weight).shape == (1, W, K)


def test_crowd_layer_rejects_unknown_conn_type():
    with pytest.raises(ValueError, match="conn_type"):
        deep.CrowdLayer(K, W, "mw2")


def test_trace_penalty():
    layer = deep.CrowdLayer(K, W, "MW", trace_weight=0.5)
    diag = math.e / (math.e + K - 1)  # softmax of an identity row
    assert layer.penalty().item() == pytest.approx(0.5 * K * diag, rel=1e-6)
    assert float(deep.CrowdLayer(K, W, "MW").penalty()) == 0.0


# --- masked cross-entropy ----------------------------------------------------------------------
def test_masked_cross_entropy_hand_computed_dense_and_long():
    big = 100.0  # entries of missing answers: they would dominate if they were counted
    log3 = math.log(3.0)
    logits = torch.tensor(
        [
            [[log3, 0.0], [big, -big], [0.0, 0.0]],  # task 0: w0 answered 0, w1 none, w2 answered 1
            [[big, -big], [0.0, log3], [-big, big]],  # task 1: only w1, answered 1
        ]
    )
    labels = torch.tensor([[0, -1, 1], [-1, 1, -1]])
    # -log(3/4) for (t0, w0), -log(1/2) for (t0, w2), -log(3/4) for (t1, w1)
    expected_sum = 2 * math.log(4 / 3) + math.log(2)
    assert float(deep.masked_cross_entropy(logits, labels)) == pytest.approx(expected_sum / 3)
    assert float(deep.masked_cross_entropy(logits, labels, reduction="sum")) == pytest.approx(expected_sum)
    # long layout: one row per answer
    long_logits = torch.stack([logits[0, 0], logits[0, 2], logits[1, 1]])
    long_labels = torch.tensor([0, 1, 1])
    assert float(deep.masked_cross_entropy(long_logits, long_labels)) == pytest.approx(expected_sum / 3)
    # log-probabilities are valid logits
    log_p = torch.log_softmax(logits, dim=-1)
    assert float(deep.masked_cross_entropy(log_p, labels)) == pytest.approx(expected_sum / 3)
    # no answer at all: zero, not NaN
    assert float(deep.masked_cross_entropy(logits, torch.full((2, 3), -1))) == 0.0
    with pytest.raises(ValueError, match="do not match"):
        deep.masked_cross_entropy(logits, labels[:, :2])


@pytest.mark.parametrize("head", ["MW", "VW+B", "CoNAL"])
def test_network_loss_on_observed_pairs_equals_dense_masked_loss(head):
    torch.manual_seed(0)
    classifier = deep.mlp(5, K, hidden=8, dropout=0.0)
    layer = deep.CoNAL(K, W, 5, embed_dim=4, hidden=6) if head == "CoNAL" else deep.CrowdLayer(K, W, head)
    net = deep.CrowdNetwork(classifier, layer)
    x = torch.randn(4, 5)
    answers = torch.tensor([[0, -1, 3], [-1, -1, 1], [2, 2, -1], [-1, 0, -1]])
    dense = deep.masked_cross_entropy(net.answer_log_proba(x), answers)
    np.testing.assert_allclose(net.loss(x, answers).item(), dense.item(), rtol=1e-5)


# --- CoNAL -------------------------------------------------------------------------------------
def test_conal_mix_hand_computed():
    log3 = math.log(3.0)
    probs = torch.tensor([[1.0, 0.0]])  # the classifier is sure of class 0
    common = torch.tensor([[log3, 0.0], [0.0, 0.0]])  # row 0 -> softmax (3/4, 1/4)
    individual = torch.stack([torch.tensor([[0.0, log3], [0.0, 0.0]]), torch.zeros(2, 2)])
    weight = torch.tensor([0.25])
    out = deep.conal_mix(probs, common, individual, weight, torch.tensor([0]))
    # 0.25 * (3/4, 1/4) + 0.75 * (1/4, 3/4)
    np.testing.assert_allclose(out, [[0.375, 0.625]], rtol=1e-6)
    dense = deep.conal_mix(probs, common, individual, torch.tensor([[0.25, 1.0]]))
    np.testing.assert_allclose(dense, [[[0.375, 0.625], [0.75, 0.25]]], rtol=1e-6)


def test_conal_regularizer_and_penalty():
    common = torch.zeros(2, 2)
    individual = torch.stack([torch.tensor([[3.0, 4.0], [0.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 0.0]])])
    assert float(deep.conal_regularizer(common, individual)) == pytest.approx(6.0)
    layer = deep.CoNAL(2, 2, in_features=3, scale=1e-2)
    with torch.no_grad():
        layer.common.copy_(common)
        layer.individual.copy_(individual)
    assert layer.penalty().item() == pytest.approx(-0.06)  # pushes the matrices apart
    assert float(deep.CoNAL(2, 2, in_features=3).penalty()) == 0.0


def test_conal_mixing_weight_and_shapes():
    torch.manual_seed(0)
    layer = deep.CoNAL(K, W, in_features=5, embed_dim=4, hidden=6)
    x = torch.randn(1, 5)  # a batch of one
    w = layer.mixing_weight(x)
    assert w.shape == (1, W)
    v = torch.nn.functional.normalize(layer.instance_embedding(x), dim=-1)
    u = torch.nn.functional.normalize(layer.worker_embedding.weight, dim=-1)
    np.testing.assert_allclose(w.detach(), torch.sigmoid(v @ u.T).detach(), rtol=1e-6)
    # unit vectors: the weight stays within [sigmoid(-1), sigmoid(1)]
    w_many = layer.mixing_weight(torch.randn(50, 5)).detach()
    assert (w_many >= 1 / (1 + math.e) - 1e-6).all() and (w_many <= 1 / (1 + math.exp(-1)) + 1e-6).all()
    probs = _probs(1)
    out = layer(probs, features=x)
    assert out.shape == (1, W, K)
    np.testing.assert_allclose(out.sum(-1).detach(), np.ones((1, W)), rtol=1e-6)
    one = layer(probs, torch.tensor([2]), features=x)
    np.testing.assert_allclose(one.detach(), out[:, 2].detach(), rtol=1e-6)
    assert layer.confusion().shape == (W, K, K) and layer.common_confusion().shape == (K, K)


# --- simulated crowd with planted confusion matrices --------------------------------------------
PLANTED = np.array(
    [
        [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]],  # a good worker
        [[0.3, 0.6, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],  # confuses class 0 with 1
        [[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6]],  # noisy
        [[0.7, 0.0, 0.3], [0.0, 0.6, 0.4], [0.0, 0.0, 1.0]],  # biased toward class 2
        [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
    ]
)


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(0)
    n, d, k = 1500, 8, 3
    y = rng.integers(k, size=n)
    centers = 3.0 * np.eye(k, d)
    X = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    answers = np.full((n, len(PLANTED)), -1)
    for j, conf in enumerate(PLANTED):
        answered = rng.random(n) < 0.8
        cum = conf[y].cumsum(axis=1)
        draw = (rng.random((n, 1)) > cum).sum(axis=1)
        answers[answered, j] = draw[answered]
    return X, y, answers


def test_crowd_layer_recovers_planted_confusion(simulated):
    X, y, answers = simulated
    model = deep.CrowdLayerClassifier("MW", epochs=25, lr=5e-3, random_state=0).fit(X, answers)
    assert model.confusion_.shape == PLANTED.shape
    assert np.abs(model.confusion_ - PLANTED).max() < 0.1
    assert (model.predict(X) == y).mean() > 0.95


def test_deep_em_recovers_planted_confusion(simulated):
    X, y, answers = simulated
    model = deep.CrowdsEM(n_rounds=3, epochs=5, lr=5e-3, random_state=0).fit(X, answers)
    assert np.abs(model.confusion_ - PLANTED).max() < 0.08
    assert (model.posterior_.argmax(1) == y).mean() > 0.95
    np.testing.assert_allclose(model.posterior_.sum(1), 1.0)
    assert model.history_.epochs == 15


def test_deep_em_zero_confusion_entries_raise_no_warning():
    # a worker who answers only label 0 has zero counts elsewhere: with no pseudo-count the
    # confusion matrix holds exact zeros, whose log must not warn (divide by zero)
    rng = np.random.default_rng(0)
    y = rng.integers(3, size=60)
    X = (2.0 * np.eye(3, 6)[y] + rng.normal(size=(60, 6))).astype(np.float32)
    answers = np.stack([y, np.zeros_like(y)], axis=1)
    model = deep.CrowdsEM(n_rounds=2, epochs=2, hidden=8, pseudo_count=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="warn"):
            model.fit(X, answers)
    assert (model.confusion_[1][:, 1:] == 0).all()  # the zeros were there
    assert np.isfinite(model.posterior_).all()
    np.testing.assert_allclose(model.posterior_.sum(1), 1.0)


def test_conal_classifier_learns(simulated):
    X, y, answers = simulated
    model = deep.CoNALClassifier(scale=1e-4, epochs=10, lr=5e-3, random_state=0).fit(X, answers)
    assert (model.predict(X) == y).mean() > 0.95
    assert model.mixing_weights(X[:7]).shape == (7, len(PLANTED))
    assert model.common_confusion_.shape == (3, 3)


# --- training helper -----------------------------------------------------------------------------
def _small_problem():
    rng = np.random.default_rng(1)
    y = rng.integers(3, size=300)
    X = (2.0 * np.eye(3, 6)[y] + rng.normal(size=(300, 6))).astype(np.float32)
    return X, y


def test_train_is_reproducible_and_leaves_global_rng_alone():
    X, y = _small_problem()
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = deep.LabelClassifier(hidden=16, epochs=3, random_state=7).fit(X, y)
    assert torch.rand(1) == expected_next  # the global generator did not move
    b = deep.LabelClassifier(hidden=16, epochs=3, random_state=7).fit(X, y)
    c = deep.LabelClassifier(hidden=16, epochs=3, random_state=8).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history_.train_loss == b.history_.train_loss
    assert a.history_.train_loss != c.history_.train_loss


def test_dataset_input_matches_arrays():
    X, y = _small_problem()
    torch.manual_seed(0)
    net_a = deep.mlp(6, 3, hidden=16, dropout=0.0)
    net_b = deep.mlp(6, 3, hidden=16, dropout=0.0)
    net_b.load_state_dict(net_a.state_dict())
    ha = deep.train(net_a, X, y, epochs=3, seed=3)
    dataset = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y))
    hb = deep.train(net_b, dataset, epochs=3, seed=3)
    np.testing.assert_allclose(ha.train_loss, hb.train_loss, rtol=1e-6)


def test_soft_one_hot_labels_train_like_hard_labels():
    X, y = _small_problem()
    hard = deep.LabelClassifier(hidden=16, epochs=3).fit(X, y)
    soft = deep.LabelClassifier(hidden=16, epochs=3).fit(X, np.eye(3)[y])
    np.testing.assert_allclose(hard.predict_proba(X), soft.predict_proba(X), atol=1e-5)


def test_early_stopping_restores_the_best_epoch():
    X, y = _small_problem()
    noise = np.random.default_rng(2).integers(3, size=len(y))  # random labels: validation gets worse
    model = deep.LabelClassifier(hidden=64, dropout=0.0, epochs=200, lr=1e-2, patience=3)
    model.fit(X, noise, valid=(X, y))
    history = model.history_
    assert history.stopped_early and history.epochs < 200
    assert history.epochs == history.best_epoch + 1 + 3
    best_loss = min(history.valid_loss)
    proba = model.predict_proba(X)
    loss = -np.log(proba[np.arange(len(y)), y]).mean()
    assert loss == pytest.approx(best_loss, rel=1e-4)  # the weights of the best epoch came back
    frame = history.to_frame()
    assert list(frame.columns) == ["train_loss", "valid_loss", "valid_accuracy"]


def test_train_checks_its_arguments():
    X, y = _small_problem()
    net = deep.mlp(6, 3)
    with pytest.raises(ValueError, match="validation"):
        deep.train(net, X, y, patience=2)
    with pytest.raises(ValueError, match="rows"):
        deep.train(net, X, y[:10], epochs=1)


def test_progress_bar_runs(capsys):
    X, y = _small_problem()
    deep.train(deep.mlp(6, 3), X, y, epochs=2, valid=(X, y), progress=True)


def test_unfitted_estimator_raises():
    with pytest.raises(NotFittedError, match="fit"):
        deep.CrowdLayerClassifier().confusion_


# --- data conversion and experiments ---------------------------------------------------------------
def test_dense_answers_from_long_and_errors():
    long = pd.DataFrame({"task": [0, 0, 2], "worker": ["a", "b", "b"], "label": [1, 0, 3]})
    matrix, workers, classes = deep.dense_answers(long, n_tasks=4)
    np.testing.assert_array_equal(matrix, [[1, 0], [-1, -1], [-1, 3], [-1, -1]])
    assert workers.tolist() == ["a", "b"] and len(classes) == 4
    same, _, _ = deep.dense_answers(matrix)
    np.testing.assert_array_equal(same, matrix)
    with pytest.raises(ValueError, match="row positions"):
        deep.dense_answers(long.assign(task=["x", "y", "z"]))
    with pytest.raises(ValueError, match="outside"):
        deep.dense_answers(long, n_tasks=2)


def test_compare_and_summarize(simulated):
    X, y, answers = simulated
    X, y, answers = X[:400], y[:400], answers[:400]
    methods = deep.standard_methods(answers, len(X), truth=y, epochs=2, em_rounds=2)
    assert list(methods)[:3] == ["ground truth", "MV", "NS"]
    chosen = {name: methods[name] for name in ("MV", "deep EM", "CrowdLayer VB", "CoNAL")}
    results = deep.compare(chosen, X, test=(X[:200], y[:200]), seeds=[0, 1])
    assert len(results) == 8 and set(results.columns) >= {"accuracy", "ece", "seconds", "epochs"}
    table = deep.summarize(results)
    assert table.index.tolist() == list(chosen)
    assert (table["seeds"] == 2).all() and (table["accuracy"] > 0.5).all()
    assert set(results.attrs["fitted"]) == set(chosen)
    published = deep.labelme_published()
    assert published.loc["CrowdLayer MW", "Rodrigues & Pereira 2018"] == 0.824


def test_long_answers_train_like_the_dense_matrix(simulated):
    X, y, answers = simulated
    X, answers = X[:300], answers[:300]
    task, worker = np.nonzero(answers >= 0)
    long = pd.DataFrame({"task": task, "worker": worker, "label": answers[task, worker]})
    a = deep.CrowdLayerClassifier("VW+B", epochs=2).fit(X, answers)
    b = deep.CrowdLayerClassifier("VW+B", epochs=2).fit(X, long, n_classes=3)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-6)
    np.testing.assert_allclose(a.confusion_, b.confusion_, rtol=1e-6)


# --- issue 12: the estimator contract and the boundary of the deep estimators -------------------
_ESTIMATORS = [deep.LabelClassifier, deep.CrowdLayerClassifier, deep.CoNALClassifier, deep.CrowdsEM]


def _tiny():
    rng = np.random.default_rng(3)
    y = rng.integers(2, size=40)
    X = (np.eye(2, 3)[y] * 2 + rng.normal(size=(40, 3))).astype(np.float32)
    answers = np.stack([y, np.where(rng.random(40) < 0.8, y, 1 - y), np.full(40, -1)], axis=1)
    answers[::3, 2] = y[::3]
    return X, y, answers


def _fit(cls, X, y, answers, **params):
    params = {"epochs": 2, "hidden": 8, **params}
    if cls is deep.CrowdsEM:
        params.update(n_rounds=2, epochs=1)
    return cls(**params).fit(X, y if cls is deep.LabelClassifier else answers)


@pytest.mark.parametrize("cls", _ESTIMATORS)
def test_deep_estimator_follows_the_contract(cls):
    from sklearn.base import clone

    from crowdtut.aggregation._base import Estimator

    X, y, answers = _tiny()
    model = cls(epochs=2, random_state=4)
    assert isinstance(model, Estimator)
    params = model.get_params(deep=True)
    assert "seed" not in params and params["random_state"] == 4
    copy = clone(model)
    assert copy.get_params() == params and copy is not model
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(NotFittedError):
        model.classes_
    with pytest.raises(TypeError):
        cls(seed=0)
    fitted = _fit(cls, X, y, answers, random_state=4)
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), len(fitted.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(fitted.predict(X)) <= set(fitted.classes_)
    again = _fit(cls, X, y, answers, random_state=4)
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict_proba(X), proba)
    with pytest.raises(AttributeError, match="after fit it has"):
        fitted.netwrk_


@pytest.mark.parametrize("cls", _ESTIMATORS)
def test_deep_estimator_leaves_global_generators_alone(cls):
    X, y, answers = _tiny()
    np.random.seed(5)
    torch.manual_seed(5)
    np_next, torch_next = np.random.random(), torch.rand(1)
    np.random.seed(5)
    torch.manual_seed(5)
    _fit(cls, X, y, answers, random_state=np.random.default_rng(1))
    assert np.random.random() == np_next and torch.rand(1) == torch_next


def test_random_state_generator_and_none():
    X, y, answers = _tiny()
    a = _fit(deep.LabelClassifier, X, y, answers, random_state=np.random.default_rng(9))
    b = _fit(deep.LabelClassifier, X, y, answers, random_state=np.random.default_rng(9))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    _fit(deep.LabelClassifier, X, y, answers, random_state=None)  # fresh entropy, no error
    for bad in (-1, 1.5, "0"):
        with pytest.raises(ValueError, match="random_state="):
            _fit(deep.LabelClassifier, X, y, answers, random_state=bad)


@pytest.mark.parametrize(
    "params, fragment",
    [({"epochs": -1}, "epochs=-1"), ({"batch_size": 0}, "batch_size=0"), ({"dropout": 1.0}, "dropout=1.0"),
     ({"lr": -1.0}, "lr=-1.0"), ({"hidden": 0}, "hidden=0")],
)
def test_bad_hyper_parameters_raise_at_fit_naming_them(params, fragment):
    X, y, answers = _tiny()
    model = deep.LabelClassifier(**params)  # stored unchanged: no validation in __init__
    with pytest.raises(ValueError, match=fragment):
        model.fit(X, y)


_OWN_BAD = [
    (deep.CrowdLayerClassifier, {"conn_type": "XX"}, "conn_type='XX'"),
    (deep.CrowdLayerClassifier, {"trace_weight": -1.0}, "trace_weight=-1.0"),
    (deep.CrowdLayerClassifier, {"confusion_lr": -1.0}, "confusion_lr=-1.0"),
    (deep.CoNALClassifier, {"scale": -1.0}, "scale=-1.0"),
    (deep.CoNALClassifier, {"embed_dim": 0}, "embed_dim=0"),
    (deep.CoNALClassifier, {"aux_hidden": 0}, "aux_hidden=0"),
    (deep.CoNALClassifier, {"confusion_lr": -1.0}, "confusion_lr=-1.0"),
    (deep.CrowdsEM, {"n_rounds": 0}, "n_rounds=0"),
    (deep.CrowdsEM, {"pseudo_count": -1.0}, "pseudo_count=-1.0"),
]


@pytest.mark.parametrize(
    "cls, params, fragment", _OWN_BAD, ids=[f"{c.__name__}-{f}" for c, _, f in _OWN_BAD]
)
def test_own_bad_hyper_parameters_raise_before_anything_is_learned(cls, params, fragment):
    X, _, answers = _tiny()
    model = cls(**params)
    with pytest.raises(ValueError, match=fragment):
        model.fit(X, answers)
    with pytest.raises(NotFittedError):  # checked first: no worker names, no network left behind
        model.workers_


@pytest.mark.parametrize("cls", _ESTIMATORS[1:])
def test_answer_matrix_rows_must_match_the_features(cls):
    X, _, answers = _tiny()
    with pytest.raises(ValueError, match="answers cover 39 tasks but X has 40 rows"):
        cls(epochs=1, hidden=8).fit(X, answers[:-1])


def test_shared_hyper_parameters_are_keyword_only_after_the_own_ones():
    import inspect

    shared = list(inspect.signature(deep.LabelClassifier).parameters)
    assert shared[:2] == ["hidden", "dropout"]
    for cls, own in [
        (deep.CrowdLayerClassifier, ["conn_type", "trace_weight", "confusion_lr"]),
        (deep.CoNALClassifier, ["scale", "embed_dim", "aux_hidden", "confusion_lr"]),
        (deep.CrowdsEM, ["n_rounds", "pseudo_count"]),
    ]:
        params = inspect.signature(cls).parameters
        assert list(params) == own + shared
        assert all(params[name].kind is inspect.Parameter.KEYWORD_ONLY for name in shared)
        assert all(params[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for name in own)
    assert deep.CrowdsEM().epochs == 10 and deep.CrowdLayerClassifier().epochs == 50


@pytest.mark.parametrize("cls", _ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_are_refused_naming_row_and_column(cls, bad):
    X, y, answers = _tiny()
    X[7, 2] = bad
    with pytest.raises(ValueError, match=r"row 7, column 2"):
        _fit(cls, X, y, answers)
    fitted = _fit(cls, _tiny()[0], y, answers)
    with pytest.raises(ValueError, match=r"row 7, column 2"):
        fitted.predict(X)


def test_non_finite_valid_features_are_refused():
    X, y, answers = _tiny()
    Xv = X.copy()
    Xv[1, 0] = np.nan
    with pytest.raises(ValueError, match="valid X holds nan at row 1, column 0"):
        deep.LabelClassifier(epochs=1).fit(X, y, valid=(Xv, y))


@pytest.mark.parametrize("value", [1.7, np.inf, np.nan])
def test_dense_answers_refuses_non_integral_labels(value):
    matrix = np.array([[0.0, -1.0], [1.0, value]])
    with pytest.raises(ValueError, match=r"matrix\[1, 1\] = .* is not an integer label"):
        deep.dense_answers(matrix)
    np.testing.assert_array_equal(deep.dense_answers(np.array([[0.0, -1.0], [1.0, 1.0]]))[0],
                                  [[0, -1], [1, 1]])


def test_predict_returns_class_names():
    X, y, answers = _tiny()
    task, worker = np.nonzero(answers >= 0)
    names = np.array(["cat", "dog"])
    long = pd.DataFrame({"task": task, "worker": worker, "label": names[answers[task, worker]]})
    model = deep.CrowdLayerClassifier(epochs=2, hidden=8).fit(X, long)
    assert list(model.classes_) == ["cat", "dog"]
    assert set(model.predict(X)) <= {"cat", "dog"}


def test_dense_answers_repeats_advise_a_call_that_exists():
    long = pd.DataFrame({"task": [0, 0, 1], "worker": [0, 0, 1], "label": [0, 1, 1]})
    with pytest.raises(ValueError, match="duplicates='first'") as info:
        deep.dense_answers(long)
    assert "duplicates='keep'" not in str(info.value)
