"""Readers and writer for SageMaker Ground Truth files: worker responses and output manifests."""

import json
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pytest

from crowdtut.aggregation.classification.modified_dawid_skene import ModifiedDawidSkene
from crowdtut.io.sagemaker import (
    agreement,
    parse_worker_response,
    read_output_manifest,
    read_worker_responses,
    to_output_manifest,
    write_output_manifest,
)


def response(*pairs, template="crowd-image-classifier"):
    return {
        "answers": [
            {"answerContent": {template: {"label": label}}, "submissionTime": f"2019-04-18T16:1{n}:00Z",
             "workerId": worker}
            for n, (worker, label) in enumerate(pairs)
        ]
    }


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")


@pytest.fixture
def job(tmp_path) -> Path:
    """A job folder: two iterations, three objects, plus files the reader must skip."""
    root = tmp_path / "job" / "annotations"
    wr = root / "worker-response"
    write_json(wr / "iteration-1/1/2019-04-18_16:13:05.json", response(("w1", "Owl"), ("w2", "Duck")))
    write_json(wr / "iteration-2/0/2019-04-18_16:30:00.json", response(("w2", "Owl"), ("w3", "Owl")))
    write_json(wr / "iteration-2/10/2019-04-18_16:31:00.json", response(("w1", "Duck"), ("w3", "Duck")))
    (wr / "iteration-2/10/._2019-04-18_16:31:00.json").write_bytes(b"\x00\x05\x16\x07 macOS")
    write_json(root / "consolidated-annotation/consolidation-request/iteration-1/2019.json", [{"x": 1}])
    return tmp_path / "job"


def test_read_worker_responses(job):
    frame = read_worker_responses(job)  # any folder above worker-response works
    assert list(frame.columns) == ["task", "worker", "label", "iteration", "submission_time"]
    assert frame[["task", "worker", "label", "iteration"]].values.tolist() == [
        [0, "w2", "Owl", 2], [0, "w3", "Owl", 2], [1, "w1", "Owl", 1], [1, "w2", "Duck", 1],
        [10, "w1", "Duck", 2], [10, "w3", "Duck", 2],
    ]
    assert frame["submission_time"].iloc[0] == pd.Timestamp("2019-04-18T16:10:00Z")
    pd.testing.assert_frame_equal(frame, read_worker_responses(job / "annotations/worker-response"))


def test_text_and_plain_answer_content():
    rows = parse_worker_response(response(("w1", "spam"), template="crowd-classifier"))
    assert rows == [("w1", "spam", "2019-04-18T16:10:00Z")]
    plain = {"answers": [{"workerId": "w9", "answerContent": {"label": "cat"}}]}
    assert parse_worker_response(plain) == [("w9", "cat", None)]


@pytest.mark.parametrize(
    "content, message",
    [
        ({"answers": "nope"}, "expected an object with an 'answers' list"),
        ({"answers": [{"workerId": "w"}]}, "expected 'workerId' and 'answerContent'"),
        ({"answers": [{"workerId": "w", "answerContent": {"crowd-image-classifier-multi-select":
                                                          {"labels": ["a", "b"]}}}]}, "multi-label"),
        ({"answers": [{"workerId": "w", "answerContent": {"a": 1, "b": 2}}]}, "no single-label"),
        ({"answers": [{"workerId": "w", "answerContent": {"label": ""}}]}, "empty label"),
    ],
)
def test_bad_worker_responses_are_named(tmp_path, content, message):
    path = tmp_path / "iteration-1/3/x.json"
    write_json(path, content)
    with pytest.raises(ValueError, match=message) as err:
        read_worker_responses(tmp_path)
    assert str(path) in str(err.value)


def test_bad_worker_response_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        read_worker_responses(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no worker response"):
        read_worker_responses(tmp_path)
    bad = tmp_path / "iteration-1/cat/x.json"
    write_json(bad, response(("w", "Owl")))
    with pytest.raises(ValueError, match="'cat' is not an integer id"):
        read_worker_responses(tmp_path)
    bad.unlink()
    broken = tmp_path / "iteration-1/4/y.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a JSON file"):
        read_worker_responses(tmp_path)


# --- output manifests ------------------------------------------------------------------------
def manifest_line(n, label, index, attribute="birds", confidence=0.95, source_key="source-ref"):
    return json.dumps({
        source_key: f"s3://bucket/img{n}.jpg", attribute: index,
        f"{attribute}-metadata": {"confidence": confidence, "job-name": f"labeling-job/{attribute}",
                                  "class-name": label, "human-annotated": "yes",
                                  "creation-date": f"2019-04-18T16:40:5{n}.217995",
                                  "type": "groundtruth/image-classification"},
    }, separators=(",", ":"))


@pytest.fixture
def manifest_file(tmp_path) -> Path:
    path = tmp_path / "output.manifest"
    path.write_text("\n".join([manifest_line(0, "Owl", 1), manifest_line(1, "Duck", 0, confidence=0.6)]) + "\n")
    return path


def test_read_output_manifest(manifest_file):
    frame = read_output_manifest(manifest_file)
    assert frame.index.name == "object_id" and frame.index.tolist() == [0, 1]
    assert frame["label"].tolist() == ["Owl", "Duck"] and frame["class_index"].tolist() == [1, 0]
    assert frame["confidence"].tolist() == [0.95, 0.6]
    assert frame["creation_date"].iloc[1] == pd.Timestamp("2019-04-18T16:40:51.217995")
    assert frame.attrs == {"label_attribute": "birds", "source_key": "source-ref"}


def test_manifest_round_trip_is_byte_identical(manifest_file, tmp_path):
    out = write_output_manifest(tmp_path / "copy.manifest", read_output_manifest(manifest_file))
    assert out.read_bytes() == manifest_file.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_output_manifest(out, read_output_manifest(manifest_file))
    write_output_manifest(out, read_output_manifest(manifest_file), overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.manifest", "output.manifest"]  # no temp file left


@pytest.mark.parametrize(
    "lines, message",
    [
        (["{oops"], "line 1: not JSON"),
        (["[1, 2]"], "line 1: expected a JSON object"),
        ([json.dumps({"birds": 1, "birds-metadata": {"class-name": "Owl"}})], "no 'source-ref'"),
        ([json.dumps({"source-ref": "s3://a"})], "no '<label attribute>-metadata' field"),
        ([manifest_line(0, "Owl", 1)[:-1] + ',"other":1,"other-metadata":{"class-name":"x"}}'],
         "2 label attributes"),
        ([manifest_line(0, "Owl", 1), manifest_line(1, "Duck", 0, attribute="other")], "line 2: no label attribute 'birds'"),
        ([manifest_line(0, "Owl", "1")], "is not a class index"),
        ([], "is empty"),
    ],
)
def test_bad_manifests_are_named(tmp_path, lines, message):
    path = tmp_path / "bad.manifest"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_output_manifest(path)


def test_label_attribute_can_be_chosen(tmp_path):
    path = tmp_path / "chained.manifest"
    line = json.loads(manifest_line(0, "Owl", 1))
    line.update(json.loads(manifest_line(0, "Duck", 0, attribute="second")))
    path.write_text(json.dumps(line) + "\n")
    assert read_output_manifest(path, label_attribute="second")["label"].tolist() == ["Duck"]
    text = tmp_path / "text.manifest"
    text.write_text(manifest_line(0, "spam", 1, source_key="source") + "\n")
    frame = read_output_manifest(text)
    assert frame.attrs["source_key"] == "source"
    write_output_manifest(tmp_path / "text2.manifest", frame)
    assert (tmp_path / "text2.manifest").read_text() == text.read_text()


def test_bad_frames_are_not_written(tmp_path, manifest_file):
    frame = read_output_manifest(manifest_file)
    with pytest.raises(ValueError, match="missing column"):
        write_output_manifest(tmp_path / "x", frame.drop(columns="label"))
    unnamed = frame.copy()
    unnamed.attrs = {}
    with pytest.raises(ValueError, match="no label attribute"):
        write_output_manifest(tmp_path / "x", unnamed)
    with pytest.raises(ValueError, match="negative class indices"):
        write_output_manifest(tmp_path / "x", frame.assign(class_index=-1))
    assert not (tmp_path / "x").exists()


def test_consolidate_write_read_back(job, tmp_path):
    answers = read_worker_responses(job)
    model = ModifiedDawidSkene().fit(answers, classes=["Duck", "Owl"])
    sources = pd.Series({t: f"s3://bucket/{t}.jpg" for t in [0, 1, 10]})
    frame = to_output_manifest(model, sources, job_name="birds", creation_date=pd.Timestamp("2024-01-02T03:04:05"))
    path = write_output_manifest(tmp_path / "ours.manifest", frame)
    back = read_output_manifest(path)
    assert back["label"].tolist() == model.labels_.loc[[0, 1, 10]].tolist()
    assert back["class_index"].tolist() == [["Duck", "Owl"].index(x) for x in back["label"]]
    np.testing.assert_allclose(back["confidence"], model.confidences_.loc[[0, 1, 10]])
    assert (back["job_name"] == "labeling-job/birds").all() and back.attrs["label_attribute"] == "birds"
    with pytest.raises(ValueError, match="have no label"):
        to_output_manifest(model, pd.Series({99: "s3://x"}), job_name="birds")
    back.index = sources.index
    assert agreement(model.labels_, back) == 3 == agreement(model.labels_, back["label"])
    assert agreement(model.labels_.replace({"Owl": "Duck"}), back) == (back["label"] == "Duck").sum()
    with pytest.raises(ValueError, match="have no label"):
        agreement(model.labels_.iloc[:1], back)


# --- the real job: SageMaker's bird archive --------------------------------------------------
@pytest.fixture(scope="module")
def real_job(mirror, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sagemaker")
    with tarfile.open(mirror / "sagemaker_birds/ic_data.tar.gz") as archive:
        archive.extractall(folder, filter="data")
    return folder / "ic_data"


def test_real_manifest_round_trip(real_job, tmp_path):
    manifest = read_output_manifest(real_job / "output.manifest")
    assert len(manifest) == 302 and (manifest["confidence"] == 0.95).sum() == 297
    copy = write_output_manifest(tmp_path / "output.manifest", manifest)
    assert copy.read_bytes() == (real_job / "output.manifest").read_bytes()


def test_readers_match_the_dataset_loader(real_job):
    from crowdtut.datasets import load_dataset

    ds = load_dataset("sagemaker-birds")
    answers = read_worker_responses(real_job / "worker-response")
    manifest = read_output_manifest(real_job / "output.manifest")
    image = manifest["source_ref"].map(lambda s: PurePosixPath(s).stem)
    assert len(answers) == 1510 and answers.groupby("iteration")["task"].nunique().to_dict() == {1: 10, 2: 292}
    ours = answers.assign(task=image.loc[answers["task"]].to_numpy())[["task", "worker", "label"]]
    key = ["task", "worker", "label"]
    pd.testing.assert_frame_equal(
        ours.sort_values(key).reset_index(drop=True), ds.answers.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
