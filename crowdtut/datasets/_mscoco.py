"""crowd-kit's ``mscoco_small``: 100 MS COCO images, 9 Toloka masks each, and the true masks.

crowd-kit (1.2 and later) downloads it from the Hugging Face hub, pinned to a commit, and checks
the archive against the MD5 published beside it; crowdtut reads the same pinned URLs and checks
the same MD5. The archive is not in the offline mirror, so without network access (and without a
copy in the mirror or the cache) loading it fails with a message that says where to put it. The
archive holds ``crowd_labels.npz`` (one array per ``"<task>\\t<worker>"`` key) and ``gt.npz``
(one array per task); they are read as plain numpy arrays, never unpickled.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ._dataset import CrowdDataset
from ._fetch import CACHE_ENV, MIRROR_ENV, default_cache_dir
from ._registry import DatasetInfo

__all__ = [
    "MSCOCO_SMALL_URL",
    "MSCOCO_SMALL_MD5_URL",
    "MSCOCO_SMALL_MD5",
    "load_mscoco_small",
    "locate_mscoco_small",
    "read_mscoco_zip",
]

_HUB = "https://huggingface.co/datasets/toloka/crowdkit-datasets/resolve"
MSCOCO_SMALL_URL = f"{_HUB}/0e0cac7f51869d4b20d83842c578ca3d013af7b7/mscoco_small.zip"
MSCOCO_SMALL_MD5_URL = f"{_HUB}/bb48658b78db95845ff2a8d3db3e533a493ab819/mscoco_small.md5"
MSCOCO_SMALL_MD5 = "87f1936b0866d006d3b43276de00ff70"  # the content of MSCOCO_SMALL_MD5_URL
MIRROR_PATH = "mscoco_small/mscoco_small.zip"
_CHUNK = 1 << 20


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _where() -> str:
    return (
        f"crowd-kit publishes it at {MSCOCO_SMALL_URL} (MD5 {MSCOCO_SMALL_MD5}, listed at "
        f"{MSCOCO_SMALL_MD5_URL})"
    )


def _check(path: Path) -> Path:
    found = _md5(path)
    if found != MSCOCO_SMALL_MD5:
        raise ValueError(
            f"checksum mismatch for {path}: expected MD5 {MSCOCO_SMALL_MD5}, found {found}. "
            f"Delete it and load again; {_where()}."
        )
    return path


def _open_url(url: str, timeout: float = 60):
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except (urllib.error.URLError, OSError) as err:
        raise ConnectionError(
            f"could not download mscoco_small from {url}: {err}. The dataset is not in the "
            "offline mirror and needs network access (the Hugging Face hub) the first time. "
            f"Offline, copy mscoco_small.zip to $CROWDTUT_DATA/{MIRROR_PATH} or to the cache "
            f"({default_cache_dir() / MIRROR_PATH}); {_where()}. The segmentation chapter uses "
            "BU-BIL, which the mirror provides: load_dataset('bubil')."
        ) from err


def _download(target: Path) -> None:
    with _open_url(MSCOCO_SMALL_MD5_URL) as response:
        published = response.read().decode("ascii", "replace").split()[0].strip().lower()
    if published != MSCOCO_SMALL_MD5:
        raise ValueError(
            f"the MD5 published at {MSCOCO_SMALL_MD5_URL} is {published}, not the pinned "
            f"{MSCOCO_SMALL_MD5}: the upstream file changed; report it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _open_url(MSCOCO_SMALL_URL) as response:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
        _check(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def locate_mscoco_small(data_home: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Local, MD5-checked path of ``mscoco_small.zip`` (mirror, else cache, else download)."""
    mirror = os.environ.get(MIRROR_ENV)
    if data_home is None and mirror:
        path = Path(mirror).expanduser() / MIRROR_PATH
        if not path.is_file():
            raise FileNotFoundError(
                f"{MIRROR_PATH} is missing from the mirror {mirror} (${MIRROR_ENV}), which is "
                f"read-only: {_where()}. Copy it to {path}, or unset {MIRROR_ENV} to download it "
                f"into the cache (${CACHE_ENV} or ~/.cache/crowdtut) when online."
            )
        return _check(path)
    root = Path(data_home).expanduser() if data_home is not None else default_cache_dir()
    path = root / MIRROR_PATH
    if path.is_file():
        return _check(path)
    if not download:
        raise FileNotFoundError(
            f"{path} does not exist and download=False; {_where()}. Pass download=True (needs "
            "network access) or place the file there."
        )
    _download(path)
    return path


def read_mscoco_zip(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.Series]:
    """The answers (task, worker, segmentation) and the true masks of crowd-kit's archive."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()

        def member(suffix: str) -> str:
            found = [n for n in names if n.endswith(suffix) and not n.split("/")[-1].startswith("._")]
            if not found:
                raise ValueError(
                    f"{path} has no {suffix} (members: {names[:10]}); crowdtut reads the numpy "
                    "layout of the archive pinned in MSCOCO_SMALL_URL, not older pickled versions"
                )
            return found[0]

        labels = np.load(io.BytesIO(zf.read(member("crowd_labels.npz"))), allow_pickle=False)
        gold = np.load(io.BytesIO(zf.read(member("gt.npz"))), allow_pickle=False)
        rows = []
        for key in labels.files:
            task, worker = key.split("\t")
            rows.append((int(task), worker, labels[key]))
        truth = {int(key): gold[key] for key in gold.files}
    answers = pd.DataFrame(rows, columns=["task", "worker", "segmentation"])
    answers = answers.sort_values(["task", "worker"], kind="stable", ignore_index=True)
    index = pd.Index(sorted(truth), name="task")
    return answers, pd.Series([truth[t] for t in index], index=index, name="truth", dtype=object)


def load_mscoco_small(
    info: DatasetInfo,
    get: Callable[[str], Path],
    images: bool,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
) -> CrowdDataset:
    """crowd-kit's ``mscoco_small`` as a segmentation :class:`CrowdDataset` (no images)."""
    answers, truth = read_mscoco_zip(locate_mscoco_small(data_home, download))
    return CrowdDataset(
        name=info.name,
        truth=truth,
        classes=None,
        description=f"{info.summary}\n\n{info.notes}",
        licence=info.licence,
        citation=info.citation,
        url=info.url,
        info=info,
        extras={},
        _answers=answers,
    )
