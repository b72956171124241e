"""Pixel EM: one skill per worker (one-coin model over pixels)."""


from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..._checks import check_choice
from .._base import check_number
from ._base import NO_EVIDENCE, PixelEM, Scope, safe_rate
from ...answers.masks import MaskAnswers, Region


class SegmentationEM(PixelEM):
    """Pixel-wise one-coin Dawid-Skene over the region any worker marked, fitted by EM.

    Worker ``j`` labels each pixel of the region correctly with probability ``skill``,
    independently of the other pixels. EM starts from the vote shares. With few workers, an
    image on which some workers returned empty (or identical) masks can trap EM in the solution
    in which those workers are perfect; ``scope="global"`` avoids that when workers are
    persistent.

    Parameters
    ----------
    n_iter : maximum number of EM iterations.
    tol : stop when no task's log-likelihood changes by more than this, relative to its value.
    scope : ``"task"`` (one skill per worker and task, as crowd-kit) or ``"global"`` (one skill
        per worker, pooled over its tasks).
    region : ``"union"`` (pixels any worker marked; the others stay background) or ``"image"``.
    prior : ``"uniform"`` (the true label is a priori a coin flip, as in ``OneCoinDawidSkene``)
        or ``"learned"`` (the foreground share of the region, re-estimated per task).
    min_skill : lower bound on skills; the default 1/2 ignores a worker who agrees with the
        estimate on less than half of the region instead of reading its mask backwards. 0 gives
        the plain model.
    smoothing : Gaussian standard deviation (pixels) applied to the posterior before thresholding.

    Attributes
    ----------
    segmentations_ : Series of bool arrays (posterior above 0.5), indexed by task.
    probas_ : Series of float32 posterior maps.
    skills_ : Series, indexed by (task, worker) (or by worker with ``scope="global"``).
    priors_ : Series, foreground share of the region per task.
    loss_history_ : negative log-likelihood per pixel vote (pixel of the region times mask)
        after each iteration; non-increasing.
    n_iter_, converged_ : iterations run, and whether the stopping rule was met.

    ``skills_`` and ``priors_`` are the M-step of the final posteriors (``probas_``).

    References
    ----------
    D. Jung-Lin Lee, A. Das Sarma and A. Parameswaran, "Quality evaluation methods for
    crowdsourced image segmentation", Stanford InfoLab technical report, 2018.
    A. P. Dawid and A. M. Skene, JRSS C 28(1), 1979. https://doi.org/10.2307/2346806
    """

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-6,
        scope: Scope = "task",
        region: Region = "union",
        prior: Literal["uniform", "learned"] = "uniform",
        min_skill: float = 0.5,
        smoothing: float = 0.0,
    ):
        self.n_iter = n_iter
        self.tol = tol
        self.scope = scope
        self.region = region
        self.prior = prior
        self.min_skill = min_skill
        self.smoothing = smoothing

    def _validate_params(self) -> None:
        super()._validate_params()
        check_choice("prior", self.prior, ("uniform", "learned"))
        check_number("min_skill", self.min_skill, 0.0, 1.0, high_open=True)

    def _rates(self, data: MaskAnswers, stats: dict, post: np.ndarray, final: bool):
        """One skill per task and rank (sensitivity = specificity), pooled per worker when
        global, and the priors; with ``final``, stored as ``skills_`` and ``priors_``."""
        present = data.present
        weighted = stats["count"] * post
        hits = data.per_task(stats["bits"] * weighted[:, None])
        fg = data.per_task(weighted)
        size = stats["size"]
        agree = size[:, None] - stats["marked"] - fg[:, None] + 2.0 * hits  # expected agreement
        pooled = None
        if self.scope == "global":
            agree_w, size_w, agree, total = self._pool(data, agree, present * size[:, None])
            skill = safe_rate(agree, total)
            pooled = np.maximum(safe_rate(agree_w, size_w), self.min_skill)
        else:
            skill = safe_rate(agree, size[:, None])
        skill = np.where(present, np.maximum(skill, self.min_skill), NO_EVIDENCE)
        prior = safe_rate(fg, size) if self.prior == "learned" else np.full(data.n_tasks, 0.5)
        if final:
            if self.scope == "global":
                self.skills_ = pd.Series(pooled, index=data.workers, name="skill")
            else:
                self.skills_ = self._worker_series(data, skill, "skill")
            self.priors_ = pd.Series(prior, index=data.tasks, name="prior")
        return skill, skill, prior
