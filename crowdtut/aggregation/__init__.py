"""Aggregators: from many noisy answers per task to one label (or a distribution) per task."""

from ._base import ClassificationAggregator, NotFittedError
from .clustering import CoAssociationClustering, CrowdClustering
from .dawid_skene import ClusteredDawidSkene, DawidSkene, OneCoinDawidSkene
from .glad import GLAD
from .mace import MACE
from .modified_dawid_skene import ModifiedDawidSkene
from .voting import IWMV, MajorityVote, NaiveSoft, Wawa, ZeroBasedSkill
from .segmentation import STAPLE, SegmentationEM, SegmentationMajorityVote, SegmentationRASA

__all__ = [
    "ClassificationAggregator",
    "NotFittedError",
    "MajorityVote",
    "NaiveSoft",
    "Wawa",
    "ZeroBasedSkill",
    "IWMV",
    "DawidSkene",
    "OneCoinDawidSkene",
    "ClusteredDawidSkene",
    "GLAD",
    "MACE",
    "ModifiedDawidSkene",
    "SegmentationMajorityVote",
    "SegmentationEM",
    "SegmentationRASA",
    "STAPLE",
    "CrowdClustering",
    "CoAssociationClustering",
]
