"""Loader of the crowd clustering data of Chen & Vinayak (WWW 2025): each worker groups small sets
of bird or dog images. ``answers`` has the partition layout ``hit, worker, item, group`` of
:func:`crowdtut.answers.encode_partitions`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ._dataset import CrowdDataset, dataset_from_info
from ._registry import DatasetInfo

__all__ = ["CLASS_BOUNDS", "CLUSTERING_QUERIES", "load_crowd_clustering", "parse_summary"]

# query name -> upstream file stem, and the image sets the mirror has for it; the registry roles
# are "<query>-<image_set>" (answers) and "summary:<query>-<image_set>" (the authors' numbers)
CLUSTERING_QUERIES = {
    **{f"radio-{m}": (f"radio-{m}-image", ("birds5", "dogs3")) for m in (2, 3, 4)},
    **{f"dnd-{m}": (f"sd-rq-wp-{m}", ("birds5",)) for m in (2, 3, 4, 5)},
}

GetFile = Callable[[str], Path]

# first item id of each class, and the number of items (upstream analysis/tools.py)
CLASS_BOUNDS = {
    "birds5": (0, 60, 120, 178, 235, 292, 342),
    "dogs3": (0, 172, 322, 473),
}

_MIRROR_ONLY = (
    "Not loaded: the 64x64 images, from {file}, a derived file that only a dataset mirror "
    "provides; set CROWDTUT_DATA to a mirror directory that holds it. Everything else is loaded."
)


def _number(pattern: str, text: str, which: int = 0) -> float | None:
    found = re.findall(pattern, text)
    return float(found[which]) if len(found) > which else None


def parse_summary(text: str) -> dict[str, float | None]:
    """The numbers of one of the authors' ``summaries/*.txt`` files.

    Returns
    -------
    dict
        ``edge_error`` (upper triangle of the answered pairs), ``edge_error_with_repeats``
        (counting repeated pairs), ``edge_error_mean`` and ``edge_error_std`` (as printed; for
        drag-and-drop files with 5 or more images the printed mean is 1 - edge error),
        ``question_error``, ``n_questions``, ``vi_spectral`` (variation of information of
        spectral clustering, mean over runs). None where the file lacks the number.
    """
    num = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
    return {
        "edge_error": _number(rf"Edge error\s*:\s*{num}", text, 0),
        "edge_error_with_repeats": _number(rf"Edge error\s*:\s*{num}", text, 1),
        "edge_error_mean": _number(rf"edge error rate mean\s*=\s*{num}", text),
        "edge_error_std": _number(rf"edge error rate std\s*=\s*{num}", text),
        "question_error": _number(rf"Question error\s*:\s*{num}", text),
        "n_questions": _number(rf"# questions\s*:\s*{num}", text),
        "vi_spectral": _number(rf"{num}\s*\+/-\s*[0-9.]+", text),
    }


def _truth(image_set: str) -> pd.Series:
    bounds = np.asarray(CLASS_BOUNDS[image_set])
    classes = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    return pd.Series(classes, index=pd.RangeIndex(bounds[-1], name="item"), name="truth")


def _long_frame(records: list, source: str) -> tuple[pd.DataFrame, dict]:
    hits, workers, items, groups, times = [], [], [], [], []
    skipped, feedback = 0, {}
    for r, record in enumerate(records):
        worker = record["_id"]["$oid"]
        for answer in record["answer"]:
            if "questionNum" not in answer:  # the closing feedback form
                feedback[worker] = answer.get("feedback")
                continue
            clusters = answer.get("clusters") or []
            if not clusters and not answer.get("originalOrder"):
                skipped += 1  # empty practice question
                continue
            shown = sorted(answer.get("originalOrder") or [])
            if sorted(i for c in clusters for i in c) != shown:
                raise ValueError(
                    f"{source}: record {r} ({worker}), question {answer['questionNum']}: the "
                    f"clusters {clusters} are not a partition of the images shown {shown}"
                )
            hit = f"{worker}:{answer['questionNum']}"
            for g, cluster in enumerate(clusters):
                for item in cluster:
                    hits.append(hit)
                    workers.append(worker)
                    items.append(int(item))
                    groups.append(g)
            times.append((hit, answer.get("timeElapsed")))
    answers = pd.DataFrame(
        {
            "hit": np.asarray(hits, dtype=object),
            "worker": np.asarray(workers, dtype=object),
            "item": np.asarray(items, dtype=np.int64),
            "group": np.asarray(groups, dtype=np.int64),
        }
    )
    hit_index = pd.Index([h for h, _ in times], name="hit")
    if not hit_index.is_unique:
        raise ValueError(f"{source}: a worker answers the same question number twice")
    extras = {
        "n_practice_skipped": skipped,
        "feedback": pd.Series(feedback, name="feedback", dtype=object).rename_axis("worker"),
        "time_ms": pd.Series([t for _, t in times], index=hit_index, name="time_ms"),
    }
    return answers, extras


def load_crowd_clustering(
    info: DatasetInfo,
    get: GetFile,
    images: bool | str,
    query: str | None = None,
    image_set: str | None = None,
) -> CrowdDataset:
    """One query file of Chen & Vinayak's crowd clustering data (default radio-2, birds5)."""
    query = "radio-2" if query is None else query
    image_set = "birds5" if image_set is None else image_set
    if query not in CLUSTERING_QUERIES:
        raise ValueError(
            f"crowd_clustering_www25 has no query {query!r}; choose one of "
            f"{list(CLUSTERING_QUERIES)}"
        )
    stem, image_sets = CLUSTERING_QUERIES[query]
    if image_set not in image_sets:
        raise ValueError(
            f"crowd_clustering_www25 query {query!r} has no image_set {image_set!r} in the "
            f"mirror; it has {list(image_sets)}"
        )
    role = f"{query}-{image_set}"
    source = f"{stem}-{image_set}-2023.json"
    with open(get(role), encoding="utf-8") as f:
        records = json.load(f)
    answers, extras = _long_frame(records, source)
    truth = _truth(image_set)
    outside = ~answers["item"].isin(truth.index)
    if outside.any():
        bad = answers["item"][outside].iloc[0]
        raise ValueError(f"{source}: item {bad} is not an {image_set} image id")
    extras.update(query=query, image_set=image_set)
    try:
        extras["published_edge_error"] = parse_summary(
            get(f"summary:{role}").read_text(encoding="utf-8")
        )
    except FileNotFoundError:
        pass
    if images:
        try:
            with np.load(get("images")) as z:
                ids = z[f"image_id_{image_set}"]
                if not np.array_equal(ids, np.arange(len(truth))):
                    raise ValueError(f"images_64.npz: image_id_{image_set} is not 0..n-1")
                extras["images"] = z[f"X_{image_set}"]
        except FileNotFoundError:
            if images is True:
                raise
            extras["missing"] = _MIRROR_ONLY.format(file=info.files["images"].mirror_path)
    classes = list(range(len(CLASS_BOUNDS[image_set]) - 1))
    return dataset_from_info(info, answers, truth, classes, extras)
