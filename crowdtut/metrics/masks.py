"""Scores for segmentation masks: IoU and Dice."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from ._align import preview, rows_for


# --- segmentation masks ----------------------------------------------------------------------
def _as_mask(mask, where: str) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iuf" and np.isin(arr, (0, 1)).all():
        return arr.astype(bool)
    raise ValueError(
        f"{where} must be a boolean mask (or hold only 0 and 1); got dtype {arr.dtype}"
    )


def _mask_scores(pred, true, score: Callable[[np.ndarray, np.ndarray], float], name: str):
    def one(a, b, where: str) -> float:
        a, b = _as_mask(a, f"pred_mask {where}"), _as_mask(b, f"true_mask {where}")
        if a.shape != b.shape:
            raise ValueError(f"pred_mask and true_mask {where} have shapes {a.shape} and {b.shape}")
        return score(a, b)

    if isinstance(pred, pd.Series) or isinstance(true, pd.Series):
        if not (isinstance(pred, pd.Series) and isinstance(true, pd.Series)):
            raise TypeError(
                "give both pred_mask and true_mask as Series indexed by task, or neither"
            )
        rows = rows_for(true.index, pred.index, "true_mask", of="pred_mask")
        extra = true.index.difference(pred.index)
        if len(extra):
            raise ValueError(
                f"{len(extra)} task(s) in true_mask have no pred_mask: {preview(extra)}"
            )
        values = [
            one(a, true.iloc[r], f"of task {t!r}")
            for t, a, r in zip(pred.index, pred, rows, strict=True)
        ]
        return pd.Series(values, index=pred.index, name=name, dtype=np.float64)
    if isinstance(pred, (list, tuple)) or isinstance(true, (list, tuple)):
        if len(pred) != len(true):
            raise ValueError(f"pred_mask has {len(pred)} masks and true_mask {len(true)}")
        return np.array(
            [one(a, b, f"at position {i}") for i, (a, b) in enumerate(zip(pred, true, strict=True))]
        )
    return one(pred, true, "")


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    size = np.count_nonzero(a) + np.count_nonzero(b)
    return 1.0 if size == 0 else 2.0 * np.count_nonzero(a & b) / size


def iou(pred_mask, true_mask):
    """Intersection over union (Jaccard index) of boolean masks.

    Parameters
    ----------
    pred_mask, true_mask : one mask each (array of any shape, bool or 0/1), or lists of masks
        (matched by position), or Series of masks indexed by task (matched by task; both must hold
        the same tasks).

    Returns
    -------
    float for one pair, ndarray for lists, Series (in the order of ``pred_mask``) for Series.
    Two empty masks agree perfectly: their IoU is 1.0.
    """
    return _mask_scores(pred_mask, true_mask, _iou, "iou")


def dice(pred_mask, true_mask):
    """Dice coefficient ``2|A & B| / (|A| + |B|)`` of boolean masks; inputs as in :func:`iou`.

    Two empty masks give 1.0.
    """
    return _mask_scores(pred_mask, true_mask, _dice, "dice")


def mean_iou(pred_mask, true_mask) -> float:
    """Mean of the per-task IoU (see :func:`iou`); the IoU itself for a single pair."""
    return float(np.mean(iou(pred_mask, true_mask)))



