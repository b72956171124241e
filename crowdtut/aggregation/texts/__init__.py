"""Aggregating free texts: ROVER's word network, the medoid, embeddings and worker weights.

The input is a long DataFrame with the columns ``task``, ``worker`` and ``text`` (crowd-kit's
layout), normalised and coded once by :func:`crowdtut.answers.encode_texts`. Every aggregator
returns one normalised text per task in ``texts_``.
"""

from __future__ import annotations

from ._base import TextAggregator
from .medoid import ClosestToAverage, TextMedoid
from .rasa import TextRASA
from .rover import ROVER

__all__ = ["TextAggregator", "ROVER", "TextMedoid", "ClosestToAverage", "TextRASA"]
