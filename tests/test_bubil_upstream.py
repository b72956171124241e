"""BU-BIL derived from its published files alone reproduces the mirror's prepared arrays.

The proof runs on the mirror's byte copies of the upstream files (``$CROWDTUT_DATA``), forcing
the derivation instead of reading ``bubil/aligned/*.npz``, and compares the two per image:

- crowd masks identical for all 305 images;
- offsets equal for 291 of 305 (per subset 34, 66, 43, 60, 56, 32). In each of the other 14 the
  prepared offset scores exactly as high as the derived one: the cross-correlation has tied
  maxima, and the prepared arrays kept one of them by floating-point accident;
- gold masks identical wherever the offsets agree (291 of 291);
- images identical for the 154 images of subsets 4-6; subsets 1-3 have none (not published in
  the manifest).

No test touches the network: the download route reads the mirror through a patched ``urlopen``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import crowdtut.datasets as cd
from crowdtut.datasets import _bubil, _fetch

REPO = Path(__file__).resolve().parents[1]
SIZES = {1: 35, 2: 69, 3: 47, 4: 61, 5: 58, 6: 35}
EQUAL_OFFSETS = {1: 34, 2: 66, 3: 43, 4: 60, 5: 56, 6: 32}  # of SIZES; 291 of 305


@pytest.fixture
def bubil_mirror(mirror: Path) -> Path:
    if not all((mirror / "bubil" / sub).is_dir() for sub in ("aligned", "BU-BIL_Dataset1")):
        pytest.skip("the mirror has no bubil/aligned arrays or no upstream BU-BIL files")
    return mirror


@pytest.fixture
def upstream_only(bubil_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror holding the published files but not the prepared arrays; an empty cache."""
    fake = tmp_path / "mirror"
    (fake / "bubil").mkdir(parents=True)
    for d in SIZES:
        folder = f"bubil/BU-BIL_Dataset{d}"
        (fake / folder).symlink_to(bubil_mirror / folder)
    monkeypatch.setenv("CROWDTUT_DATA", str(fake))
    monkeypatch.setenv("CROWDTUT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


# --- the manifest --------------------------------------------------------------------------------


def test_manifest_lists_the_published_files() -> None:
    manifest = json.loads(_bubil.MANIFEST.read_text(encoding="utf-8"))
    files = manifest["files"]
    assert manifest["commit"] == "97d69b49028adc61c1f52a2cd2be3fda881608ad"
    assert len(files) == manifest["n_files"] == 7 * 305 + 305 + (61 + 58 + 35)
    assert sum(f["size"] for f in files) == manifest["n_bytes"]
    for f in files:
        assert f["upstream_path"] == "DataSet/Rabbit/" + f["mirror_path"].removeprefix("bubil/")
        assert len(f["sha256"]) == 64 and f["size"] > 0
    for d, n in SIZES.items():
        remote = _bubil.upstream_files(d)
        tasks = _bubil._tasks(f.mirror_path for f in remote)
        assert len(tasks) == n
        assert sum(t["image"] is not None for t in tasks.values()) == (n if d >= 4 else 0)
        assert all(
            f.url.startswith(
                "https://raw.githubusercontent.com/tobastin/CS760-Project-Lungs/"
                "97d69b49028adc61c1f52a2cd2be3fda881608ad/DataSet/Rabbit/BU-BIL_Dataset"
            )
            for f in remote
        )
    # upstream spells dataset 6's gold files in lower case; the task keeps the crowd's spelling
    six = _bubil._tasks(f.mirror_path for f in _bubil.upstream_files(6))
    assert six["TPre01"]["gold"].endswith("GoldStandard/seg_tpre01.png")


def test_manifest_is_up_to_date(bubil_mirror: Path) -> None:
    path = REPO / "scripts" / "make_bubil_manifest.py"
    spec = importlib.util.spec_from_file_location("make_bubil_manifest", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    stored = _bubil.MANIFEST.read_text(encoding="utf-8")
    assert script.dumps(script.manifest(bubil_mirror)) == stored


# --- the proof -----------------------------------------------------------------------------------


def _overlap(vote: np.ndarray, gold_frame: np.ndarray, offset) -> int:
    return int((vote & _bubil._crop(gold_frame, tuple(offset), vote.shape, False)).sum())


def test_derivation_reproduces_the_prepared_arrays(
    bubil_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROWDTUT_DATA", str(bubil_mirror))  # the files come from the mirror...
    monkeypatch.setenv("CROWDTUT_CACHE", str(tmp_path))  # ...the derived arrays go to the cache
    from PIL import Image

    crowd_equal, offset_equal, gold_equal, image_equal, ties = {}, {}, {}, {}, []
    start = time.perf_counter()
    derived = _bubil.upstream_arrays(progress=False)  # all six subsets
    seconds = time.perf_counter() - start
    for d in SIZES:
        derived_path = derived[d]
        assert derived_path.is_relative_to(tmp_path)
        prepared_path = bubil_mirror / cd.dataset_info("bubil").files[f"dataset{d}"].mirror_path
        tasks = _bubil._tasks(f.mirror_path for f in _bubil.upstream_files(d))
        with np.load(derived_path) as new, np.load(prepared_path) as old:
            stems = sorted(k[len("crowd_") :] for k in old.files if k.startswith("crowd_"))
            assert sorted(k[len("crowd_") :] for k in new.files if k.startswith("crowd_")) == stems
            assert len(stems) == SIZES[d]
            crowd_equal[d] = sum(
                np.array_equal(new[f"crowd_{s}"], old[f"crowd_{s}"]) for s in stems
            )
            same = [s for s in stems if np.array_equal(new[f"offset_{s}"], old[f"offset_{s}"])]
            offset_equal[d] = len(same)
            gold_equal[d] = sum(np.array_equal(new[f"gold_{s}"], old[f"gold_{s}"]) for s in same)
            image_equal[d] = sum(
                f"img_{s}" in new.files and np.array_equal(new[f"img_{s}"], old[f"img_{s}"])
                for s in stems
            )
            for s in sorted(set(stems) - set(same)):  # a different offset must be an equal score
                crowd = new[f"crowd_{s}"]
                vote = crowd.sum(axis=0) * 2 > len(crowd)
                gold_frame = _bubil._read_mask(Image, bubil_mirror / tasks[s]["gold"])
                mine, theirs = (_overlap(vote, gold_frame, z[f"offset_{s}"]) for z in (new, old))
                ties.append((f"d{d}/{s}", mine, theirs))
    print(f"derived all 305 images in {seconds:.1f} s; offsets equal {offset_equal}; ties {ties}")
    assert crowd_equal == SIZES
    assert offset_equal == EQUAL_OFFSETS and sum(offset_equal.values()) == 291
    assert gold_equal == EQUAL_OFFSETS
    assert image_equal == {1: 0, 2: 0, 3: 0, 4: 61, 5: 58, 6: 35}
    assert len(ties) == 14 and all(mine == theirs > 0 for _, mine, theirs in ties), ties


def test_locate_crop_finds_a_known_offset() -> None:
    rng = np.random.default_rng(0)
    # (where the ragged cell sits in a 120 x 150 frame, offset of a 50 x 60 crop around it)
    cases = [((40, 60), (30, 50)), ((40, 60), (21, 45)), ((2, 3), (-5, -8)), ((85, 110), (75, 95))]
    for (y, x), (dy, dx) in cases:  # the last two crops overhang the frame
        frame = np.zeros((120, 150), bool)
        frame[y : y + 30, x : x + 35] = rng.random((30, 35)) < 0.9
        crop = _bubil._crop(frame, (dy, dx), (50, 60), False)
        assert crop.sum() == frame.sum()
        assert _bubil.locate_crop(crop, frame) == (dy, dx)
    assert _bubil.locate_crop(frame, frame) == (0, 0)  # a crop as large as the frame is the frame
    assert _bubil.locate_crop(np.zeros((5, 5), bool), frame) == (0, 0)
    # a plateau of equal overlaps (the cell fits inside the vote at 3 x 5 shifts): its centre
    vote = np.zeros((10, 12), bool)
    vote[2:7, 2:10] = True
    frame = np.zeros((40, 40), bool)
    frame[20:23, 20:24] = True
    assert _bubil.locate_crop(vote, frame) == (17, 16)


# --- through load_dataset ------------------------------------------------------------------------


def test_load_dataset_derives_when_the_prepared_arrays_are_missing(
    upstream_only: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = cd.load_dataset("bubil", subset=[3, 6], images=True)
    assert ds.extras["source"] == {3: "upstream", 6: "upstream"}
    assert ds.n_tasks == 47 + 35 and len(ds.answers) == 7 * 82
    assert "derived on this machine" in ds.description
    images = ds.extras["images"]
    assert images[ds.extras["subset"] == 3].isna().all()
    assert images[ds.extras["subset"] == 6].map(lambda a: a.dtype == np.uint8).all()
    assert "subset(s) 3" in ds.extras["missing"]
    first = ds.answers.groupby("task")["segmentation"].first()
    for task, mask in ds.truth.items():
        assert mask.dtype == bool and mask.shape == first[task].shape
    cached = upstream_only / "bubil" / "derived" / "bubil_dataset6_from_upstream.npz"
    assert cached.is_file()

    def no_second_derivation(*args, **kwargs):
        raise AssertionError("the cached arrays should have been used")

    monkeypatch.setattr(_bubil, "derive_subset", no_second_derivation)
    again = cd.load_dataset("bubil", subset=6)
    assert again.extras["source"] == {6: "upstream"} and again.n_tasks == 35
    # a cache made by another derivation (or damaged) is rebuilt, not trusted
    good = cached.read_bytes()
    for damaged in (b"not an npz", good[:1000], good[:-100]):  # not a zip, truncated zips
        cached.write_bytes(damaged)
        with pytest.raises(AssertionError, match="cached arrays"):
            cd.load_dataset("bubil", subset=6)


def test_prepared_arrays_still_come_first(
    bubil_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROWDTUT_DATA", str(bubil_mirror))
    monkeypatch.setattr(_bubil, "upstream_arrays", None)  # would fail if called
    ds = cd.load_dataset("bubil", subset=4, images=True)
    assert ds.extras["source"] == {4: "prepared"} and "missing" not in ds.extras


def test_source_option_of_the_loader(upstream_only: Path) -> None:
    info = cd.dataset_info("bubil")

    def get(role: str) -> Path:
        return cd.fetch_file(info.files[role])

    with pytest.raises(FileNotFoundError, match="missing from the mirror"):
        _bubil.load_bubil(info, get, False, subset=6, source="prepared")
    ds = _bubil.load_bubil(info, get, False, subset=6, source="upstream")
    assert ds.extras["source"] == {6: "upstream"}
    with pytest.raises(ValueError, match="source="):
        _bubil.load_bubil(info, get, False, subset=6, source="mirror")


def test_download_route(
    bubil_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Colab does: no mirror, files downloaded (here: served from the mirror), derived once."""
    monkeypatch.delenv("CROWDTUT_DATA", raising=False)
    home = tmp_path / "home"
    with pytest.raises(FileNotFoundError, match=r"315 of the 315 .* download=False"):
        cd.load_dataset("bubil", subset=6, data_home=home, download=False)
    by_url = {f.url: f for f in _bubil.upstream_files(6)}
    urls = sorted(by_url)
    requested = []

    flaky = urls[:3]  # these fail once: the download is retried

    def fake_urlopen(url: str, timeout: float):
        requested.append(url)
        if url in flaky and requested.count(url) == 1:
            raise urllib.error.URLError("connection reset")
        return open(bubil_mirror / by_url[url].mirror_path, "rb")

    monkeypatch.setattr(_fetch.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setattr(_fetch.time, "sleep", lambda seconds: None)
    ds = cd.load_dataset("bubil", subset=6, data_home=home, images=True)
    assert ds.extras["source"] == {6: "upstream"} and ds.n_tasks == 35
    assert sorted(requested) == sorted(urls + flaky)  # each file once, the flaky ones twice
    assert (home / "bubil" / "BU-BIL_Dataset6" / "GoldStandard" / "seg_tpre01.png").is_file()
    assert not [p for p in home.rglob("*") if p.name.startswith(".")]  # no temporary files left
    cd.load_dataset("bubil", subset=6, data_home=home, download=False)  # from the cache now
    assert len(requested) == 315 + 3
    with np.load(bubil_mirror / "bubil" / "aligned" / "bubil_dataset6_aligned.npz") as old:
        stems = [t.split("/")[1] for t in ds.truth.index]
        same = sum(np.array_equal(ds.truth[f"d6/{s}"], old[f"gold_{s}"]) for s in stems)
        assert same == EQUAL_OFFSETS[6]


def test_a_damaged_download_is_refused(
    bubil_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CROWDTUT_DATA", raising=False)
    monkeypatch.setattr(_fetch.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="checksum mismatch"):
        cd.load_dataset("bubil", subset=6, data_home=tmp_path)
    assert not (tmp_path / "bubil" / "derived").exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing kept, no temporary files
