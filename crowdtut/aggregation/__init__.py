"""Aggregators: from many noisy answers per task to one label (or a distribution) per task."""

from ._base import ClassificationAggregator, NotFittedError
from .dawid_skene import ClusteredDawidSkene, DawidSkene, OneCoinDawidSkene
from .voting import IWMV, MajorityVote, NaiveSoft, Wawa, ZeroBasedSkill

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
]
