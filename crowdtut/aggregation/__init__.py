"""Aggregators: from many noisy answers per task to one label (or a distribution) per task.

Each model family lives in its own module and is imported on first use, so that a command that
needs majority vote does not pay for scipy's special functions or the clustering code.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "ClassificationAggregator": "_base",
    "NotFittedError": "_base",
    "MajorityVote": "voting",
    "NaiveSoft": "voting",
    "Wawa": "voting",
    "ZeroBasedSkill": "voting",
    "IWMV": "voting",
    "DawidSkene": "dawid_skene",
    "OneCoinDawidSkene": "dawid_skene",
    "ClusteredDawidSkene": "dawid_skene",
    "GLAD": "glad",
    "MACE": "mace",
    "ModifiedDawidSkene": "modified_dawid_skene",
    "SegmentationMajorityVote": "segmentation",
    "SegmentationEM": "segmentation",
    "SegmentationRASA": "segmentation",
    "STAPLE": "segmentation",
    "CrowdClustering": "clustering",
    "CoAssociationClustering": "clustering",
}
__all__ = list(_WHERE)


def __getattr__(name: str):  # PEP 562
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'crowdtut.aggregation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
