"""crowdtut.datasets: registry, fetching (mirror, cache, download) and every loader.

The loaders run on the offline mirror (``$CROWDTUT_DATA``, else ``../shared/datasets`` beside the
repository, found by the ``mirror`` fixture of conftest.py); without it those tests are skipped.
No test touches the network: downloads read ``file://`` URLs or a patched ``urlopen``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import re
import shutil
import time
import urllib.error
import zipfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest

import crowdtut.datasets as cd
from crowdtut.datasets import _fetch, _loaders

LOADABLE = [name for name, info in cd.REGISTRY.items() if info.loader]
WITH_ANSWERS = [name for name in LOADABLE if cd.REGISTRY[name].kind == "classification"]


@pytest.fixture
def use_mirror(mirror: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROWDTUT_DATA", str(mirror))
    return mirror


@pytest.fixture
def no_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No mirror, and an empty cache under tmp_path."""
    monkeypatch.delenv("CROWDTUT_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("CROWDTUT_CACHE", str(cache))
    return cache


# --- registry ------------------------------------------------------------------------------------


def test_list_datasets_needs_no_data(no_mirror: Path) -> None:
    table = cd.list_datasets()
    assert list(table.columns) == [
        "name",
        "kind",
        "description",
        "n_tasks",
        "n_workers",
        "n_answers",
        "n_classes",
        "n_truth",
        "n_repeated",
        "licence",
        "loadable",
    ]
    assert table["name"].is_unique and len(table) == len(cd.REGISTRY)
    assert not no_mirror.exists()
    row = table.set_index("name").loc["cifar10h"]
    assert pd.isna(row["n_workers"]) and row["n_answers"] == 511_000


def test_registry_covers_every_truth_inference_set_with_labels(mirror: Path) -> None:
    registered = {
        f.mirror_path for info in cd.REGISTRY.values() for f in info.files.values()
    }
    on_disk = {
        p.relative_to(mirror).as_posix()
        for p in (mirror / "truth_inference" / "data").glob("*/*/*.csv")
        if (p.parent / "label.csv").exists()
    }
    assert on_disk and on_disk <= registered


def test_urls_are_pinned_and_quoted() -> None:
    for info in cd.REGISTRY.values():
        for f in info.files.values():
            if info.name == "mscoco_small":  # crowd-kit's archive: MD5 only, size unknown
                assert f.sha256 is None and len(f.md5) == 32 and f.size is None
            else:
                assert len(f.sha256) == 64 and f.size > 0 and f.md5 is None
            if f.url is None:
                assert f.derived_from and f.upstream is None
                continue
            repo, rest = f.upstream.split("@")
            commit, path = rest.split(":", 1)
            assert len(commit) == 40
            host = (
                f"https://huggingface.co/datasets/{repo}/resolve"
                if info.name == "mscoco_small"
                else "https://raw.githubusercontent.com/" + repo
            )
            assert f.url == f"{host}/{commit}/{quote(path, safe='/')}"
            assert " " not in f.url
    duck = cd.dataset_info("d_duck").files["label"].url
    assert "d_Duck%20Identification/label.csv" in duck


@pytest.mark.parametrize(
    "alias, name",
    [
        ("d_jn-product", "d_product"),
        ("d_sentiment", "d_possent"),
        ("s4_Relevance", "s_rel"),
        ("S5_AdultContent", "s_adult"),
        ("d_Duck Identification", "d_duck"),
        ("s4_Face Sentiment Identification", "s_face"),
        ("s4_Dog data", "s_dog"),
        ("ZenCrowd_all", "zencrowd_all"),
        ("CF_amt", "cf_amt"),
        ("toy-data", "peerannot-toy"),
        ("peerannot_toy", "peerannot-toy"),
        ("SAGEMAKER_BIRDS", "sagemaker-birds"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    assert cd.dataset_info(alias).name == name


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(KeyError) as err:
        cd.load_dataset("d_prodcut")
    message = str(err.value)
    assert "'d_prodcut'" in message and "Did you mean 'd_product'" in message
    assert "bluebird" in message and "sagemaker-birds" in message


# --- every loader on the mirror ----------------------------------------------------------------


@pytest.mark.parametrize("name", WITH_ANSWERS)
def test_loader_matches_registry(use_mirror: Path, name: str) -> None:
    info = cd.dataset_info(name)
    ds = cd.load_dataset(name)
    assert ds.name == name and ds.info is info
    answers = ds.answers
    assert list(answers.columns) == ["task", "worker", "label"]
    assert not answers.isna().any().any()
    assert ds.n_tasks == answers["task"].nunique() == info.n_tasks
    assert ds.n_workers == answers["worker"].nunique() == info.n_workers
    assert ds.n_answers == len(answers) == info.n_answers
    assert ds.n_classes == len(ds.classes) == info.n_classes
    assert int(answers.duplicated(["task", "worker"]).sum()) == info.n_repeated
    assert set(answers["label"]) <= set(ds.classes)
    if info.n_truth:
        assert ds.truth.name == "truth" and ds.truth.index.name == "task"
        assert len(ds.truth) == info.n_truth and ds.truth.index.is_unique
        assert set(ds.truth.index) <= set(answers["task"])
        assert set(ds.truth) <= set(ds.classes)
    else:
        assert ds.truth is None
    assert ds.description.startswith(info.summary)
    assert ds.licence and ds.citation and ds.url
    if info.n_repeated:
        assert "repeat" in ds.description and "duplicates=" in ds.description


TRUTH_INFERENCE = [n for n in WITH_ANSWERS if cd.REGISTRY[n].loader == "truth_inference"]


@pytest.mark.parametrize("name", TRUTH_INFERENCE)
def test_truth_inference_keeps_the_csv_ids(use_mirror: Path, name: str) -> None:
    ds = cd.load_dataset(name)
    raw = pd.read_csv(use_mirror / ds.info.files["label"].mirror_path)
    np.testing.assert_array_equal(ds.answers.to_numpy(), raw.to_numpy())
    assert all(dtype == np.int64 for dtype in ds.answers.dtypes)
    assert ds.classes == list(range(ds.n_classes))


@pytest.mark.parametrize(
    "name, n_truth, n_tasks",
    [("trec", 2275, 19033), ("s_rel", 4460, 20232), ("s_adult", 333, 11040), ("web", 2653, 2665)],
)
def test_partial_truth(use_mirror: Path, name: str, n_truth: int, n_tasks: int) -> None:
    ds = cd.load_dataset(name)
    assert len(ds.truth) == n_truth and ds.n_tasks == n_tasks
    assert f"{n_truth:,} of the {n_tasks:,}" in ds.description


def test_duplicates_are_kept_raw(use_mirror: Path) -> None:
    ds = cd.load_dataset("cf_amt")
    with pytest.raises(ValueError, match="5 repeated"):
        ds.encode()
    assert ds.encode(duplicates="keep").n_answers == 6030
    assert ds.encode(duplicates="first").n_answers == 6025


def test_every_registered_file_matches_its_checksum(use_mirror: Path) -> None:
    for info in cd.REGISTRY.values():
        if info.name == "mscoco_small":  # not in the mirror (tests/test_segmentation.py)
            continue
        for f in info.files.values():
            assert cd.fetch_file(f) == use_mirror / f.mirror_path


def test_second_load_does_not_hash_again(use_mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cd.load_dataset("s_rel")
    calls = []
    monkeypatch.setattr(_fetch, "sha256_file", lambda path: calls.append(path))
    start = time.perf_counter()
    ds = cd.load_dataset("s4_Relevance")
    assert time.perf_counter() - start < 1.0
    assert calls == [] and ds.n_answers == 98453


def test_cifar10h_has_counts_but_no_answers(use_mirror: Path) -> None:
    ds = cd.load_dataset("cifar10h")
    assert not ds.has_answers
    with pytest.raises(ValueError, match="no per-annotator answers.*Worker-level models"):
        ds.answers
    counts = ds.extras["counts"]
    assert counts.shape == (10000, 10) and counts.sum() == 511_000
    assert ds.truth.shape == (10000,) and ds.truth.index.equals(pd.RangeIndex(10000, name="task"))
    assert (counts.argmax(axis=1) == ds.truth.to_numpy()).mean() > 0.99
    assert ds.extras["class_names"][:2] == ["airplane", "automobile"]
    assert "images" not in ds.extras
    assert "per-annotator file" in ds.description
    images = cd.load_dataset("cifar10h", images=True).extras["images"]
    assert images.shape == (10000, 32, 32, 3) and images.dtype == np.uint8


def test_cifar10n(use_mirror: Path) -> None:
    ds = cd.load_dataset("cifar10n")
    answers = ds.answers
    assert (answers.groupby("task").size() == 3).all()
    assert answers["task"].max() == 49999
    side = pd.read_csv(use_mirror / "cifar10n" / "side_info_cifar10N.csv")
    first = answers[answers["task"].isin([0, 9])]
    expected = side.loc[0, ["Worker1-id", "Worker2-id", "Worker3-id"]].tolist()
    assert first["worker"].tolist() == expected * 2
    with np.load(use_mirror / "cifar10n" / "cifar10n_labels.npz") as z:
        np.testing.assert_array_equal(ds.truth.to_numpy(), z["clean_label"])
        np.testing.assert_array_equal(ds.extras["aggre_label"].to_numpy(), z["aggre_label"])
        np.testing.assert_array_equal(ds.extras["worse_label"].to_numpy(), z["worse_label"])
        for j in (1, 2, 3):
            slot = answers["label"].to_numpy()[j - 1 :: 3]
            np.testing.assert_array_equal(slot, z[f"random_label{j}"])
    assert "not stated" in ds.description


def test_labelme(use_mirror: Path) -> None:
    ds = cd.load_dataset("labelme")
    assert ds.classes == list(range(8))
    assert ds.extras["class_names"][0] == "highway" and ds.extras["class_names"][7] == "opencountry"
    dense = np.loadtxt(use_mirror / "labelme" / "answers.txt", dtype=int)
    a = ds.answers
    np.testing.assert_array_equal(dense[a["task"], a["worker"]], a["label"])
    assert ds.extras["features_train"].shape == (1000, 512)
    assert ds.extras["features_test"].shape == (1188, 512)
    assert ds.extras["y_valid"].shape == (500,) and ds.extras["y_test"].shape == (1188,)
    assert "images_train" not in ds.extras
    with_images = cd.load_dataset("labelme", images=True).extras
    assert with_images["images_train"].shape == (1000, 64, 64, 3)
    assert with_images["filenames_valid"][0].endswith(".jpg")


def test_peerannot_toy_truth_from_folders(use_mirror: Path) -> None:
    ds = cd.load_dataset("peerannot-toy", images=True)
    # xtrasmile-0 and smile-2 are in train/smiles, frown-1 in train/notsmiles
    assert ds.truth.to_dict() == {0: 1, 1: 0, 2: 1}
    assert ds.extras["class_names"] == ["notsmiles", "smiles"]
    assert ds.extras["image_paths"][1].name == "frown-1.png"


def test_krippendorff(use_mirror: Path) -> None:
    ds = cd.load_dataset("krippendorff")
    assert ds.truth is None and ds.classes == [1, 2, 3, 4]
    assert ds.extras["unanswered_tasks"] == [1, 13]


def test_sagemaker_birds(use_mirror: Path) -> None:
    ds = cd.load_dataset("sagemaker-birds")
    assert ds.classes[:3] == ["Duck", "Sparrow", "Woodpecker"] and ds.classes[-1] == "Canary"
    assert (ds.answers.groupby("task").size() == 5).all()
    votes = ds.answers.groupby("task")["label"].agg(lambda s: s.value_counts().index[0])
    assert (votes.reindex(ds.truth.index) == ds.truth).mean() == pytest.approx(0.901, abs=0.001)
    assert ds.extras["manifest"].shape == (302, 3)


def test_images_only_where_there_are_images(use_mirror: Path) -> None:
    with pytest.raises(ValueError, match="trec has no images"):
        cd.load_dataset("trec", images=True)


# --- fetching: mirror errors, cache, download ----------------------------------------------------


def _partial_mirror(mirror: Path, root: Path, name: str) -> dict[str, Path]:
    copies = {}
    for role, f in cd.dataset_info(name).files.items():
        target = root / f.mirror_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / f.mirror_path, target)
        copies[role] = target
    return copies


@pytest.mark.parametrize("damage", ["flip a byte", "truncate"])
def test_checksum_mismatch_in_mirror(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    copies = _partial_mirror(mirror, tmp_path, "bluebird")
    data = bytearray(copies["label"].read_bytes())
    if damage == "flip a byte":
        data[-2] = ord("0") if data[-2] != ord("0") else ord("1")
    else:
        data = data[:-10]
    copies["label"].write_bytes(bytes(data))
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    expected = cd.dataset_info("bluebird").files["label"].sha256
    with pytest.raises(ValueError, match="checksum mismatch") as err:
        cd.load_dataset("bluebird")
    assert str(copies["label"]) in str(err.value) and expected in str(err.value)


def test_missing_file_in_mirror(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = _partial_mirror(mirror, tmp_path, "bluebird")
    copies["truth"].unlink()
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    info = cd.dataset_info("bluebird")
    with pytest.raises(FileNotFoundError, match="missing from the mirror") as err:
        cd.load_dataset("bluebird")
    assert info.files["truth"].sha256 in str(err.value) and "CROWDTUT_DATA" in str(err.value)


def test_download_from_file_url(mirror: Path, no_mirror: Path, tmp_path: Path) -> None:
    source = cd.dataset_info("rte").files["truth"]
    local = replace(source, url=(mirror / source.mirror_path).as_uri())
    home = tmp_path / "home"
    with pytest.raises(FileNotFoundError, match="download=False") as err:
        cd.fetch_file(local, data_home=home, download=False)
    assert source.sha256 in str(err.value)

    path = cd.fetch_file(local, data_home=home, progress=False)
    assert path == home / source.mirror_path
    assert path.read_bytes() == (mirror / source.mirror_path).read_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["truth.csv"]  # no temporary left
    assert cd.fetch_file(local, data_home=home, download=False) == path

    path.write_bytes(b"item,truth\n0,1\n")
    with pytest.raises(ValueError, match=f"Delete {path}"):
        cd.fetch_file(local, data_home=home)


def test_download_with_wrong_checksum_keeps_nothing(
    mirror: Path, no_mirror: Path, tmp_path: Path
) -> None:
    source = cd.dataset_info("rte").files["truth"]
    wrong = replace(source, url=(mirror / source.mirror_path).as_uri(), sha256="0" * 64)
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="checksum mismatch for the download"):
        cd.fetch_file(wrong, data_home=home, progress=False)
    assert list((home / source.mirror_path).parent.iterdir()) == []


def test_download_failure_is_a_connection_error(no_mirror: Path, tmp_path: Path) -> None:
    source = cd.dataset_info("rte").files["truth"]
    gone = replace(source, url=(tmp_path / "nowhere.csv").as_uri())
    with pytest.raises(ConnectionError, match="could not download"):
        cd.fetch_file(gone, progress=False)


def test_derived_file_needs_a_mirror(no_mirror: Path) -> None:
    derived = cd.dataset_info("cifar10h").files["test"]
    with pytest.raises(FileNotFoundError, match="derived file.*CROWDTUT_DATA") as err:
        cd.fetch_file(derived)
    assert derived.sha256 in str(err.value)
    with pytest.raises(FileNotFoundError, match="download=False"):
        cd.load_dataset("cifar10h", download=False)


def test_load_dataset_downloads_into_the_cache(
    mirror: Path, no_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: pinned https URLs (patched to read the mirror) into the default cache."""
    by_url = {f.url: f for info in cd.REGISTRY.values() for f in info.files.values() if f.url}
    requested = []

    def fake_urlopen(url: str, timeout: float):
        requested.append(url)
        return open(mirror / by_url[url].mirror_path, "rb")

    monkeypatch.setattr(_fetch.urllib.request, "urlopen", fake_urlopen)
    ds = cd.load_dataset("d_Duck Identification")
    assert ds.n_answers == 4212 and len(requested) == 2
    assert all("%20Identification" in url for url in requested)
    cached = no_mirror / cd.dataset_info("d_duck").files["label"].mirror_path
    assert cached.is_file() and "d_Duck Identification" in str(cached)
    cd.load_dataset("d_duck", download=False)  # served from the cache now
    assert len(requested) == 2


# --- reading torch files without torch ------------------------------------------------------------


def _torch_like_zip(path: Path, obj) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(obj, protocol=2))
    return path


def test_numpy_only_unpickler(tmp_path: Path) -> None:
    arrays = {"a": np.arange(5, dtype=np.int8), "b": np.array([1.5, 2.5])}
    loaded = _loaders._read_torch_numpy_dict(_torch_like_zip(tmp_path / "ok.pt", arrays))
    assert set(loaded) == {"a", "b"}
    np.testing.assert_array_equal(loaded["a"], arrays["a"])
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        _loaders._read_torch_numpy_dict(_torch_like_zip(tmp_path / "bad.pt", {"x": io.BytesIO}))


def test_cifar10h_counts_load_without_the_derived_file(mirror: Path, no_mirror: Path) -> None:
    # a fresh machine (Colab): the counts download from upstream, the derived truth file cannot
    target = no_mirror / "cifar10h" / "cifar10h-counts.npy"
    target.parent.mkdir(parents=True)
    shutil.copy(mirror / "cifar10h" / "cifar10h-counts.npy", target)
    ds = cd.load_dataset("cifar10h", download=False)
    assert ds.truth is None and ds.extras["counts"].shape == (10000, 10)
    assert "mirror" in ds.extras["missing"]
    assert ds.extras["class_names"][0] == "airplane"
    with pytest.raises(FileNotFoundError, match="cifar10_test_from_yoongikim_jpeg"):
        cd.load_dataset("cifar10h", images=True, download=False)


# --- images="if-available": a machine without the mirror (Colab) ----------------------------------


def _mirror_without_derived(mirror: Path, root: Path, name: str) -> Path:
    """A mirror holding the published files of ``name`` (symlinks) but none of its derived ones,
    as a download cache on a fresh machine would."""
    for f in cd.dataset_info(name).files.values():
        if f.url is not None:
            target = root / f.mirror_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(mirror / f.mirror_path)
    return root


def test_images_if_available_without_the_derived_files(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("labelme", "cifar10h"):
        _mirror_without_derived(mirror, tmp_path, name)
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    labelme = cd.load_dataset("labelme", images="if-available")
    assert not labelme.has_images and "images_train" not in labelme.extras
    assert labelme.truth.shape == (1000,) and labelme.extras["features_train"].shape == (1000, 512)
    note = labelme.extras["missing"]
    assert "labelme/labelme_64.npz" in note and "CROWDTUT_DATA" in note and "images" in note
    assert "missing" not in cd.load_dataset("labelme").extras  # nothing asked, nothing missing
    cifar = cd.load_dataset("cifar10h", images="if-available")
    assert not cifar.has_images and cifar.truth is None
    assert cifar.extras["counts"].shape == (10000, 10)
    assert "truth" in cifar.extras["missing"] and "images" in cifar.extras["missing"]
    assert "images" not in cd.load_dataset("cifar10h").extras["missing"]  # only the truth
    for name in ("labelme", "cifar10h"):
        with pytest.raises(FileNotFoundError, match="missing from the mirror"):
            cd.load_dataset(name, images=True)  # asked for: their absence is still an error


def test_images_if_available_with_the_mirror(use_mirror: Path) -> None:
    labelme = cd.load_dataset("labelme", images="if-available")
    assert labelme.has_images and "missing" not in labelme.extras
    np.testing.assert_array_equal(
        labelme.extras["images_test"], cd.load_dataset("labelme", images=True).extras["images_test"]
    )
    assert labelme.extras["images_train"].shape == (1000, 64, 64, 3)
    assert not cd.load_dataset("labelme").has_images
    cifar = cd.load_dataset("cifar10h", images="if-available")
    assert cifar.has_images and cifar.truth is not None and "missing" not in cifar.extras
    assert cifar.extras["images"].shape == (10000, 32, 32, 3)
    toy = cd.load_dataset("peerannot-toy", images="if-available")  # same as True: files published
    assert toy.has_images and len(toy.extras["image_paths"]) == 3


def test_images_if_available_still_rejects_a_damaged_file(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mirror_without_derived(mirror, tmp_path, "labelme")
    (tmp_path / cd.dataset_info("labelme").files["images"].mirror_path).write_bytes(b"not an npz")
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="checksum mismatch"):
        cd.load_dataset("labelme", images="if-available")


def test_images_argument_is_checked(no_mirror: Path) -> None:
    with pytest.raises(ValueError, match="images must be True, False or 'if-available'"):
        cd.load_dataset("labelme", images="yes")
    with pytest.raises(ValueError, match="trec has no images"):
        cd.load_dataset("trec", images="if-available")


# --- pairwise, text and clustering datasets ------------------------------------------------------

NEW_KINDS = [
    "readability",
    "music_preferences",
    "crowdspeech",
    "crowdwsa2019",
    "crowd_clustering_www25",
]
COLUMNS = {
    "pairwise": ["worker", "left", "right", "label"],
    "texts": ["task", "worker", "text"],
    "clustering": ["hit", "worker", "item", "group"],
}


def test_new_datasets_are_listed_offline(no_mirror: Path) -> None:
    table = cd.list_datasets().set_index("name")
    for name in NEW_KINDS:
        assert table.loc[name, "loadable"]
        info = cd.dataset_info(name)
        assert info.kind in COLUMNS and info.files and info.licence and info.citation
        for f in info.files.values():
            assert f.mirror_path.startswith(f"{name}/") or name == "crowd_clustering_www25"
    assert table.loc["crowdspeech", "n_answers"] == 18921
    assert table.loc["readability", "kind"] == "pairwise"
    assert cd.dataset_info("music").name == "music_preferences"
    assert not no_mirror.exists()


@pytest.mark.parametrize("name", NEW_KINDS)
def test_new_loader_matches_registry(use_mirror: Path, name: str) -> None:
    info = cd.dataset_info(name)
    ds = cd.load_dataset(name)
    answers = ds.answers
    assert list(answers.columns[: len(COLUMNS[info.kind])]) == COLUMNS[info.kind]
    assert ds.n_tasks == info.n_tasks and ds.n_workers == info.n_workers
    assert ds.n_answers == len(answers) == info.n_answers
    assert len(ds.truth) == info.n_truth if info.n_truth else ds.truth is None
    if ds.truth is not None:
        assert ds.truth.name == "truth" and ds.truth.index.is_unique
    key = {"pairwise": ["worker", "left", "right"], "texts": ["task", "worker"]}.get(info.kind)
    if key:
        assert int(answers.duplicated(key).sum()) == info.n_repeated
    assert ds.description.startswith(info.summary) and info.notes in ds.description


def test_readability(use_mirror: Path) -> None:
    ds = cd.load_dataset("readability")
    a = ds.answers
    assert (a["left"] < a["right"]).all()
    assert ((a["label"] == a["left"]) | (a["label"] == a["right"])).all()
    assert sorted(set(a["left"]) | set(a["right"])) == list(range(472))
    assert ds.truth.between(1, 12).all() and ds.truth.index.name == "item"
    loser = np.where(a["label"] == a["left"], a["right"], a["left"])
    harder = ds.truth.to_numpy()[a["label"]] > ds.truth.to_numpy()[loser]
    assert harder.mean() == pytest.approx(0.674, abs=0.001)  # README: 67.4%
    assert (ds.truth.to_numpy()[a["label"]] != ds.truth.to_numpy()[loser]).all()  # no same grade
    assert len(ds.extras["passages"]) == 472 and ds.extras["passages"].index.equals(ds.truth.index)
    assert "canonical" in ds.description and "real_data/passage/baselines.txt" in ds.description
    assert "readability/baselines.txt" in ds.description
    with pytest.raises(ValueError, match="pairwise answers"):
        ds.encode()


def test_readability_without_the_derived_csv_reads_the_pickle(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROWDTUT_DATA", str(mirror))
    expected = cd.load_dataset("readability")
    _mirror_without_derived(mirror, tmp_path, "readability")
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    assert not (tmp_path / "readability" / "passage_comparisons.csv").exists()
    ds = cd.load_dataset("readability")
    pd.testing.assert_frame_equal(ds.answers, expected.answers)
    pd.testing.assert_series_equal(ds.truth, expected.truth)


def test_readability_pickle_reader_refuses_globals(tmp_path: Path) -> None:
    from crowdtut.datasets import _pairwise

    good = tmp_path / "good.pickle"
    good.write_bytes(pickle.dumps({0: [(3, 1), (2, 5)], 1: [(1, 2)]}))
    frame = _pairwise._comparisons_from_pickle(good)
    assert frame.to_numpy().tolist() == [[0, 3, 1], [0, 2, 5], [1, 1, 2]]
    bad = tmp_path / "bad.pickle"
    bad.write_bytes(pickle.dumps({0: [(np.int64(3), 1)]}))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        _pairwise._comparisons_from_pickle(bad)


def test_music_preferences(use_mirror: Path) -> None:
    ds = cd.load_dataset("music_preferences")
    a = ds.answers
    assert list(a.columns) == ["worker", "left", "right", "label", "query"]
    assert a["query"].nunique() == 11 and ds.truth is None
    assert (a["left"].str.split("/").str[0] == a["query"]).all()
    assert (a["right"].str.split("/").str[0] == a["query"]).all()
    chosen = a["label"].notna()
    assert ((a["label"] == a["left"]) | (a["label"] == a["right"]))[chosen].all()
    raw = ds.extras["raw"]
    assert raw.shape == (2810, 17)
    assert int((raw["Answer.radio"] == "s").sum()) == 1405
    assert a["label"].isna().sum() == 1405 + 5
    no_answer = np.flatnonzero(raw["Answer.radio"].isna())
    np.testing.assert_array_equal(ds.extras["no_answer"], no_answer)
    assert len(ds.extras["no_answer"]) == 5
    assert int((a["label"] == a["left"]).sum()) == int((raw["Answer.radio"] == "a").sum())
    qrel = ds.extras["qrel"]
    assert list(qrel.columns) == ["query", "doc", "item", "group"] and len(qrel) == 118
    assert set(qrel["item"]) == set(a["left"]) | set(a["right"])
    assert "tie" in ds.description and "not independent" in ds.description


def test_crowdspeech_dev_clean(use_mirror: Path) -> None:
    ds = cd.load_dataset("crowdspeech")
    a = ds.answers
    assert ds.extras["split"] == "dev-clean" and ds.extras["n_dropped"] == 0
    assert (a.groupby("task").size() == 7).all()
    assert set(a["task"]) == set(ds.truth.index) and len(ds.truth) == 2703
    assert a["worker"].dtype == np.int64
    assert ds.truth.loc["0"].startswith("shortly after passing one of these chapels")
    assert int(a["text"].str.contains("\n").sum()) > 0  # multi-line transcriptions kept whole
    assert ds.extras["audio_url"].loc["76"].endswith("/dev-clean/76.mp3")
    assert "19,577" in ds.description and "1,280" in ds.description


@pytest.mark.parametrize(
    "split, rows, tasks, workers",
    [("dev-other", 20048, 2864, 1353), ("test-clean", 18340, 2620, 769)],
)
def test_crowdspeech_splits(
    use_mirror: Path, split: str, rows: int, tasks: int, workers: int
) -> None:
    ds = cd.load_dataset("crowdspeech", split=split)
    sizes = (len(ds.answers), ds.n_tasks, ds.n_workers, len(ds.truth))
    assert sizes == (rows, tasks, workers, tasks)
    assert ds.extras["split"] == split


def test_crowdspeech_drops_rows_without_worker(tmp_path: Path) -> None:
    crowd = tmp_path / "crowd.tsv"
    crowd.write_text(
        "INPUT:audio\tOUTPUT:transcription\tASSIGNMENT:worker_id\n"
        "https://x/dev-clean/7.mp3\t\"two\nlines\"\t12\n"
        "https://x/dev-clean/7.mp3\tno worker\t\n"
        "https://x/dev-clean/8.mp3\t\"said \"\"hi\"\"\"\t13\n"
    )
    gt = tmp_path / "gt.txt"
    gt.write_text("https://x/dev-clean/7.mp3\tseven\nhttps://x/dev-clean/8.mp3\teight\n")
    files = {"dev-clean-crowd": crowd, "dev-clean-gt": gt}
    from crowdtut.datasets._texts import load_crowdspeech

    ds = load_crowdspeech(cd.dataset_info("crowdspeech"), files.__getitem__, False)
    assert ds.answers["task"].tolist() == ["7", "8"] and ds.answers["worker"].tolist() == [12, 13]
    assert ds.answers["text"].tolist() == ["two\nlines", 'said "hi"']
    assert ds.extras["n_dropped"] == 1 and ds.truth.to_dict() == {"7": "seven", "8": "eight"}
    crowd.write_text("INPUT:audio\tOUTPUT:transcription\tASSIGNMENT:worker_id\nu/7.mp3\tx\tbob\n")
    with pytest.raises(ValueError, match="non-numeric worker id 'bob'"):
        load_crowdspeech(cd.dataset_info("crowdspeech"), files.__getitem__, False)


def test_crowdspeech_reads_through_read_toloka(tmp_path: Path) -> None:
    """The loader reports dropped rows in extras (no warning) and names a wrong header."""
    import warnings

    from crowdtut.datasets._texts import load_crowdspeech

    crowd, gt = tmp_path / "crowd.tsv", tmp_path / "gt.txt"
    crowd.write_text(
        "INPUT:audio\tOUTPUT:transcription\tASSIGNMENT:worker_id\n"
        "https://x/dev-clean/7.mp3\tseven\t 12 \nhttps://x/dev-clean/7.mp3\tlost\t\n"
    )
    gt.write_text("https://x/dev-clean/7.mp3\tseven\n")
    files = {"dev-clean-crowd": crowd, "dev-clean-gt": gt}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_crowdspeech(cd.dataset_info("crowdspeech"), files.__getitem__, False)
    assert ds.answers.values.tolist() == [["7", 12, "seven"]] and ds.extras["n_dropped"] == 1
    crowd.write_text("INPUT:audio\tOUTPUT:text\tASSIGNMENT:worker_id\nu/7.mp3\tx\t1\n")
    with pytest.raises(ValueError, match=r"crowd.tsv: line 1: no column 'OUTPUT:transcription'"):
        load_crowdspeech(cd.dataset_info("crowdspeech"), files.__getitem__, False)


def test_options_are_checked(no_mirror: Path) -> None:
    with pytest.raises(ValueError, match="no split 'train'"):
        cd.load_dataset("crowdspeech", split="train")
    with pytest.raises(ValueError, match=r"trec has no splits; split= works for \['crowdsp"):
        cd.load_dataset("trec", split="dev-clean")
    with pytest.raises(ValueError, match="crowdspeech has no queries"):
        cd.load_dataset("crowdspeech", query="radio-2")
    with pytest.raises(ValueError, match="has no query 'radio-9'"):
        cd.load_dataset("crowd_clustering_www25", query="radio-9")
    with pytest.raises(ValueError, match=r"no image_set 'dogs3' in the mirror; it has \['birds5"):
        cd.load_dataset("crowd_clustering_www25", query="dnd-3", image_set="dogs3")
    with pytest.raises(ValueError, match="readability has no subsets"):
        cd.load_dataset("readability", subset=1)


def test_crowdwsa2019(use_mirror: Path) -> None:
    ds = cd.load_dataset("crowdwsa2019")
    a = ds.answers
    assert a["task"].str.fullmatch(r"#\d{4}").all() and a["worker"].str.startswith("worker").all()
    assert set(a["task"]) == set(ds.truth.index)
    assert ds.truth.loc["#0005"] == "I think that Yamada is the type everybody likes."
    assert ds.extras["source"].index.equals(ds.truth.index)
    assert ds.extras["source"].loc["#0005"].startswith("山田")
    human = ds.extras["human_aggregates"]
    assert human.shape == (1250, 3) and human["worker"].nunique() == 106
    assert (human.groupby("task").size() == 5).all()
    assert int(a.duplicated().sum()) == 81  # same worker, sentence and text
    assert "missing" not in ds.extras


def test_crowdwsa2019_without_the_2024_files(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = _partial_mirror(mirror, tmp_path, "crowdwsa2019")
    copies["human_aggregates"].unlink()
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    ds = cd.load_dataset("crowdwsa2019")
    assert "human_aggregates" not in ds.extras and "source" in ds.extras
    assert "CrowdWSA2019_J1_label_anonymous_humanagg.tsv" in ds.extras["missing"]
    assert len(ds.answers) == 2490


def test_crowd_clustering_default(use_mirror: Path) -> None:
    from crowdtut.answers import encode_partitions

    ds = cd.load_dataset("crowd_clustering_www25")
    a = ds.answers
    assert ds.extras["query"] == "radio-2" and ds.extras["image_set"] == "birds5"
    assert a["hit"].nunique() == 9000 and (a.groupby("hit").size() == 2).all()
    assert a["hit"].str.fullmatch(r"[0-9a-f]{24}:\d+").all()
    assert ds.extras["n_practice_skipped"] == 300 and len(ds.extras["feedback"]) == 300
    encoded = encode_partitions(a)
    assert encoded.n_answers == 9000 and encoded.n_items == 342 and encoded.n_workers == 300
    assert ds.encode().n_answers == 9000
    assert ds.truth.groupby(ds.truth).size().tolist() == [60, 60, 58, 57, 57, 50]
    assert ds.classes == list(range(6))
    published = ds.extras["published_edge_error"]
    assert published["edge_error_with_repeats"] == pytest.approx(0.263)
    assert published["n_questions"] == 9000
    assert ds.extras["time_ms"].index.equals(pd.Index(a["hit"].unique(), name="hit"))
    assert not ds.has_images


@pytest.mark.parametrize(
    "query, image_set, hits, per_hit, n_items, edge_error",
    [
        ("radio-2", "dogs3", 9000, 2, 473, 0.316),
        ("radio-4", "birds5", 4500, 4, 342, 0.267),
        ("dnd-2", "birds5", 9000, 2, 342, 0.158),
        ("dnd-5", "birds5", 3600, 5, 342, 0.180),
    ],
)
def test_crowd_clustering_queries(
    use_mirror: Path, query: str, image_set: str, hits: int, per_hit: int, n_items: int,
    edge_error: float,
) -> None:
    ds = cd.load_dataset("crowd_clustering_www25", query=query, image_set=image_set)
    a = ds.answers
    assert a["hit"].nunique() == hits and (a.groupby("hit").size() == per_hit).all()
    assert ds.n_tasks == n_items == len(ds.truth) and ds.n_workers == 300
    assert ds.extras["n_practice_skipped"] == (300 if query.startswith("radio") else 0)
    assert ds.extras["published_edge_error"]["edge_error_with_repeats"] == pytest.approx(edge_error)
    # group codes are 0..k-1 within each answer
    top = a.groupby("hit")["group"].agg(["max", "nunique"])
    assert (top["max"] + 1 == top["nunique"]).all()


def test_crowd_clustering_images(use_mirror: Path) -> None:
    ds = cd.load_dataset("crowd_clustering_www25", image_set="dogs3", images="if-available")
    assert ds.has_images and ds.extras["images"].shape == (473, 64, 64, 3)
    assert ds.extras["images"].dtype == np.uint8


def test_crowd_clustering_images_if_available_without_the_mirror(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mirror_without_derived(mirror, tmp_path, "crowd_clustering_www25")
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    ds = cd.load_dataset("crowd_clustering_www25", images="if-available")
    assert not ds.has_images and "images_64.npz" in ds.extras["missing"]
    with pytest.raises(FileNotFoundError, match="missing from the mirror"):
        cd.load_dataset("crowd_clustering_www25", images=True)


def test_crowd_clustering_rejects_a_non_partition(tmp_path: Path) -> None:
    from crowdtut.datasets._clustering import load_crowd_clustering

    record = {
        "_id": {"$oid": "w1"},
        "answer": [{"questionNum": 1, "originalOrder": [1, 2], "clusters": [[1], [1]]}],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([record]))
    with pytest.raises(ValueError, match="question 1: the clusters"):
        load_crowd_clustering(
            cd.dataset_info("crowd_clustering_www25"), lambda role: path, False
        )


def test_parse_summary() -> None:
    from crowdtut.datasets._clustering import parse_summary

    text = (
        "Adjacency Matrix\n\tEdge error    : 0.264\nAdjacency (dup)\n\tEdge error    : 0.263\n"
        "edge error rate mean = 0.263\nedge error rate std = 0.005\n\t# questions         : 9000\n"
        "\tQuestion error      : 0.263\nVI after spectral clustering:\n2.162 +/- 0.00000000\n"
    )
    assert parse_summary(text) == {
        "edge_error": 0.264,
        "edge_error_with_repeats": 0.263,
        "edge_error_mean": 0.263,
        "edge_error_std": 0.005,
        "question_error": 0.263,
        "n_questions": 9000.0,
        "vi_spectral": 2.162,
    }
    assert parse_summary("nothing")["edge_error"] is None


@pytest.mark.parametrize("damage", ["flip a byte", "truncate"])
def test_new_dataset_checksum_mismatch(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    copies = _partial_mirror(mirror, tmp_path, "crowdwsa2019")
    data = bytearray(copies["answers"].read_bytes())
    data = data[:-10] if damage == "truncate" else data[:-3] + b"X" + data[-2:]
    copies["answers"].write_bytes(bytes(data))
    monkeypatch.setenv("CROWDTUT_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="checksum mismatch") as err:
        cd.load_dataset("crowdwsa2019")
    assert cd.dataset_info("crowdwsa2019").files["answers"].sha256 in str(err.value)


# --- the registry files (crowdtut/datasets/registry/*.json) --------------------------------------

REGISTRY_DIR = Path(cd.__file__).with_name("registry")


def test_registry_files_are_valid() -> None:
    from crowdtut.datasets._registry import KINDS, read_source

    names = []
    files = sorted(REGISTRY_DIR.glob("*.json"))
    assert len(files) == 13
    for path in files:
        entries = read_source(path.name, path.read_text(encoding="utf-8"))
        for info in entries:
            assert info.source == path.stem and info.kind in KINDS
            assert info.loader in _loaders.LOADERS, f"{info.name}: unknown loader {info.loader}"
            assert info.summary and info.notes and info.licence and info.citation and info.url
            for f in info.files.values():
                assert f.mirror_path.startswith(f"{path.stem}/")
            names.append(info.name)
    assert sorted(names) == sorted(cd.REGISTRY) and len(set(names)) == len(names)


def test_import_does_not_read_the_registry() -> None:
    import subprocess
    import sys

    code = (
        "import crowdtut.datasets as cd\n"
        "from crowdtut.datasets import _registry\n"
        "assert _registry._load.cache_info().currsize == 0, 'read at import'\n"
        "assert cd.dataset_info('bluebird').n_answers == 39 * 108\n"
        "assert _registry._load.cache_info().currsize == 1\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr


def _source_text(**changes) -> str:
    """A valid one-entry registry file, with some fields of its entry or file changed."""
    file = {
        "mirror_path": "toy/answers.csv",
        "sha256": "a" * 64,
        "size": 10,
        "url": "https://raw.githubusercontent.com/o/r/" + "0" * 40 + "/answers.csv",
        "upstream": "o/r@" + "0" * 40 + ":answers.csv",
    }
    entry = {
        "name": "toy",
        "kind": "classification",
        "loader": "truth_inference",
        "summary": "s",
        "notes": "n",
        "licence": "l",
        "citation": "c",
        "url": "https://example.org",
        "aliases": [],
        "sizes": dict.fromkeys(
            ["n_tasks", "n_workers", "n_answers", "n_classes", "n_truth", "n_repeated"], 1
        ),
        "files": {"label": file},
    }
    for key, value in changes.items():
        target, field = (file, key[5:]) if key.startswith("file_") else (entry, key)
        if value is _DROP:
            del target[field]
        else:
            target[field] = value
    return json.dumps({"source": "toy", "datasets": [entry]})


_DROP = object()


def test_read_source_accepts_the_template() -> None:
    from crowdtut.datasets._registry import read_source

    (info,) = read_source("toy.json", _source_text())
    assert info.files["label"].sha256 == "a" * 64 and info.n_repeated == 1
    derived = _source_text(file_url=_DROP, file_upstream=_DROP, file_derived_from="made here")
    assert read_source("toy.json", derived)[0].files["label"].url is None
    md5_only = _source_text(file_sha256=_DROP, file_size=None, file_md5="b" * 32)
    assert read_source("toy.json", md5_only)[0].files["label"].checksum == ("MD5", "b" * 32)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"file_mirror_path": "../../etc/passwd"}, "mirror_path '../../etc/passwd'"),
        ({"file_mirror_path": "/abs/file"}, "mirror_path '/abs/file'"),
        ({"file_mirror_path": "toy/./x"}, "mirror_path 'toy/./x'"),
        ({"file_mirror_path": "toy\\x"}, "mirror_path"),
        ({"file_sha256": "A" * 64}, "sha256 'AAAA"),
        ({"file_sha256": _DROP}, "checksum"),
        ({"file_size": 0}, "size 0"),
        ({"file_size": True}, "size True"),
        ({"file_url": "http://x.org/a"}, "url 'http://x.org/a'"),
        ({"file_url": "https://x.org/a b"}, "url"),
        ({"file_upstream": "o/r@main:answers.csv"}, "upstream 'o/r@main:answers.csv'"),
        ({"file_url": _DROP}, "derived_from"),
        ({"file_colour": "red"}, "fields ['colour']"),
        ({"kind": "ranking"}, "kind 'ranking'"),
        ({"name": "Toy Set"}, "name 'Toy Set'"),
        ({"summary": " "}, "summary ' '"),
        ({"licence": _DROP}, "missing fields ['licence']"),
        ({"extra": 1}, "unknown fields ['extra']"),
        ({"aliases": "toy"}, "aliases 'toy'"),
        ({"sizes": {"n_tasks": 1}}, "sizes"),
        ({"files": []}, "files"),
    ],
)
def test_read_source_refuses_bad_entries(changes: dict, message: str) -> None:
    from crowdtut.datasets._registry import read_source

    with pytest.raises(ValueError, match=re.escape(message)) as err:
        read_source("toy.json", _source_text(**changes))
    assert "registry file toy.json" in str(err.value)


def test_read_source_refuses_bad_sizes_and_files() -> None:
    from crowdtut.datasets._registry import read_source

    sizes = dict.fromkeys(["n_tasks", "n_workers", "n_answers", "n_classes", "n_truth"], None)
    with pytest.raises(ValueError, match="n_repeated None"):
        read_source("toy.json", _source_text(sizes={**sizes, "n_repeated": None}))
    with pytest.raises(ValueError, match="n_tasks -1"):
        read_source("toy.json", _source_text(sizes={**sizes, "n_tasks": -1, "n_repeated": 0}))
    with pytest.raises(ValueError, match="not valid JSON"):
        read_source("toy.json", "{")
    with pytest.raises(ValueError, match="source 'toy'"):
        read_source("other.json", _source_text())
    with pytest.raises(ValueError, match="datasets"):
        read_source("toy.json", json.dumps({"source": "toy", "datasets": []}))


def test_two_files_naming_one_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import resources

    from crowdtut.datasets import _registry

    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "toy.json").write_text(_source_text())
    other = json.loads(_source_text())
    other["source"] = "other"
    (folder / "other.json").write_text(json.dumps(other))
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    _registry._load.cache_clear()
    try:
        with pytest.raises(ValueError, match="'toy' is also in other.json"):
            _registry._load()
    finally:
        monkeypatch.undo()
        _registry._load.cache_clear()
    assert "bluebird" in cd.REGISTRY


def test_md5_file_download_and_check(no_mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = b"crowd-kit archive"
    good = cd.RemoteFile(
        "toy/archive.zip",
        None,
        None,
        url="https://example.org/archive.zip",
        upstream="o/r@" + "0" * 40 + ":archive.zip",
        md5=hashlib.md5(payload, usedforsecurity=False).hexdigest(),
        note="Offline: copy it by hand.",
    )
    monkeypatch.setattr(_fetch.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    path = cd.fetch_file(good, progress=False)
    assert path == no_mirror / "toy" / "archive.zip" and path.read_bytes() == payload
    assert cd.fetch_file(good) == path  # from the cache, checked
    path.write_bytes(b"other bytes")
    with pytest.raises(ValueError, match=f"expected MD5 {good.md5}"):
        cd.fetch_file(good)
    path.unlink()
    bad = replace(good, md5="0" * 32)
    with pytest.raises(ValueError, match="checksum mismatch for the download"):
        cd.fetch_file(bad, progress=False)
    assert not path.exists() and not list(path.parent.iterdir())

    def offline(url, timeout):
        raise OSError("no network")

    monkeypatch.setattr(_fetch.urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match="Offline: copy it by hand") as err:
        cd.fetch_file(good, progress=False)
    assert good.md5 in str(err.value)


def test_fetch_files_downloads_many_under_one_bar(
    mirror: Path, no_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = list(cd.dataset_info("crowdwsa2019").files.values())
    with pytest.raises(FileNotFoundError, match="4 of the 4 CrowdWSA files .* download=False"):
        cd.fetch_files(files, download=False, what="CrowdWSA files")
    by_url = {f.url: f for f in files}
    requested = []

    def serve(url: str, timeout: float):
        requested.append(url)
        if len(requested) == 1:
            raise urllib.error.URLError("reset")  # retried
        return open(mirror / by_url[url].mirror_path, "rb")

    monkeypatch.setattr(_fetch.urllib.request, "urlopen", serve)
    monkeypatch.setattr(_fetch.time, "sleep", lambda seconds: None)
    paths = cd.fetch_files(files, progress=False)
    assert sorted(paths) == sorted(f.mirror_path for f in files) and len(requested) == 5
    for f in files:
        assert paths[f.mirror_path] == no_mirror / f.mirror_path
    assert cd.load_dataset("crowdwsa2019", download=False).n_answers == 2490  # from the cache
    derived = cd.dataset_info("readability").files["comparisons"]
    with pytest.raises(FileNotFoundError, match="derived file"):
        cd.fetch_files([derived])


def test_registry_entry_script(mirror: Path, capsys: pytest.CaptureFixture) -> None:
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    script = root / "scripts" / "registry_entry.py"
    spec = importlib.util.spec_from_file_location("registry_entry", script)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    registered = cd.dataset_info("crowdwsa2019").files["source"]
    repo, rest = registered.upstream.split("@")
    commit, path = rest.split(":", 1)
    argv = ["entry", "--mirror", str(mirror), "--upstream", f"{repo}@{commit}",
            f"{registered.mirror_path}={path}"]
    assert tool.main(argv) == 0
    printed = json.loads(capsys.readouterr().out)[registered.mirror_path]
    assert printed == {
        "mirror_path": registered.mirror_path,
        "sha256": registered.sha256,
        "size": registered.size,
        "url": registered.url,
        "upstream": registered.upstream,
    }
    with pytest.raises(SystemExit, match="without '..'"):
        tool.main(["entry", "--mirror", str(mirror), "--derived-from", "x", "../secret"])
