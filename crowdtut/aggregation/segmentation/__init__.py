"""Aggregating segmentation masks: majority vote, pixel EM (one-coin), RASA and STAPLE.

The input is a long DataFrame with the columns ``task``, ``worker`` and ``segmentation`` (one
boolean 2-D array per answer, one shape per task), crowd-kit's layout. :func:`encode_segmentations`
checks it once and *compresses* it: every model here treats pixels independently given its
parameters, so a pixel only matters through its task and its **vote pattern**, the tuple of the
task's workers' votes on it. With ``K`` workers a task has at most ``2**K`` patterns (128 for the
7 masks of a BU-BIL image, against tens of thousands of pixels), and every EM iteration runs on
the table of (task, pattern, pixel count) rows instead of on the pixels. Each mask is read once
into one pattern code per pixel (bit ``j`` = the task's ``j``-th worker), the codes are counted
with ``np.bincount``, and the masks are never copied again; iterations cost O(rows x workers)
and loop over neither tasks nor workers. The masks come back by one look-up per pixel at the end.

Worker parameters are estimated per task by default (``scope="task"``: one skill, sensitivity,
specificity or weight per (task, worker), as crowd-kit's and Warfield's per-image algorithms do);
``scope="global"`` pools them over the tasks of each worker.

>>> import numpy as np, pandas as pd
>>> masks = [np.array(m, dtype=bool) for m in ([[1, 1], [0, 0]], [[1, 0], [0, 0]], [[1, 1], [1, 0]])]
>>> answers = pd.DataFrame({"task": "t1", "worker": ["a", "b", "c"], "segmentation": masks})
>>> em = SegmentationEM().fit(answers)
>>> em.segmentations_["t1"].astype(int).tolist()
[[1, 1], [0, 0]]
>>> em.skills_.round(2).tolist()
[1.0, 0.67, 0.67]
"""

from __future__ import annotations

from ...answers.masks import MaskAnswers, SegmentationAnswers, encode_masks, encode_segmentations
from ._base import SegmentationAggregator
from .em import SegmentationEM
from .rasa import SegmentationRASA
from .staple import STAPLE
from .voting import SegmentationMajorityVote

__all__ = [
    "SegmentationAggregator",
    "SegmentationMajorityVote",
    "SegmentationEM",
    "SegmentationRASA",
    "STAPLE",
    "MaskAnswers",
    "SegmentationAnswers",
    "encode_masks",
    "encode_segmentations",
]
