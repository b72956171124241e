"""STAPLE (Warfield, Zou & Wells 2004): sensitivity and specificity per worker."""


from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..._checks import check_choice, check_non_negative, check_positive_int
from ._base import Scope, SegmentationAggregator, NO_EVIDENCE, logit, safe_rate
from ...answers.masks import MaskAnswers, Region

class STAPLE(SegmentationAggregator):
    """STAPLE: each worker has a sensitivity and a specificity, estimated with the true mask by
    EM (Warfield, Zou and Wells, 2004).

    ``p_j = P(worker marks a pixel | it is foreground)``,
    ``q_j = P(worker leaves it | it is background)``. The foreground prior is fixed at the mean
    share of votes in the region (Warfield et al.'s choice) or re-estimated (``prior="learned"``).
    EM starts from the vote shares.

    Parameters
    ----------
    n_iter, tol, scope, smoothing : as in :class:`SegmentationEM`.
    region : ``"image"`` (default: every pixel, as in the paper) or ``"union"`` (the pixels any
        worker marked). Specificities are estimated on the region's background, so with
        ``"image"`` they depend on how much background the frame holds (on tight crops, little),
        and with ``"union"`` they leave out the background every worker got right, which lowers
        them and shrinks the masks.
    prior : ``"fixed"`` or ``"learned"``.

    Attributes
    ----------
    segmentations_, probas_, loss_history_, n_iter_, converged_ : as in :class:`SegmentationEM`;
        the rates and priors are the M-step of the final posteriors.
    sensitivity_, specificity_ : Series, indexed by (task, worker) (or by worker when global).
    priors_ : Series, foreground prior per task.

    References
    ----------
    S. K. Warfield, K. H. Zou and W. M. Wells, "Simultaneous truth and performance level
    estimation (STAPLE): an algorithm for the validation of image segmentation", IEEE
    Transactions on Medical Imaging 23(7):903-921, 2004. https://doi.org/10.1109/TMI.2004.828354
    """

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-6,
        scope: Scope = "task",
        region: Region = "image",
        prior: Literal["fixed", "learned"] = "fixed",
        smoothing: float = 0.0,
    ):
        self.n_iter = n_iter
        self.tol = tol
        self.scope = scope
        self.region = region
        self.prior = prior
        self.smoothing = smoothing

    def _validate_params(self) -> None:
        super()._validate_params()
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_choice("scope", self.scope, ("task", "global"))
        check_choice("region", self.region, ("union", "image"))
        check_choice("prior", self.prior, ("fixed", "learned"))

    def _m_step(self, data: MaskAnswers, bits, count, size, marked, post, prior):
        """Sensitivities and specificities (per task and rank), their per-worker values when
        global (else None), and the foreground priors."""
        present = data.present
        weighted = count * post
        hits = data.per_task(bits * weighted[:, None])  # sum of W * D
        fg = data.per_task(weighted)  # sum of W
        tn = size[:, None] - marked - fg[:, None] + hits  # sum of (1 - W)(1 - D)
        bg = (size - fg)[:, None] * present
        fg_k = fg[:, None] * present
        pooled = None
        if self.scope == "global":
            hits_w, fg_w, tn_w, bg_w, hits, fg_k, tn, bg = self._pool(data, hits, fg_k, tn, bg)
            pooled = (safe_rate(hits_w, fg_w), safe_rate(tn_w, bg_w))
        sens = np.where(present, safe_rate(hits, fg_k), NO_EVIDENCE)
        spec = np.where(present, safe_rate(tn, bg), NO_EVIDENCE)
        if self.prior == "learned":
            prior = safe_rate(fg, size)
        return sens, spec, pooled, prior

    def _fit(self, data: MaskAnswers) -> np.ndarray:
        bits = data.row_bits.astype(np.float64)
        present = data.present
        k_task = data.answers_per_task
        count = data.region_counts(self.region)
        size = data.per_task(count)
        marked = data.per_task(bits * count[:, None])
        post = bits.sum(axis=1) / k_task[data.row_task]
        prior = safe_rate(marked.sum(axis=1), size * k_task)
        n_votes = max(float((size * k_task).sum()), 1.0)
        history, previous, done = [], None, False
        for _ in range(self.n_iter):
            sens, spec, _, prior = self._m_step(data, bits, count, size, marked, post, prior)
            # E-step
            u1 = np.einsum("rk,rk->r", bits, np.where(present, logit(sens), 0.0)[data.row_task])
            u0 = np.einsum("rk,rk->r", bits, np.where(present, logit(spec), 0.0)[data.row_task])
            log_fg = np.log(prior) + np.where(present, np.log1p(-sens), 0.0).sum(axis=1)
            log_bg = np.log1p(-prior) + np.where(present, np.log(spec), 0.0).sum(axis=1)
            l1 = log_fg[data.row_task] + u1
            l0 = log_bg[data.row_task] - u0
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
        sens, spec, pooled, prior = self._m_step(data, bits, count, size, marked, post, prior)
        post = np.where(count > 0, post, 0.0) if self.region == "union" else post
        self.n_iter_ = len(history)
        self.converged_ = done
        self.loss_history_ = history
        if self.scope == "global":
            p_w, q_w = pooled
            self.sensitivity_ = pd.Series(p_w, index=data.workers, name="sensitivity")
            self.specificity_ = pd.Series(q_w, index=data.workers, name="specificity")
        else:
            self.sensitivity_ = self._worker_series(data, sens, "sensitivity")
            self.specificity_ = self._worker_series(data, spec, "specificity")
        self.priors_ = pd.Series(prior, index=data.tasks, name="prior")
        return post
