"""crowdtut.scale: the same results as in memory, on dask's default scheduler and a LocalCluster."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from crowdtut import aggregation as memory  # noqa: E402
from crowdtut.aggregation.classification.dawid_skene import confusion_from_posterior  # noqa: E402
from crowdtut.answers import encode_answers  # noqa: E402
from crowdtut import scale  # noqa: E402
from crowdtut.scale import PassFailed  # noqa: E402

SETS = ["SpectralMethodsMeetEM/bluebird", "SpectralMethodsMeetEM/web",
        "crowd_truth_inference/d_sentiment"]


def _read(mirror, path):
    base = mirror / "truth_inference/data" / path
    return pd.read_csv(base / "label.csv").rename(columns={"item": "task"})


def _same(dask_model, mem_model, tol=1e-8):
    probas = dask_model.probas_.compute()
    labels = dask_model.labels_.compute()
    assert probas.index.is_unique and len(probas) == len(mem_model.probas_)
    assert list(probas.columns) == list(mem_model.probas_.columns)
    np.testing.assert_allclose(probas.loc[mem_model.probas_.index].to_numpy(),
                               mem_model.probas_.to_numpy(), rtol=0, atol=tol)
    assert (labels.loc[mem_model.labels_.index] == mem_model.labels_).all()


def _final_m_step(data, probas, pseudo_count=0.0):
    """Confusion matrices from an M-step of the in-memory final posteriors (the contract)."""
    counts = confusion_from_posterior(data, probas, pseudo_count)
    return counts / counts.sum(axis=2, keepdims=True)


def test_import_crowdtut_does_not_import_dask():
    code = ("import sys, crowdtut, crowdtut.aggregation, crowdtut.answers; "
            "crowdtut.aggregation.DawidSkene; print('dask' in sys.modules or 'distributed' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("path", SETS, ids=[p.split("/")[1] for p in SETS])
def test_dawid_skene_matches_memory(mirror, path):
    df = _read(mirror, path)
    ddf = dd.from_pandas(df.sample(frac=1.0, random_state=0), npartitions=5)  # tasks spread out
    got = scale.DawidSkene().fit(ddf, duplicates="keep")
    want = memory.DawidSkene().fit(df, duplicates="keep")
    _same(got, want)
    assert got.n_iter_ == want.n_iter_
    np.testing.assert_allclose(got.loss_history_, want.loss_history_, rtol=1e-10)
    assert np.all(np.diff(got.loss_history_) <= 1e-12)
    data = encode_answers(df, duplicates="keep")
    assert list(got.workers_) == list(data.workers)
    np.testing.assert_allclose(got.confusion_, _final_m_step(data, want.probas_.to_numpy()),
                               atol=1e-8)
    np.testing.assert_allclose(got.priors_.to_numpy(), want.probas_.to_numpy().mean(axis=0),
                               atol=1e-8)
    assert got.errors_.shape == want.errors_.shape


@pytest.mark.parametrize("prior", ["uniform", "learned"])
def test_one_coin_matches_memory(mirror, prior):
    df = _read(mirror, "crowd_truth_inference/d_sentiment")
    ddf = dd.from_pandas(df, npartitions=3)
    got = scale.OneCoinDawidSkene(prior=prior, min_skill=0.1).fit(ddf, duplicates="keep")
    want = memory.OneCoinDawidSkene(prior=prior, min_skill=0.1).fit(df, duplicates="keep")
    _same(got, want)
    assert got.n_iter_ == want.n_iter_
    data = encode_answers(df, duplicates="keep")
    post = want.probas_.to_numpy()
    hits = np.bincount(data.worker, post[data.task, data.label], data.n_workers)
    skills = np.clip(hits / data.answers_per_worker, 0.1, 1 - 1e-10)
    np.testing.assert_allclose(got.skills_.loc[data.workers].to_numpy(), skills, atol=1e-8)


@pytest.mark.parametrize("learn_priors", [False, True])
def test_glad_matches_memory(mirror, learn_priors):
    df = _read(mirror, "SpectralMethodsMeetEM/web")
    ddf = dd.from_pandas(df, npartitions=3)
    got = scale.GLAD(learn_priors=learn_priors).fit(ddf, duplicates="keep")
    want = memory.GLAD(learn_priors=learn_priors).fit(df, duplicates="keep")
    _same(got, want)
    assert got.n_iter_ == want.n_iter_
    np.testing.assert_allclose(got.loss_history_, want.loss_history_, rtol=1e-10)
    np.testing.assert_allclose(got.alphas_.loc[want.alphas_.index], want.alphas_, atol=1e-8)
    np.testing.assert_allclose(got.betas_.compute().loc[want.betas_.index], want.betas_, atol=1e-8)
    np.testing.assert_allclose(got.priors_, want.priors_, atol=1e-8)


def test_majority_vote_and_weights(mirror):
    df = _read(mirror, "SpectralMethodsMeetEM/web")
    ddf = dd.from_pandas(df, npartitions=4)
    _same(scale.MajorityVote().fit(ddf, duplicates="keep"),
          memory.MajorityVote().fit(df, duplicates="keep"), tol=0)
    weights = pd.Series(np.linspace(0.1, 2.0, df.worker.nunique()), index=np.sort(df.worker.unique()))
    _same(scale.MajorityVote().fit(ddf, weights=weights, duplicates="keep"),
          memory.MajorityVote().fit(df, weights=weights, duplicates="keep"))
    random = scale.MajorityVote(tie_break="random", random_state=1).fit(ddf, duplicates="keep")
    labels = random.labels_.compute()
    votes = memory.MajorityVote().fit(df, duplicates="keep").probas_
    top = votes.to_numpy()[np.arange(len(votes)), votes.columns.get_indexer(labels.loc[votes.index])]
    np.testing.assert_array_equal(top, votes.max(axis=1).to_numpy())  # always a tied winner


def test_iteration_zero_and_task_index_without_shuffle(tiny_answers):
    ddf = dd.from_pandas(tiny_answers.set_index("task"), npartitions=2, sort=True)
    assert ddf.known_divisions
    got = scale.DawidSkene(n_iter=0).fit(ddf)
    np.testing.assert_allclose(got.probas_.compute().sort_index().to_numpy(),
                               [[2 / 3, 1 / 3], [0, 1], [0.5, 0.5]])
    assert got.n_iter_ == 0 and got.loss_history_ == [] and not got.converged_
    got = scale.DawidSkene(n_iter=3, tol=0).fit(ddf)
    want = memory.DawidSkene(n_iter=3, tol=0).fit(tiny_answers)
    _same(got, want)


def test_results_are_dask_and_write_to_parquet(tiny_answers, tmp_path):
    got = scale.DawidSkene().fit(dd.from_pandas(tiny_answers, npartitions=2))
    assert isinstance(got.labels_, dd.Series) and isinstance(got.probas_, dd.DataFrame)
    assert isinstance(got.priors_, pd.Series) and isinstance(got.errors_, pd.DataFrame)
    got.probas_.rename(columns=str).to_parquet(tmp_path / "probas")
    got.labels_.to_frame().to_parquet(tmp_path / "labels")
    back = pd.read_parquet(tmp_path / "probas").sort_index()
    np.testing.assert_allclose(back.to_numpy(), got.probas_.compute().sort_index().to_numpy())
    assert pd.read_parquet(tmp_path / "labels")["agg_label"].sort_index().tolist() == \
        got.labels_.compute().sort_index().tolist()


def test_unfitted_and_params():
    model = scale.DawidSkene(n_iter=7)
    assert model.get_params() == {"n_iter": 7, "tol": 1e-5, "pseudo_count": 0.0}
    with pytest.raises(memory.NotFittedError):
        model.labels_


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_iter": -1}, ValueError, "n_iter"),
    ({"tol": "x"}, ValueError, "tol"),
    ({"pseudo_count": -1.0}, ValueError, "pseudo_count"),
])
def test_bad_hyper_parameters(tiny_answers, kwargs, error, match):
    with pytest.raises(error, match=match):
        scale.DawidSkene(**kwargs).fit(dd.from_pandas(tiny_answers, npartitions=1))


def test_bad_answers(tiny_answers):
    def fit(frame, **kw):
        return scale.DawidSkene(n_iter=2).fit(dd.from_pandas(frame, npartitions=2), **kw)

    with pytest.raises(ValueError, match=r"missing column\(s\) \['worker'\]; it has .* \(task may be the index\)"):
        fit(tiny_answers.drop(columns="worker"))
    with pytest.raises(ValueError, match="missing value"):
        fit(tiny_answers.assign(label=[0, 1, None, 1, 1, 1, 0, 1]))
    with pytest.raises(ValueError, match="single class"):
        fit(tiny_answers.assign(label=1))
    with pytest.raises(ValueError, match="repeated"):
        fit(pd.concat([tiny_answers, tiny_answers.iloc[:1]]))
    with pytest.raises(ValueError, match="duplicates="):
        fit(tiny_answers, duplicates="first")
    with pytest.raises(ValueError, match="outside the classes"):
        fit(tiny_answers, classes=[0, 2])
    with pytest.raises(ValueError, match="empty"):
        scale.DawidSkene().fit(tiny_answers.iloc[:0])
    with pytest.raises(TypeError, match="dask DataFrame"):
        scale.DawidSkene().fit(tiny_answers.to_numpy())
    assert len(fit(tiny_answers, duplicates="keep", classes=[0, 1, 2]).classes_) == 3


def test_storage_on_disk(mirror, tmp_path):
    df = _read(mirror, "SpectralMethodsMeetEM/bluebird")
    want = memory.DawidSkene(n_iter=5, tol=0).fit(df, duplicates="keep")
    ddf = dd.from_pandas(df, npartitions=3)
    stored = scale.DawidSkene(n_iter=5, tol=0).fit(ddf, duplicates="keep", storage=str(tmp_path))
    _same(stored, want)
    assert list(tmp_path.rglob("*.parquet"))  # the encoded answers went to Parquet files


# --- on a LocalCluster of two worker processes ------------------------------------------------
@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", memory_limit="1GiB")
    with cluster, distributed.Client(cluster) as c:
        yield c


def test_local_cluster_matches_memory(client, mirror):
    df = _read(mirror, "SpectralMethodsMeetEM/bluebird")
    want = memory.DawidSkene(n_iter=5, tol=0).fit(df, duplicates="keep")
    by_task = dd.from_pandas(df.set_index("task"), npartitions=4, sort=True)  # no shuffle
    got = scale.DawidSkene(n_iter=5, tol=0).fit(by_task, duplicates="keep")
    _same(got, want)
    glad = scale.GLAD(n_iter=3).fit(by_task, duplicates="keep")  # task state kept on the workers
    _same(glad, memory.GLAD(n_iter=3).fit(df, duplicates="keep"))


def test_worker_restarted_mid_fit(client, mirror):
    df = _read(mirror, "SpectralMethodsMeetEM/web")
    ddf = dd.from_pandas(df.set_index("task"), npartitions=4, sort=True)
    want = memory.DawidSkene(n_iter=25, tol=0).fit(df, duplicates="keep")
    outcome = {}

    def run():
        try:
            outcome["model"] = scale.DawidSkene(n_iter=25, tol=0).fit(ddf, duplicates="keep")
            outcome["probas"] = outcome["model"].probas_.compute()
        except PassFailed as error:  # the one acceptable failure: a clear error
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(3.0)
    victim = sorted(client.scheduler_info()["workers"])[0]
    client.restart_workers([victim])
    thread.join(timeout=120)
    assert not thread.is_alive()
    if "error" in outcome:
        assert "no result was stored" in str(outcome["error"])
    else:  # recomputed from the lineage: the same result, never a wrong one
        np.testing.assert_allclose(outcome["probas"].loc[want.probas_.index].to_numpy(),
                                   want.probas_.to_numpy(), atol=1e-8)
