"""Mechanical Turk batch results (the CSV that the requester site downloads)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import pandas as pd

__all__ = ["read_mturk"]


def _column(name: str, prefix: str, columns: Sequence[str], path: Path, what: str) -> str:
    """``name`` as given, or with MTurk's ``prefix`` added; a ValueError listing the choices."""
    if name in columns:
        return name
    if f"{prefix}{name}" in columns:
        return f"{prefix}{name}"
    options = [c for c in columns if c.startswith(prefix)] or list(columns)
    raise ValueError(
        f"{path}: no {what} column {name!r} (nor {prefix + name!r}) in the header; expected one of "
        f"{options}"
    )


def read_mturk(
    path: str | os.PathLike,
    answer: str,
    *,
    task: str | Sequence[str] = "HITId",
    worker: str = "WorkerId",
    encoding: str = "latin-1",
    keep: Sequence[str] = (),
    rejected: str = "keep",
) -> pd.DataFrame:
    """Read an MTurk batch-results CSV into the long answers frame (task, worker, label).

    Each row of the file is one assignment: ``HITId``, ``WorkerId``, ``AssignmentStatus``,
    timings, the HIT's inputs as ``Input.<name>`` and the worker's answers as
    ``Answer.<name>``.

    Parameters
    ----------
    path : the CSV file.
    answer : the answer column, with or without its ``Answer.`` prefix (``"radio"`` or
        ``"Answer.radio"``).
    task : the column(s) that identify a task: ``HITId`` (default), or ``Input.*`` column(s),
        with or without the prefix, when one HIT shows the same item to every worker but items
        repeat across HITs. Several columns are joined into a tuple per task.
    worker : the worker column.
    encoding : MTurk writes latin-1 (Windows-1252); use ``"utf-8"`` for files saved again.
    keep : further columns to carry over unchanged (e.g. ``"WorkTimeInSeconds"``).
    rejected : ``"keep"`` (default) or ``"drop"`` the rows whose ``AssignmentStatus`` is
        ``Rejected`` (only when the file has that column).

    Returns
    -------
    DataFrame with ``task``, ``worker``, ``label`` and the ``keep`` columns, one row per
    assignment in file order. Empty answers are kept as missing labels: the aggregators then
    name their rows (drop them with ``frame.dropna(subset=["label"])`` if that is the intent).

    Raises
    ------
    ValueError
        A missing column (the message lists the file's ``Answer.*`` or ``Input.*`` columns), or an
        empty task or worker id (with its line in the file).

    Examples
    --------
    >>> import io, pathlib, tempfile
    >>> text = 'HITId,WorkerId,Input.item,Answer.choice\\nH1,W1,cat.jpg,cat\\nH1,W2,cat.jpg,dog\\n'
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp) / "batch.csv"
    ...     _ = file.write_text(text, encoding="latin-1")
    ...     read_mturk(file, "choice")["label"].tolist()
    ['cat', 'dog']
    """
    path = Path(path)
    if rejected not in ("keep", "drop"):
        raise ValueError(f"rejected={rejected!r}; expected 'keep' or 'drop'")
    try:
        raw = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: cannot decode as {encoding} ({error}); pass encoding=...") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{path}: not a readable CSV ({error})") from None
    columns = list(raw.columns)
    answer_col = _column(answer, "Answer.", columns, path, "answer")
    worker_col = _column(worker, "", columns, path, "worker")
    task_cols = [task] if isinstance(task, str) else list(task)
    if not task_cols:
        raise ValueError("task names no column; expected 'HITId' or Input.* column(s)")
    task_cols = [_column(t, "Input.", columns, path, "task") for t in task_cols]
    keep_cols = [_column(k, "", columns, path, "keep") for k in keep]
    if rejected == "drop" and "AssignmentStatus" in columns:
        raw = raw[raw["AssignmentStatus"] != "Rejected"]
    for col in [*task_cols, worker_col]:
        empty = (raw[col].str.strip() == "").to_numpy()
        if empty.any():
            line = int(raw.index[empty][0]) + 2  # 1-based, after the header line
            raise ValueError(
                f"{path}, line {line}: empty {col!r}; every assignment needs a task and a worker id"
            )
    if len(task_cols) == 1:
        task_values = raw[task_cols[0]]
    else:
        task_values = pd.Series(list(zip(*(raw[c] for c in task_cols))), index=raw.index)
    label = raw[answer_col].where(raw[answer_col] != "")
    out = pd.DataFrame({"task": task_values, "worker": raw[worker_col], "label": label})
    for col in keep_cols:
        out[col] = raw[col]
    return out.reset_index(drop=True)
