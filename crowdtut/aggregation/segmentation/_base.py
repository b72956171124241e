"""What the segmentation aggregators share: the base class, rates in (0, 1) and overlap scores."""


from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .._base import Estimator
from ..._checks import check_choice, check_non_negative, check_positive_int
from ...answers.masks import MaskAnswers, encode_masks

_EPS = 1e-10  # bound on probabilities, so that no log is -inf
_TIE = 1e-9  # scores this close to 0.5 are ties
NO_EVIDENCE = 0.5  # value of a rate with nothing to estimate it from (an empty region)

Scope = Literal["task", "global"]


# --- the estimators --------------------------------------------------------------------------
def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def safe_rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` bounded away from 0 and 1; ``NO_EVIDENCE`` where ``den`` is 0."""
    out = np.divide(num, den, out=np.full(np.broadcast(num, den).shape, NO_EVIDENCE), where=den > 0)
    return np.clip(out, _EPS, 1.0 - _EPS)


class SegmentationAggregator(Estimator):
    """Base class: ``fit`` encodes the masks once, ``_fit`` returns one score per pattern row.

    After ``fit``: ``segmentations_`` (Series of bool masks, by task) and ``probas_`` (Series of
    float32 maps, the per-pixel foreground probability or vote share, before smoothing).
    ``fit_predict`` returns ``segmentations_`` and ``fit_predict_proba`` ``probas_``. A pixel is in the aggregated mask when its score (vote share or posterior probability) is
    at least 0.5 (``_ties_in = True``, votes) or above 0.5 (posteriors). With ``smoothing > 0``
    the score maps are first blurred by a Gaussian of that standard deviation in pixels, a
    simple spatial prior.
    """

    _ties_in = False

    def fit(self, answers: pd.DataFrame | MaskAnswers) -> "SegmentationAggregator":
        """Fit on long answers (columns ``task``, ``worker``, ``segmentation``)."""
        self._validate_params()
        data = encode_masks(answers)
        self._finish(data, self._fit(data))
        return self

    def fit_predict(self, answers: pd.DataFrame | MaskAnswers, **kwargs) -> pd.Series:
        """Fit and return the aggregated mask of every task (Series of bool arrays)."""
        return self.fit(answers, **kwargs).segmentations_

    def fit_predict_proba(self, answers: pd.DataFrame | MaskAnswers, **kwargs) -> pd.Series:
        """Fit and return the per-pixel foreground probability (or vote share) of every task
        (Series of float32 arrays)."""
        return self.fit(answers, **kwargs).probas_

    # --- for subclasses ----------------------------------------------------------------------
    def _fit(self, data: MaskAnswers) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate_params(self) -> None:
        check_non_negative("smoothing", self.smoothing)

    def _threshold(self, scores: np.ndarray) -> np.ndarray:
        # scores within _TIE of 0.5 are exact ties whose last bits depend on the order of the
        # workers: they are kept (votes) or left out (posteriors) whatever that order
        return scores >= 0.5 - _TIE if self._ties_in else scores > 0.5 + _TIE

    def _finish(self, data: MaskAnswers, scores: np.ndarray) -> None:
        self.probas_ = data.to_maps(scores.astype(np.float32), name="proba")
        if not self.smoothing:
            self.segmentations_ = data.to_maps(self._threshold(scores), name="segmentation")
            return
        from scipy.ndimage import gaussian_filter

        out: list = [None] * data.n_tasks
        for tasks, maps in data.map_groups(scores.astype(np.float32)):
            smooth = gaussian_filter(maps, sigma=(0, self.smoothing, self.smoothing), mode="nearest")
            hard = self._threshold(smooth)
            for i, t in enumerate(tasks):
                out[t] = hard[i]
        self.segmentations_ = pd.Series(out, index=data.tasks, name="segmentation", dtype=object)

    @staticmethod
    def _worker_series(data: MaskAnswers, values: np.ndarray, name: str) -> pd.Series:
        """Per-(task, rank) values, shape (n_tasks, max_answers), as a Series by (task, worker)."""
        t, k, index = data.task_worker_index()
        return pd.Series(values[t, k], index=index, name=name)

    def _pool(self, data: MaskAnswers, *sums: np.ndarray) -> tuple[np.ndarray, ...]:
        """For ``scope="global"``: per-(task, rank) sums added up per worker, then broadcast back.

        Returns the per-worker sums first and the broadcast (n_tasks, max_answers) arrays after.
        """
        present = data.present
        codes = data.rank_worker[present]
        per_worker = tuple(
            np.bincount(codes, weights=s[present], minlength=data.n_workers) for s in sums
        )
        back = tuple(np.where(present, w[np.maximum(data.rank_worker, 0)], 0.0) for w in per_worker)
        return per_worker + back



class PixelEM(SegmentationAggregator):
    """Shared EM of the two-class pixel models (``SegmentationEM``, ``STAPLE``).

    Each worker marks a foreground pixel with probability ``sens`` and leaves a background one
    with probability ``spec`` (per task and rank); subclasses say how the M-step computes them
    from the posteriors (``_rates``) and what they expose (``_store``). The E-step, the loss
    (negative log-likelihood per pixel vote) and the stopping rule are the same for both.
    Subclasses have ``n_iter``, ``tol``, ``scope``, ``region`` and ``smoothing``.
    """

    def _validate_params(self) -> None:
        super()._validate_params()
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_choice("scope", self.scope, ("task", "global"))
        check_choice("region", self.region, ("union", "image"))

    def _rates(self, data: MaskAnswers, stats: dict, post: np.ndarray, final: bool):
        """``(sens, spec, prior)`` from the posteriors; ``final``: also store the parameters."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _fit(self, data: MaskAnswers) -> np.ndarray:
        bits = data.row_bits.astype(np.float64)
        count = data.region_counts(self.region)
        stats = {
            "bits": bits,
            "count": count,
            "size": data.per_task(count),  # region pixels per task
            "marked": data.per_task(bits * count[:, None]),  # region pixels each mask marks
        }
        present = data.present
        post = bits.sum(axis=1) / data.answers_per_task[data.row_task]  # vote shares
        n_votes = max(float((stats["size"] * data.answers_per_task).sum()), 1.0)
        history, previous, done = [], None, False
        for _ in range(self.n_iter):
            sens, spec, prior = self._rates(data, stats, post, final=False)
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
        self._rates(data, stats, post, final=True)
        self.n_iter_ = len(history)
        self.converged_ = done
        self.loss_history_ = history
        return np.where(count > 0, post, 0.0) if self.region == "union" else post


def align_mask_weights(data: MaskAnswers, weights) -> np.ndarray:
    """Weights by worker, or by (task, worker), as a (n_tasks, max_answers) array."""
    series = pd.Series(weights, dtype=np.float64)
    t, k, index = data.task_worker_index()
    if isinstance(series.index, pd.MultiIndex):
        values = series.reindex(index).to_numpy()
        absent = index[np.isnan(values)]
        what = "(task, worker) pair(s)"
    else:
        values = series.reindex(data.workers).to_numpy()[data.rank_worker[t, k]]
        absent = data.workers[np.isnan(series.reindex(data.workers).to_numpy())]
        what = "worker(s)"
    if len(absent):
        raise ValueError(f"weights lack {len(absent)} {what} of the answers, e.g. {list(absent[:5])}")
    if not np.all(np.isfinite(values)) or (values < 0).any():
        raise ValueError("weights must be finite and non-negative")
    out = np.zeros(data.rank_worker.shape)
    out[t, k] = values
    total = out.sum(axis=1)
    if (total <= 0).any():
        raise ValueError(
            f"the weights of every worker of task {data.tasks[int(np.argmin(total))]!r} are 0; "
            "each task needs a positive total weight"
        )
    return out



def marked_shares(data: MaskAnswers, weights: np.ndarray) -> np.ndarray:
    """Per row, the sum of the (per-task normalised) weights of the workers who marked it."""
    return np.einsum("rk,rk->r", data.row_bits, weights[data.row_task], dtype=np.float64)



def iou_from_sizes(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    """IoU from intersection and union sizes; two empty masks agree perfectly (1.0)."""
    return np.divide(inter, union, out=np.ones_like(inter, dtype=np.float64), where=union > 0)

