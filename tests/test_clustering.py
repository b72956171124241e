"""Crowd clustering: pairwise labels, the two aggregators, the simulator and intruder metrics."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from crowdtut import metrics
from crowdtut.simulate import partitions as sc
from crowdtut.aggregation import CoAssociationClustering, CrowdClustering, NotFittedError
from crowdtut.aggregation.clustering import co_association, crowd_clustering as cl, pairwise_labels

AGGREGATORS = {
    "CrowdClustering": lambda: CrowdClustering(n_iter=30, random_state=0),
    "CoAssociationClustering": lambda: CoAssociationClustering(random_state=0),
}


# --- fixtures --------------------------------------------------------------------------------
def _world(n_items=120, n_classes=4, seed=0):
    """Synthetic 'images': well separated class centres in 16-D plus noise."""
    rng = np.random.default_rng(seed)
    truth = pd.Series(np.arange(n_items) % n_classes, index=pd.RangeIndex(n_items, name="item"))
    centres = rng.normal(size=(n_classes, 16)) * 3
    features = centres[truth.to_numpy()] + rng.normal(size=(n_items, 16))
    return truth, np.abs(features)


@pytest.fixture(scope="module")
def perfect_crowd():
    truth, features = _world()
    hits = sc.make_hits(truth.index, items_per_hit=8, hits_per_item=8, seed=1)
    crowd = sc.simulate_partitions(
        hits, truth, features, n_workers=12, worker_mix={"faithful": 1.0}, error_range=(0, 0), seed=2
    )
    return crowd


@pytest.fixture(scope="module")
def noisy_crowd():
    truth, features = _world(n_items=150, n_classes=5, seed=3)
    hits = sc.make_hits(truth.index, items_per_hit=10, hits_per_item=10, seed=4)
    return sc.simulate_partitions(hits, truth, features, n_workers=15, seed=5)


# --- pairwise labels -------------------------------------------------------------------------
def test_pairwise_labels_hand_checked_hit():
    # one HIT of five images grouped {a, c}, {b}, {d, e}
    answers = pd.DataFrame(
        {"hit": "h1", "worker": "w1", "item": ["c", "a", "e", "b", "d"], "group": ["x", "x", "z", "y", "z"]}
    )
    pairs = pairwise_labels(answers)
    got = {(a, b): s for a, b, s in pairs[["item_a", "item_b", "same"]].itertuples(index=False)}
    expected = {
        ("a", "b"): False, ("a", "c"): True, ("a", "d"): False, ("a", "e"): False,
        ("b", "c"): False, ("b", "d"): False, ("b", "e"): False,
        ("c", "d"): False, ("c", "e"): False, ("d", "e"): True,
    }
    assert got == expected
    assert len(pairs) == 10 and set(pairs["worker"]) == {"w1"} and set(pairs["hit"]) == {"h1"}


def test_pairwise_labels_match_a_loop_over_answers(noisy_crowd):
    answers = noisy_crowd.answers
    pairs = pairwise_labels(answers)
    expected = []
    for (hit, worker), rows in answers.groupby(["hit", "worker"]):
        for (i, g), (k, h) in itertools.combinations(zip(rows["item"], rows["group"]), 2):
            expected.append((min(i, k), max(i, k), worker, hit, g == h))
    expected = pd.DataFrame(expected, columns=["item_a", "item_b", "worker", "hit", "same"])
    key = ["hit", "worker", "item_a", "item_b"]
    got = pairs.sort_values(key).reset_index(drop=True)
    expected = expected.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_co_association_counts():
    answers = pd.DataFrame(
        {
            "hit": [0, 0, 0, 0, 0, 0, 1, 1],
            "worker": ["u", "u", "u", "v", "v", "v", "u", "u"],
            "item": ["a", "b", "c", "a", "b", "c", "a", "b"],
            "group": [1, 1, 2, 1, 2, 2, 0, 0],
        }
    )
    together, shown, items = co_association(answers)
    assert list(items) == ["a", "b", "c"]
    np.testing.assert_array_equal(shown.toarray(), [[0, 3, 2], [3, 0, 2], [2, 2, 0]])
    np.testing.assert_array_equal(together.toarray(), [[0, 2, 0], [2, 0, 1], [0, 1, 0]])


# --- bad input -------------------------------------------------------------------------------
def _one_hit():
    return pd.DataFrame({"hit": 0, "worker": "w", "item": ["a", "b", "c"], "group": [0, 0, 1]})


def test_unknown_image_is_a_clear_error():
    hits = pd.DataFrame({"hit": 0, "item": ["a", "b", "d"]})
    with pytest.raises(ValueError, match=r"unknown image.*HIT 0.*'c'"):
        CrowdClustering().fit(_one_hit(), hits=hits)
    with pytest.raises(ValueError, match="unknown image"):
        cl.encode_partitions(_one_hit(), {0: ["a", "b", "x"]})
    with pytest.raises(ValueError, match="HIT 7"):
        cl.encode_partitions(_one_hit().assign(hit=7), hits)


def test_overlapping_groups_are_a_clear_error():
    bad = pd.concat([_one_hit(), pd.DataFrame({"hit": [0], "worker": ["w"], "item": ["a"], "group": [1]})])
    with pytest.raises(ValueError, match=r"overlapping groups.*'a'.*\[0, 1\]"):
        CoAssociationClustering().fit(bad)
    repeated = pd.concat([_one_hit(), _one_hit().iloc[[0]]])
    with pytest.raises(ValueError, match="lists image 'a' 2 times"):
        cl.encode_partitions(repeated)


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"hit": [0], "worker": ["w"], "item": ["a"]}), "missing column"),
        (pd.DataFrame(columns=["hit", "worker", "item", "group"]), "empty"),
        (
            pd.DataFrame({"hit": [0, 0], "worker": ["w", None], "item": ["a", "b"], "group": [0, 0]}),
            "missing",
        ),
    ],
    ids=["missing-column", "empty", "nan"],
)
def test_malformed_answers(frame, message):
    with pytest.raises(ValueError, match=message):
        cl.encode_partitions(frame)


@pytest.mark.parametrize("name", list(AGGREGATORS))
def test_a_single_hit_gives_its_partition(name):
    answers = pd.DataFrame({"hit": 0, "worker": "w", "item": list("abcdef"), "group": [0, 0, 0, 1, 1, 2]})
    labels = AGGREGATORS[name]().fit_predict(answers)
    assert labels.index.tolist() == list("abcdef")
    assert metrics.adjusted_rand_index(labels, answers.set_index("item")["group"]) == 1.0


def test_no_pairs_is_an_error():
    single = pd.DataFrame({"hit": [0, 1], "worker": ["w", "w"], "item": ["a", "b"], "group": [0, 0]})
    with pytest.raises(ValueError, match="no pairwise label"):
        CrowdClustering().fit(single)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CrowdClustering(n_dims=0), "n_dims"),
        (lambda: CrowdClustering(prior_x=-1.0), "prior_x"),
        (lambda: CrowdClustering(init="pca"), "init"),
        (lambda: CrowdClustering(select="aic"), "select"),
        (lambda: CoAssociationClustering(select="silhouette"), "select"),
        (lambda: CoAssociationClustering(n_clusters=0), "n_clusters"),
    ],
)
def test_hyper_parameters_checked_when_fit_starts(make, message):
    model = make()  # the constructor never validates
    with pytest.raises(ValueError, match=message):
        model.fit(_one_hit())


@pytest.mark.parametrize("name", list(AGGREGATORS))
def test_unfitted_attribute_is_a_clear_error(name):
    with pytest.raises(NotFittedError, match="call fit"):
        AGGREGATORS[name]().labels_


# --- the aggregators -------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(AGGREGATORS))
def test_perfect_workers_give_the_true_partition(name, perfect_crowd):
    labels = AGGREGATORS[name]().fit_predict(perfect_crowd.answers, perfect_crowd.hits)
    assert metrics.adjusted_rand_index(labels, perfect_crowd.truth) == 1.0
    assert labels.index.equals(perfect_crowd.truth.index)


@pytest.mark.parametrize("name", list(AGGREGATORS))
def test_invariance_to_worker_renaming_and_row_order(name, noisy_crowd):
    answers = noisy_crowd.answers
    rng = np.random.default_rng(0)
    codes = rng.permutation(100)[: noisy_crowd.n_workers]
    names = {w: f"worker-{code}" for w, code in zip(range(noisy_crowd.n_workers), codes)}
    renamed = answers.assign(worker=answers["worker"].map(names)).sample(frac=1.0, random_state=1)
    first = AGGREGATORS[name]().fit(answers)
    second = AGGREGATORS[name]().fit(renamed)
    assert metrics.adjusted_rand_index(first.labels_, second.labels_) == 1.0
    if name == "CrowdClustering":
        np.testing.assert_allclose(first.loss_history_, second.loss_history_, rtol=1e-8)
        np.testing.assert_allclose(first.embedding_, second.embedding_, atol=1e-6)
        bias = second.worker_bias_.rename(index={v: k for k, v in names.items()}).sort_index()
        np.testing.assert_allclose(first.worker_bias_.sort_index(), bias, atol=1e-6)


def test_noisy_crowd_is_recovered(noisy_crowd):
    truth = noisy_crowd.truth
    for name, make in AGGREGATORS.items():
        labels = make().fit_predict(noisy_crowd.answers)
        assert metrics.adjusted_rand_index(labels, truth) > 0.8, name


def test_loss_never_increases(noisy_crowd):
    # loss_history_ is minus the free energy per pairwise label (it was free_energy_, rising)
    for init in ("spectral", "random"):
        model = CrowdClustering(n_iter=25, tol=0, init=init).fit(noisy_crowd.answers)
        loss = np.asarray(model.loss_history_)
        assert len(loss) == 25 and np.isfinite(loss).all() and model.converged_ is False
        assert np.all(np.diff(loss) <= 1e-9 * np.abs(loss[1:])), init
        assert not hasattr(model, "free_energy_")


@pytest.mark.parametrize("name", list(AGGREGATORS))
@pytest.mark.parametrize("same", [True, False])
def test_unanimous_crowd_gives_a_clear_result(name, same):
    # every pair labelled the same way used to raise ArpackError -9 in CrowdClustering
    rows = []
    for h, items in enumerate([range(0, 8), range(4, 12), range(8, 16), [0, 5, 10, 15]]):
        for w in ("a", "b", "c"):
            rows += [(h, w, i, 0 if same else i) for i in items]
    answers = pd.DataFrame(rows, columns=["hit", "worker", "item", "group"])
    labels = AGGREGATORS[name]().fit_predict(answers)
    assert labels.nunique() == (1 if same else 16)


def test_clustering_uses_scikit_learn():
    import crowdtut.aggregation.clustering._base as base

    z = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 10] + np.linspace(0, 0.1, 10)[:, None]
    codes = base.kmeans(z, 2, random_state=0)
    assert len(set(codes[:5])) == 1 and len(set(codes[5:])) == 1 and codes[0] != codes[5]
    again = base.kmeans(z[::-1], 2, random_state=0)[::-1]  # rows in another order: same result
    np.testing.assert_array_equal(codes, again)
    mix, loglik = base.gaussian_mixture(z, 2, 3, np.random.default_rng(0))
    assert len(set(mix[:5])) == 1 and mix[0] != mix[5] and np.isfinite(loglik)
    assert not hasattr(base, "_gmm_em")


def test_crowd_clustering_attributes(noisy_crowd):
    model = CrowdClustering(n_dims=3, n_iter=10).fit(noisy_crowd.answers)
    n, w = noisy_crowd.truth.size, noisy_crowd.answers["worker"].nunique()
    assert model.embedding_.shape == (n, 3) and model.embedding_cov_.shape == (n, 3, 3)
    assert model.worker_matrices_.shape == (w, 3, 3)
    np.testing.assert_allclose(model.worker_matrices_, model.worker_matrices_.transpose(0, 2, 1))
    assert model.n_clusters_ == model.labels_.nunique()
    assert set(model.labels_) == set(range(model.n_clusters_))
    assert {"bic", "label_loglik"} <= set(model.selection_.columns)
    assert model.labels_.value_counts().is_monotonic_decreasing  # cluster 0 is the largest
    fixed = CrowdClustering(n_iter=10, n_clusters=3).fit(noisy_crowd.answers)
    assert fixed.n_clusters_ == 3


def test_eigengap_selection_and_fixed_k(noisy_crowd):
    model = CoAssociationClustering(select="eigengap").fit(noisy_crowd.answers)
    gaps = model.selection_["eigengap"]
    assert model.n_clusters_ == gaps.idxmax()
    assert CoAssociationClustering(n_clusters=3).fit(noisy_crowd.answers).n_clusters_ == 3


# --- the variational updates against a direct computation ------------------------------------
def _vech_index(d):
    iu = np.triu_indices(d)
    idx = np.empty((d, d), dtype=int)
    idx[iu] = np.arange(len(iu[0]))
    idx[iu[1], iu[0]] = np.arange(len(iu[0]))
    return idx


def _direct_moments(mu, v, d):
    """E[W_pr W_qs], E[W], E[tau W] by looping over matrix entries (independent of the code)."""
    idx = _vech_index(d)
    p = d * (d + 1) // 2
    q = np.outer(mu, mu) + v
    e2 = np.empty((d, d, d, d))
    for a, b, c, e in itertools.product(range(d), repeat=4):
        e2[a, b, c, e] = q[idx[a, b], idx[c, e]]
    ew = mu[idx]
    r = q[idx, p]
    return e2, ew, r, mu[p], q[p, p]


@pytest.fixture(scope="module")
def tiny_state():
    rng = np.random.default_rng(7)
    n, nw, d, t = 6, 3, 2, 25
    a = rng.integers(0, n - 1, size=t)
    b = a + 1 + rng.integers(0, n - 1 - a)
    j = rng.integers(0, nw, size=t)
    y = rng.choice([-1.0, 1.0], size=t)
    lab = cl._Labels(a, b, j, y, n, nw)
    m = rng.normal(size=(n, d))
    sx = np.stack([np.cov(rng.normal(size=(d, 5))) * 0.3 + 0.1 * np.eye(d) for _ in range(n)])
    p = d * (d + 1) // 2 + 1
    mu = rng.normal(size=(nw, p))
    v = np.stack([np.cov(rng.normal(size=(p, 9))) * 0.2 + 0.05 * np.eye(p) for _ in range(nw)])
    delta = rng.uniform(0.2, 3.0, size=t)
    model = CrowdClustering(n_dims=d, prior_x=2.0, prior_w=3.0, prior_tau=1.5)
    return model, lab, m, sx, mu, v, delta


def test_expected_square_of_the_score(tiny_state):
    model, lab, m, sx, mu, v, _ = tiny_state
    d = m.shape[1]
    got = model._ez2(lab, m, sx, mu, v, cl._duplication(d))
    for t in range(lab.t):
        e2, _, r, _, etau2 = _direct_moments(mu[lab.j[t]], v[lab.j[t]], d)
        sa = np.outer(m[lab.a[t]], m[lab.a[t]]) + sx[lab.a[t]]
        sb = np.outer(m[lab.b[t]], m[lab.b[t]]) + sx[lab.b[t]]
        # z = sum_pr x_ap W_pr x_br + tau
        want = np.einsum("prqs,pq,rs->", e2, sa, sb) + 2 * m[lab.a[t]] @ r @ m[lab.b[t]] + etau2
        assert got[t] == pytest.approx(want, rel=1e-10)


def test_worker_update_is_the_bayesian_logistic_regression(tiny_state):
    model, lab, m, sx, mu, v, delta = tiny_state
    d = m.shape[1]
    dup = cl._duplication(d)
    prior_v = np.r_[np.full(dup.shape[1], model.prior_w), model.prior_tau]
    got_mu, got_v = model._update_workers(lab, m, sx, delta, prior_v, dup)
    idx = _vech_index(d)
    p = dup.shape[1]
    lam = cl._lam(delta)
    for w in range(lab.n_workers):
        prec = np.diag(1.0 / prior_v)
        h = np.zeros(p + 1)
        for t in np.flatnonzero(lab.j == w):
            ma, mb = m[lab.a[t]], m[lab.b[t]]
            sa, sb = np.outer(ma, ma) + sx[lab.a[t]], np.outer(mb, mb) + sx[lab.b[t]]
            # psi_u = sum of x_ap x_bq over the (p, q) with vech index u; psi_p = 1
            second = np.zeros((p + 1, p + 1))
            first = np.zeros(p + 1)
            first[p] = 1.0
            second[p, p] = 1.0
            for (pp, qq), (rr, ss) in itertools.product(itertools.product(range(d), repeat=2), repeat=2):
                second[idx[pp, qq], idx[rr, ss]] += sa[pp, rr] * sb[qq, ss]
            for pp, qq in itertools.product(range(d), repeat=2):
                first[idx[pp, qq]] += ma[pp] * mb[qq]
                second[idx[pp, qq], p] += ma[pp] * mb[qq]
                second[p, idx[pp, qq]] += ma[pp] * mb[qq]
            prec += 2 * lam[t] * second
            h += lab.y[t] / 2 * first
        np.testing.assert_allclose(got_v[w], np.linalg.inv(prec), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got_mu[w], np.linalg.solve(prec, h), rtol=1e-9, atol=1e-12)


def test_item_update_natural_parameters(tiny_state):
    model, lab, m, sx, mu, v, delta = tiny_state
    d = m.shape[1]
    prec, lin = model._item_natural(lab, m, sx, mu, v, delta, cl._duplication(d))
    lam = cl._lam(delta)
    for i in range(lab.n_items):
        want_prec = np.eye(d) / model.prior_x
        want_lin = np.zeros(d)
        for t in range(lab.t):
            if i not in (lab.a[t], lab.b[t]):
                continue
            o = lab.b[t] if lab.a[t] == i else lab.a[t]
            e2, ew, r, _, _ = _direct_moments(mu[lab.j[t]], v[lab.j[t]], d)
            so = np.outer(m[o], m[o]) + sx[o]
            want_prec += 2 * lam[t] * np.einsum("prqs,rs->pq", e2, so)  # E[W x_o x_o^T W]
            want_lin += lab.y[t] / 2 * ew @ m[o] - 2 * lam[t] * r @ m[o]
        np.testing.assert_allclose(prec[i], want_prec, rtol=1e-10)
        np.testing.assert_allclose(lin[i], want_lin, rtol=1e-10, atol=1e-12)


def test_rescale_step_keeps_the_likelihood_and_raises_the_free_energy(tiny_state):
    model, lab, m, sx, mu, v, _ = tiny_state
    d = m.shape[1]
    dup = cl._duplication(d)
    prior_v = np.r_[np.full(dup.shape[1], model.prior_w), model.prior_tau]
    delta = model._delta(lab, m, sx, mu, v, dup)
    before = model._free_energy(lab, m, sx, mu, v, delta, prior_v, dup)
    m2, sx2, mu2, v2 = model._rescale(m, sx, mu, v, dup.shape[1])
    np.testing.assert_allclose(model._delta(lab, m2, sx2, mu2, v2, dup), delta, rtol=1e-9)
    assert model._free_energy(lab, m2, sx2, mu2, v2, delta, prior_v, dup) >= before - 1e-9


# --- HITs and simulation ---------------------------------------------------------------------
def test_hit_arithmetic_of_the_seed():
    # the seed's shoes data: 82 images, 10 per HIT, expected HITs min(10, 21) = 10
    plan = sc.hit_arithmetic(82, 10)
    assert plan["hits_per_item"] == 10 and plan["initial_items"] == 1 and plan["unique_hits"] == 82
    assert plan["pairs_per_hit"] == 45
    plan = sc.hit_arithmetic(1000, 10, 4)
    assert plan["initial_items"] == 2 and plan["unique_hits"] == 400


@pytest.mark.parametrize("hits_per_item", [3, 10, 20])
def test_make_hits(hits_per_item):
    hits = sc.make_hits(300, 10, hits_per_item, seed=0)
    per_hit = hits.groupby("hit")["item"]
    assert (per_hit.nunique() == 10).all() and (per_hit.size() == 10).all()
    assert hits["item"].value_counts().mean() == pytest.approx(hits_per_item, rel=0.05)
    assert hits["item"].nunique() == 300  # every image is shown
    again = sc.make_hits(300, 10, hits_per_item, seed=0)
    pd.testing.assert_frame_equal(hits, again)


def test_worker_kinds_follow_their_rules():
    truth, features = _world(n_items=200, n_classes=4, seed=11)
    hits = sc.make_hits(truth.index, 10, 10, seed=0)
    crowd = sc.simulate_partitions(hits, truth, features, n_workers=40, error_range=(0, 0),
                                   careless_rate=1.0, seed=1)
    s = crowd.structure
    for kind in ("faithful", "lumper", "splitter"):
        workers = crowd.worker_type.index[crowd.worker_type == kind]
        rows = crowd.answers[crowd.answers["worker"].isin(workers)]
        if kind == "faithful":
            expected = truth.loc[rows["item"]].to_numpy()
        elif kind == "lumper":
            merges = crowd.n_merges.loc[rows["worker"]].to_numpy()
            expected = s.lump_codes[merges, truth.loc[rows["item"]].to_numpy()]
        else:
            expected = truth.loc[rows["item"]].to_numpy() * 2 + s.substyle.loc[rows["item"]].to_numpy()
        # within every answer, group equality is equality of the expected code
        key = rows["hit"].astype(str) + "/" + rows["worker"].astype(str)
        for _, part in pd.DataFrame({"key": key, "g": rows["group"], "e": expected}).groupby("key"):
            assert metrics.adjusted_rand_index(part["g"], part["e"]) == 1.0 or len(part) < 2
    assert (crowd.n_merges[crowd.worker_type == "lumper"] >= 1).all()
    ari = metrics.worker_pairwise_ari(crowd.answers, truth)
    assert ari[crowd.worker_type == "careless"].abs().max() < 0.3
    assert (ari[crowd.worker_type == "faithful"] == 1.0).all()


def test_lumpers_merge_the_most_similar_classes():
    truth, features = _world(n_items=200, n_classes=4, seed=11)
    s = sc.visual_structure(features, truth)
    sim = s.class_similarity.to_numpy().copy()
    np.fill_diagonal(sim, -np.inf)
    first = np.unravel_index(sim.argmax(), sim.shape)
    assert s.lump_codes[1, first[0]] == s.lump_codes[1, first[1]]
    assert len(np.unique(s.lump_codes[1])) == 3 and len(np.unique(s.lump_codes[3])) == 1


def test_bad_simulation_arguments():
    truth, features = _world(n_items=40)
    hits = sc.make_hits(truth.index, 8, 4, seed=0)
    with pytest.raises(ValueError, match="worker_mix"):
        sc.simulate_partitions(hits, truth, features, worker_mix={"genius": 1.0})
    with pytest.raises(ValueError, match="features"):
        sc.simulate_partitions(hits, truth, features[:10])
    with pytest.raises(ValueError, match="no entry in truth"):
        sc.simulate_partitions(hits.assign(item=hits["item"] + 1000), truth, features)
    with pytest.raises(ValueError, match="items_per_hit"):
        sc.make_hits(5, 10)


# --- intruders -------------------------------------------------------------------------------
def test_intruder_hits_have_seven_plus_one():
    truth, _ = _world(n_items=100, n_classes=4)
    ih = sc.make_intruder_hits(truth, n_hits=50, items_per_hit=8, seed=0)
    table = ih.hits.assign(cluster=truth.loc[ih.hits["item"]].to_numpy())
    for task, rows in table.groupby("task"):
        assert len(rows) == 8 and rows["item"].nunique() == 8
        counts = rows["cluster"].value_counts()
        assert counts.iloc[0] == 7 and counts.index[0] == ih.main_cluster[task]
        assert truth[ih.intruder[task]] == ih.intruder_cluster[task] != ih.main_cluster[task]


def test_intruder_quality_separates_good_from_random_clusters():
    truth, features = _world(n_items=200, n_classes=4, seed=2)
    random_clusters = pd.Series(np.random.default_rng(0).permutation(truth.to_numpy()), index=truth.index)
    scores = {}
    for name, clusters in {"true": truth, "random": random_clusters}.items():
        ih = sc.make_intruder_hits(clusters, n_hits=200, seed=1)
        answers = sc.simulate_intruder_answers(ih, features, n_workers=20, answers_per_hit=5, seed=2)
        assert set(answers.columns) == {"task", "worker", "label"}
        scores[name] = metrics.intruder_quality(answers, ih.intruder)
        per = metrics.intruder_quality(answers, ih.intruder, by=ih.main_cluster, level="task")
        assert per.between(0, 1).all()
    assert scores["true"] > 0.8 and scores["random"] < 0.3


def test_intruder_quality_hand_checked():
    answers = pd.DataFrame(
        {"task": [0, 0, 0, 1, 1, 1], "worker": [1, 2, 3, 1, 2, 3], "label": ["x", "x", "y", "p", "q", "r"]}
    )
    intruders = pd.Series({0: "x", 1: "p"})
    assert metrics.intruder_quality(answers, intruders) == pytest.approx(3 / 6)
    assert metrics.intruder_quality(answers, intruders, level="task") == pytest.approx((1 + 1 / 3) / 2)
    per = metrics.intruder_quality(answers, intruders, by=pd.Series({0: "A", 1: "B"}))
    assert per.to_dict() == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    with pytest.raises(ValueError, match="no entry in intruders"):
        metrics.intruder_quality(answers, pd.Series({0: "x"}))


def test_pair_counting_ari_equals_ari_over_all_pairs():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 4, size=60), rng.integers(0, 3, size=60)
    a, b = np.triu_indices(60, 1)
    assert metrics.pair_counting_ari(x[a] == x[b], y[a] == y[b]) == pytest.approx(
        metrics.adjusted_rand_index(x, y), rel=1e-12
    )


def test_worker_factors_are_those_of_the_final_embedding():
    # the last iteration ends on a bound update; the worker factors used to stay one update
    # behind it. After fit they are the worker update of the final item moments and bound.
    rng = np.random.default_rng(3)
    n, nw, t = 12, 4, 120
    a = rng.integers(0, n - 1, size=t)
    b = a + 1 + rng.integers(0, n - 1 - a)
    j = rng.integers(0, nw, size=t)
    y = np.where((a % 3) == (b % 3), 1.0, -1.0) * np.where(rng.random(t) < 0.85, 1.0, -1.0)
    lab = cl._Labels(a, b, j, y, n, nw)
    model = CrowdClustering(n_dims=2, n_iter=7, tol=0.0, random_state=0)
    m, sx, mu, v, delta, history, _ = model._variational(lab, np.random.default_rng(0))
    d = 2
    dup = cl._duplication(d)
    prior_v = np.r_[np.full(dup.shape[1], model.prior_w), model.prior_tau]
    again_mu, again_v = model._update_workers(lab, m, sx, delta, prior_v, dup)
    np.testing.assert_allclose(again_mu, mu, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(again_v, v, rtol=1e-10, atol=1e-12)
    # and the update did not lower the free energy of the last iteration
    energy = model._free_energy(lab, m, sx, mu, v, delta, prior_v, dup)
    assert energy >= history[-1] - 1e-9 * abs(history[-1])
