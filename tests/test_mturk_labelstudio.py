"""Readers for Mechanical Turk batch results and Label Studio JSON exports."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdtut.aggregation import BinaryRelevance, MajorityVote
from crowdtut.io import read_labelstudio, read_mturk

DATA = Path(__file__).parent / "data"


def test_music_preferences_has_2810_answers(mirror):
    answers = read_mturk(mirror / "music_preferences/judgments.csv", "radio")
    assert len(answers) == 2810
    assert list(answers.columns) == ["task", "worker", "label"]
    assert answers["task"].nunique() == 281 and answers["worker"].nunique() == 79
    assert set(answers["label"].dropna()) == {"a", "b", "s"}
    assert answers["label"].isna().sum() == 5  # five assignments left the radio empty: kept, missing
    labels = MajorityVote().fit_predict(answers.dropna(subset=["label"]))
    assert len(labels) == 281
    by_input = read_mturk(mirror / "music_preferences/judgments.csv", "Answer.radio",
                          task=["query", "docA", "docB"], keep=["WorkTimeInSeconds"])
    assert by_input["task"].nunique() == 281 and "WorkTimeInSeconds" in by_input


def test_mturk_fixture_latin1_and_rejected():
    path = DATA / "mturk_batch_results.csv"
    answers = read_mturk(path, "category", keep=["Input.caption"])
    assert answers["task"].tolist() == ["3X1"] * 3 + ["3X2"] * 3
    assert answers["Input.caption"].iloc[0] == "Café terrace"  # latin-1 decoded
    assert answers["label"].isna().tolist() == [False] * 4 + [True, False]
    kept = read_mturk(path, "category", rejected="drop")
    assert "W_CHLOE" not in kept.loc[kept["task"] == "3X1", "worker"].tolist()
    with pytest.raises(ValueError, match="Answer.colour"):
        read_mturk(path, "colour")
    with pytest.raises(ValueError, match=r"Answer\.category"):  # the message lists the choices
        read_mturk(path, "colour")
    with pytest.raises(ValueError, match="rejected='maybe'"):
        read_mturk(path, "category", rejected="maybe")


def test_mturk_bad_rows_name_the_line(tmp_path):
    bad = tmp_path / "batch.csv"
    bad.write_text("HITId,WorkerId,Answer.x\nH1,W1,a\nH1,,b\n", encoding="latin-1")
    with pytest.raises(ValueError, match="line 3.*WorkerId"):
        read_mturk(bad, "x")
    utf = tmp_path / "utf.csv"
    utf.write_bytes("HITId,WorkerId,Answer.x\nH1,W1,\u00e9\n".encode("utf-16"))
    with pytest.raises(ValueError, match="utf.csv"):
        read_mturk(utf, "x", encoding="utf-8")


def test_labelstudio_several_annotations_per_task():
    answers = read_labelstudio(DATA / "labelstudio_sentiment.json")
    assert len(answers) == 11  # 12 annotations, one cancelled
    assert answers.attrs["skipped"] == {"cancelled": 1, "no_result": 0}
    assert answers.groupby("task").size().tolist() == [3, 3, 2, 3]
    labels = MajorityVote().fit_predict(answers)
    assert labels.tolist() == ["Positive", "Negative", "Neutral", "Positive"]
    by_ref = read_labelstudio(DATA / "labelstudio_sentiment.json", task_key="ref_id")
    assert by_ref["task"].iloc[0] == "review-1"
    with pytest.raises(ValueError, match="no key 'url'"):
        read_labelstudio(DATA / "labelstudio_sentiment.json", task_key="url")


def test_labelstudio_multilabel_feeds_binary_relevance():
    path = DATA / "labelstudio_multilabel.json"
    with pytest.raises(ValueError, match="multilabel=True"):
        read_labelstudio(path)
    answers = read_labelstudio(path, multilabel=True)
    assert answers["worker"].tolist() == ["ann@example.com", "bob@example.com", "cy@example.com",
                                          "ann@example.com"]
    assert answers.attrs["skipped"]["no_result"] == 1
    labels = BinaryRelevance().fit_predict(answers)
    assert labels.tolist() == [["house", "tree"], ["car"]]


def test_labelstudio_bad_files(tmp_path):
    cases = {
        "notjson.json": ("{oops", "not valid JSON"),
        "object.json": (json.dumps({"id": 1}), "JSON list of tasks"),
        "noid.json": (json.dumps([{"data": {}}]), "task #0"),
        "nobody.json": (json.dumps([{"id": 1, "annotations": [{"result": []}]}]), "completed_by"),
        "twotags.json": (json.dumps([{"id": 1, "annotations": [{"completed_by": 1, "result": [
            {"from_name": "a", "type": "choices", "value": {"choices": ["x"]}},
            {"from_name": "b", "type": "choices", "value": {"choices": ["y"]}}]}]}]), "from_name"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            read_labelstudio(path)
    two = tmp_path / "twotags.json"
    assert read_labelstudio(two, from_name="b")["label"].tolist() == ["y"]
