"""MaskAnswers: segmentation masks (task, worker, segmentation), compressed to vote patterns.

Every segmentation model treats pixels independently given its parameters, so a pixel only
matters through its task and its *vote pattern*, the tuple of that task's workers' votes on it.
:func:`encode_masks` checks the long DataFrame once and compresses it to a table of (task,
pattern, pixel count) rows; the masks themselves are never copied again.
"""


from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
import pandas as pd

from ._encode import TaskNames, check_frame, factorize, pair_names
Region = Literal["union", "image"]  # where region statistics are counted


_COLUMNS = ("task", "worker", "segmentation")
MAX_ANSWERS_PER_TASK = 62  # pattern codes are uint64 bit fields
_DENSE_BITS = 16  # up to this many masks per task, patterns are counted with a dense bincount
_CHUNK_PIXELS = 1 << 23  # pixels coded at once (the stacked masks of one rank: 8 MB)

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
class MaskAnswers(TaskNames):
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


def encode_masks(answers: pd.DataFrame | MaskAnswers) -> MaskAnswers:
    """Check long segmentation answers and compress them into vote-pattern rows.

    Parameters
    ----------
    answers : DataFrame with columns ``task``, ``worker``, ``segmentation`` (boolean 2-D arrays,
        or arrays of 0 and 1; one shape per task), or a MaskAnswers (returned as is).

    Returns
    -------
    MaskAnswers

    Raises
    ------
    ValueError
        Missing columns, no answers, a missing task, worker or mask, a mask that is not 2-D or
        holds values other than 0/1 (or False/True), masks of different shapes within a task, a
        worker answering a task twice, or more than 62 masks for one task.
    """
    if isinstance(answers, MaskAnswers):
        return answers
    check_frame(answers, _COLUMNS, no_missing=("task", "worker"))
    task, tasks = factorize(answers["task"], "task")
    worker, workers = factorize(answers["worker"], "worker")
    order = np.lexsort((worker, task))
    task, worker = task[order], worker[order]
    repeated = np.flatnonzero((task[1:] == task[:-1]) & (worker[1:] == worker[:-1])) + 1
    if len(repeated):
        pairs = pair_names(repeated, task, worker, tasks, workers)
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
    return MaskAnswers(
        tasks, workers, shapes, rank_worker, row_task, row_code, row_count, row_offsets,
        tuple(renumbered),
    )





# the names of crowdtut 0.1, kept so that old code runs
SegmentationAnswers = MaskAnswers
encode_segmentations = encode_masks
