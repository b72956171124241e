"""crowdtut.io: peerannot folders, dense matrices and atomic writes.

The mirror's peerannot folders are only read; every file is written under tmp_path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crowdtut.io.peerannot as cio
import crowdtut.io._atomic as cio_atomic
from crowdtut.answers import encode_answers
from crowdtut.io import atomic_write, from_dense, read_peerannot, to_dense, write_peerannot


@pytest.fixture
def peerannot_dir(mirror: Path) -> Path:
    return mirror / "peerannot_toy"


@pytest.fixture
def long_answers() -> pd.DataFrame:
    """4 tasks (task 2 has no answer), workers 0, 1 and 3 (no worker 2), 3 classes."""
    rows = [(0, 0, 2), (0, 1, 2), (0, 3, 0), (1, 1, 1), (3, 0, 0), (3, 3, 1)]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def write_folder(folder: Path, answers, metadata=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = answers if isinstance(answers, str) else json.dumps(answers)
    (folder / "answers.json").write_text(text, encoding="utf-8")
    if metadata is not None:
        (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def sort_long(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["task", "worker"], ignore_index=True)


# --- reading peerannot's own folders -----------------------------------------------------------
def test_toy_data_by_hand(peerannot_dir):
    folder = read_peerannot(peerannot_dir / "toy-data")
    expected = pd.DataFrame(
        [(0, 0, 1), (0, 1, 0), (0, 2, 1), (0, 3, 1), (1, 0, 1), (1, 2, 0), (1, 3, 0),
         (2, 1, 1), (2, 3, 1)],
        columns=["task", "worker", "label"],
    )
    pd.testing.assert_frame_equal(folder.answers, expected)
    assert folder.metadata == {"name": "toy-data", "n_classes": 2, "n_workers": 4, "n_tasks": 3}
    assert folder.n_classes == 2
    assert folder.tasks.tolist() == [0, 1, 2]
    assert folder.truth is None
    data = folder.encode()
    assert (data.n_tasks, data.n_workers, data.n_classes, data.n_answers) == (3, 4, 2, 9)
    np.testing.assert_array_equal(data.vote_counts, [[1, 3], [2, 1], [0, 2]])


def test_toy_data_agrees_with_the_dense_file(peerannot_dir):
    """toy-data/answers.txt is the same answers as a dense matrix (-1 = no answer)."""
    dense = np.loadtxt(peerannot_dir / "toy-data" / "answers.txt", dtype=np.int64)
    folder = read_peerannot(peerannot_dir / "toy-data")
    pd.testing.assert_frame_equal(from_dense(dense), folder.answers)


def test_krippendorff_data_needs_relaxed_labels(peerannot_dir):
    path = peerannot_dir / "krippendorff-data"
    with pytest.raises(ValueError, match=r"label\(s\) outside 0\.\.3.*task '5', worker '2': label 4"):
        read_peerannot(path)
    folder = read_peerannot(path, check_labels=False)
    assert folder.n_classes == 5 and folder.metadata["n_classes"] == 4
    assert len(folder.tasks) == 15 and len(folder.answers) == 27
    data = folder.encode()
    assert data.n_tasks == 15
    np.testing.assert_array_equal(np.flatnonzero(data.answers_per_task == 0), [1, 13])
    assert data.vote_counts[:, 0].sum() == 0  # class 0: nobody


# --- empty tasks, key conversion, truth --------------------------------------------------------
def test_empty_tasks_are_kept(tmp_path):
    folder = read_peerannot(
        write_folder(tmp_path / "d", {"0": {"0": 1}, "1": {}, "2": {"1": 0}}, {"n_classes": 3})
    )
    assert folder.tasks.tolist() == [0, 1, 2]
    assert folder.answers["task"].tolist() == [0, 2]
    data = folder.encode()
    assert data.n_tasks == 3 and data.n_classes == 3
    np.testing.assert_array_equal(data.answers_per_task, [1, 0, 1])


def test_keys_stay_strings_unless_all_integers(tmp_path):
    folder = read_peerannot(write_folder(tmp_path / "d", {"a": {"0": 1, "01": 0}, "7": {"0": 0}}))
    assert folder.tasks.tolist() == ["a", "7"]
    assert folder.answers["worker"].tolist() == ["0", "01", "0"]  # "01" is not the integer 1
    assert folder.n_classes == 2  # no metadata: largest label + 1


def test_truth_is_read_and_unknowns_dropped(tmp_path):
    folder = write_folder(tmp_path / "d", {"0": {"0": 1}, "1": {"0": 0}, "2": {}}, {"n_classes": 2})
    np.save(folder / "ground_truth.npy", np.array([1, -1, 0]))
    truth = read_peerannot(folder).truth
    pd.testing.assert_series_equal(
        truth, pd.Series([1, 0], index=pd.Index([0, 2], name="task"), name="truth")
    )


# --- bad inputs --------------------------------------------------------------------------------
def test_missing_folder_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_peerannot(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty[/\\]answers\.json"):
        read_peerannot(tmp_path / "empty")


def test_corrupt_json_names_file_and_position(tmp_path):
    folder = write_folder(tmp_path / "d", '{\n  "0": {"0": 1,\n  "1": }\n}')
    with pytest.raises(ValueError, match=r"answers\.json is not valid JSON: .* line 3, column 8"):
        read_peerannot(folder)


def test_repeated_key_is_refused(tmp_path):
    folder = write_folder(tmp_path / "d", '{"0": {"4": 1, "4": 0}}')
    with pytest.raises(ValueError, match=r"key '4' appears twice"):
        read_peerannot(folder)


@pytest.mark.parametrize(
    "label, message",
    [
        (2, r"outside 0\.\.1 .*task '1', worker '5': label 2"),
        (-1, r"negative label.*task '1', worker '5': label -1"),
        (1.0, r"task '1', worker '5': label 1\.0 is not an integer"),
        ("1", r"task '1', worker '5': label '1' is not an integer"),
        (True, r"label True is not an integer"),
    ],
    ids=["out-of-range", "negative", "float", "string", "bool"],
)
def test_bad_label_is_named(tmp_path, label, message):
    folder = write_folder(tmp_path / "d", {"0": {"5": 0}, "1": {"5": label}}, {"n_classes": 2})
    with pytest.raises(ValueError, match=message):
        read_peerannot(folder)


def test_bad_shapes_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"must hold a JSON object"):
        read_peerannot(write_folder(tmp_path / "a", [[0, 0, 1]]))
    with pytest.raises(ValueError, match=r"task '0' must map to an object"):
        read_peerannot(write_folder(tmp_path / "b", {"0": [1, 0]}))
    with pytest.raises(ValueError, match=r"n_classes must be a positive integer"):
        read_peerannot(write_folder(tmp_path / "c", {"0": {"0": 1}}, {"n_classes": "2"}))
    folder = write_folder(tmp_path / "e", {"0": {"0": 1}}, {"n_classes": 2})
    np.save(folder / "ground_truth.npy", np.array([0, 1]))
    with pytest.raises(ValueError, match=r"ground_truth\.npy has shape \(2,\); expected \(1,\)"):
        read_peerannot(folder)


# --- writing -----------------------------------------------------------------------------------
def test_round_trip_long_peerannot_long(tmp_path, long_answers):
    data = encode_answers(long_answers, tasks=range(4), classes=range(3))
    truth = pd.Series({0: 2, 3: 1})
    codes = write_peerannot(data, tmp_path / "out", name="tiny", truth=truth)
    assert codes.tasks.tolist() == [0, 1, 2, 3]
    meta = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert meta == {"name": "tiny", "n_classes": 3, "n_workers": 4, "n_tasks": 4}
    raw = json.loads((tmp_path / "out" / "answers.json").read_text())
    assert raw == {"0": {"0": 2, "1": 2, "3": 0}, "1": {"1": 1}, "2": {}, "3": {"0": 0, "3": 1}}
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "ground_truth.npy"), [2, -1, -1, 1])

    back = read_peerannot(tmp_path / "out")
    pd.testing.assert_frame_equal(back.answers, sort_long(long_answers))
    assert back.tasks.tolist() == [0, 1, 2, 3] and back.n_classes == 3
    pd.testing.assert_series_equal(back.truth, truth.rename("truth").rename_axis("task"))
    again = back.encode()
    np.testing.assert_array_equal(again.vote_counts, data.vote_counts)


def test_round_trip_toy_data(tmp_path, peerannot_dir):
    original = read_peerannot(peerannot_dir / "toy-data")
    write_peerannot(original.answers, tmp_path / "copy", name="toy-data", n_classes=2)
    copy = read_peerannot(tmp_path / "copy")
    pd.testing.assert_frame_equal(copy.answers, original.answers)
    assert copy.metadata == original.metadata


def test_names_must_be_encoded(tmp_path, tiny_answers):
    with pytest.raises(ValueError, match=r"task ids must be non-negative integers.*encode=True"):
        write_peerannot(tiny_answers, tmp_path / "x", name="tiny")
    assert not (tmp_path / "x").exists()
    codes = write_peerannot(tiny_answers, tmp_path / "x", name="tiny", encode=True,
                            truth=pd.Series({"t1": 1}))
    assert codes.tasks.tolist() == ["t0", "t1", "t2"]
    assert codes.workers.tolist() == ["w0", "w1", "w2"]
    back = read_peerannot(tmp_path / "x")
    decoded = pd.DataFrame(
        {
            "task": codes.tasks.take(back.answers["task"]),
            "worker": codes.workers.take(back.answers["worker"]),
            "label": codes.classes.take(back.answers["label"]),
        }
    )
    pd.testing.assert_frame_equal(sort_long(decoded), sort_long(tiny_answers))
    assert back.truth.to_dict() == {1: 1}


@pytest.mark.parametrize(
    "change, n_classes, message",
    [
        ({"task": [0, 0, 1, 1, 3, 3]}, None, r"task ids must be 0\.\.2 .*missing \[2\]"),
        ({"label": [0, 1, 2, 3, 0, 1]}, 3, r"labels must lie in 0\.\.2 \(n_classes=3\); got \[3\]"),
        ({"label": [0.5, 1, 2, 0, 0, 1]}, None, r"labels must be non-negative integers"),
        ({"worker": [0, 0, 1, 1, 2, 2], "task": [0, 0, 1, 1, 2, 2]}, None,
         r"repeat \(task, worker\) pairs, which answers\.json cannot hold"),
    ],
    ids=["task-gap", "label-range", "float-label", "duplicates"],
)
def test_write_refuses_bad_ids(tmp_path, change, n_classes, message):
    frame = pd.DataFrame({"task": [0, 0, 1, 1, 2, 2], "worker": [0, 1, 0, 1, 0, 1],
                          "label": [0, 1, 0, 1, 0, 1]}).assign(**change)
    with pytest.raises(ValueError, match=message):
        write_peerannot(frame, tmp_path / "x", name="x", n_classes=n_classes)
    assert not (tmp_path / "x").exists()


def test_no_overwrite_without_permission(tmp_path, long_answers):
    data = encode_answers(long_answers, tasks=range(4))
    out = tmp_path / "out"
    write_peerannot(data, out, name="first", truth=np.array([2, 1, 0, 1]))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(FileExistsError, match=r"answers\.json exists; pass overwrite=True"):
        write_peerannot(data, out, name="second")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    write_peerannot(data, out, name="second", overwrite=True)
    assert json.loads((out / "metadata.json").read_text())["name"] == "second"
    assert not (out / "ground_truth.npy").exists()  # the stale truth went with the old answers
    assert sorted(p.name for p in out.iterdir()) == ["answers.json", "metadata.json"]


def test_failed_serialisation_writes_nothing(tmp_path, long_answers, monkeypatch):
    data = encode_answers(long_answers, tasks=range(4))
    out = tmp_path / "out"
    write_peerannot(data, out, name="old")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("serialisation failed")

    monkeypatch.setattr(cio.json, "dumps", broken)
    with pytest.raises(RuntimeError, match="serialisation failed"):
        write_peerannot(data, out, name="new", overwrite=True)
    with pytest.raises(RuntimeError, match="serialisation failed"):
        write_peerannot(data, tmp_path / "fresh", name="new")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temp file either
    assert not (tmp_path / "fresh").exists()


# --- atomic_write ------------------------------------------------------------------------------
def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write(target, "first")
    target.chmod(0o640)
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cio_atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    with pytest.raises(TypeError, match="bytes or str"):
        atomic_write(target, 3)


def test_new_file_gets_default_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.txt", "x")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644


# --- dense matrices ----------------------------------------------------------------------------
def test_round_trip_long_dense_long(long_answers):
    matrix, tasks, workers = to_dense(long_answers)
    np.testing.assert_array_equal(matrix, [[2, 2, 0], [-1, 1, -1], [0, -1, 1]])
    assert tasks.tolist() == [0, 1, 3] and workers.tolist() == [0, 1, 3]
    back = from_dense(matrix, tasks=tasks, workers=workers)
    pd.testing.assert_frame_equal(back, sort_long(long_answers))


def test_dense_keeps_names_and_empty_tasks(tiny_answers):
    data = encode_answers(tiny_answers, tasks=["t0", "t1", "t2", "t3"])
    matrix, tasks, workers = to_dense(data, missing=9)
    assert matrix.shape == (4, 3) and (matrix[3] == 9).all()
    frame = pd.DataFrame(matrix, index=tasks, columns=workers)
    pd.testing.assert_frame_equal(from_dense(frame, missing=9), sort_long(tiny_answers))


def test_from_dense_nan_and_float(tmp_path):
    matrix = np.array([[1.0, np.nan], [np.nan, 0.0]])
    frame = from_dense(matrix)
    assert frame.to_numpy().tolist() == [[0, 0, 1], [1, 1, 0]]
    assert frame["label"].dtype == np.int64
    with pytest.raises(ValueError, match=r"matrix\[0, 1\] = 0\.5 is not an integer label"):
        from_dense(np.array([[1.0, 0.5]]))
    with pytest.raises(ValueError, match="must be 2-D"):
        from_dense(np.zeros(3))


def test_to_dense_refuses_what_a_matrix_cannot_hold(tiny_answers):
    repeated = pd.concat([tiny_answers, tiny_answers.iloc[:1]])
    with pytest.raises(ValueError, match=r"repeat \(task, worker\) pairs") as info:
        to_dense(repeated)
    assert "duplicates='first'" in str(info.value) and "duplicates='keep'" not in str(info.value)
    with pytest.raises(ValueError, match=r"repeat \(task, worker\) pairs"):
        to_dense(encode_answers(repeated, duplicates="keep"))
    with pytest.raises(ValueError, match="integer labels"):
        to_dense(tiny_answers.assign(label=["a", "b"] * 4))
    with pytest.raises(ValueError, match="equals missing"):
        to_dense(tiny_answers.assign(label=tiny_answers["label"] - 1))


def test_labelme_dense_matrix(mirror):
    """LabelMe's answers.txt holds 2,547 answers, 1 to 3 per image."""
    dense = np.loadtxt(mirror / "labelme" / "answers.txt", dtype=np.int64)
    frame = from_dense(dense)
    assert dense.shape == (1000, 59) and len(frame) == 2547
    per_task = frame.groupby("task").size()
    assert per_task.min() == 1 and per_task.max() == 3
    again, tasks, workers = to_dense(frame)
    np.testing.assert_array_equal(again, dense[:, workers])


def test_read_labels_returns_hard_labels_by_task(tmp_path):
    frame = pd.DataFrame({"task": [0, 0, 1], "worker": [0, 1, 0], "label": [1, 1, 0]})
    write_peerannot(frame, tmp_path, name="mini", n_classes=2)
    folder = read_peerannot(tmp_path)
    assert folder.name == "mini"
    assert folder.labels_path("DSWC[L = 5]") == tmp_path / "labels" / "labels_mini_dswc[l=5].npy"
    (tmp_path / "labels").mkdir()
    np.save(folder.labels_path("NS"), np.array([[0.2, 0.8], [0.9, 0.1]]))  # probabilities
    np.save(folder.labels_path("MV"), np.array([1, 0]))                   # hard labels
    assert folder.read_labels("NS").tolist() == [1, 0]
    assert folder.read_labels("mv").tolist() == [1, 0]
    with pytest.raises(FileNotFoundError, match="GLAD"):
        folder.read_labels("GLAD")
    np.save(folder.labels_path("DS"), np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="3 labels for 2 tasks"):
        folder.read_labels("DS")


# --- issue 12: names from files, huge labels, inf in dense matrices ------------------------------
def _small_answers():
    return pd.DataFrame({"task": [0, 0, 1, 1], "worker": [0, 1, 0, 1], "label": [0, 1, 1, 1]})


@pytest.mark.parametrize(
    "name", ["x/../../../escaped", "../up", "..", ".", ".hidden", "a\\b", "a:b", "nul\x00", " x", 7,
             ["list"], "x" * 101],
)
def test_folder_name_from_metadata_must_be_a_file_name(tmp_path, name):
    write_peerannot(_small_answers(), tmp_path, name="ok")
    (tmp_path / "metadata.json").write_text(json.dumps({"name": name, "n_classes": 2}))
    folder = read_peerannot(tmp_path)  # reading works: only path building needs the name
    with pytest.raises(ValueError, match="metadata.json: name") as info:
        folder.labels_path("mv")
    assert repr(name)[:40] in str(info.value)


def test_folder_name_that_is_safe_is_used(tmp_path):
    write_peerannot(_small_answers(), tmp_path, name="bluebird-2.0_x")
    folder = read_peerannot(tmp_path)
    assert folder.labels_path("DS") == tmp_path / "labels" / "labels_bluebird-2.0_x_ds.npy"


@pytest.mark.parametrize("name", ["a/b", "..", "", None])
def test_write_peerannot_refuses_a_name_that_is_not_a_file_name(tmp_path, name):
    with pytest.raises(ValueError, match="name"):
        write_peerannot(_small_answers(), tmp_path, name=name)
    assert not (tmp_path / "metadata.json").exists()


def test_write_peerannot_metadata_extras_written_once(tmp_path, monkeypatch):
    written = []
    real = cio.atomic_write
    monkeypatch.setattr(cio, "atomic_write", lambda p, d: written.append(Path(p).name) or real(p, d))
    write_peerannot(_small_answers(), tmp_path, name="s", metadata={"seed": np.int64(3), "p": 0.5})
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert meta["seed"] == 3 and meta["p"] == 0.5 and meta["n_tasks"] == 2
    assert written.count("metadata.json") == 1
    with pytest.raises(ValueError, match="n_tasks"):
        write_peerannot(_small_answers(), tmp_path, name="s", overwrite=True, metadata={"n_tasks": 9})


@pytest.mark.parametrize("label", [10**30, -(10**30), 2**63, 2**31 + 5])
def test_read_peerannot_huge_label_is_a_value_error_naming_it(tmp_path, label):
    (tmp_path / "answers.json").write_text(json.dumps({"0": {"0": 0, "1": label}, "1": {"0": 1}}))
    with pytest.raises(ValueError, match=str(label)) as info:
        read_peerannot(tmp_path)
    assert "task '0', worker '1'" in str(info.value)


def test_read_peerannot_huge_ids_stay_strings(tmp_path):
    big = str(10**30)
    (tmp_path / "answers.json").write_text(json.dumps({big: {big: 0, "1": 1}, "1": {"0": 1}}))
    folder = read_peerannot(tmp_path)
    assert big in folder.tasks and big in set(folder.answers["worker"])


def test_read_peerannot_huge_n_classes_is_a_value_error(tmp_path):
    (tmp_path / "answers.json").write_text(json.dumps({"0": {"0": 0}}))
    (tmp_path / "metadata.json").write_text(json.dumps({"n_classes": 10**30}))
    with pytest.raises(ValueError, match="n_classes must be a positive integer up to"):
        read_peerannot(tmp_path)


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e30, -1e19, 2.5])
def test_from_dense_refuses_non_integer_floats_naming_the_cell(value):
    matrix = np.array([[0.0, -1.0], [1.0, value]])
    with pytest.raises(ValueError, match=r"matrix\[1, 1\] = .* is not an integer label"):
        from_dense(matrix)


def test_from_dense_inf_as_missing_value_is_allowed():
    matrix = np.array([[0.0, np.inf], [1.0, 2.0]])
    long = from_dense(matrix, missing=np.inf)
    assert long["label"].tolist() == [0, 1, 2]


def test_single_class_is_a_valid_dense_matrix_and_peerannot_folder(tmp_path):
    one = pd.DataFrame({"task": [0, 1], "worker": [0, 0], "label": [1, 1]})
    matrix, _, _ = to_dense(one)
    np.testing.assert_array_equal(matrix, [[1], [1]])
    write_peerannot(one, tmp_path, name="one", encode=True)
    assert read_peerannot(tmp_path).n_classes == 1
