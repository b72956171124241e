"""KOS and M-MSR: message passing and robust rank-one skills."""

import numpy as np
import pandas as pd
import pytest

from crowdtut.aggregation import KOS, MMSR, MajorityVote
from crowdtut.metrics import accuracy


def hammer_spammer(n_tasks=400, n_workers=60, per_task=7, n_classes=2, seed=0, adversaries=0):
    """Half the workers right with probability 0.95, half guessing uniformly; optional adversaries
    who always pick a wrong class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(n_classes, size=n_tasks)
    p = np.where(np.arange(n_workers) < n_workers // 2, 0.95, 1.0 / n_classes)
    p[n_workers - adversaries:] = 0.0
    rows = []
    for task in range(n_tasks):
        for worker in rng.choice(n_workers, per_task, replace=False):
            if rng.random() < p[worker]:
                label = truth[task]
            else:
                label = rng.choice([c for c in range(n_classes) if c != truth[task]])
            rows.append((task, worker, int(label)))
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    return answers, pd.Series(truth), p


def kos_by_hand(answers, n_iter):
    """The KOS updates written per edge with dictionaries (the ones start), for comparison."""
    first = sorted(answers["label"].unique())[0]
    a = {(t, w): (1.0 if l == first else -1.0) for t, w, l in answers.itertuples(index=False)}
    y = {e: 1.0 for e in a}
    for _ in range(n_iter):
        x = {(t, w): sum(a[(t, v)] * y[(t, v)] for (s, v) in a if s == t and v != w) for (t, w) in a}
        y = {(t, w): sum(a[(s, w)] * x[(s, w)] for (s, v) in a if v == w and s != t) for (t, w) in a}
    tasks = sorted(answers["task"].unique())
    return np.array([sum(a[e] * y[e] for e in a if e[0] == t) for t in tasks])


def test_kos_matches_the_updates_by_hand():
    answers, _, _ = hammer_spammer(n_tasks=12, n_workers=6, per_task=3, seed=3)
    for n_iter in (1, 2, 3):
        model = KOS(n_iter=n_iter, init="ones", tol=0).fit(answers)
        expected = kos_by_hand(answers, n_iter)
        ours = model.scores_.to_numpy()
        # our messages are rescaled after each update: same direction, positive factor
        np.testing.assert_allclose(ours / np.abs(ours).max(), expected / np.abs(expected).max(), atol=1e-12)


def test_kos_beats_majority_vote_on_hammers_and_spammers():
    answers, truth, _ = hammer_spammer()
    kos = KOS().fit(answers)
    mv = MajorityVote().fit(answers)
    assert accuracy(kos.labels_, truth) > accuracy(mv.labels_, truth) + 0.02
    assert kos.n_iter_ <= 100


def test_kos_is_seeded_and_leaves_the_global_rng_alone():
    answers, _, _ = hammer_spammer(n_tasks=60, seed=1)
    state = np.random.get_state()[1].copy()
    a = KOS(random_state=5).fit(answers).scores_
    b = KOS(random_state=5).fit(answers).scores_
    assert np.array_equal(np.random.get_state()[1], state)
    pd.testing.assert_series_equal(a, b)
    rng_result = KOS(random_state=np.random.default_rng(5)).fit(answers).scores_
    pd.testing.assert_series_equal(a, rng_result)


def test_kos_zero_messages_give_no_nan():
    # every worker answers once: each worker message sums over no other answer, so all are zero
    answers = pd.DataFrame({"task": [0, 0, 1, 1], "worker": [0, 1, 2, 3], "label": ["a", "b", "b", "b"]})
    model = KOS().fit(answers)
    assert np.isfinite(model.probas_.to_numpy()).all()
    np.testing.assert_allclose(model.probas_.loc[0].to_numpy(), [0.5, 0.5])
    assert model.labels_.tolist() == ["a", "b"]  # zero score: the majority vote, then the first class
    assert model.converged_


def test_kos_rejects_more_than_two_classes_and_bad_parameters():
    answers = pd.DataFrame({"task": [0, 0, 0], "worker": [0, 1, 2], "label": [0, 1, 2]})
    with pytest.raises(ValueError, match="binary"):
        KOS().fit(answers)
    two = answers.iloc[:2]
    with pytest.raises(ValueError, match="n_iter=-1"):
        KOS(n_iter=-1).fit(two)
    with pytest.raises(ValueError, match="init='zeros'"):
        KOS(init="zeros").fit(two)


def test_kos_one_answered_class_and_unused_classes():
    answers = pd.DataFrame({"task": [0, 1], "worker": [0, 1], "label": [1, 1]})
    model = KOS().fit(answers, classes=[0, 1, 2])
    assert model.labels_.tolist() == [1, 1]
    assert (model.probas_[2] == 0).all()


def test_mmsr_recovers_skills_and_beats_majority_vote():
    answers, truth, p = hammer_spammer(n_classes=3, seed=2, adversaries=4)
    model = MMSR().fit(answers)
    acc = model.accuracies_.sort_index().to_numpy()
    assert np.corrcoef(acc, p)[0, 1] > 0.9
    assert (model.skills_.sort_index().to_numpy()[-4:] < 0).all(), "adversaries get negative weights"
    assert accuracy(model.labels_, truth) > accuracy(MajorityVote().fit(answers).labels_, truth) + 0.02
    np.testing.assert_allclose(
        model.skills_, np.log(model.accuracies_ * 2 / (1 - model.accuracies_)), rtol=1e-12
    )
    assert model.converged_ and len(model.change_history_) == model.n_iter_
    assert not hasattr(model, "loss_history_")  # M-MSR has no likelihood


def test_mmsr_probabilities_are_the_one_coin_posterior():
    answers, _, _ = hammer_spammer(n_tasks=80, seed=4)
    model = MMSR().fit(answers)
    skills = model.skills_
    scores = (answers.assign(w=answers["worker"].map(skills))
              .pivot_table(index="task", columns="label", values="w", aggfunc="sum", fill_value=0.0))
    log_ratio = np.log(model.probas_[0] / model.probas_[1])
    np.testing.assert_allclose(log_ratio, scores[0] - scores[1], atol=1e-9)


def test_mmsr_normalised_sum_vote_is_crowdkits_share_rule():
    # crowd-kit 1.4.2 divides each task's skill totals by their sum: a negative sum flips the argmax
    answers, _, _ = hammer_spammer(n_classes=3, seed=2, adversaries=4)
    weighted = MMSR().fit(answers)
    shares = MMSR(vote="normalised_sum").fit(answers)
    np.testing.assert_allclose(weighted.skills_, shares.skills_)
    np.testing.assert_allclose(weighted.probas_, shares.probas_)
    totals = (answers.assign(w=answers["worker"].map(weighted.skills_))
              .pivot_table(index="task", columns="label", values="w", aggfunc="sum", fill_value=0.0))
    expected = totals.div(totals.sum(axis=1), axis=0).idxmax(axis=1)
    assert shares.labels_.reindex(expected.index).equals(expected)
    negative = totals.sum(axis=1) < 0
    assert negative.any(), "the fixture must hold a task with a negative total"
    assert (shares.labels_[negative] == totals[negative].idxmin(axis=1)).all()
    assert (weighted.labels_[~negative] == shares.labels_[~negative]).all()
    with pytest.raises(ValueError, match="vote='max'"):
        MMSR(vote="max").fit(answers)


def test_mmsr_sign_pairs_and_bad_parameters(mirror):
    from crowdtut.datasets import load_dataset

    ds = load_dataset("rte")
    observed = MMSR().fit(ds.answers)
    every = MMSR(sign_pairs="all").fit(ds.answers)
    # same magnitudes, other signs: crowd-kit's reading marks many good rte workers adversarial
    np.testing.assert_allclose(observed.skills_.abs(), every.skills_.abs(), rtol=1e-9)
    assert (every.skills_ < 0).sum() > 3 * (observed.skills_ < 0).sum()
    assert accuracy(observed.labels_, ds.truth) > 0.88
    with pytest.raises(ValueError, match="sign_pairs='some'"):
        MMSR(sign_pairs="some").fit(ds.answers)
    with pytest.raises(ValueError, match="tol=-1"):
        MMSR(tol=-1).fit(ds.answers)


def test_cli_strategies(tmp_path, capsys):
    from crowdtut.cli import main
    from crowdtut.io import read_peerannot

    folder = tmp_path / "sim"
    assert main(["simulate", "--n-worker", "12", "--n-task", "60", "--n-classes", "2", "--feedback",
                 "5", "--seed", "1", "--folder", str(folder)]) == 0
    for strategy in ("KOS[init=ones]", "M-MSR[sign_pairs=all]"):
        assert main(["aggregate", str(folder), "-s", strategy]) == 0
    out = capsys.readouterr().out
    assert "KOS[init=ones]" in out and "AccTrain" in out
    hard = np.load(folder / "labels" / "labels_independent-confusion_kos[init=ones].npy")
    assert hard.shape == (60,) and set(np.unique(hard)) <= {0, 1}
    assert read_peerannot(folder).answers["label"].nunique() == 2


def test_mmsr_negative_trim_keeps_the_largest_ratio():
    from crowdtut.aggregation.classification.mmsr import _trimmed_update

    ratios = np.array([[0.2, 0.9, 0.5, 7.0], [0.0, 0.0, 3.0, 1.0], [4.0, 4.0, 4.0, 4.0]])
    observed = np.array([[True, True, True, False], [True, True, False, False], [False] * 4])
    current = np.array([0.4, 0.3, 0.6])
    got = _trimmed_update(ratios, observed, current, trim=-1, floor=0.05)
    # row 0: the largest observed ratio; row 1: the largest is 0, so the floor; row 2: nothing
    np.testing.assert_allclose(got, [0.9, 0.05, 0.6])
    clamped = _trimmed_update(ratios, observed, current, trim=0, floor=0.05)
    np.testing.assert_allclose(clamped, [(0.2 + 0.9 + 0.5) / 3, 0.05, 0.6])
    with pytest.raises(ValueError, match="negative_trim='all'"):
        MMSR(negative_trim="all").fit(pd.DataFrame({"task": [0], "worker": [0], "label": [0]}))


def test_mmsr_negative_trim_only_matters_on_sparse_designs(mirror):
    from crowdtut.datasets import load_dataset

    ds = load_dataset("bluebird")  # every worker saw every task: F is large, nothing changes
    a = MMSR(negative_trim="clamp").fit(ds.answers)
    b = MMSR(negative_trim="largest").fit(ds.answers)
    np.testing.assert_allclose(a.skills_, b.skills_)
