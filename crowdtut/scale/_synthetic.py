"""Synthetic answers written to Parquet chunk by chunk, for benchmarks and the chapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import check_int

__all__ = ["write_synthetic_answers"]


def write_synthetic_answers(
    directory: str | Path,
    n_answers: int,
    *,
    answers_per_task: int = 5,
    chunk_size: int = 1_000_000,
    seed: int = 0,
) -> tuple[Path, Path]:
    """Write binary one-coin answers and their truth as Parquet files, one chunk at a time.

    Every task gets ``answers_per_task`` answers from distinct workers; each of the
    ``min(200_000, max(100, n_answers // 500))`` workers is right with a probability drawn from
    U(0.55, 0.95). Chunks hold consecutive tasks in increasing order, so that
    ``dask.dataframe.read_parquet(answers, index="task", calculate_divisions=True)`` reads the
    answers partitioned by task. No more than one chunk is in memory at a time.

    Parameters
    ----------
    directory : where ``answers/`` and ``truth/`` are created (they must not exist).
    n_answers : number of answers (a multiple of ``answers_per_task`` is used).
    answers_per_task, chunk_size : answers per task, and per file.
    seed : seed of the worker skills and of every chunk.

    Returns
    -------
    The ``answers`` and ``truth`` directories.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> answers, truth = write_synthetic_answers(tempfile.mkdtemp(), 1_000, chunk_size=400)
    >>> len(pd.read_parquet(answers)), len(pd.read_parquet(truth))
    (1000, 200)
    """
    n_answers = check_int(n_answers, "n_answers", 1)
    per_task = check_int(answers_per_task, "answers_per_task", 1)
    chunk_size = check_int(chunk_size, "chunk_size", per_task)
    directory = Path(directory)
    answers, truth = directory / "answers", directory / "truth"
    answers.mkdir(parents=True)
    truth.mkdir(parents=True)
    n_workers = int(min(200_000, max(100, n_answers // 500)))
    if per_task > n_workers:
        raise ValueError(f"answers_per_task={per_task} exceeds the {n_workers} workers")
    skill = np.random.default_rng(seed).uniform(0.55, 0.95, n_workers)
    tasks_per_chunk = chunk_size // per_task
    n_tasks = n_answers // per_task
    step = n_workers // per_task
    for i, start in enumerate(range(0, n_tasks, tasks_per_chunk)):
        rng = np.random.default_rng([seed, i])
        task = np.arange(start, min(start + tasks_per_chunk, n_tasks), dtype=np.int64)
        true = rng.integers(0, 2, task.size).astype(np.int8)
        first = rng.integers(0, n_workers, task.size)
        worker = (first[:, None] + step * np.arange(per_task)) % n_workers  # distinct per task
        right = rng.random(worker.shape) < skill[worker]
        label = np.where(right, true[:, None], 1 - true[:, None]).astype(np.int8)
        pd.DataFrame({
            "task": np.repeat(task, per_task), "worker": worker.ravel().astype(np.int32),
            "label": label.ravel(),
        }).to_parquet(answers / f"part-{i:05d}.parquet", index=False)
        pd.DataFrame({"task": task, "truth": true}).to_parquet(
            truth / f"part-{i:05d}.parquet", index=False)
    return answers, truth
