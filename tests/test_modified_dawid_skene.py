"""ModifiedDawidSkene (SageMaker's consolidation): hand-checked steps, the incremental update of
partial_fit against a plain-loop reference, stopping rules, and SageMaker's own labels."""

import math
import tarfile
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
import pytest

from crowdtut.aggregation.classification.modified_dawid_skene import ModifiedDawidSkene, one_coin_matrices
from crowdtut.evaluation import accuracy_by_effort, subsample_answers


def P(a, k=2):
    """One-coin matrix: a on the diagonal, (1 - a) / (k - 1) elsewhere."""
    return np.full((k, k), (1 - a) / (k - 1)) + (a - (1 - a) / (k - 1)) * np.eye(k)


@pytest.fixture
def two_workers() -> pd.DataFrame:
    # t0: w0=0 w1=0 | t1: w0=1 w1=0 | t2: w0=1
    rows = [("t0", "w0", 0), ("t0", "w1", 0), ("t1", "w0", 1), ("t1", "w1", 0), ("t2", "w0", 1)]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def test_one_coin_matrices():
    np.testing.assert_allclose(one_coin_matrices(0.7, 3), [[0.7, 0.15, 0.15], [0.15, 0.7, 0.15], [0.15, 0.15, 0.7]])
    assert one_coin_matrices([0.5, 0.9], 4).shape == (2, 4, 4)
    np.testing.assert_allclose(one_coin_matrices([0.5, 0.9], 4).sum(axis=2), 1.0)


def test_first_epoch_by_hand(two_workers):
    # E-step with the initial matrices P(0.7) and a uniform prior:
    #   t0: (.7*.7, .3*.3) = (.49, .09) -> (49/58, 9/58);  t1: (.3*.7, .7*.3) -> (1/2, 1/2)
    #   t2: (.3, .7) -> (3/10, 7/10);  log-likelihood log(.29) + log(.21) + log(.5)
    # M-step, counts [true, answered]:
    #   w0 answered 0 on t0, 1 on t1 and t2: C0 = [[49/58, 1/2 + 3/10], [9/58, 1/2 + 7/10]]
    #      n0 = 3, a0 = (49/58 + 6/5) / 3 = 593/870
    #   w1 answered 0 on t0 and t1: C1 = [[49/58 + 1/2, 0], [9/58 + 1/2, 0]], n1 = 2, a1 = 39/58
    #   smoothed: C_j + 1 * n_j * P(a_j) + 0.5 * n_j * P(0.7), rows normalised
    model = ModifiedDawidSkene(n_iter=1).fit(two_workers)
    np.testing.assert_allclose(
        model.probas_.to_numpy(), [[49 / 58, 9 / 58], [1 / 2, 1 / 2], [3 / 10, 7 / 10]], atol=1e-12
    )
    assert model.loss_history_ == pytest.approx([-(math.log(0.29) + math.log(0.21) + math.log(0.5)) / 5])
    c0 = np.array([[49 / 58, 4 / 5], [9 / 58, 6 / 5]])
    c1 = np.array([[39 / 29, 0], [19 / 29, 0]])
    a0, a1 = 593 / 870, 39 / 58
    s0 = c0 + 3 * P(a0) + 1.5 * P(0.7)
    s1 = c1 + 2 * P(a1) + 1.0 * P(0.7)
    np.testing.assert_allclose(model.confusion_[0], s0 / s0.sum(axis=1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(model.confusion_[1], s1 / s1.sum(axis=1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(model.skills_.to_numpy(), [a0, a1])
    np.testing.assert_allclose(model.confusion_counts_, [c0, c1], atol=1e-12)
    assert model.crowd_accuracy_ == pytest.approx((a0 + a1) / 2)
    np.testing.assert_allclose(model.priors_, [(49 / 58 + 1 / 2 + 3 / 10) / 3, (9 / 58 + 1 / 2 + 7 / 10) / 3])
    assert model.errors_.loc[("w0", 1), 0] == pytest.approx(s0[0, 1] / s0[0].sum())
    # confidences: posterior of the label, two decimals, at most 0.95
    assert model.confidences_.tolist() == [0.84, 0.5, 0.7]
    assert model.labels_.tolist() == [0, 0, 1]


def test_smoothing_weights_are_parameters(two_workers):
    plain = ModifiedDawidSkene(n_iter=1, worker_prior_weight=0, crowd_prior_weight=0).fit(two_workers)
    c0 = np.array([[49 / 58, 4 / 5], [9 / 58, 6 / 5]])
    np.testing.assert_allclose(plain.confusion_[0], c0 / c0.sum(axis=1, keepdims=True), atol=1e-12)
    # w1 never answered 1: without smoothing, its column is zero, and nothing is NaN
    np.testing.assert_allclose(plain.confusion_[1][:, 1], 0.0)
    assert np.isfinite(ModifiedDawidSkene(worker_prior_weight=0, crowd_prior_weight=0).fit(two_workers).probas_).all().all()


def test_zero_epochs_is_a_vote_at_the_initial_accuracy(two_workers):
    model = ModifiedDawidSkene(n_iter=0).fit(two_workers)
    np.testing.assert_allclose(model.probas_.to_numpy()[0], [49 / 58, 9 / 58])
    np.testing.assert_allclose(model.confusion_, np.broadcast_to(P(0.7), (2, 2, 2)))
    assert model.n_iter_ == 0 and model.loss_history_ == []


# --- the documented incremental update, written with plain loops ------------------------------
def reference(batches, classes, *, n_iter=20, tol=1e-8, a0=0.7, w_own=1.0, w_crowd=0.5):
    """Loop implementation of ModifiedDawidSkene.partial_fit's docstring, batch after batch."""
    k = len(classes)
    conf, counts, skill = {}, {}, {}
    crowd, class_counts = a0, np.zeros(k)
    out = {}
    for batch in batches:
        answers = {}
        for t, w, lab in batch.itertuples(index=False):
            answers.setdefault(t, []).append((w, classes.index(lab)))
        workers = sorted({w for rows in answers.values() for w, _ in rows})
        for w in workers:
            if w not in conf:
                conf[w], counts[w] = P(crowd, k), np.zeros((k, k))
        post = {t: np.full(k, 1 / k) for t in answers}
        prev, c_batch, acc = None, None, {}
        for _ in range(n_iter):
            prior = (class_counts + sum(post.values())) / (class_counts.sum() + len(post))
            ll = 0.0
            for t, rows in answers.items():
                p = prior.copy()
                for w, lab in rows:
                    p = p * conf[w][:, lab]
                ll += math.log(p.sum())
                post[t] = p / p.sum()
            c_batch = {w: counts[w].copy() for w in workers}
            for t, rows in answers.items():
                for w, lab in rows:
                    c_batch[w][:, lab] += post[t]
            for w in workers:
                n = c_batch[w].sum()
                acc[w] = np.trace(c_batch[w]) / n
                s = c_batch[w] + w_own * n * P(acc[w], k) + w_crowd * n * P(crowd, k)
                conf[w] = s / s.sum(axis=1, keepdims=True)
            stop = prev is not None and abs(ll - prev) <= tol * abs(prev)
            prev = ll
            everyone = {**skill, **acc}
            crowd = sum(everyone.values()) / len(everyone)
            if stop:
                break
        for w in workers:
            counts[w], skill[w] = c_batch[w], acc[w]
        class_counts = class_counts + sum(post.values())
        out.update(post)
    return out, conf, counts, crowd, class_counts


def random_batches(seed, n_tasks=40, n_workers=8, k=3):
    rng = np.random.default_rng(seed)
    truth = rng.integers(k, size=n_tasks)
    skill = rng.uniform(0.4, 0.95, size=n_workers)
    rows = []
    for t in range(n_tasks):
        for w in rng.choice(n_workers, size=3, replace=False):
            right = rng.random() < skill[w]
            rows.append((f"t{t}", f"w{w}", int(truth[t]) if right else int(rng.integers(k))))
    frame = pd.DataFrame(rows, columns=["task", "worker", "label"])
    first = frame["task"].isin([f"t{t}" for t in range(n_tasks // 3)])
    # the first batch lacks the last worker entirely, so the second one brings a new worker
    first &= frame["worker"] != f"w{n_workers - 1}"
    batch2 = frame[~frame["task"].isin(frame.loc[first, "task"])]
    return frame[first], batch2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partial_fit_is_the_documented_incremental_update(seed):
    b1, b2 = random_batches(seed)
    classes = [0, 1, 2]
    model = ModifiedDawidSkene(tol=1e-10).partial_fit(b1, classes=classes).partial_fit(b2)
    post, conf, counts, crowd, class_counts = reference([b1, b2], classes, tol=1e-10)
    tasks = list(post)
    np.testing.assert_allclose(model.probas_.loc[tasks].to_numpy(), np.stack([post[t] for t in tasks]), atol=1e-9)
    workers = list(model.workers_)
    np.testing.assert_allclose(model.confusion_, np.stack([conf[w] for w in workers]), atol=1e-9)
    np.testing.assert_allclose(model.confusion_counts_, np.stack([counts[w] for w in workers]), atol=1e-9)
    assert model.crowd_accuracy_ == pytest.approx(crowd)
    np.testing.assert_allclose(model.class_counts_, class_counts)
    assert model.n_batches_ == 2 and set(model.labels_.index) == set(b1["task"]) | set(b2["task"])
    # the counts accumulate: every worker's total is their number of answers in both batches
    n_answers = pd.concat([b1, b2])["worker"].value_counts().reindex(workers)
    np.testing.assert_allclose(model.confusion_counts_.sum(axis=(1, 2)), n_answers.to_numpy())


def test_one_batch_is_fit_and_fit_forgets(two_workers):
    b1, b2 = random_batches(3)
    fitted = ModifiedDawidSkene().fit(b2, classes=[0, 1, 2])
    partial = ModifiedDawidSkene().partial_fit(b2, classes=[0, 1, 2])
    pd.testing.assert_frame_equal(fitted.probas_, partial.probas_)
    again = ModifiedDawidSkene().partial_fit(b1, classes=[0, 1, 2]).fit(b2, classes=[0, 1, 2])
    pd.testing.assert_frame_equal(again.probas_, fitted.probas_)
    np.testing.assert_allclose(again.confusion_, fitted.confusion_)
    assert again.n_batches_ == 1


def test_partial_fit_checks_classes():
    b1, b2 = random_batches(4)
    model = ModifiedDawidSkene().partial_fit(b1, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="differ from the classes of the earlier batches"):
        model.partial_fit(b2, classes=[0, 1])
    with pytest.raises(ValueError, match="outside the given label list"):
        model.partial_fit(b2.assign(label=7))


def test_workers_without_answers_in_a_subset_are_ignored():
    from crowdtut import encode_answers

    b1, _ = random_batches(5)
    data = encode_answers(b1)
    mask = data.worker != 0
    via_subset = ModifiedDawidSkene().fit(data.subset(mask))
    via_frame = ModifiedDawidSkene().fit(b1[mask])
    assert via_subset.crowd_accuracy_ == pytest.approx(via_frame.crowd_accuracy_)
    assert len(via_subset.workers_) == data.n_workers - 1


def test_batches_as_subsets_of_one_encoding():
    from crowdtut import encode_answers

    b1, b2 = random_batches(9)
    data = encode_answers(pd.concat([b1, b2]), classes=[0, 1, 2])
    first = data.task < 0
    first[: len(b1)] = True
    via_subsets = ModifiedDawidSkene().partial_fit(data.subset(first)).partial_fit(data.subset(~first))
    via_frames = ModifiedDawidSkene().partial_fit(b1, classes=[0, 1, 2]).partial_fit(b2)
    # the second subset lists every task; those of the first batch keep their labels
    pd.testing.assert_frame_equal(via_subsets.probas_.sort_index(), via_frames.probas_.sort_index())
    np.testing.assert_allclose(via_subsets.class_counts_, via_frames.class_counts_)
    assert via_subsets.crowd_accuracy_ == pytest.approx(via_frames.crowd_accuracy_)


def test_stop_rules():
    b1, b2 = random_batches(6)
    answers = pd.concat([b1, b2])
    right = ModifiedDawidSkene(n_iter=1000, tol=1e-8).fit(answers)
    notebook = ModifiedDawidSkene(n_iter=1000, tol=1e-8, stop_rule="notebook").fit(answers)
    assert notebook.n_iter_ == 2  # the likelihood went up, so (l - l_prev) / l_prev < 0 < tol
    assert 2 < right.n_iter_ < 1000
    loss = np.array(right.loss_history_)
    assert abs(loss[-1] - loss[-2]) <= 1e-8 * abs(loss[-2])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"initial_accuracy": 1.0}, "initial_accuracy=1.0"),
        ({"stop_rule": "absolute"}, "stop_rule='absolute'"),
        ({"max_confidence": 0}, "max_confidence=0"),
        ({"crowd_prior_weight": -1}, "crowd_prior_weight=-1"),
        ({"n_iter": 2.5}, "n_iter=2.5"),
    ],
)
def test_bad_hyper_parameters_are_named(two_workers, params, message):
    with pytest.raises(ValueError, match=message):
        ModifiedDawidSkene(**params).fit(two_workers)


# --- the real thing: SageMaker's own consolidated labels --------------------------------------
@pytest.fixture(scope="module")
def birds(mirror):
    from crowdtut.datasets import load_dataset

    return load_dataset("sagemaker-birds")


def test_agrees_with_sagemaker_manifest(birds):
    manifest = birds.extras["manifest"]
    model = ModifiedDawidSkene().fit(birds.answers, classes=birds.classes)
    agree = int((model.labels_.reindex(manifest.index) == manifest["label"]).sum())
    # 301 of 302: the one difference (768b6f700c9b6f72, 2 Duck / 2 Swan / 1 Goose) is a tie that
    # SageMaker decided while it had seen fewer answers (see the batch replay below)
    assert agree == 301 and model.n_iter_ == 14
    assert (model.confidences_ <= 0.95).all() and (model.confidences_ == 0.95).sum() >= 297
    early = ModifiedDawidSkene(stop_rule="notebook").fit(birds.answers, classes=birds.classes)
    assert early.n_iter_ == 2
    assert int((early.labels_.reindex(manifest.index) == manifest["label"]).sum()) == 301


def test_batch_replay_reproduces_every_sagemaker_label(birds, mirror, tmp_path):
    from crowdtut.io.sagemaker import read_output_manifest

    with tarfile.open(mirror / "sagemaker_birds/ic_data.tar.gz") as archive:
        archive.extract("ic_data/output.manifest", tmp_path, filter="data")
    manifest = read_output_manifest(tmp_path / "ic_data/output.manifest")
    manifest.index = manifest["source_ref"].map(lambda s: PurePosixPath(s).stem)
    batch = manifest["creation_date"].dt.floor("s")  # SageMaker consolidated 13 batches
    model = ModifiedDawidSkene()
    for when in sorted(batch.unique()):
        tasks = batch.index[batch == when]
        model.partial_fit(birds.answers[birds.answers["task"].isin(tasks)], classes=birds.classes)
    assert model.n_batches_ == 13
    assert (model.labels_.reindex(manifest.index) == manifest["label"]).all()


# --- the resampling the chapter uses (crowdtut.evaluation) -----------------------------------
def test_subsample_answers_keeps_k_per_task():
    b1, b2 = random_batches(7)
    answers = pd.concat([b1, b2])
    sub = subsample_answers(answers, 2, random_state=0)
    assert (sub.groupby("task").size() == 2).all()
    assert sub.index.isin(answers.index).all() and not sub.index.duplicated().any()
    assert subsample_answers(answers, 9, random_state=0).equals(answers)
    pd.testing.assert_frame_equal(sub, subsample_answers(answers, 2, random_state=0))
    with pytest.raises(ValueError, match="per_task=0"):
        subsample_answers(answers, 0)


def test_accuracy_by_effort_is_reproducible():
    from crowdtut.aggregation import MajorityVote

    b1, b2 = random_batches(8)
    answers = pd.concat([b1, b2])
    truth = answers.groupby("task")["label"].agg(lambda s: s.mode().iloc[0])
    models = {"MV": MajorityVote(tie_break="random"), "MDS": ModifiedDawidSkene()}
    table = accuracy_by_effort(models, answers, truth, per_task=[1, 3], n_repeats=3, random_state=1)
    assert table.shape == (12, 4) and list(table.columns) == ["per_task", "repeat", "method", "accuracy"]
    again = accuracy_by_effort(models, answers, truth, per_task=[1, 3], n_repeats=3, random_state=1)
    pd.testing.assert_frame_equal(table, again)
    assert models["MV"].random_state is None  # the templates are left untouched


def test_parameters_are_the_m_step_of_the_final_posteriors(tiny_answers):
    # the loop ends on an M-step: the stored counts are those expected under probas_, and the
    # matrices their smoothed rows, in every iteration count
    from crowdtut import encode_answers
    from crowdtut.aggregation.classification.modified_dawid_skene import expected_confusion_counts

    for n_iter in (1, 2, 20):
        model = ModifiedDawidSkene(n_iter=n_iter, tol=0.0).fit(tiny_answers)
        data = encode_answers(tiny_answers)
        post = model.probas_.loc[data.tasks].to_numpy()
        np.testing.assert_allclose(model.confusion_counts_, expected_confusion_counts(data, post), atol=1e-12)
        acc = np.trace(model.confusion_counts_, axis1=1, axis2=2) / model.confusion_counts_.sum(axis=(1, 2))
        np.testing.assert_allclose(model.skills_.to_numpy(), acc, atol=1e-12)
        assert model.converged_ is False and model.n_iter_ == n_iter
