"""Aggregators: from many noisy answers per task to one label (or a distribution) per task.

Each model family lives in its own module and is imported on first use, so that a command that
needs majority vote does not pay for scipy's special functions or the clustering code.
"""

from __future__ import annotations

from .._lazy import lazy_attributes

_WHERE = {
    "ClassificationAggregator": "_base",
    "NotFittedError": "_base",
    "MajorityVote": "classification.voting",
    "NaiveSoft": "classification.voting",
    "Wawa": "classification.voting",
    "ZeroBasedSkill": "classification.voting",
    "IWMV": "classification.voting",
    "DawidSkene": "classification.dawid_skene",
    "OneCoinDawidSkene": "classification.dawid_skene",
    "ClusteredDawidSkene": "classification.dawid_skene",
    "GLAD": "classification.glad",
    "MACE": "classification.mace",
    "ModifiedDawidSkene": "classification.modified_dawid_skene",
    "KOS": "classification.kos",
    "MMSR": "classification.mmsr",
    "EBCC": "classification.ebcc",
    "WDS": "classification.peerannot",
    "PlantNet": "classification.peerannot",
    "TwoThird": "classification.peerannot",
    "BinaryRelevance": "classification.multilabel",
    "GoldMajorityVote": "classification.gold",
    "SegmentationMajorityVote": "segmentation",
    "SegmentationEM": "segmentation",
    "SegmentationRASA": "segmentation",
    "STAPLE": "segmentation",
    "CrowdClustering": "clustering",
    "CoAssociationClustering": "clustering",
    "TextAggregator": "texts",
    "ROVER": "texts",
    "TextMedoid": "texts",
    "ClosestToAverage": "texts",
    "TextRASA": "texts",
    "PairwiseAggregator": "pairwise",
    "BradleyTerry": "pairwise",
    "NoisyBradleyTerry": "pairwise",
    "CrowdBT": "pairwise",
    "DavidsonBradleyTerry": "pairwise",
    "Elo": "pairwise",
    "bootstrap_scores": "pairwise",
    "score_intervals": "pairwise",
    "propose_pairs": "pairwise",
    "active_learning_curve": "pairwise",
}
__all__ = list(_WHERE)
__getattr__, __dir__ = lazy_attributes(__name__, _WHERE)
