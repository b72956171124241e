"""WDS, PlantNet and TwoThird against peerannot's definitions.

The expected labels are computed here from peerannot's definitions (peerannot/peerannot,
peerannot/models/aggregation/{wds,dawid_skene,twothird,plantnet}.py), written again with plain
numpy loops over a dense (task, worker, class) tensor, not with crowdtut's code:

- TwoThird: the most voted class when the task has at least two answers and that class holds at
  least two thirds of them, else -1;
- WDS: peerannot's Dawid-Skene (vote-share start, then M-step / E-step without smoothing, 50
  rounds at most, stop when the log of the summed E-step denominators moves by at most 1e-6),
  then votes weighted by the diagonal ``pi[j][k, k]`` of the last M-step;
- PlantNet with peerannot's defaults (alpha = beta = 1): every weight is log(2.1), so the labels
  are the argmax of the plain votes (first class on ties, numpy's argmax).
"""

import numpy as np
import pandas as pd
import pytest

from crowdtut.aggregation import WDS, PlantNet, TwoThird


def dense(answers, n_classes):
    n_tasks, n_workers = answers["task"].max() + 1, answers["worker"].max() + 1
    tensor = np.zeros((n_tasks, n_workers, n_classes))
    for t, w, l in answers.itertuples(index=False):
        tensor[t, w, l] = 1.0
    return tensor


def peerannot_twothird(tensor):
    votes = tensor.sum(axis=1)
    out = []
    for row in votes:
        total = row.sum()
        out.append(int(row.argmax()) if total >= 2 and row.max() / total >= 2 / 3 else -1)
    return np.array(out)


def peerannot_wds(tensor):
    n_tasks, n_workers, k = tensor.shape
    votes = tensor.sum(axis=1)
    T = votes / votes.sum(axis=1, keepdims=True)
    previous = None
    for _ in range(50):
        rho = T.sum(axis=0) / n_tasks
        pi = np.zeros((n_workers, k, k))
        for q in range(k):
            pij = np.einsum("i,ijl->jl", T[:, q], tensor)
            denom = pij.sum(axis=1, keepdims=True)
            pi[:, q, :] = pij / np.where(denom <= 0, -1e9, denom)
        new = np.zeros((n_tasks, k))
        for i in range(n_tasks):
            for q in range(k):
                new[i, q] = np.prod(np.power(pi[:, q, :], tensor[i])) * rho[q]
        denom = new.sum(axis=1, keepdims=True)
        T = np.where(denom > 0, new / denom, new)
        loglik = np.log(denom.sum())
        if previous is not None and abs(loglik - previous) <= 1e-6:
            break
        previous = loglik
    weights = np.zeros((n_tasks, k))
    for i in range(n_tasks):
        for j in range(n_workers):
            for l in range(k):
                if tensor[i, j, l]:
                    weights[i, l] += pi[j, l, l]
    return weights.argmax(axis=1)


def _sets():
    from crowdtut.datasets import load_dataset

    return [load_dataset("peerannot-toy"), load_dataset("bluebird")]


def test_twothird_matches_peerannot(mirror):
    for ds in _sets():
        expected = peerannot_twothird(dense(ds.answers, len(ds.classes)))
        model = TwoThird().fit(ds.answers)
        ours = model.labels_.where(model.agreed_, -1).astype(int).sort_index().to_numpy()
        np.testing.assert_array_equal(ours, expected)


def test_wds_matches_peerannot(mirror):
    for ds in _sets():
        expected = peerannot_wds(dense(ds.answers, len(ds.classes)))
        ours = WDS().fit(ds.answers).labels_.sort_index().to_numpy()
        np.testing.assert_array_equal(ours, expected)


def test_plantnet_defaults_match_peerannot(mirror):
    for ds in _sets():
        expected = dense(ds.answers, len(ds.classes)).sum(axis=1).argmax(axis=1)
        model = PlantNet().fit(ds.answers)
        np.testing.assert_array_equal(model.labels_.sort_index().to_numpy(), expected)
        np.testing.assert_allclose(model.weights_, np.log(2.1))


def test_plantnet_weights_grow_with_identified_classes():
    # worker "expert" agrees with the consensus on 15 distinct species, "novice" on one:
    # n_j = round(15 / 10) = 2 and round(1 / 10) = 0
    rows = []
    for species in range(15):
        for worker in ("expert", "a", "b"):
            rows.append((f"obs{species}", worker, species))
    rows.append(("obs0", "novice", 0))
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    model = PlantNet(alpha=0.5, beta=0.2).fit(answers)
    assert model.n_identified_["expert"] == 2 and model.n_identified_["novice"] == 0
    assert model.weights_["expert"] == pytest.approx(2 ** 0.5 - 2 ** 0.2 + np.log(2.1))
    assert model.weights_["novice"] == pytest.approx(np.log(2.1))
    # an author counts a whole class on a valid task of theirs
    authored = PlantNet(alpha=0.5, beta=0.2).fit(answers, authors=pd.Series({"obs0": "novice"}))
    assert authored.n_identified_["novice"] == 1
    assert authored.valid_["obs0"]
    with pytest.raises(ValueError, match="not in the answers"):
        PlantNet().fit(answers, authors=pd.Series({"nowhere": "novice"}))
    with pytest.raises(ValueError, match="worker"):
        PlantNet().fit(answers, authors=pd.Series({"obs0": "nobody"}))
    with pytest.raises(ValueError, match="alpha=-1"):
        PlantNet(alpha=-1).fit(answers)


def test_twothird_ties_and_bad_parameters():
    answers = pd.DataFrame({"task": [0, 0, 1], "worker": [0, 1, 0], "label": ["x", "y", "x"]})
    model = TwoThird().fit(answers)
    assert model.agreed_.tolist() == [False, False]  # a tie; a single answer
    assert TwoThird(tie_break="random", random_state=0).fit(answers).labels_[0] in ("x", "y")
    with pytest.raises(ValueError, match="tie_break='coin'"):
        TwoThird(tie_break="coin").fit(answers)
    with pytest.raises(ValueError, match="n_iter=-2"):
        WDS(n_iter=-2).fit(answers)
