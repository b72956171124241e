"""The answer data models: one per kind of answer, each validated once at the boundary.

Every model in crowdtut reads integer codes, never the user's names: an ``encode_*`` function
checks a long DataFrame once (columns, missing values, repeated answers, the universe of names)
and returns a frozen dataclass of integer arrays plus the :class:`pandas.Index` objects that map
the codes back.

=====================  ======================================  ===========================
kind                   columns                                  encoder
=====================  ======================================  ===========================
labels                 ``task, worker, label``                  :func:`encode_answers`
masks                  ``task, worker, segmentation``           :func:`encode_masks`
partitions             ``hit, worker, item, group``             :func:`encode_partitions`
texts                  ``task, worker, text``                   :func:`encode_texts`
comparisons            ``worker, left, right, label``           :func:`encode_comparisons`
=====================  ======================================  ===========================
"""

from __future__ import annotations

from ._encode import factorize
from .labels import CrowdAnswers, DuplicatePolicy, encode_answers
from .masks import MaskAnswers, encode_masks
from .partitions import PartitionAnswers, encode_partitions, pairwise_labels
from .texts import TextAnswers, encode_texts, normalize, tokenize
from .comparisons import ComparisonAnswers, encode_comparisons

__all__ = [
    "CrowdAnswers",
    "DuplicatePolicy",
    "encode_answers",
    "MaskAnswers",
    "encode_masks",
    "PartitionAnswers",
    "encode_partitions",
    "pairwise_labels",
    "TextAnswers",
    "encode_texts",
    "normalize",
    "tokenize",
    "ComparisonAnswers",
    "encode_comparisons",
    "factorize",
]
