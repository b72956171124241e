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

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
import pandas as pd

from ._base import Estimator, NotFittedError, check_choice, check_non_negative, check_positive_int

__all__ = [
    "SegmentationAnswers",
    "encode_segmentations",
    "SegmentationAggregator",
    "SegmentationMajorityVote",
    "SegmentationEM",
    "SegmentationRASA",
    "STAPLE",
]

_COLUMNS = ("task", "worker", "segmentation")
MAX_ANSWERS_PER_TASK = 62  # pattern codes are uint64 bit fields
_DENSE_BITS = 16  # up to this many masks per task, patterns are counted with a dense bincount
_CHUNK_PIXELS = 1 << 23  # pixels coded at once (the stacked masks of one rank: 8 MB)
_EPS = 1e-10  # bound on probabilities, so that no log is -inf
_NO_EVIDENCE = 0.5  # value of a rate with nothing to estimate it from (an empty region)

Scope = Literal["task", "global"]
Region = Literal["union", "image"]


# --- the compressed answers ------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Group:
    """Tasks of one shape and one number of masks, stacked together while encoding."""

    tasks: np.ndarray  # (n,) task codes
    shape: tuple[int, int]
    codes: np.ndarray | None  # (n, h * w) pattern code of every pixel (dense route)
    lut: np.ndarray | None  # (n, 2**K) table row of each (task, code) (dense route)
    rows: np.ndarray | None  # (n, h * w) table row of every pixel (sparse route)

    def pixel_values(self, row_values: np.ndarray) -> list[np.ndarray]:
        """The (h, w) map of every task of the group, from one value per table row."""
        h, w = self.shape
        if self.rows is not None:
            return [row_values[r].reshape(h, w) for r in self.rows]
        per_code = row_values[np.maximum(self.lut, 0)]  # (n, 2**K): small
        # one small gather per task: cheaper than one fancy index over the whole group
        return [per_code[i][c].reshape(h, w) for i, c in enumerate(self.codes)]


@dataclass(frozen=True, eq=False)
class SegmentationAnswers:
    """Segmentation answers compressed into a table of (task, vote pattern, pixel count) rows.

    Attributes
    ----------
    tasks, workers : pandas.Index
        The user's names for the task and worker codes (sorted when sortable).
    shapes : tuple of (int, int)
        Mask shape of each task.
    rank_worker : ndarray of int64, shape (n_tasks, max_answers)
        Worker code of the ``k``-th mask of each task (workers in code order), ``-1`` where a
        task has fewer masks.
    row_task : ndarray of int64, shape (n_rows,)
        Task of each pattern row; rows are sorted by task, then by pattern code.
    row_code : ndarray of uint64, shape (n_rows,)
        The pattern: bit ``k`` is the vote of the task's ``k``-th worker.
    row_count : ndarray of float64, shape (n_rows,)
        Number of pixels of the task with this pattern.
    row_offsets : ndarray of int64, shape (n_tasks + 1,)
        Rows of task ``t`` are ``row_offsets[t]:row_offsets[t + 1]``.
    """

    tasks: pd.Index
    workers: pd.Index
    shapes: tuple[tuple[int, int], ...]
    rank_worker: np.ndarray
    row_task: np.ndarray
    row_code: np.ndarray
    row_count: np.ndarray
    row_offsets: np.ndarray
    _groups: tuple[_Group, ...]

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def n_workers(self) -> int:
        return len(self.workers)

    @property
    def n_rows(self) -> int:
        return len(self.row_task)

    @property
    def present(self) -> np.ndarray:
        """(n_tasks, max_answers) bool: whether the task has a ``k``-th mask."""
        return self.rank_worker >= 0

    @property
    def answers_per_task(self) -> np.ndarray:
        return self.present.sum(axis=1)

    @property
    def n_answers(self) -> int:
        return int(self.present.sum())

    @property
    def n_pixels(self) -> np.ndarray:
        """Pixels per task."""
        return np.array([h * w for h, w in self.shapes], dtype=np.int64)

    @property
    def row_bits(self) -> np.ndarray:
        """(n_rows, max_answers) bool: the vote of each of the task's workers in each row."""
        k = self.rank_worker.shape[1]
        shifts = np.arange(k, dtype=np.uint64)
        return ((self.row_code[:, None] >> shifts) & np.uint64(1)).astype(bool)

    def region_counts(self, region: Region) -> np.ndarray:
        """Pixel count of each row inside the region: every pixel, or those any worker marked."""
        if region == "image":
            return self.row_count
        return np.where(self.row_code != 0, self.row_count, 0.0)

    def per_task(self, values: np.ndarray) -> np.ndarray:
        """Sum of row values (shape (n_rows,) or (n_rows, m)) within each task."""
        return np.add.reduceat(values, self.row_offsets[:-1], axis=0)

    def to_maps(self, row_values: np.ndarray, name: str | None = None) -> pd.Series:
        """One 2-D array per task (Series indexed by task) from one value per row."""
        row_values = np.asarray(row_values)
        out: list = [None] * self.n_tasks
        for group in self._groups:
            for t, values in zip(group.tasks, group.pixel_values(row_values)):
                out[t] = values
        return pd.Series(out, index=self.tasks, name=name, dtype=object)

    def map_groups(self, row_values: np.ndarray):
        """Yield ``(task codes, maps of shape (n, h, w))`` per group of same-shape tasks."""
        for group in self._groups:
            yield group.tasks, np.stack(group.pixel_values(row_values))

    def task_worker_index(self) -> tuple[np.ndarray, np.ndarray, pd.MultiIndex]:
        """Positions ``(task, rank)`` of every mask and the (task, worker) index naming them."""
        t, k = np.nonzero(self.present)
        index = pd.MultiIndex.from_arrays(
            [self.tasks.take(t), self.workers.take(self.rank_worker[t, k])], names=["task", "worker"]
        )
        return t, k, index

    def vote_counts(self) -> pd.Series:
        """Per task, the number of masks that mark each pixel (Series of int arrays)."""
        votes = self.row_bits.sum(axis=1).astype(np.int16)
        return self.to_maps(votes, name="votes")


def _factorize(values: pd.Series, name: str) -> tuple[np.ndarray, pd.Index]:
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # names that cannot be ordered: order of first appearance
        codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), pd.Index(uniques, name=name)


def _as_mask(value, names: Callable[[], tuple]) -> np.ndarray:
    """The mask as a bool array; ``names()`` gives (task, worker) for the error messages."""
    if isinstance(value, np.ndarray) and value.dtype == bool and value.ndim == 2 and value.size:
        return value
    where = "the segmentation of task {!r} by worker {!r}".format(*names())
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise ValueError(f"{where} is missing (None/NaN)")
    arr = np.asarray(value)
    if arr.ndim != 2:
        raise ValueError(f"{where} must be a 2-D mask; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{where} is empty (shape {arr.shape}); a mask needs at least one pixel")
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iuf":
        ok = (arr == 0) | (arr == 1)
        if ok.all():
            return arr != 0
        bad = np.unique(arr[~ok])[:5].tolist()
        raise ValueError(
            f"{where} is not boolean: it holds values other than 0 and 1, e.g. {bad}; "
            "threshold it first (mask > 0)"
        )
    raise ValueError(f"{where} must be boolean (or hold only 0 and 1); got dtype {arr.dtype}")


def _code_dtype(k: int) -> type:
    return np.uint8 if k <= 8 else np.uint16 if k <= 16 else np.uint32 if k <= 32 else np.uint64


def encode_segmentations(answers: pd.DataFrame | SegmentationAnswers) -> SegmentationAnswers:
    """Check long segmentation answers and compress them into vote-pattern rows.

    Parameters
    ----------
    answers : DataFrame with columns ``task``, ``worker``, ``segmentation`` (boolean 2-D arrays,
        or arrays of 0 and 1; one shape per task), or a SegmentationAnswers (returned as is).

    Returns
    -------
    SegmentationAnswers

    Raises
    ------
    ValueError
        Missing columns, no answers, a missing task, worker or mask, a mask that is not 2-D or
        holds values other than 0/1 (or False/True), masks of different shapes within a task, a
        worker answering a task twice, or more than 62 masks for one task.
    """
    if isinstance(answers, SegmentationAnswers):
        return answers
    if not isinstance(answers, pd.DataFrame):
        raise TypeError(
            "answers must be a pandas DataFrame with columns task, worker, segmentation; got "
            f"{type(answers).__name__}"
        )
    missing = [c for c in _COLUMNS if c not in answers.columns]
    if missing:
        raise ValueError(
            f"answers is missing column(s) {missing}; it has {list(answers.columns)} and needs "
            f"{list(_COLUMNS)}"
        )
    if len(answers) == 0:
        raise ValueError("answers is empty: there are no masks to aggregate")
    for column in ("task", "worker"):
        isna = answers[column].isna().to_numpy()
        if isna.any():
            rows = answers.index[isna].tolist()[:5]
            raise ValueError(f"column {column!r} has {int(isna.sum())} missing value(s), at rows {rows}")

    task, tasks = _factorize(answers["task"], "task")
    worker, workers = _factorize(answers["worker"], "worker")
    order = np.lexsort((worker, task))
    task, worker = task[order], worker[order]
    repeated = np.flatnonzero((task[1:] == task[:-1]) & (worker[1:] == worker[:-1])) + 1
    if len(repeated):
        pairs = [(tasks[task[i]], workers[worker[i]]) for i in repeated[:5]]
        raise ValueError(
            f"{len(repeated)} repeated (task, worker) mask(s), e.g. {pairs}: each worker may give "
            "one mask per task"
        )
    raw = answers["segmentation"].to_numpy()[order]
    masks = [
        _as_mask(m, lambda t=t, w=w: (tasks[t], workers[w])) for m, t, w in zip(raw, task, worker)
    ]

    n_tasks = len(tasks)
    per_task = np.bincount(task, minlength=n_tasks)
    start = np.concatenate([[0], np.cumsum(per_task)])
    k_max = int(per_task.max())
    if k_max > MAX_ANSWERS_PER_TASK:
        t = int(per_task.argmax())
        raise ValueError(
            f"task {tasks[t]!r} has {k_max} masks; at most {MAX_ANSWERS_PER_TASK} per task are supported"
        )
    heights = np.fromiter((m.shape[0] for m in masks), dtype=np.int64, count=len(masks))
    widths = np.fromiter((m.shape[1] for m in masks), dtype=np.int64, count=len(masks))
    first = start[task]
    bad = np.flatnonzero((heights != heights[first]) | (widths != widths[first]))
    if len(bad):
        t = task[bad[0]]
        found = {
            workers[worker[i]]: masks[i].shape for i in range(start[t], start[t + 1])
        }
        raise ValueError(
            f"the masks of task {tasks[t]!r} have different shapes: {found}; every mask of a task "
            "must have the shape of its image"
        )
    shapes = tuple((int(heights[start[t]]), int(widths[start[t]])) for t in range(n_tasks))
    rank_worker = np.full((n_tasks, k_max), -1, dtype=np.int64)
    rank_worker[task, np.arange(len(task)) - start[task]] = worker

    # group tasks by (shape, number of masks) so that each group stacks into one array
    by_key: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for t in range(n_tasks):
        by_key[(*shapes[t], int(per_task[t]))].append(t)

    parts_task, parts_code, parts_count, groups = [], [], [], []
    n_rows = 0
    for (h, w, k), members in by_key.items():
        size = h * w
        dtype = _code_dtype(k)
        dense = k <= _DENSE_BITS
        per_chunk = max(1, min(_CHUNK_PIXELS // size, (1 << 22) >> k if dense else len(members)))
        for lo in range(0, len(members), per_chunk):
            chunk = np.asarray(members[lo : lo + per_chunk], dtype=np.int64)
            n = len(chunk)
            # the masks are read once, into one pattern code per pixel (bit j = j-th mask)
            codes = np.zeros((n, size), dtype=dtype)
            for j in range(k):
                rank_j = np.stack([masks[i] for i in start[chunk] + j]).reshape(n, size)
                codes |= rank_j.view(np.uint8).astype(dtype, copy=False) << dtype(j)
            del rank_j
            if dense:  # (n, 2**K) table of counts, at most 4 million cells per chunk
                counts = np.empty((n, 1 << k), dtype=np.int64)
                for i in range(n):
                    counts[i] = np.bincount(codes[i], minlength=1 << k)
                local, code = np.nonzero(counts)
                lut = np.full((n, 1 << k), -1, dtype=np.int64)
                lut[local, code] = np.arange(n_rows, n_rows + len(code))
                groups.append(_Group(chunk, (h, w), codes, lut, None))
                parts_count.append(counts[local, code])
                del counts
            else:
                rows = np.empty((n, size), dtype=np.int64)
                local_parts, code_parts, count_parts = [], [], []
                base = n_rows
                for i in range(n):  # rare: more than 16 masks on one image
                    uniq, inverse, cnt = np.unique(codes[i], return_inverse=True, return_counts=True)
                    rows[i] = inverse.ravel() + base
                    base += len(uniq)
                    local_parts.append(np.full(len(uniq), i))
                    code_parts.append(uniq)
                    count_parts.append(cnt)
                local = np.concatenate(local_parts)
                code = np.concatenate(code_parts)
                groups.append(_Group(chunk, (h, w), None, None, rows))
                parts_count.append(np.concatenate(count_parts))
            parts_task.append(chunk[local])
            parts_code.append(code.astype(np.uint64))
            n_rows += len(local)

    row_task = np.concatenate(parts_task)
    row_code = np.concatenate(parts_code)
    row_count = np.concatenate(parts_count).astype(np.float64)
    # rows in (task, code) order; the groups' look-up tables follow the renumbering
    sort = np.lexsort((row_code, row_task))
    new_row = np.empty_like(sort)
    new_row[sort] = np.arange(len(sort))
    renumbered = []
    for g in groups:
        if g.lut is not None:
            lut = np.where(g.lut >= 0, new_row[np.maximum(g.lut, 0)], -1)
            renumbered.append(_Group(g.tasks, g.shape, g.codes, lut, None))
        else:
            renumbered.append(_Group(g.tasks, g.shape, None, None, new_row[g.rows]))
    row_task, row_code, row_count = row_task[sort], row_code[sort], row_count[sort]
    row_offsets = np.searchsorted(row_task, np.arange(n_tasks + 1)).astype(np.int64)
    return SegmentationAnswers(
        tasks, workers, shapes, rank_worker, row_task, row_code, row_count, row_offsets,
        tuple(renumbered),
    )


# --- the estimators --------------------------------------------------------------------------
def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` bounded away from 0 and 1; ``_NO_EVIDENCE`` where ``den`` is 0."""
    out = np.divide(num, den, out=np.full(np.broadcast(num, den).shape, _NO_EVIDENCE), where=den > 0)
    return np.clip(out, _EPS, 1.0 - _EPS)


class SegmentationAggregator(Estimator):
    """Base class: ``fit`` encodes the masks once, ``_fit`` returns one score per pattern row.

    A pixel is in the aggregated mask when its score (vote share or posterior probability) is
    at least 0.5 (``_ties_in = True``, votes) or above 0.5 (posteriors). With ``smoothing > 0``
    the score maps are first blurred by a Gaussian of that standard deviation in pixels, a
    simple spatial prior.
    """

    _ties_in = False

    def fit(self, answers: pd.DataFrame | SegmentationAnswers) -> "SegmentationAggregator":
        """Fit on long answers (columns ``task``, ``worker``, ``segmentation``)."""
        self._validate_params()
        data = encode_segmentations(answers)
        self._finish(data, self._fit(data))
        return self

    def fit_predict(self, answers: pd.DataFrame | SegmentationAnswers) -> pd.Series:
        """Fit and return the aggregated mask of every task (Series of bool arrays)."""
        return self.fit(answers).segmentations_

    @property
    def probas_(self) -> pd.Series:
        """Per task, the score map that is thresholded at 0.5 (float32 arrays), before smoothing.

        Built on first access from the fitted pattern table.
        """
        if "_scores" not in vars(self):
            raise NotFittedError(
                f"{type(self).__name__} has no attribute 'probas_' yet: call fit(answers) first"
            )
        if "_probas" not in vars(self):
            self._probas = self._data.to_maps(self._scores.astype(np.float32), name="proba")
        return self._probas

    # --- for subclasses ----------------------------------------------------------------------
    def _fit(self, data: SegmentationAnswers) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate_params(self) -> None:
        check_non_negative("smoothing", self.smoothing)

    def _threshold(self, scores: np.ndarray) -> np.ndarray:
        return scores >= 0.5 if self._ties_in else scores > 0.5

    def _finish(self, data: SegmentationAnswers, scores: np.ndarray) -> None:
        self._data, self._scores = data, scores
        vars(self).pop("_probas", None)
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
    def _worker_series(data: SegmentationAnswers, values: np.ndarray, name: str) -> pd.Series:
        """Per-(task, rank) values, shape (n_tasks, max_answers), as a Series by (task, worker)."""
        t, k, index = data.task_worker_index()
        return pd.Series(values[t, k], index=index, name=name)

    def _pool(self, data: SegmentationAnswers, *sums: np.ndarray) -> tuple[np.ndarray, ...]:
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



def _align_weights(data: SegmentationAnswers, weights) -> np.ndarray:
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
        data = encode_segmentations(answers)
        w = data.present.astype(np.float64) if weights is None else _align_weights(data, weights)
        w = w / w.sum(axis=1, keepdims=True)
        t, k, index = data.task_worker_index()
        self.weights_ = pd.Series(w[t, k], index=index, name="weight")
        self._finish(data, _shares(data, w))
        return self

    def fit_predict(self, answers, weights=None) -> pd.Series:
        return self.fit(answers, weights=weights).segmentations_


def _shares(data: SegmentationAnswers, weights: np.ndarray) -> np.ndarray:
    """Per row, the sum of the (per-task normalised) weights of the workers who marked it."""
    return np.einsum("rk,rk->r", data.row_bits, weights[data.row_task], dtype=np.float64)


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
    loss_history_ : negative log-likelihood per pixel vote after each iteration.
    n_iter_ : iterations run.

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
        if not (isinstance(self.min_skill, (int, float, np.floating)) and 0.0 <= self.min_skill < 1.0):
            raise ValueError(f"min_skill={self.min_skill!r}; expected a number in [0, 1)")

    def _fit(self, data: SegmentationAnswers) -> np.ndarray:
        bits = data.row_bits.astype(np.float64)
        present = data.present
        count = data.region_counts(self.region)
        size = data.per_task(count)  # region pixels per task
        marked = data.per_task(bits * count[:, None])  # pixels of the region each mask marks
        post = bits.sum(axis=1) / data.answers_per_task[data.row_task]
        history, previous = [], None
        for _ in range(max(self.n_iter, 1)):
            # M-step: expected agreement of each mask with the true mask, over the region
            weighted = count * post
            hits = data.per_task(bits * weighted[:, None])
            fg = data.per_task(weighted)
            agree = size[:, None] - marked - fg[:, None] + 2.0 * hits
            if self.scope == "global":
                agree_w, size_w, agree, total = self._pool(data, agree, present * size[:, None])
                skill = _rate(agree, total)
                self._skill_w = _rate(agree_w, size_w)
            else:
                skill = _rate(agree, size[:, None])
            skill = np.where(present, np.maximum(skill, self.min_skill), _NO_EVIDENCE)
            prior = _rate(fg, size) if self.prior == "learned" else np.full(data.n_tasks, 0.5)
            if self.n_iter == 0:
                break
            # E-step: posterior log-odds of each pattern row
            lam = np.where(present, _logit(skill), 0.0)
            u = np.einsum("rk,rk->r", bits, lam[data.row_task])
            log_fg = np.log(prior) + np.where(present, np.log1p(-skill), 0.0).sum(axis=1)
            log_bg = np.log1p(-prior) + np.where(present, np.log(skill), 0.0).sum(axis=1)
            l1 = log_fg[data.row_task] + u
            l0 = log_bg[data.row_task] - u
            post = 1.0 / (1.0 + np.exp(l0 - l1))
            loglik = data.per_task(count * np.logaddexp(l1, l0))
            history.append(-loglik.sum() / max(float((size * data.answers_per_task).sum()), 1.0))
            if previous is not None and np.all(
                np.abs(loglik - previous) <= self.tol * np.maximum(np.abs(previous), 1e-12)
            ):
                break
            previous = loglik
        post = np.where(count > 0, post, 0.0) if self.region == "union" else post
        self.n_iter_ = len(history)
        self.loss_history_ = history
        if self.scope == "global":
            self.skills_ = pd.Series(self._skill_w, index=data.workers, name="skill")
            del self._skill_w
        else:
            self.skills_ = self._worker_series(data, skill, "skill")
        self.priors_ = pd.Series(prior, index=data.tasks, name="prior")
        return post


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
    segmentations_, probas_, loss_history_, n_iter_ : as in :class:`SegmentationEM`.
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

    def _fit(self, data: SegmentationAnswers) -> np.ndarray:
        bits = data.row_bits.astype(np.float64)
        present = data.present
        k_task = data.answers_per_task
        count = data.region_counts(self.region)
        size = data.per_task(count)
        marked = data.per_task(bits * count[:, None])
        post = bits.sum(axis=1) / k_task[data.row_task]
        prior = _rate(marked.sum(axis=1), size * k_task)
        history, previous = [], None
        for _ in range(max(self.n_iter, 1)):
            # M-step
            weighted = count * post
            hits = data.per_task(bits * weighted[:, None])  # sum of W * D
            fg = data.per_task(weighted)  # sum of W
            tn = size[:, None] - marked - fg[:, None] + hits  # sum of (1 - W)(1 - D)
            bg = (size - fg)[:, None] * present
            fg_k = fg[:, None] * present
            if self.scope == "global":
                hits_w, fg_w, tn_w, bg_w, hits, fg_k, tn, bg = self._pool(data, hits, fg_k, tn, bg)
                self._pq_w = (_rate(hits_w, fg_w), _rate(tn_w, bg_w))
            sens = np.where(present, _rate(hits, fg_k), _NO_EVIDENCE)
            spec = np.where(present, _rate(tn, bg), _NO_EVIDENCE)
            if self.prior == "learned":
                prior = _rate(fg, size)
            if self.n_iter == 0:
                break
            # E-step
            u1 = np.einsum("rk,rk->r", bits, np.where(present, _logit(sens), 0.0)[data.row_task])
            u0 = np.einsum("rk,rk->r", bits, np.where(present, _logit(spec), 0.0)[data.row_task])
            log_fg = np.log(prior) + np.where(present, np.log1p(-sens), 0.0).sum(axis=1)
            log_bg = np.log1p(-prior) + np.where(present, np.log(spec), 0.0).sum(axis=1)
            l1 = log_fg[data.row_task] + u1
            l0 = log_bg[data.row_task] - u0
            post = 1.0 / (1.0 + np.exp(l0 - l1))
            loglik = data.per_task(count * np.logaddexp(l1, l0))
            history.append(-loglik.sum() / max(float((size * k_task).sum()), 1.0))
            if previous is not None and np.all(
                np.abs(loglik - previous) <= self.tol * np.maximum(np.abs(previous), 1e-12)
            ):
                break
            previous = loglik
        post = np.where(count > 0, post, 0.0) if self.region == "union" else post
        self.n_iter_ = len(history)
        self.loss_history_ = history
        if self.scope == "global":
            p_w, q_w = self._pq_w
            del self._pq_w
            self.sensitivity_ = pd.Series(p_w, index=data.workers, name="sensitivity")
            self.specificity_ = pd.Series(q_w, index=data.workers, name="specificity")
        else:
            self.sensitivity_ = self._worker_series(data, sens, "sensitivity")
            self.specificity_ = self._worker_series(data, spec, "specificity")
        self.priors_ = pd.Series(prior, index=data.tasks, name="prior")
        return post


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
    loss_history_ : share of the region's pixels whose label changed at each re-weighting.
    n_iter_ : re-weightings run.

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
        if not (isinstance(self.eps, (int, float, np.floating)) and self.eps > 0):
            raise ValueError(f"eps={self.eps!r}; expected a positive number")

    def _fit(self, data: SegmentationAnswers) -> np.ndarray:
        bits = data.row_bits
        present = data.present
        count = data.row_count
        marked = data.per_task(bits * count[:, None])
        weights = present / data.answers_per_task[:, None]
        shares = _shares(data, weights)
        estimate = shares >= 0.5
        union_size = max(float(data.region_counts("union").sum()), 1.0)
        history = []
        pooled = None
        for _ in range(self.n_iter):
            est_count = np.where(estimate, count, 0.0)
            inter = data.per_task(bits * est_count[:, None])
            union = marked + data.per_task(est_count)[:, None] - inter
            if self.scope == "global":
                inter_w, union_w, inter, union = self._pool(data, inter, union)
                pooled = np.log(1.0 / (1.0 - _iou(inter_w, union_w) + self.eps) + 1.0)
            raw = np.where(present, np.log(1.0 / (1.0 - _iou(inter, union) + self.eps) + 1.0), 0.0)
            weights = raw / raw.sum(axis=1, keepdims=True)
            shares = _shares(data, weights)
            new = shares >= 0.5
            changed = float(count[new != estimate].sum())
            history.append(changed / union_size)
            estimate = new
            if changed == 0:
                break
        self.n_iter_ = len(history)
        self.loss_history_ = history
        if self.scope == "global":
            pooled = np.ones(data.n_workers) if pooled is None else pooled
            self.weights_ = pd.Series(pooled, index=data.workers, name="weight")
        else:
            self.weights_ = self._worker_series(data, weights, "weight")
        return shares


def _iou(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    """IoU from intersection and union sizes; two empty masks agree perfectly (1.0)."""
    return np.divide(inter, union, out=np.ones_like(inter, dtype=np.float64), where=union > 0)
