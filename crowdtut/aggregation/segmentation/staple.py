"""STAPLE (Warfield, Zou & Wells 2004): sensitivity and specificity per worker."""


from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..._checks import check_choice
from ._base import NO_EVIDENCE, PixelEM, Scope, safe_rate
from ...answers.masks import MaskAnswers, Region


class STAPLE(PixelEM):
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
        check_choice("prior", self.prior, ("fixed", "learned"))

    def _rates(self, data: MaskAnswers, stats: dict, post: np.ndarray, final: bool):
        """Sensitivities and specificities per task and rank (pooled per worker when global)
        and the foreground priors; with ``final``, stored as ``sensitivity_``, ``specificity_``
        and ``priors_``."""
        present = data.present
        size, k_task = stats["size"], data.answers_per_task
        weighted = stats["count"] * post
        hits = data.per_task(stats["bits"] * weighted[:, None])  # sum of W * D
        fg = data.per_task(weighted)  # sum of W
        tn = size[:, None] - stats["marked"] - fg[:, None] + hits  # sum of (1 - W)(1 - D)
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
        else:  # Warfield et al.: the mean share of votes in the region, fixed
            prior = safe_rate(stats["marked"].sum(axis=1), size * k_task)
        if final:
            if self.scope == "global":
                self.sensitivity_ = pd.Series(pooled[0], index=data.workers, name="sensitivity")
                self.specificity_ = pd.Series(pooled[1], index=data.workers, name="specificity")
            else:
                self.sensitivity_ = self._worker_series(data, sens, "sensitivity")
                self.specificity_ = self._worker_series(data, spec, "specificity")
            self.priors_ = pd.Series(prior, index=data.tasks, name="prior")
        return sens, spec, prior
