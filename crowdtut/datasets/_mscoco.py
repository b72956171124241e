"""crowd-kit's ``mscoco_small``: 100 MS COCO images, 9 Toloka masks each, and the true masks.

crowd-kit (1.2 and later) downloads it from the Hugging Face hub, pinned to a commit, and checks
the archive against the MD5 published beside it. The registry (``registry/mscoco_small.json``)
pins the same URL and MD5, so the archive comes through the one fetch path
(:func:`crowdtut.datasets.fetch_file`: mirror, else cache, else download, MD5 checked). It is not
in the offline mirror: without network access (and without a copy in the mirror or the cache)
loading it fails with a message that says where to put it. The archive holds
``crowd_labels.npz`` (one array per ``"<task>\\t<worker>"`` key) and ``gt.npz`` (one array per
task); they are read as plain numpy arrays, never unpickled.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ._dataset import CrowdDataset
from ._registry import DatasetInfo

__all__ = ["load_mscoco_small", "read_mscoco_zip"]


def read_mscoco_zip(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.Series]:
    """The answers (task, worker, segmentation) and the true masks of crowd-kit's archive."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()

        def member(suffix: str) -> str:
            found = [
                n for n in names if n.endswith(suffix) and not n.split("/")[-1].startswith("._")
            ]
            if not found:
                raise ValueError(
                    f"{path} has no {suffix} (members: {names[:10]}); crowdtut reads the numpy "
                    "layout of the archive pinned in the registry, not older pickled versions"
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
    info: DatasetInfo, get: Callable[[str], Path], images: bool
) -> CrowdDataset:
    """crowd-kit's ``mscoco_small`` as a segmentation :class:`CrowdDataset` (no images)."""
    answers, truth = read_mscoco_zip(get("archive"))
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
