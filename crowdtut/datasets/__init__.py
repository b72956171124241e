"""Real crowdsourcing datasets: a registry of pinned files with checksums, and one loader each.

>>> from crowdtut.datasets import dataset_info, list_datasets, load_dataset
>>> table = list_datasets()  # static metadata: needs no data
>>> table.set_index("name").loc["s_rel", ["n_tasks", "n_truth"]].tolist()
[20232, 4460]
>>> dataset_info("d_jn-product").name
'd_product'
>>> ds = load_dataset("bluebird")  # doctest: +SKIP
>>> ds.answers.columns.tolist()  # doctest: +SKIP
['task', 'worker', 'label']
>>> # without a mirror the 64x64 images (a derived file) are left out, and extras says why
>>> labelme = load_dataset("labelme", images="if-available")  # doctest: +SKIP
>>> labelme.has_images  # doctest: +SKIP
False

Files come from a mirror directory when ``$CROWDTUT_DATA`` is set, otherwise from the cache
(``$CROWDTUT_CACHE`` or ``~/.cache/crowdtut``), downloaded from URLs pinned to a commit and checked
against their sha256. See :func:`fetch_file`.

Canonical names and the upstream folders they stand for. The folder names are accepted as
aliases, in any case, with ``-``, ``_`` and spaces alike (``load_dataset("d_jn-product")``).

=================== ==========================================================================
name                source
=================== ==========================================================================
bluebird            truth-inference-at-scale SpectralMethodsMeetEM/bluebird
dog                 SpectralMethodsMeetEM/dog
rte                 SpectralMethodsMeetEM/rte
trec                SpectralMethodsMeetEM/trec
web                 SpectralMethodsMeetEM/web
cf                  active-crowd-toolkit/CF
cf_amt              active-crowd-toolkit/CF_amt
ms                  active-crowd-toolkit/MS
sp                  active-crowd-toolkit/SP
sp_amt              active-crowd-toolkit/SP_amt
zencrowd_all        active-crowd-toolkit/ZenCrowd_all
zencrowd_in         active-crowd-toolkit/ZenCrowd_in
zencrowd_us         active-crowd-toolkit/ZenCrowd_us
d_duck              crowd_truth_inference/d_Duck Identification
d_product           crowd_truth_inference/d_jn-product
d_possent           crowd_truth_inference/d_sentiment
s_dog               crowd_truth_inference/s4_Dog data
s_face              crowd_truth_inference/s4_Face Sentiment Identification
s_rel               crowd_truth_inference/s4_Relevance
s_adult             crowd_truth_inference/s5_AdultContent
fact_eval           crowdscale2013/fact_eval
labelme             fmenat/PyLearningCrowds data/LabelMe (VGG features, optional images)
cifar10h            jcpeterson/cifar-10h vote counts (no per-worker answers)
cifar10n            UCSC-REAL/cifar-10-100n CIFAR-10N, 3 labels per training image
peerannot-toy       peerannot datasets/toy-data
krippendorff        peerannot datasets/krippendorff-data (no truth)
sagemaker-birds     aws/amazon-sagemaker-examples annotation-consolidation demo
bubil               BU-BIL segmentations, 6 subsets (mirror's aligned arrays, else derived
                    from the published files and cached; subset=1..6)
mscoco_small        crowd-kit's MS COCO segmentations (Hugging Face hub; not in the mirror)
readability         pairwise: which passage is harder to read (Chen et al. 2013), grade levels
music_preferences   pairwise: Urbano et al.'s MTurk music-similarity preferences, ties allowed
crowdspeech         texts: CrowdSpeech transcriptions of LibriSpeech (split=dev-clean, ...)
crowdwsa2019        texts: CrowdWSA2019 J1 crowd translations Japanese -> English
crowd_clustering_www25  clustering: Chen & Vinayak's image grouping queries (query=, image_set=)
=================== ==========================================================================
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd

from ._dataset import CrowdDataset
from ._fetch import default_cache_dir, fetch_file, sha256_file
from ._loaders import HAS_IMAGES, LOADERS, OPTIONS, SELF_FETCHING
from ._registry import REGISTRY, DatasetInfo, RemoteFile, resolve_name

__all__ = [
    "CrowdDataset",
    "DatasetInfo",
    "RemoteFile",
    "REGISTRY",
    "dataset_info",
    "default_cache_dir",
    "fetch_file",
    "list_datasets",
    "load_dataset",
    "sha256_file",
]


_PLURAL = {"subset": "subsets", "split": "splits", "query": "queries", "image_set": "image sets"}


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry of a dataset (files, checksums, sizes), without reading any data.

    Raises
    ------
    KeyError
        Unknown name; the message suggests close matches and lists every name.
    """
    return REGISTRY[resolve_name(name)]


def load_dataset(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    images: bool | Literal["if-available"] = False,
    subset=None,
    split: str | None = None,
    query: str | None = None,
    image_set: str | None = None,
) -> CrowdDataset:
    """Load a real crowdsourcing dataset.

    Parameters
    ----------
    name : str
        A name of :func:`list_datasets` or an alias (upstream folder name, e.g. ``"d_jn-product"``).
    data_home : path, optional
        Cache directory to read and download into, instead of ``$CROWDTUT_DATA`` (mirror),
        ``$CROWDTUT_CACHE`` or ``~/.cache/crowdtut``.
    download : bool, default True
        Download missing files into the cache. With False a missing file is a FileNotFoundError.
    images : bool or "if-available", default False
        Also load the images (labelme: 64x64 RGB; cifar10h: 32x32 RGB; peerannot-toy: file
        paths; bubil: the microscopy crops) into ``extras``. They are large, so off by default.
        The labelme and cifar10h images come from derived files that only a dataset mirror
        (``$CROWDTUT_DATA``) or a filled cache holds: with True their absence is an error, with
        ``"if-available"`` the dataset loads without them, ``has_images`` is False and
        ``extras["missing"]`` says why (a damaged file is still an error). For the other
        datasets ``"if-available"`` is the same as True.
    subset : int, str or list, optional
        Part of a dataset that has parts: BU-BIL's subsets 1..6 (``subset=4``, ``"bubil-4"`` or
        ``[4, 5]``); all of them by default.
    split : str, optional
        CrowdSpeech's part: ``"dev-clean"`` (default), ``"dev-other"``, ``"test-clean"``,
        ``"test-other"``.
    query, image_set : str, optional
        crowd_clustering_www25's file: the query (``"radio-2"`` (default), ``"radio-3"``,
        ``"radio-4"``, ``"dnd-2"`` .. ``"dnd-5"``) and the images (``"birds5"`` (default) or
        ``"dogs3"``, radio queries only).

    Returns
    -------
    CrowdDataset

    Raises
    ------
    KeyError
        Unknown name (the message suggests close matches).
    FileNotFoundError, ValueError, ConnectionError
        A file is missing, has the wrong checksum, or cannot be downloaded (see
        :func:`fetch_file`); ``images=True`` for a dataset without images.
    NotImplementedError
        The dataset is registered but has no loader yet.
    """
    info = dataset_info(name)
    if not info.loader:
        raise NotImplementedError(
            f"{info.name} is registered (files and checksums in dataset_info({info.name!r}).files,"
            " readable with fetch_file) but has no loader yet."
        )
    if images not in (False, True, "if-available"):
        raise ValueError(f"images must be True, False or 'if-available', not {images!r}")
    if images and info.loader not in HAS_IMAGES:
        with_images = [n for n, i in REGISTRY.items() if i.loader in HAS_IMAGES]
        raise ValueError(f"{info.name} has no images; images=True works for {with_images}")

    def get(role: str) -> Path:
        return fetch_file(info.files[role], data_home=data_home, download=download)

    given = {"subset": subset, "split": split, "query": query, "image_set": image_set}
    options = {key: value for key, value in given.items() if value is not None}
    for key in options:
        if key not in OPTIONS.get(info.loader, ()):
            takers = [n for n, i in REGISTRY.items() if key in OPTIONS.get(i.loader, ())]
            raise ValueError(f"{info.name} has no {_PLURAL[key]}; {key}= works for {takers}")
    if info.loader in SELF_FETCHING:  # files outside info.files (MD5 only; bubil's upstream)
        options.update(data_home=data_home, download=download)
    return LOADERS[info.loader](info, get, images, **options)


def list_datasets() -> pd.DataFrame:
    """The registered datasets with their sizes, from static metadata (reads no data).

    Returns
    -------
    pandas.DataFrame
        One row per dataset: ``name``, ``kind``, ``description`` (one line), ``n_tasks``,
        ``n_workers``, ``n_answers``, ``n_classes``, ``n_truth`` (tasks with a true label),
        ``n_repeated`` (answer rows repeating a (task, worker) pair), ``licence``, ``loadable``.
        Unknown sizes are ``<NA>``.
    """
    rows = [
        {
            "name": i.name,
            "kind": i.kind,
            "description": i.summary,
            "n_tasks": i.n_tasks,
            "n_workers": i.n_workers,
            "n_answers": i.n_answers,
            "n_classes": i.n_classes,
            "n_truth": i.n_truth,
            "n_repeated": i.n_repeated,
            "licence": i.licence,
            "loadable": bool(i.loader),
        }
        for i in REGISTRY.values()
    ]
    frame = pd.DataFrame(rows)
    sizes = ["n_tasks", "n_workers", "n_answers", "n_classes", "n_truth", "n_repeated"]
    frame[sizes] = frame[sizes].astype("Int64")
    return frame
