"""Edge error rates of partition answers: how often a pair of items is put together or apart
wrongly, over the pairs the crowd was shown."""

from __future__ import annotations

from typing import Literal, Mapping

import numpy as np
import pandas as pd

from ._align import as_truth_series, rows_for

__all__ = ["edge_errors"]

_COLUMNS = ["pairs", "same_true", "different_true", "false_split", "false_merge", "edge_error"]


def _rates(counts: np.ndarray) -> np.ndarray:
    """Rows of (true negatives, false splits, false merges, true positives) -> the six columns."""
    tn, fs, fm, tp = counts.T.astype(np.float64)
    same, different = tp + fs, tn + fm
    pairs = same + different
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.column_stack(
            [pairs, same, different, fs / same, fm / different, (fs + fm) / pairs]
        )


def edge_errors(
    answers: pd.DataFrame,
    truth: pd.Series | Mapping,
    hits=None,
    *,
    clusters: pd.Series | Mapping | None = None,
    level: Literal["all", "worker"] = "all",
) -> pd.Series | pd.DataFrame:
    """Edge error rates: the share of answered pairs put together or apart against the truth.

    Every answer of a partitioning worker (columns ``hit``, ``worker``, ``item``, ``group``; see
    :func:`crowdtut.answers.encode_partitions`) says, for each pair of its items, "same group" or
    "different groups". A pair is an *edge error* when that disagrees with "same true class".
    Every pair of every answer counts, so a pair shown twice counts twice (Chen and Vinayak's
    edge error "accounting for duplication").

    Parameters
    ----------
    answers : partition answers (DataFrame or :class:`~crowdtut.answers.PartitionAnswers`).
    truth : Series (or mapping) item -> true class; every answered item must have one.
    hits : optional HIT table, checked against the answers as in ``encode_partitions``.
    clusters : optional Series item -> cluster of an aggregated clustering: score its
        same/different decision on the same answered pairs instead of the workers'.
    level : ``"all"`` (one Series) or ``"worker"`` (one row per worker).

    Returns
    -------
    Series (or DataFrame with one row per worker) with ``pairs``, ``same_true`` and
    ``different_true`` (pair counts), ``false_split`` (share of same-class pairs put apart),
    ``false_merge`` (share of different-class pairs put together) and ``edge_error`` (share
    of all pairs that are wrong). A rate with no pair to count is NaN.

    Examples
    --------
    >>> answers = pd.DataFrame({"hit": [0, 0, 0, 1, 1], "worker": ["u", "u", "u", "v", "v"],
    ...                         "item": ["a", "b", "c", "a", "c"], "group": [0, 0, 1, 0, 0]})
    >>> truth = pd.Series({"a": 0, "b": 1, "c": 1})
    >>> edge_errors(answers, truth)[["pairs", "edge_error"]].tolist()
    [4.0, 0.75]
    """
    from ..answers.partitions import encode_partitions, pair_codes

    if level not in ("all", "worker"):
        raise ValueError(f"level={level!r}; expected 'all' or 'worker'")
    data = encode_partitions(answers, hits)
    truth = as_truth_series(truth)
    classes = truth.to_numpy()[rows_for(truth.index, data.items, "truth", of="answers")]
    a, b, worker, _, same = pair_codes(data)
    if clusters is not None:
        clusters = as_truth_series(clusters, name="clusters")
        rows = rows_for(clusters.index, data.items, "clusters", of="answers")
        found = clusters.to_numpy()[rows]
        same = found[a] == found[b]
    cell = same.astype(np.int64) * 2 + (classes[a] == classes[b])  # 0 TN, 1 FS, 2 FM, 3 TP
    if level == "all":
        return pd.Series(_rates(np.bincount(cell, minlength=4)[None])[0], index=_COLUMNS,
                         name="edge_errors")
    counts = np.bincount(worker * 4 + cell, minlength=4 * data.n_workers).reshape(-1, 4)
    return pd.DataFrame(_rates(counts), index=data.workers.copy(), columns=_COLUMNS)
