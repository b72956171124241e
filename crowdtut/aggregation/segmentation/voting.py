"""Majority vote over masks, pixel by pixel (optionally weighted)."""


from __future__ import annotations


import numpy as np
import pandas as pd
from ._base import SegmentationAggregator, align_mask_weights, marked_shares
from ...answers.masks import encode_masks


class SegmentationMajorityVote(SegmentationAggregator):
    """Pixel-wise (weighted) majority vote: a pixel is in the mask when the workers who marked
    it hold at least half of the task's total weight (ties are kept, as in crowd-kit).

    Parameters
    ----------
    smoothing : standard deviation in pixels of a Gaussian applied to the vote-share map before
        thresholding (0 = none).

    Attributes
    ----------
    segmentations_ : Series of bool arrays, indexed by task.
    probas_ : Series of float32 arrays, the (weighted) share of votes of every pixel.
    weights_ : Series, the weight of each worker (indexed by (task, worker)), normalised to sum
        to one per task.

    References
    ----------
    D. Jung-Lin Lee, A. Das Sarma and A. Parameswaran, "Aggregating crowdsourced image
    segmentations", HCOMP 2018 works-in-progress, CEUR-WS 2173.
    """

    _ties_in = True

    def __init__(self, smoothing: float = 0.0):
        self.smoothing = smoothing

    def fit(self, answers, weights: pd.Series | dict | None = None) -> "SegmentationMajorityVote":
        """Fit; ``weights`` (by worker, or by (task, worker) MultiIndex) weights the votes."""
        self._validate_params()
        data = encode_masks(answers)
        w = data.present.astype(np.float64) if weights is None else align_mask_weights(data, weights)
        w = w / w.sum(axis=1, keepdims=True)
        t, k, index = data.task_worker_index()
        self.weights_ = pd.Series(w[t, k], index=index, name="weight")
        self._finish(data, marked_shares(data, w))
        return self




