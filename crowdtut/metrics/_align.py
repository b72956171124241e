"""Aligning predictions with the truth by task name; checking probabilities."""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd


_PROBA_TOL = 1e-6


# --- alignment helpers -----------------------------------------------------------------------
def preview(values: Iterable, k: int = 10) -> list:
    return list(values)[:k]


def as_truth_series(truth, name: str = "truth") -> pd.Series:
    """A Series of labels with a unique index and no missing value."""
    if isinstance(truth, Mapping) and not isinstance(truth, pd.Series):
        truth = pd.Series(truth)
    if not isinstance(truth, pd.Series):
        raise TypeError(
            f"{name} must be a pandas Series indexed by task; got {type(truth).__name__}"
        )
    if not truth.index.is_unique:
        dup = truth.index[truth.index.duplicated()].unique()
        raise ValueError(f"{name} has repeated task(s) in its index: {preview(dup)}")
    isna = truth.isna().to_numpy()
    if isna.any():
        raise ValueError(
            f"{name} has {int(isna.sum())} missing value(s) at task(s) "
            f"{preview(truth.index[isna])}; drop them first (a missing truth cannot be scored)"
        )
    return truth


def rows_for(index: pd.Index, tasks: pd.Index, what: str, of: str = "truth") -> np.ndarray:
    """Positions in ``index`` of each entry of ``tasks``; ValueError naming the missing ones."""
    if not index.is_unique:
        dup = index[index.duplicated()].unique()
        raise ValueError(f"{what} has repeated task(s) in its index: {preview(dup)}")
    rows = index.get_indexer(tasks)
    missing = rows < 0
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} task(s) in {of} have no entry in {what}: "
            f"{preview(tasks[missing])}"
        )
    return rows


def check_proba(p: np.ndarray, what: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ValueError(f"{what} must have shape (n_tasks, n_classes); got {p.shape}")
    if p.shape[0] == 0:
        raise ValueError(f"{what} is empty: there is nothing to score")
    if not np.isfinite(p).all():
        bad = np.flatnonzero(~np.isfinite(p).all(axis=1))
        raise ValueError(f"{what} has NaN or infinite values in row(s) {preview(bad)}")
    if (p < 0).any():
        bad = np.flatnonzero((p < 0).any(axis=1))
        raise ValueError(f"{what} has negative probabilities in row(s) {preview(bad)}")
    off = np.abs(p.sum(axis=1) - 1.0) > _PROBA_TOL
    if off.any():
        bad = np.flatnonzero(off)
        raise ValueError(
            f"{what} rows must sum to 1; {int(off.sum())} do not, e.g. row(s) {preview(bad)}"
        )
    return p


def proba_and_truth(proba, truth) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (n, K) and truth codes (n,) aligned on the tasks of ``truth``."""
    if isinstance(proba, pd.DataFrame):
        truth = as_truth_series(truth)
        if len(truth) == 0:
            raise ValueError("truth is empty: there is nothing to score")
        rows = rows_for(proba.index, truth.index, "proba")
        p = check_proba(proba.to_numpy()[rows], "proba")
        if not proba.columns.is_unique:
            raise ValueError(f"proba has repeated class columns: {list(proba.columns)}")
        codes = proba.columns.get_indexer(truth.to_numpy())
        unknown = codes < 0
        if unknown.any():
            raise ValueError(
                f"truth has label(s) {preview(pd.unique(truth.to_numpy()[unknown]))} that are not "
                f"columns of proba {preview(proba.columns, 20)}"
            )
        return p, codes.astype(np.int64)
    if isinstance(proba, np.ndarray):
        p = check_proba(proba, "proba")
        y = np.asarray(truth)
        if y.ndim != 1 or y.shape[0] != p.shape[0]:
            raise ValueError(
                f"truth must be a 1-D array of {p.shape[0]} class codes to match proba {p.shape}; "
                f"got shape {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer):
            if (
                np.issubdtype(y.dtype, np.floating)
                and np.all(np.isfinite(y))
                and np.all(y == np.round(y))
            ):
                y = y.astype(np.int64)
            else:
                raise ValueError(
                    "with a numpy proba, truth must hold integer class codes (column positions)"
                )
        bad = (y < 0) | (y >= p.shape[1])
        if bad.any():
            raise ValueError(
                f"truth codes must lie in [0, {p.shape[1] - 1}]; got {preview(np.unique(y[bad]))}"
            )
        return p, y.astype(np.int64)
    raise TypeError(
        f"proba must be a DataFrame (tasks x classes) or a 2-D ndarray; got {type(proba).__name__}"
    )


def hard_and_truth(pred, truth) -> tuple[np.ndarray, np.ndarray]:
    """Predicted and true labels (object-free numpy arrays) aligned on the tasks of ``truth``."""
    if isinstance(pred, pd.Series):
        truth = as_truth_series(truth)
        rows = rows_for(pred.index, truth.index, "pred")
        return pred.to_numpy()[rows], truth.to_numpy()
    pred = np.asarray(pred)
    truth_arr = np.asarray(truth)
    if pred.ndim != 1 or truth_arr.shape != pred.shape:
        raise ValueError(
            f"pred and truth given as arrays must be 1-D of the same length; got shapes "
            f"{pred.shape} and {truth_arr.shape}"
        )
    if pd.isna(truth_arr).any():
        raise ValueError("truth has missing value(s); drop them first")
    return pred, truth_arr


def sorted_union(*arrays: np.ndarray) -> pd.Index:
    values = pd.unique(np.concatenate([np.asarray(a, dtype=object) for a in arrays]))
    try:
        return pd.Index(sorted(values))
    except TypeError:
        return pd.Index(values)



