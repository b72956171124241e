"""From a dask DataFrame of answers to encoded blocks, one per partition, partitioned by task.

The answers are never collected: the distinct workers and labels are computed with dask (they
are small), the answers are shuffled so that each task's answers live in one partition (skipped
when the frame is indexed by ``task`` with known divisions, e.g. a Parquet dataset sorted by
task), and every partition is encoded where it lives. The blocks stay on the workers (or, with
``storage``, in Parquet files there), and every EM pass reads them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from dataclasses import dataclass
from typing import Hashable, Iterable

import dask
import numpy as np
import pandas as pd

from ..answers._encode import factorize
from ._blocks import ENCODED_META, encode_block
from ._engine import pass_failed, current_client, map_reduce
from ._kernels import add_stats, count_pass

__all__ = ["Prepared", "prepare"]


@dataclass
class Prepared:
    """The encoded answers of one fit: blocks (futures, Blocks or file stems) and their indexes."""

    blocks: list
    workers: pd.Index
    classes: pd.Index
    task_dtype: object
    n_answers: int
    n_tasks: int
    answers_per_worker: np.ndarray
    storage: str | None

    @property
    def base_params(self) -> dict:
        return {"n_workers": len(self.workers), "n_classes": len(self.classes)}


def _as_dask(answers):
    import dask.dataframe as dd

    if isinstance(answers, pd.DataFrame):
        if len(answers) == 0:
            raise ValueError("answers is empty: there is nothing to aggregate")
        return dd.from_pandas(answers, npartitions=max(1, min(16, len(answers) // 250_000 + 1)))
    if not isinstance(answers, dd.DataFrame):
        raise TypeError(
            "answers must be a dask DataFrame (or a pandas DataFrame) with columns task, worker, "
            f"label; got {type(answers).__name__}"
        )
    return answers


def _by_task(ddf):
    """The frame with each task's answers in one partition (and ``task`` as a column)."""
    indexed = ddf.index.name == "task" and "task" not in ddf.columns
    if indexed and ddf.known_divisions:
        return ddf, ddf.index.dtype
    if indexed:
        ddf = ddf.reset_index()
    if ddf.npartitions == 1:
        return ddf, ddf["task"].dtype
    return ddf.shuffle(on="task"), ddf["task"].dtype


def prepare(
    answers,
    *,
    classes: Iterable[Hashable] | None = None,
    duplicates: str = "raise",
    storage: str | None = None,
) -> Prepared:
    """Check, encode and place the answers; see the module docstring."""
    if duplicates not in ("raise", "keep"):
        raise ValueError(
            f"duplicates={duplicates!r}; expected 'raise' or 'keep' ('first' needs a row order, "
            "which a distributed frame does not have: drop repeats with drop_duplicates first)"
        )
    ddf = _as_dask(answers)
    columns = set(ddf.columns) | ({ddf.index.name} if ddf.index.name == "task" else set())
    missing = [c for c in ("task", "worker", "label") if c not in columns]
    if missing:
        raise ValueError(
            f"answers is missing column(s) {missing}; it has {list(ddf.columns)} and needs "
            "['task', 'worker', 'label'] (task may be the index)"
        )
    worker_values, label_values = dask.compute(ddf["worker"].unique(), ddf["label"].unique())
    _, workers = factorize(pd.Series(worker_values).dropna().to_numpy(), "worker")
    if classes is None:
        _, class_index = factorize(pd.Series(label_values).dropna().to_numpy(), "label")
    else:
        _, class_index = factorize(np.array([], dtype=object), "label", classes)
    if len(class_index) < 2:
        raise ValueError(
            f"answers hold a single class {class_index.tolist()}; pass classes=[...] with the "
            "full list of classes (at least two)"
        )
    by_task, task_dtype = _by_task(ddf)
    meta = ENCODED_META.astype({"task": task_dtype})
    encoded = by_task.map_partitions(encode_block, workers, class_index, duplicates, meta=meta,
                                     enforce_metadata=False)
    client = current_client()
    try:
        if storage is not None:
            directory = tempfile.mkdtemp(prefix="crowdtut-scale-", dir=storage)
            encoded.to_parquet(directory, write_index=False)
            blocks = sorted(str(p) for p in Path(directory).glob("*.parquet"))
        elif client is not None:
            encoded = encoded.persist()
            blocks = client.compute(encoded.to_delayed(optimize_graph=False))
        else:
            blocks = list(dask.compute(*encoded.to_delayed()))
    except (ValueError, TypeError):
        raise
    except Exception as error:  # noqa: BLE001
        raise pass_failed(error, "encoding the answers") from error
    counts = map_reduce(blocks, count_pass, {"n_workers": len(workers)}, add_stats,
                        what="encoding the answers")
    return Prepared(
        blocks=blocks, workers=workers, classes=class_index, task_dtype=task_dtype,
        n_answers=int(counts["n_answers"]), n_tasks=int(counts["n_tasks"]),
        answers_per_worker=counts["per_worker"], storage=storage,
    )
