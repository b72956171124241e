"""BU-BIL crowd segmentations (Gurari et al., WACV 2015): the loader of ``load_dataset("bubil")``.

The published crowd masks are crops around the cell with no published offset, while the expert
gold masks are full frames. This loader does **not** align them itself: it reads the mirror's
prepared arrays ``bubil/aligned/bubil_dataset<d>_aligned.npz`` (a derived file, checked against
its sha256), in which each image's 7 crowd masks were placed in the gold frame by FFT
cross-correlation of their majority vote with the gold mask, and the gold mask and the image were
cropped to the crowd frame. Keys per image ``<stem>``: ``crowd_<stem>`` (7, h, w) bool (True =
cell), ``gold_<stem>`` (h, w) bool, ``img_<stem>`` (h, w) uint8 and ``offset_<stem>`` (dy, dx) of
the crop in the full frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from ._dataset import CrowdDataset
from ._registry import DatasetInfo

__all__ = ["SUBSETS", "load_bubil", "read_aligned"]

SUBSETS: dict[int, str] = {
    1: "phase contrast, rat smooth muscle cells",
    2: "phase contrast, rabbit smooth muscle cells",
    3: "phase contrast, fibroblasts",
    4: "fluorescence, Lu melanoma cells",
    5: "fluorescence, WM993 melanoma cells",
    6: "small crops (not described in the upstream README)",
}
N_SLOTS = 7


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


def read_aligned(path: str | Path, subset: int, images: bool = True) -> dict:
    """The arrays of one ``bubil_dataset<d>_aligned.npz``, by task name ``"d<subset>/<stem>"``."""
    out: dict = {"crowd": {}, "gold": {}, "image": {}, "offset": {}}
    with np.load(path) as z:
        stems = sorted(k[len("crowd_") :] for k in z.files if k.startswith("crowd_"))
        for stem in stems:
            task = f"d{subset}/{stem}"
            out["crowd"][task] = z[f"crowd_{stem}"]
            out["gold"][task] = z[f"gold_{stem}"]
            out["offset"][task] = tuple(int(v) for v in z[f"offset_{stem}"])
            if images:
                out["image"][task] = z[f"img_{stem}"]
    return out


def load_bubil(
    info: DatasetInfo,
    get: Callable[[str], Path],
    images: bool,
    subset: int | str | Iterable[int] | None = None,
) -> CrowdDataset:
    """BU-BIL as a segmentation :class:`CrowdDataset`.

    ``answers`` has the columns ``task`` (``"d<subset>/<stem>"``), ``worker`` (the annotation
    slot 1..7; a slot is not a persistent worker: different people filled slot 1 of different
    images) and ``segmentation`` (bool masks, read-only views into the stored arrays); ``truth``
    is the Series of gold masks; ``extras`` holds ``subset`` (Series: task -> subset id),
    ``subsets`` (id -> description), ``offset`` (Series of (dy, dx)) and, with ``images=True``,
    ``images`` (Series of uint8 arrays).
    """
    chosen = _subsets(subset)
    crowd: dict = {}
    gold: dict = {}
    image: dict = {}
    offset: dict = {}
    subset_of: dict = {}
    for d in chosen:
        arrays = read_aligned(get(f"dataset{d}"), d, images)
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
    }
    if images:
        extras["images"] = pd.Series([image[t] for t in tasks], index=index, name="image", dtype=object)
    description = f"{info.summary}\n\n{info.notes}"
    if len(chosen) < len(SUBSETS):
        description += f"\n\nSubset(s) loaded: {', '.join(f'{d} ({SUBSETS[d]})' for d in chosen)}."
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
