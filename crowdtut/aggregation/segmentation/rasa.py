"""RASA: masks weighted by their agreement with the current aggregate."""


from __future__ import annotations


import numpy as np
import pandas as pd

from ..._checks import check_choice, check_positive_int
from .._base import check_number
from ._base import Scope, SegmentationAggregator, iou_from_sizes, marked_shares
from ...answers.masks import MaskAnswers

class SegmentationRASA(SegmentationAggregator):
    """RASA for masks: a weighted vote whose weights grow as a worker's mask gets closer (in
    IoU) to the current estimate, iterated to a fixed point.

    The weight of worker ``j`` is ``log(1 / (d_j + eps) + 1)`` with ``d_j = 1 - IoU(mask_j,
    estimate)``, normalised to sum to one per task; a pixel is in the estimate when the weights
    of the workers who marked it sum to at least 0.5. The first estimate is the majority vote.
    This is crowd-kit's image version of Li's RASA for texts.

    Parameters
    ----------
    n_iter : maximum number of re-weightings; it stops earlier when no estimate changes.
    eps : the small constant of the weight formula (crowd-kit's 1e-5).
    scope : ``"task"`` (one weight per worker and task) or ``"global"`` (the IoU pooled over
        each worker's tasks).
    smoothing : Gaussian standard deviation (pixels) applied to the weighted-vote map.

    Attributes
    ----------
    segmentations_ : Series of bool arrays, indexed by task.
    probas_ : Series of float32 weighted-vote maps.
    weights_ : Series of normalised weights, indexed by (task, worker) (by worker when global,
        unnormalised).
    changed_history_ : share of the union region's pixels whose label changed at each
        re-weighting. RASA is a fixed-point iteration with no likelihood or other objective, so
        it has no ``loss_history_``; this records how far each step moved instead.
    n_iter_, converged_ : re-weightings run, and whether the estimate stopped changing.

    References
    ----------
    J. Li, "A dataset of crowdsourced word sequences: collections and answer aggregation for
    ground truth creation", AnnoNLP workshop, EMNLP 2019. https://doi.org/10.18653/v1/D19-5904
    """

    _ties_in = True

    def __init__(self, n_iter: int = 100, eps: float = 1e-5, scope: Scope = "task", smoothing: float = 0.0):
        self.n_iter = n_iter
        self.eps = eps
        self.scope = scope
        self.smoothing = smoothing

    def _validate_params(self) -> None:
        super()._validate_params()
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_choice("scope", self.scope, ("task", "global"))
        check_number("eps", self.eps, 0.0, low_open=True)

    def _fit(self, data: MaskAnswers) -> np.ndarray:
        bits = data.row_bits
        present = data.present
        count = data.row_count
        marked = data.per_task(bits * count[:, None])
        weights = present / data.answers_per_task[:, None]
        shares = marked_shares(data, weights)
        estimate = shares >= 0.5
        union_size = max(float(data.region_counts("union").sum()), 1.0)
        history = []
        pooled = None
        done = False
        for _ in range(self.n_iter):
            est_count = np.where(estimate, count, 0.0)
            inter = data.per_task(bits * est_count[:, None])
            union = marked + data.per_task(est_count)[:, None] - inter
            if self.scope == "global":
                inter_w, union_w, inter, union = self._pool(data, inter, union)
                pooled = np.log(1.0 / (1.0 - iou_from_sizes(inter_w, union_w) + self.eps) + 1.0)
            raw = np.where(present, np.log(1.0 / (1.0 - iou_from_sizes(inter, union) + self.eps) + 1.0), 0.0)
            weights = raw / raw.sum(axis=1, keepdims=True)
            shares = marked_shares(data, weights)
            new = shares >= 0.5
            changed = float(count[new != estimate].sum())
            history.append(changed / union_size)
            estimate = new
            if changed == 0:
                done = True
                break
        self.n_iter_ = len(history)
        self.converged_ = done
        self.changed_history_ = history
        if self.scope == "global":
            pooled = np.ones(data.n_workers) if pooled is None else pooled
            self.weights_ = pd.Series(pooled, index=data.workers, name="weight")
        else:
            self.weights_ = self._worker_series(data, weights, "weight")
        return shares



