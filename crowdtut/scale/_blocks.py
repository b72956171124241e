"""One partition of answers as integer codes: what every pass of the distributed EM reads.

A :class:`Block` holds the answers of a set of tasks that no other block holds (the answers are
partitioned by task), with task codes local to the block and worker and label codes global. It
has no dask in it, so that the kernels can be tested and reused in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers
from ..answers._encode import check_columns, check_no_missing, pair_names, repeated_rows

__all__ = ["Block", "ENCODED_META", "encode_block", "load_block"]

_COLUMNS = ("task", "worker", "label")


@dataclass(frozen=True, eq=False)
class Block:
    """Answers of some tasks: local task codes, global worker and label codes, the task names."""

    task: np.ndarray    # int32, codes into ``tasks``
    worker: np.ndarray  # int32, codes into the fit's worker index
    label: np.ndarray   # int16, codes into the fit's classes
    tasks: pd.Index

    def answers(self, n_workers: int, n_classes: int) -> CrowdAnswers:
        """The block as a :class:`CrowdAnswers` (int64 codes), so the in-memory kernels apply."""
        return CrowdAnswers(
            self.task.astype(np.int64), self.worker.astype(np.int64), self.label.astype(np.int64),
            self.tasks, pd.RangeIndex(n_workers), pd.RangeIndex(n_classes),
        )

    @property
    def nbytes(self) -> int:
        return self.task.nbytes + self.worker.nbytes + self.label.nbytes + self.tasks.memory_usage()


def encode_block(
    frame: pd.DataFrame, workers: pd.Index, classes: pd.Index, duplicates: str
) -> pd.DataFrame:
    """Check one partition and encode it; a bad value raises a ValueError naming it and its row.

    Returns the partition as a frame sorted by task with the task name and the codes ``t``
    (local task), ``w`` (worker) and ``l`` (label): the form dask persists or writes to Parquet.
    """
    if "task" not in frame.columns and frame.index.name == "task":
        frame = frame.reset_index()
    check_columns(frame, _COLUMNS)
    check_no_missing(frame, _COLUMNS, where=" in this partition")
    try:
        task, tasks = pd.factorize(frame["task"], sort=True)
    except TypeError:
        task, tasks = pd.factorize(frame["task"], sort=False)
    worker = workers.get_indexer(frame["worker"])
    label = classes.get_indexer(frame["label"])
    if (label < 0).any():
        bad = pd.unique(frame["label"].to_numpy()[label < 0]).tolist()[:10]
        raise ValueError(
            f"{int((label < 0).sum())} answers have a label outside the classes "
            f"{classes.tolist()[:20]}: {bad}"
        )
    if (worker < 0).any():  # cannot happen when the worker index was computed from the same data
        raise RuntimeError("internal: a worker is missing from the worker index")
    if duplicates == "raise" and len(task):
        repeated = repeated_rows(task.astype(np.int64), worker.astype(np.int64),
                                 sizes=(len(tasks), len(workers)))
        if repeated.any():
            pairs = pair_names(np.flatnonzero(repeated), task, worker, tasks, workers)
            raise ValueError(
                f"{int(repeated.sum())} repeated (task, worker) answer(s), e.g. {pairs}; pass "
                "duplicates='keep' to count every answer"
            )
    order = np.argsort(task, kind="stable")
    return pd.DataFrame({
        "task": frame["task"].to_numpy()[order],
        "t": task[order].astype(np.int32),
        "w": worker[order].astype(np.int32),
        "l": label[order].astype(np.int16),
    })


ENCODED_META = pd.DataFrame({
    "task": pd.Series(dtype=object), "t": pd.Series(dtype=np.int32),
    "w": pd.Series(dtype=np.int32), "l": pd.Series(dtype=np.int16),
})


def load_block(block: Block | pd.DataFrame | str) -> Block:
    """A block from an encoded partition (a frame from :func:`encode_block`, or the path of the
    Parquet file dask wrote it to)."""
    if isinstance(block, Block):
        return block
    if isinstance(block, str):
        block = pd.read_parquet(block)
    task = block["t"].to_numpy()
    names = block["task"].to_numpy()
    n_tasks = int(task[-1]) + 1 if len(task) else 0
    first = np.ones(len(task), dtype=bool)
    first[1:] = task[1:] != task[:-1]  # sorted by task: the first row of each task
    return Block(task, block["w"].to_numpy(), block["l"].to_numpy(),
                 pd.Index(names[first][:n_tasks], name="task"))
