"""Pixel EM: one skill per worker (one-coin model over pixels)."""


from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..._checks import check_choice, check_non_negative, check_positive_int
from .._base import check_number
from ._base import Scope, SegmentationAggregator, NO_EVIDENCE, logit, safe_rate
from ...answers.masks import MaskAnswers, Region

class SegmentationEM(SegmentationAggregator):
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
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_choice("scope", self.scope, ("task", "global"))
        check_choice("region", self.region, ("union", "image"))
        check_choice("prior", self.prior, ("uniform", "learned"))
        check_number("min_skill", self.min_skill, 0.0, 1.0, high_open=True)

    def _m_step(self, data: MaskAnswers, bits, count, size, marked, post):
        """Skills (per task and rank), per-worker skills when global (else None), and priors."""
        present = data.present
        weighted = count * post
        hits = data.per_task(bits * weighted[:, None])
        fg = data.per_task(weighted)
        agree = size[:, None] - marked - fg[:, None] + 2.0 * hits  # expected agreement
        pooled = None
        if self.scope == "global":
            agree_w, size_w, agree, total = self._pool(data, agree, present * size[:, None])
            skill = safe_rate(agree, total)
            pooled = np.maximum(safe_rate(agree_w, size_w), self.min_skill)
        else:
            skill = safe_rate(agree, size[:, None])
        skill = np.where(present, np.maximum(skill, self.min_skill), NO_EVIDENCE)
        prior = safe_rate(fg, size) if self.prior == "learned" else np.full(data.n_tasks, 0.5)
        return skill, pooled, prior

    def _fit(self, data: MaskAnswers) -> np.ndarray:
        bits = data.row_bits.astype(np.float64)
        present = data.present
        count = data.region_counts(self.region)
        size = data.per_task(count)  # region pixels per task
        marked = data.per_task(bits * count[:, None])  # pixels of the region each mask marks
        post = bits.sum(axis=1) / data.answers_per_task[data.row_task]
        n_votes = max(float((size * data.answers_per_task).sum()), 1.0)
        history, previous, done = [], None, False
        for _ in range(self.n_iter):
            skill, _, prior = self._m_step(data, bits, count, size, marked, post)
            # E-step: posterior log-odds of each pattern row
            lam = np.where(present, logit(skill), 0.0)
            u = np.einsum("rk,rk->r", bits, lam[data.row_task])
            log_fg = np.log(prior) + np.where(present, np.log1p(-skill), 0.0).sum(axis=1)
            log_bg = np.log1p(-prior) + np.where(present, np.log(skill), 0.0).sum(axis=1)
            l1 = log_fg[data.row_task] + u
            l0 = log_bg[data.row_task] - u
            post = 1.0 / (1.0 + np.exp(l0 - l1))
            loglik = data.per_task(count * np.logaddexp(l1, l0))
            history.append(-loglik.sum() / n_votes)
            if previous is not None and np.all(
                np.abs(loglik - previous) <= self.tol * np.maximum(np.abs(previous), 1e-12)
            ):
                done = True
                break
            previous = loglik
        # the parameters exposed are the M-step of the final posteriors
        skill, pooled, prior = self._m_step(data, bits, count, size, marked, post)
        post = np.where(count > 0, post, 0.0) if self.region == "union" else post
        self.n_iter_ = len(history)
        self.converged_ = done
        self.loss_history_ = history
        if self.scope == "global":
            self.skills_ = pd.Series(pooled, index=data.workers, name="skill")
        else:
            self.skills_ = self._worker_series(data, skill, "skill")
        self.priors_ = pd.Series(prior, index=data.tasks, name="prior")
        return post
