"""BU-BIL crowd segmentations (Gurari et al., WACV 2015): the loader of ``load_dataset("bubil")``.

The published crowd masks are crops around the cell with no published offset, while the expert
gold masks are full frames. The loader needs them aligned: each image's 7 crowd masks placed in
the gold frame, and the gold mask (and the image) cropped to the crowd frame. It gets the aligned
arrays from one of two sources, per subset:

``"prepared"``
    The mirror's derived files ``bubil/aligned/bubil_dataset<d>_aligned.npz``, checked against
    their sha256. No public repository hosts them, so only a mirror (``$CROWDTUT_DATA``) or a
    cache that already holds them provides them.
``"upstream"``
    Derived on this machine from the published files alone: the crowd masks, gold masks and
    images of tobastin/CS760-Project-Lungs at a pinned commit, listed with their sha256 in
    ``bubil_upstream.json`` beside this module (written by ``scripts/make_bubil_manifest.py``).
    They are fetched like every registry file (:func:`crowdtut.datasets.fetch_files`: mirror,
    else cache, else download, each checked against its sha256; 2,594 files, 4.4 MB, one
    progress bar), aligned by :func:`locate_crop`,
    and the result is cached (written atomically) as
    ``<cache>/bubil/derived/bubil_dataset<d>_from_upstream.npz``, so the work happens once.

``load_dataset("bubil")`` uses the prepared arrays when they can be found and derives the others,
so it works with a mirror and in a fresh Colab session alike; ``extras["source"]`` says which
source each subset came from. To force the derivation, give ``load_dataset`` a ``data_home``
without the prepared arrays (it bypasses the mirror, so the published files are downloaded), or
call :func:`load_bubil` with ``source="upstream"`` (the mirror then serves the published files).

The derivation reproduces the prepared arrays: the crowd masks are identical, the offsets are
equal for 291 of the 305 images, and so are the cropped gold masks. In the other 14 the
cross-correlation has several equally good maxima (the gold cell fits inside the crowd's majority
mask at several shifts); the prepared arrays kept one of them by floating-point accident, the
derivation keeps the one nearest the centre of the tied offsets (the test
``tests/test_bubil_upstream.py`` pins these numbers). The images of subsets 1-3 are **not**
derived: the mirror does not hold them, so the manifest has no checksum for them, and the derived
arrays of subsets 1-3 carry no image (``images=True`` gives ``None`` for those tasks, with a note
in ``extras["missing"]``). Subsets 4-6 publish their images already cropped to the crowd frame.

Keys of an aligned ``.npz``, per image ``<stem>``: ``crowd_<stem>`` (7, h, w) bool (True = cell),
``gold_<stem>`` (h, w) bool, ``img_<stem>`` (h, w) uint8 (where available) and ``offset_<stem>``
(dy, dx) of the crop in the full frame (negative or past the edge where the crop overhangs it).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import quote

import numpy as np
import pandas as pd
from ._dataset import CrowdDataset
from ._fetch import MIRROR_ENV, default_cache_dir, fetch_files
from ._registry import DatasetInfo, RemoteFile

__all__ = [
    "SUBSETS",
    "SOURCES",
    "derive_subset",
    "fetch_upstream",
    "load_bubil",
    "locate_crop",
    "read_aligned",
    "upstream_arrays",
    "upstream_files",
]

SUBSETS: dict[int, str] = {
    1: "phase contrast, rat smooth muscle cells",
    2: "phase contrast, rabbit smooth muscle cells",
    3: "phase contrast, fibroblasts",
    4: "fluorescence, Lu melanoma cells",
    5: "fluorescence, WM993 melanoma cells",
    6: "small crops (not described in the upstream README)",
}
SOURCES = ("auto", "prepared", "upstream")
N_SLOTS = 7
MANIFEST = Path(__file__).with_name("bubil_upstream.json")
DERIVED_DIR = "bubil/derived"
# Bump when the derivation changes: cached arrays made by another version are rebuilt.
DERIVATION_VERSION = 1

_CROWD = re.compile(
    r"bubil/BU-BIL_Dataset(?P<d>\d)/CrowdsourcedAnnotations/mturk_annotation\d-(?P<k>\d+)/"
    r"seg_(?P<stem>[^/]+)\.png"
)
_GOLD = re.compile(r"bubil/BU-BIL_Dataset(?P<d>\d)/GoldStandard/seg_(?P<stem>[^/]+)\.png")
_IMAGE = re.compile(r"bubil/BU-BIL_Dataset(?P<d>\d)/RawImages/(?P<stem>[^/]+)\.png")


def _subsets(subset) -> list[int]:
    if subset is None:
        return list(SUBSETS)
    chosen = [subset] if isinstance(subset, (int, np.integer, str)) else list(subset)
    out = []
    for s in chosen:
        value = s
        if isinstance(s, str):
            digits = s.lower().replace("bubil", "").replace("dataset", "").strip(" -_d")
            value = int(digits) if digits.isdigit() else s
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value not in SUBSETS:
            raise ValueError(f"subset={s!r}; BU-BIL has the subsets {list(SUBSETS)} ({SUBSETS})")
        out.append(int(value))
    if not out:
        raise ValueError("subset is empty; pass None for all six BU-BIL subsets")
    return sorted(set(out))


# --- reading aligned arrays ------------------------------------------------------------------


def read_aligned(path: str | Path, subset: int, images: bool = True) -> dict:
    """The arrays of one aligned ``.npz`` (prepared or derived), by task ``"d<subset>/<stem>"``.

    ``image`` holds only the tasks whose file has an image.
    """
    out: dict = {"crowd": {}, "gold": {}, "image": {}, "offset": {}}
    with np.load(path) as z:
        keys = set(z.files)
        stems = sorted(k[len("crowd_") :] for k in keys if k.startswith("crowd_"))
        for stem in stems:
            task = f"d{subset}/{stem}"
            out["crowd"][task] = z[f"crowd_{stem}"]
            out["gold"][task] = z[f"gold_{stem}"]
            out["offset"][task] = tuple(int(v) for v in z[f"offset_{stem}"])
            if images and f"img_{stem}" in keys:
                out["image"][task] = z[f"img_{stem}"]
    return out


# --- the published files -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _manifest() -> dict:
    with open(MANIFEST, encoding="utf-8") as f:
        return json.load(f)


def upstream_files(subset: int) -> list[RemoteFile]:
    """The published files of one subset (crowd masks, gold masks, images) as registry files.

    Each has its mirror path, sha256, size and a download URL pinned to the upstream commit.
    """
    (subset,) = _subsets(subset)
    manifest = _manifest()
    repo, commit = manifest["repo"], manifest["commit"]
    prefix = f"bubil/BU-BIL_Dataset{subset}/"
    return [
        RemoteFile(
            f["mirror_path"],
            f["sha256"],
            f["size"],
            url=manifest["url_template"].format(upstream_path=quote(f["upstream_path"], safe="/")),
            upstream=f"{repo}@{commit}:{f['upstream_path']}",
        )
        for f in manifest["files"]
        if f["mirror_path"].startswith(prefix)
    ]


def _tasks(files: Iterable[str]) -> dict[str, dict]:
    """Group mirror paths by image: ``{stem: {"crowd": [7 paths], "gold": path, "image": path}}``.

    The stem is the crowd file's (``TPre01``); gold and image files are matched without regard to
    case, as upstream spells some of them differently (``GoldStandard/seg_tpre01.png``).
    """
    crowd: dict[str, dict[int, str]] = {}
    gold: dict[str, str] = {}
    image: dict[str, str] = {}
    for path in files:
        if m := _CROWD.fullmatch(path):
            crowd.setdefault(m["stem"], {})[int(m["k"])] = path
        elif m := _GOLD.fullmatch(path):
            gold[m["stem"].lower()] = path
        elif m := _IMAGE.fullmatch(path):
            image[m["stem"].lower()] = path
    tasks = {}
    for stem in sorted(crowd):
        slots = crowd[stem]
        if sorted(slots) != list(range(1, N_SLOTS + 1)) or stem.lower() not in gold:
            raise ValueError(
                f"BU-BIL image {stem}: expected crowd masks 1..{N_SLOTS} and a gold mask in "
                f"{MANIFEST.name}, found slots {sorted(slots)} and gold {stem.lower() in gold}"
            )
        tasks[stem] = {
            "crowd": [slots[k] for k in range(1, N_SLOTS + 1)],
            "gold": gold[stem.lower()],
            "image": image.get(stem.lower()),
        }
    return tasks


def fetch_upstream(
    subsets: int | Iterable[int] | None = None,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool = True,
) -> dict[str, Path]:
    """Local paths of the published files of some subsets (all by default), by mirror path.

    The files come through :func:`crowdtut.datasets.fetch_files` (mirror, else cache, else
    download, each checked against its sha256; missing files downloaded in parallel under one
    progress bar, a failed connection retried twice).

    Raises
    ------
    FileNotFoundError
        Files are missing from the mirror, or from the cache with ``download=False``.
    ValueError, ConnectionError
        A file has the wrong checksum, or cannot be downloaded.
    """
    chosen = _subsets(subsets)
    return fetch_files(
        [f for d in chosen for f in upstream_files(d)],
        data_home=data_home,
        download=download,
        progress=progress,
        what=f"published BU-BIL files of subset(s) {', '.join(map(str, chosen))}",
    )


# --- the alignment -----------------------------------------------------------------------------


def locate_crop(vote: np.ndarray, gold: np.ndarray) -> tuple[int, int]:
    """Offset ``(dy, dx)`` of a crop in a full frame, from a mask in each.

    The offset maximises the overlap ``sum(vote & gold[dy:dy+h, dx:dx+w])`` (outside the frame
    counts as background), found by FFT cross-correlation over every offset where the two
    overlap. Ties (the gold cell fits inside the vote at several shifts) go to the tied offset
    nearest to the mean of the tied offsets, then to the first in row-major order. A crop as
    large as the frame is the frame: ``(0, 0)``; so is a crop when either mask is empty.

    Examples
    --------
    >>> frame = np.zeros((6, 8), bool); frame[2:4, 3:6] = True
    >>> locate_crop(frame[1:5, 2:7], frame)
    (1, 2)
    """
    from scipy.signal import fftconvolve

    h, w = vote.shape
    if (h, w) == gold.shape or not vote.any() or not gold.any():
        return (0, 0)
    rows = np.flatnonzero(gold.any(axis=1))
    cols = np.flatnonzero(gold.any(axis=0))
    y0, x0 = int(rows[0]), int(cols[0])
    box = gold[y0 : rows[-1] + 1, x0 : cols[-1] + 1].astype(np.float64)
    # full cross-correlation: score[i, j] is the overlap at offset (y0 + i - h + 1, x0 + j - w + 1);
    # the overlaps are integers, so rounding removes the FFT's rounding noise before the argmax
    score = np.rint(fftconvolve(box, vote[::-1, ::-1].astype(np.float64), mode="full"))
    ties = np.argwhere(score == score.max())
    best = ties[np.argmin(((ties - ties.mean(axis=0)) ** 2).sum(axis=1))]
    return (int(best[0]) + y0 - h + 1, int(best[1]) + x0 - w + 1)


def _crop(frame: np.ndarray, offset: tuple[int, int], shape: tuple[int, int], fill) -> np.ndarray:
    """``frame[dy:dy+h, dx:dx+w]``, with ``fill`` where the window leaves the frame."""
    (dy, dx), (h, w) = offset, shape
    out = np.full((h, w), fill, dtype=frame.dtype)
    y0, y1 = max(dy, 0), min(dy + h, frame.shape[0])
    x0, x1 = max(dx, 0), min(dx + w, frame.shape[1])
    if y0 < y1 and x0 < x1:
        out[y0 - dy : y1 - dy, x0 - dx : x1 - dx] = frame[y0:y1, x0:x1]
    return out


def _pillow():
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - Pillow comes with matplotlib
        raise ImportError(
            "deriving BU-BIL from its published PNG files needs Pillow: pip install pillow "
            "(it also comes with crowdtut[plot])"
        ) from err
    return Image


def _read_mask(Image, path: Path) -> np.ndarray:
    """A published mask as bool, True = cell (black: 0 in the crowd PNGs, False in the gold)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L")) < 128


def _read_image(Image, path: Path) -> np.ndarray:
    """A published microscopy image as uint8 grey; 16-bit images rescaled to their 0.5/99.5
    percentiles (over the whole image)."""
    with Image.open(path) as im:
        if im.mode.startswith("I"):
            raw = np.asarray(im).astype(np.float64)
            lo, hi = np.percentile(raw, [0.5, 99.5])
            scaled = (raw - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(raw)
            return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
        return np.asarray(im.convert("L"))


def derive_subset(subset: int, paths: dict[str, Path]) -> dict[str, np.ndarray]:
    """The aligned arrays of one subset, computed from its published files.

    Parameters
    ----------
    subset : int
        1..6.
    paths : dict
        Local path of every published file of the subset, by mirror path (:func:`fetch_upstream`).

    Returns
    -------
    dict
        The keys of an aligned ``.npz`` (see the module docstring); ``img_<stem>`` only where the
        image is published. An image as large as the crowd crop is taken as it is (subsets 4-6
        publish crops); a full-frame image is cropped like the gold mask (filled with 0).
    """
    Image = _pillow()
    out: dict[str, np.ndarray] = {}
    tasks = _tasks(f.mirror_path for f in upstream_files(subset))
    for stem, parts in tasks.items():
        crowd = np.stack([_read_mask(Image, paths[p]) for p in parts["crowd"]])
        gold = _read_mask(Image, paths[parts["gold"]])
        vote = crowd.sum(axis=0) * 2 > len(crowd)
        offset = locate_crop(vote, gold)
        shape = vote.shape
        out[f"crowd_{stem}"] = crowd
        out[f"gold_{stem}"] = _crop(gold, offset, shape, False)
        out[f"offset_{stem}"] = np.array(offset, dtype=np.int64)
        if parts["image"] is not None:
            image = _read_image(Image, paths[parts["image"]])
            if image.shape == gold.shape and shape != gold.shape:
                image = _crop(image, offset, shape, 0)
            elif image.shape != shape:
                raise ValueError(
                    f"{parts['image']} is {image.shape}: neither the crowd crop {shape} nor the "
                    f"gold frame {gold.shape}"
                )
            out[f"img_{stem}"] = image
    return out


def _derivation_key(subset: int) -> str:
    """Names the derivation and its inputs; a cached file with another key is rebuilt."""
    files = [(f.mirror_path, f.sha256) for f in upstream_files(subset)]
    text = json.dumps([DERIVATION_VERSION, subset, files])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored_key(path: Path) -> str | None:
    try:
        with np.load(path) as z:
            return str(z["derivation"]) if "derivation" in z.files else None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # unreadable: rebuild it
        return None


def upstream_arrays(
    subsets: int | Iterable[int] | None = None,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool = True,
) -> dict[int, Path]:
    """The aligned arrays of some subsets (all by default), derived from the published files.

    Each subset's arrays are cached in ``bubil/derived/bubil_dataset<d>_from_upstream.npz`` under
    ``data_home``, or under the cache (``$CROWDTUT_CACHE`` or ``~/.cache/crowdtut``; never under
    the read-only mirror). A file is derived once, rebuilt when the derivation or the manifest
    changes (or it cannot be read), and written atomically.

    Returns
    -------
    dict
        Path of the aligned ``.npz`` by subset id.

    Raises
    ------
    FileNotFoundError, ValueError, ConnectionError
        As :func:`fetch_upstream`.
    """
    chosen = _subsets(subsets)
    root = Path(data_home).expanduser() if data_home is not None else default_cache_dir()
    targets = {d: root / DERIVED_DIR / f"bubil_dataset{d}_from_upstream.npz" for d in chosen}
    keys = {d: _derivation_key(d) for d in chosen}
    stale = [d for d in chosen if not (targets[d].is_file() and _stored_key(targets[d]) == keys[d])]
    if stale:
        paths = fetch_upstream(stale, data_home=data_home, download=download, progress=progress)
        from ..io import atomic_write

        for d in stale:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, derivation=np.array(keys[d]), **derive_subset(d, paths))
            targets[d].parent.mkdir(parents=True, exist_ok=True)
            atomic_write(targets[d], buffer.getvalue())
    return targets


# --- the loader --------------------------------------------------------------------------------


def load_bubil(
    info: DatasetInfo,
    get: Callable[[str], Path],
    images: bool,
    subset: int | str | Iterable[int] | None = None,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    source: str = "auto",
) -> CrowdDataset:
    """BU-BIL as a segmentation :class:`CrowdDataset`.

    ``answers`` has the columns ``task`` (``"d<subset>/<stem>"``), ``worker`` (the annotation
    slot 1..7; a slot is not a persistent worker: different people filled slot 1 of different
    images) and ``segmentation`` (bool masks, read-only views into the stored arrays); ``truth``
    is the Series of gold masks; ``extras`` holds ``subset`` (Series: task -> subset id),
    ``subsets`` (id -> description), ``offset`` (Series of (dy, dx)), ``source`` (subset id ->
    ``"prepared"`` or ``"upstream"``) and, with ``images=True``, ``images`` (Series of uint8
    arrays; ``None`` where the source has no image, explained in ``extras["missing"]``).

    ``source="auto"`` (what :func:`crowdtut.datasets.load_dataset` uses) reads the prepared arrays
    where they are found and derives the others from the published files (see the module
    docstring); ``"prepared"`` or ``"upstream"`` insists on one source.
    """
    if source not in SOURCES:
        raise ValueError(f"source={source!r}; use one of {SOURCES}")
    chosen = _subsets(subset)
    crowd: dict = {}
    gold: dict = {}
    image: dict = {}
    offset: dict = {}
    subset_of: dict = {}
    paths: dict[int, Path] = {}
    not_prepared: dict[int, FileNotFoundError] = {}
    for d in chosen:
        if source == "upstream":
            continue
        try:
            paths[d] = get(f"dataset{d}")
        except FileNotFoundError as err:
            if source == "prepared":
                raise
            not_prepared[d] = err
    origin = {d: "prepared" if d in paths else "upstream" for d in chosen}
    derive = [d for d in chosen if d not in paths]
    if derive:
        try:
            paths.update(upstream_arrays(derive, data_home=data_home, download=download))
        except (FileNotFoundError, ConnectionError) as err:
            if source == "upstream":
                raise
            raise type(err)(
                f"BU-BIL: the prepared arrays of subset(s) {', '.join(map(str, derive))} are not "
                f"available ({not_prepared[derive[0]]}), and deriving them from the published "
                f"files failed: {err}"
            ) from err
    for d in chosen:
        arrays = read_aligned(paths[d], d, images)
        crowd.update(arrays["crowd"])
        gold.update(arrays["gold"])
        image.update(arrays["image"])
        offset.update(arrays["offset"])
        subset_of.update(dict.fromkeys(arrays["crowd"], d))
    tasks = list(crowd)
    for stack in crowd.values():
        stack.flags.writeable = False
    answers = pd.DataFrame(
        {
            "task": np.repeat(tasks, N_SLOTS),
            "worker": np.tile(np.arange(1, N_SLOTS + 1), len(tasks)),
            "segmentation": [crowd[t][k] for t in tasks for k in range(N_SLOTS)],
        }
    )
    index = pd.Index(tasks, name="task")
    extras: dict = {
        "subset": pd.Series([subset_of[t] for t in tasks], index=index, name="subset"),
        "subsets": {d: SUBSETS[d] for d in chosen},
        "offset": pd.Series([offset[t] for t in tasks], index=index, name="offset", dtype=object),
        "source": origin,
    }
    description = f"{info.summary}\n\n{info.notes}"
    if len(chosen) < len(SUBSETS):
        description += f"\n\nSubset(s) loaded: {', '.join(f'{d} ({SUBSETS[d]})' for d in chosen)}."
    derived = [d for d in chosen if origin[d] == "upstream"]
    if derived:
        description += (
            f"\n\nSubset(s) {', '.join(map(str, derived))} were derived on this machine from the "
            "published files (no mirror with the prepared arrays was found)."
        )
    if images:
        extras["images"] = pd.Series(
            [image.get(t) for t in tasks], index=index, name="image", dtype=object
        )
        lacking = sorted({subset_of[t] for t in tasks if t not in image})
        if lacking:
            extras["missing"] = (
                f"images of subset(s) {', '.join(map(str, lacking))} (None in extras['images']): "
                "their published RawImages are full frames that the dataset mirror does not hold, "
                "so the upstream manifest has no checksum for them; a mirror with the prepared "
                f"arrays ({MIRROR_ENV}) has them."
            )
    return CrowdDataset(
        name=info.name,
        truth=pd.Series([gold[t] for t in tasks], index=index, name="truth", dtype=object),
        classes=None,
        description=description,
        licence=info.licence,
        citation=info.citation,
        url=info.url,
        info=info,
        extras=extras,
        _answers=answers,
    )
