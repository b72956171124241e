"""Simulated crowds for segmentation: blob-shaped objects and workers who trace them badly.

Each task's true mask is the union of a few random ellipses, described by an approximate signed
distance ``f`` (positive inside, in pixels). Worker ``j`` traces the level set
``f + shift_j + noise > 0``: ``shift_j`` grows (> 0) or shrinks (< 0) every mask it draws, and
``noise`` is a smooth random field of standard deviation ``jitter_j`` pixels (a wobbly
boundary). Each object is missed with probability ``miss_j`` and a spurious blob is added with
probability ``spurious_j``. Spammers draw random blobs anywhere. Generation is vectorised over
tasks and answers.

>>> crowd = simulate_segmentations(20, 5, shape=(32, 32), seed=0)
>>> crowd.answers.columns.tolist()
['task', 'worker', 'segmentation']
>>> crowd.answers["segmentation"].iloc[0].shape, len(crowd.truth)
((32, 32), 20)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._checks import check_int as _check_int
from ._common import numbered, seed_value

__all__ = ["SimulatedSegmentations", "simulate_segmentations"]


@dataclass(frozen=True, eq=False)
class SimulatedSegmentations:
    """A simulated segmentation crowd and the truth behind it.

    Attributes
    ----------
    answers : DataFrame
        Columns ``task``, ``worker`` (integers) and ``segmentation`` (bool arrays), sorted by
        task then worker.
    truth : Series
        True mask of each task (bool arrays), indexed by task.
    workers : DataFrame
        One row per worker: ``shift``, ``jitter``, ``miss``, ``spurious`` and ``spammer``.
    params : dict
        The arguments of the simulation.
    """

    answers: pd.DataFrame
    truth: pd.Series
    workers: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_tasks(self) -> int:
        return len(self.truth)

    @property
    def n_workers(self) -> int:
        return len(self.workers)


def _per_worker(value, name: str, n: int, rng: np.random.Generator, low=None) -> np.ndarray:
    """A number, a (low, high) range drawn uniformly per worker, or one value per worker."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        out = np.full(n, float(arr))
    elif arr.shape == (2,) and n != 2:
        if arr[0] > arr[1]:
            raise ValueError(f"{name} range must be (low, high) with low <= high; got {value}")
        out = rng.uniform(arr[0], arr[1], size=n)
    elif arr.shape == (n,):
        out = arr.copy()
    else:
        raise ValueError(f"{name} must be a number, a (low, high) range or {n} values; got {value!r}")
    if not np.isfinite(out).all() or (low is not None and (out < low).any()):
        raise ValueError(f"{name} must be finite{'' if low is None else f' and >= {low}'}; got {value!r}")
    return out



def _ellipse_field(yy, xx, cy, cx, ay, ax, angle) -> np.ndarray:
    """Approximate signed distance (pixels, > 0 inside) to ellipses; parameters broadcast."""
    dy, dx = yy - cy, xx - cx
    c, s = np.cos(angle), np.sin(angle)
    u, v = (c * dx + s * dy) / ax, (-s * dx + c * dy) / ay
    return (1.0 - np.sqrt(u * u + v * v)) * np.minimum(ax, ay)


def _random_blobs(rng, n: int, k: int, h: int, w: int, scale: float):
    """Parameters (each shaped (n, k, 1, 1)) of k ellipses per image."""
    size = scale * min(h, w)
    shape = (n, k, 1, 1)
    ay = rng.uniform(0.5, 1.0, shape) * size
    ax = rng.uniform(0.5, 1.0, shape) * size
    cy = rng.uniform(0.2, 0.8, shape) * h
    cx = rng.uniform(0.2, 0.8, shape) * w
    angle = rng.uniform(0, np.pi, shape)
    return cy, cx, ay, ax, angle


def simulate_segmentations(
    n_tasks: int = 100,
    n_workers: int = 5,
    *,
    shape: tuple[int, int] = (64, 64),
    feedback: int | None = None,
    n_objects: int | tuple[int, int] = (1, 3),
    object_scale: float = 0.18,
    shift: float | Sequence[float] = (-1.5, 1.5),
    jitter: float | Sequence[float] = (0.5, 2.0),
    smoothness: float = 3.0,
    miss: float | Sequence[float] = (0.0, 0.1),
    spurious: float | Sequence[float] = (0.0, 0.2),
    ratio_spammers: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> SimulatedSegmentations:
    """Simulate ``feedback`` masks per image from workers with their own boundary habits.

    Parameters
    ----------
    n_tasks, n_workers : sizes.
    shape : (height, width) of every image.
    feedback : masks per image, from distinct workers drawn uniformly (default: every worker).
    n_objects : objects per image, a number or an inclusive (low, high) range.
    object_scale : semi-axes are drawn in ``(0.5, 1) * object_scale * min(shape)`` pixels.
    shift, jitter, miss, spurious : per-worker boundary offset in pixels (> 0 draws too large),
        boundary noise standard deviation in pixels, probability of missing each object, and
        probability of adding one spurious blob per mask. Each is a number (every worker), a
        ``(low, high)`` range drawn uniformly per worker, or one value per worker.
    smoothness : correlation length (pixels) of the boundary noise.
    ratio_spammers : share of workers (the last ones) who draw random blobs anywhere.
    seed : seed or Generator for ``np.random.default_rng``.

    Returns
    -------
    SimulatedSegmentations
    """
    from scipy.ndimage import gaussian_filter

    n_tasks = _check_int(n_tasks, "n_tasks", 1)
    n_workers = _check_int(n_workers, "n_workers", 1)
    feedback = n_workers if feedback is None else _check_int(feedback, "feedback", 1)
    if feedback > n_workers:
        raise ValueError(f"feedback={feedback} needs at least as many workers; n_workers={n_workers}")
    h, w = (_check_int(v, "shape", 4) for v in shape)
    lo_obj, hi_obj = (n_objects, n_objects) if np.ndim(n_objects) == 0 else n_objects
    lo_obj, hi_obj = _check_int(lo_obj, "n_objects", 1), _check_int(hi_obj, "n_objects", 1)
    if lo_obj > hi_obj:
        raise ValueError(f"n_objects range must be (low, high) with low <= high; got {n_objects}")
    if not 0.0 <= ratio_spammers <= 1.0:
        raise ValueError(f"ratio_spammers must lie in [0, 1]; got {ratio_spammers}")
    if not (object_scale > 0 and smoothness >= 0):
        raise ValueError("object_scale must be positive and smoothness non-negative")
    rng = np.random.default_rng(seed)
    shifts = _per_worker(shift, "shift", n_workers, rng)
    jitters = _per_worker(jitter, "jitter", n_workers, rng, low=0.0)
    misses = _per_worker(miss, "miss", n_workers, rng, low=0.0)
    spurious_p = _per_worker(spurious, "spurious", n_workers, rng, low=0.0)
    if (misses > 1).any() or (spurious_p > 1).any():
        raise ValueError("miss and spurious are probabilities: they must lie in [0, 1]")
    n_spammers = int(round(ratio_spammers * n_workers))
    spammer = np.arange(n_workers) >= n_workers - n_spammers

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy[None, None], xx[None, None]
    # true objects: (n_tasks, k_max, h, w) fields, unused slots at -inf
    k_max = hi_obj
    n_obj = rng.integers(lo_obj, hi_obj + 1, size=n_tasks)
    blobs = _random_blobs(rng, n_tasks, k_max, h, w, object_scale)
    fields = _ellipse_field(yy, xx, *blobs).astype(np.float32)
    used = np.arange(k_max)[None, :] < n_obj[:, None]
    fields[~used] = -np.inf
    truth = fields.max(axis=1) > 0

    # who answers what
    keys = rng.random((n_tasks, n_workers))
    chosen = np.sort(np.argsort(keys, axis=1)[:, :feedback], axis=1)
    task = np.repeat(np.arange(n_tasks), feedback)
    worker = chosen.ravel()
    n_answers = len(task)

    # each answer: objects kept (not missed), boundary shift and smooth noise
    kept = (rng.random((n_answers, k_max)) >= misses[worker][:, None]) & used[task]
    traced = np.full((n_answers, h, w), -np.inf, dtype=np.float32)
    for k in range(k_max):  # a few objects per image: one pass each over all answers
        np.maximum(traced, np.where(kept[:, k, None, None], fields[task, k], -np.inf), out=traced)
    noise = rng.standard_normal((n_answers, h, w)).astype(np.float32)
    if smoothness > 0:
        noise = gaussian_filter(noise, sigma=(0, smoothness, smoothness), mode="wrap")
        noise /= max(float(noise.std()), 1e-12)
    traced = traced + shifts[worker][:, None, None] + jitters[worker][:, None, None] * noise
    masks = traced > 0
    extra = rng.random(n_answers) < spurious_p[worker]
    if extra.any():
        blob = _random_blobs(rng, int(extra.sum()), 1, h, w, object_scale * 0.5)
        masks[extra] |= _ellipse_field(yy, xx, *blob)[:, 0] > 0
    spam = spammer[worker]
    if spam.any():
        blob = _random_blobs(rng, int(spam.sum()), k_max, h, w, object_scale)
        masks[spam] = (_ellipse_field(yy, xx, *blob) > 0).any(axis=1)

    answers = pd.DataFrame({"task": task, "worker": worker, "segmentation": list(masks)})
    truth_series = numbered(list(truth), "task", "truth")
    workers = pd.DataFrame(
        {"shift": shifts, "jitter": jitters, "miss": misses, "spurious": spurious_p, "spammer": spammer},
        index=pd.RangeIndex(n_workers, name="worker"),
    )
    params = dict(
        n_tasks=n_tasks, n_workers=n_workers, shape=(h, w), feedback=feedback, n_objects=(lo_obj, hi_obj),
        object_scale=object_scale, shift=shift, jitter=jitter, smoothness=smoothness, miss=miss,
        spurious=spurious, ratio_spammers=ratio_spammers,
        seed=seed_value(seed),
    )
    return SimulatedSegmentations(answers, truth_series, workers, params)
