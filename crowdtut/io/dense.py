"""Dense task x worker matrices (LabelMe's answers.txt) and the long table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._checks import is_int
from ..answers import CrowdAnswers, encode_answers


# --- dense matrices --------------------------------------------------------------------------
def _is_missing(values: np.ndarray, missing) -> np.ndarray:
    if missing is None or (isinstance(missing, float) and np.isnan(missing)):
        return pd.isna(values)
    mask = values == missing
    if values.dtype.kind == "f":
        mask |= np.isnan(values)
    return mask


def from_dense(
    matrix: np.ndarray | pd.DataFrame,
    missing: Any = -1,
    *,
    tasks: pd.Index | list | None = None,
    workers: pd.Index | list | None = None,
) -> pd.DataFrame:
    """The long table of a dense answer matrix (rows are tasks, columns workers).

    Parameters
    ----------
    matrix : 2-D array of integer labels, or a DataFrame (its index and columns then name the
        tasks and workers). Floats are accepted when every answer is a whole number.
    missing : the value meaning "no answer" (``-1`` in Rodrigues et al.'s LabelMe files);
        ``np.nan`` for NaN. NaN is always treated as missing in a float matrix.
    tasks, workers : names of the rows and columns; by default their positions (or the
        DataFrame's index and columns).

    Returns
    -------
    DataFrame with columns ``task``, ``worker``, ``label`` (int64), ordered by task then worker.
    """
    if isinstance(matrix, pd.DataFrame):
        tasks = matrix.index if tasks is None else tasks
        workers = matrix.columns if workers is None else workers
        matrix = matrix.to_numpy()
    values = np.asarray(matrix)
    if values.ndim != 2:
        raise ValueError(f"matrix must be 2-D (tasks x workers); got shape {values.shape}")
    rows, cols = np.nonzero(~_is_missing(values, missing))
    labels = values[rows, cols]
    if labels.dtype.kind == "f":
        # inf == round(inf), and astype(int64) turns it (or 1e30) into -2**63: check the range too
        ok = np.isfinite(labels) & (np.abs(labels) < 2.0**62)
        ok[ok] = labels[ok] == np.round(labels[ok])
        if not ok.all():
            bad = np.flatnonzero(~ok)[0]
            raise ValueError(
                f"matrix[{rows[bad]}, {cols[bad]}] = {labels[bad]} is not an integer label"
            )
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"matrix must hold integer labels; got dtype {values.dtype}")
    for names, n, what in ((tasks, values.shape[0], "tasks"), (workers, values.shape[1], "workers")):
        if names is not None and len(names) != n:
            raise ValueError(f"{what} has {len(names)} names for {n} {what[:-1]} positions")
    task = rows if tasks is None else pd.Index(tasks).take(rows)
    worker = cols if workers is None else pd.Index(workers).take(cols)
    return pd.DataFrame(
        {
            "task": np.asarray(task),
            "worker": np.asarray(worker),
            "label": labels.astype(np.int64),
        }
    )


def to_dense(
    answers: pd.DataFrame | CrowdAnswers, missing: int = -1
) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """The dense answer matrix of a long table (rows are tasks, columns workers).

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers, with integer
        labels and at most one answer per (task, worker) pair.
    missing : the integer written where a worker did not answer; no label may equal it.

    Returns
    -------
    matrix : ndarray of int64, shape (n_tasks, n_workers)
    tasks, workers : pandas.Index naming the rows and columns (sorted, as
        :func:`crowdtut.answers.encode_answers` orders them; a CrowdAnswers keeps its own, tasks
        without answers included).

    Raises
    ------
    ValueError
        Repeated (task, worker) pairs, labels that are not integers, or a label equal to
        ``missing``.
    """
    # repeats are checked below with advice that applies here (to_dense takes no duplicates=)
    data = encode_answers(answers, duplicates="keep", min_classes=1)
    key = data.task * data.n_workers + data.worker
    if len(np.unique(key)) != len(key):
        raise ValueError(
            "answers repeat (task, worker) pairs; a dense matrix holds one answer per cell: keep "
            "one per pair first, e.g. to_dense(encode_answers(answers, duplicates='first'))"
        )
    labels = np.asarray(data.classes)
    if labels.dtype.kind not in "iu":
        if labels.dtype == object and all(is_int(v) for v in labels):
            labels = labels.astype(np.int64)
        else:
            raise ValueError(
                f"a dense matrix holds integer labels; got {data.classes[:10].tolist()}: encode "
                "them first (e.g. the codes of encode_answers)"
            )
    if not is_int(missing):
        raise ValueError(f"missing must be an integer, got {missing!r}")
    if (labels == missing).any():
        raise ValueError(f"label {missing} equals missing={missing}; choose another missing value")
    matrix = np.full((data.n_tasks, data.n_workers), missing, dtype=np.int64)
    matrix[data.task, data.worker] = labels[data.label]
    return matrix, data.tasks, data.workers


