"""BinaryRelevance: one binary aggregation per class."""

import numpy as np
import pandas as pd
import pytest

from crowdtut.aggregation import BinaryRelevance, DawidSkene, MajorityVote


@pytest.fixture
def sets():
    return pd.DataFrame([
        ["t1", "w1", ["house", "tree"]], ["t1", "w2", ["house"]], ["t1", "w3", ["house", "tree", "grass"]],
        ["t2", "w1", ["car"]], ["t2", "w2", ["car", "human"]], ["t2", "w3", ["train"]],
    ], columns=["task", "worker", "label"])


def test_majority_per_class(sets):
    model = BinaryRelevance().fit(sets)
    assert list(model.classes_) == ["car", "grass", "house", "human", "train", "tree"]
    # house: 3/3 on t1; tree 2/3 on t1; car 2/3 on t2; grass, human, train 1/3
    assert model.labels_.to_dict() == {"t1": ["house", "tree"], "t2": ["car"]}
    np.testing.assert_allclose(model.probas_.loc["t1", "tree"], 2 / 3)
    np.testing.assert_allclose(model.probas_.loc["t2", "house"], 0.0)
    assert set(model.aggregators_) == set(model.classes_)


def test_base_is_copied_not_fitted(sets):
    base = DawidSkene(n_iter=5)
    model = BinaryRelevance(base).fit(sets)
    assert not any(k.endswith("_") for k in vars(base))
    assert all(isinstance(m, DawidSkene) and m.n_iter == 5 for m in model.aggregators_.values())
    assert model.aggregators_["car"] is not model.aggregators_["tree"]


def test_classes_and_empty_sets(sets):
    extra = pd.concat([sets, pd.DataFrame([["t3", "w1", []], ["t3", "w2", []]], columns=sets.columns)])
    model = BinaryRelevance(MajorityVote()).fit(extra, classes=["car", "house", "tree", "grass", "human",
                                                                "train", "boat"])
    assert model.labels_["t3"] == []
    assert (model.probas_["boat"] == 0).all()


def test_bad_input(sets):
    with pytest.raises(ValueError, match="row 0"):
        BinaryRelevance().fit(sets.assign(label="house"))
    with pytest.raises(ValueError, match="not in classes"):
        BinaryRelevance().fit(sets, classes=["house"])
    with pytest.raises(ValueError, match="classification aggregator"):
        BinaryRelevance(base="MV").fit(sets)
    with pytest.raises(ValueError, match="column"):
        BinaryRelevance().fit(sets.drop(columns="worker"))
    with pytest.raises(ValueError, match="no answer names any class"):
        BinaryRelevance().fit(sets.assign(label=[[]] * len(sets)))
