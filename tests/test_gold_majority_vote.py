"""GoldMajorityVote: gold accuracy as weights, a prior for workers without gold, crowd-kit parity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from crowdtut.aggregation import GoldMajorityVote, MajorityVote, NotFittedError
from crowdtut.simulate import hammer_spammer, independent_confusion

CROWDKIT_PYTHON = Path("/work/venv-crowdkit/bin/python")


@pytest.fixture
def small():
    # a, b right on both gold tasks; c right on one; d never saw gold
    answers = pd.DataFrame(
        {
            "task": ["g1", "g1", "g1", "g2", "g2", "g2", "t", "t", "t", "t", "u", "u"],
            "worker": ["a", "b", "c", "a", "b", "c", "a", "c", "d", "b", "c", "d"],
            "label": ["x", "x", "y", "y", "y", "y", "x", "y", "y", "y", "x", "y"],
        }
    )
    gold = pd.Series({"g1": "x", "g2": "y"})
    return answers, gold


def test_skills_are_gold_accuracy_and_votes_are_weighted(small):
    answers, gold = small
    model = GoldMajorityVote().fit(answers, gold)
    np.testing.assert_allclose(model.skills_[["a", "b", "c"]].to_numpy(), [1.0, 1.0, 0.5])
    assert model.n_gold_.to_dict() == {"a": 2, "b": 2, "c": 2, "d": 0}
    # pooled gold accuracy: 5 right out of 6 gold answers
    assert model.default_skill_ == pytest.approx(5 / 6)
    assert model.skills_["d"] == pytest.approx(5 / 6)
    # task t: x <- a (1.0); y <- c (0.5), d (5/6), b (1.0)
    total = 1 + 0.5 + 5 / 6 + 1
    np.testing.assert_allclose(model.probas_.loc["t", ["x", "y"]], [1.0 / total, (0.5 + 5 / 6 + 1) / total])
    assert model.labels_["t"] == "y"
    # task u: x <- c (0.5), y <- d (5/6): the prior decides
    assert model.labels_["u"] == "y"
    np.testing.assert_allclose(model.probas_.sum(axis=1), 1.0)


def test_default_skill_and_pseudo_count(small):
    answers, gold = small
    model = GoldMajorityVote(default_skill=0.2, pseudo_count=2.0).fit(answers, gold)
    # (hits + c * s0) / (n + c)
    np.testing.assert_allclose(model.skills_.to_numpy(), [(2 + 0.4) / 4, (2 + 0.4) / 4, (1 + 0.4) / 4, 0.2])
    assert model.labels_["u"] == "x"  # d's prior 0.2 < c's 0.35


def test_predict_on_new_answers_uses_learned_skills(small):
    answers, gold = small
    model = GoldMajorityVote(default_skill=0.1).fit(answers, gold)
    new = pd.DataFrame({"task": ["n", "n", "n"], "worker": ["a", "c", "zz"], "label": ["x", "y", "y"]})
    assert model.predict(new).to_dict() == {"n": "x"}  # a (1.0) against c (0.5) + new zz (0.1)
    np.testing.assert_allclose(model.predict_proba(new).loc["n"].to_numpy(), [1.0 / 1.6, 0.6 / 1.6])


def test_fit_predict_forms_and_unfitted(small):
    answers, gold = small
    fitted = GoldMajorityVote().fit(answers, gold=gold)
    assert GoldMajorityVote().fit_predict(answers, gold).equals(fitted.labels_)
    proba = GoldMajorityVote().fit_predict_proba(answers, gold=gold)
    assert list(proba.columns) == ["x", "y"]
    with pytest.raises(NotFittedError):
        GoldMajorityVote().predict(answers)
    model = clone(GoldMajorityVote(default_skill=0.3, pseudo_count=1.0))
    assert model.get_params() == {"default_skill": 0.3, "pseudo_count": 1.0}


def test_equal_skills_reduce_to_majority_vote():
    answers = independent_confusion(60, 8, 3, feedback=5, seed=3).answers
    control = pd.DataFrame({"task": -1, "worker": range(8), "label": 0})  # everyone right on gold
    model = GoldMajorityVote().fit(pd.concat([answers, control]), pd.Series({-1: 0}))
    np.testing.assert_allclose(model.skills_.to_numpy(), 1.0)
    mv = MajorityVote().fit(answers)
    assert (model.labels_.drop(-1) == mv.labels_).all()
    np.testing.assert_allclose(model.probas_.drop(-1).to_numpy(), mv.probas_.to_numpy())


@pytest.mark.parametrize(
    "gold, kwargs, match",
    [
        (pd.Series({"nope": "x"}), {}, "not in the answers"),
        (pd.Series({"g1": "z"}), {}, "outside the classes"),
        (pd.Series(dtype=object), {}, "empty"),
        (pd.Series({"g1": None}), {}, "missing label"),
        (pd.Series(["x", "y"], index=["g1", "g1"]), {}, "more than once"),
    ],
)
def test_bad_gold(small, gold, kwargs, match):
    answers, _ = small
    with pytest.raises(ValueError, match=match):
        GoldMajorityVote().fit(answers, gold, **kwargs)


def test_without_gold_every_worker_gets_the_prior(small):
    answers, _ = small
    plain = GoldMajorityVote().fit(answers)
    assert plain.default_skill_ == 1.0 and (plain.skills_ == 1.0).all() and (plain.n_gold_ == 0).all()
    assert plain.labels_.equals(MajorityVote().fit(answers).labels_)
    prior = GoldMajorityVote(default_skill=0.4).fit(answers)
    np.testing.assert_allclose(prior.skills_.to_numpy(), 0.4)
    np.testing.assert_allclose(prior.probas_.to_numpy(), plain.probas_.to_numpy())


def test_gold_label_of_a_declared_class_is_accepted(small):
    answers, _ = small
    model = GoldMajorityVote().fit(answers, pd.Series({"g1": "z", "g2": "y"}), classes=["x", "y", "z"])
    assert model.skills_["a"] == pytest.approx(0.5)


@pytest.mark.parametrize("params", [{"default_skill": 1.5}, {"default_skill": "high"}, {"pseudo_count": -1}])
def test_bad_params(small, params):
    answers, gold = small
    with pytest.raises(ValueError, match=next(iter(params))):
        GoldMajorityVote(**params).fit(answers, gold)


_CROWDKIT_SNIPPET = """
import json, sys
import pandas as pd
from crowdkit.aggregation import GoldMajorityVote
answers = pd.read_csv(sys.argv[1])
gold = pd.read_csv(sys.argv[2], index_col=0).iloc[:, 0]
model = GoldMajorityVote().fit(answers, gold)
proba = model.predict_proba(answers)
print(json.dumps({"skills": model.skills_.to_dict(), "labels": model.labels_.to_dict(),
                  "proba": {str(c): proba[c].to_dict() for c in proba.columns}}))
"""


def run_crowdkit(answers: pd.DataFrame, gold: pd.Series, tmp_path: Path) -> dict:
    answers.to_csv(tmp_path / "answers.csv", index=False)
    gold.rename("label").to_csv(tmp_path / "gold.csv")
    out = subprocess.run(
        [str(CROWDKIT_PYTHON), "-c", _CROWDKIT_SNIPPET,
         str(tmp_path / "answers.csv"), str(tmp_path / "gold.csv")],
        capture_output=True, text=True, check=True, timeout=300,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _compare(answers, gold, tmp_path):
    ours = GoldMajorityVote().fit(answers, gold)
    theirs = run_crowdkit(answers, gold, tmp_path)
    skills = pd.Series(theirs["skills"]).rename(int)
    np.testing.assert_allclose(ours.skills_[skills.index].to_numpy(), skills.to_numpy(), atol=1e-12)
    labels = pd.Series(theirs["labels"]).rename(int)
    assert (ours.labels_[labels.index].to_numpy() == labels.to_numpy()).all()
    for c, col in theirs["proba"].items():
        col = pd.Series(col).rename(int)
        np.testing.assert_allclose(ours.probas_.loc[col.index, int(c)].to_numpy(), col.to_numpy(), atol=1e-12)
    return ours


@pytest.mark.skipif(not CROWDKIT_PYTHON.exists(), reason="crowd-kit venv not available")
def test_matches_crowdkit_on_simulated_answers(tmp_path):
    crowd = hammer_spammer(300, 20, 3, ratio_spammers=0.3, feedback=5, seed=11)
    answers, truth = crowd.answers, crowd.truth
    gold = truth.iloc[:100]
    covered = answers[answers.task.isin(gold.index)].worker.unique()
    assert len(covered) == answers.worker.nunique()  # crowd-kit needs gold for every worker
    _compare(answers, gold, tmp_path)


@pytest.mark.skipif(not CROWDKIT_PYTHON.exists(), reason="crowd-kit venv not available")
def test_matches_crowdkit_on_rte(mirror, tmp_path):
    from crowdtut.datasets import load_dataset

    data = load_dataset("rte")
    gold = data.truth.iloc[::2]  # every other task is a control task
    answers = data.answers
    covered = answers[answers.task.isin(gold.index)].worker.unique()
    answers = answers[answers.worker.isin(covered)].reset_index(drop=True)  # where crowd-kit runs
    ours = _compare(answers, gold, tmp_path)
    assert (ours.n_gold_ > 0).all()
