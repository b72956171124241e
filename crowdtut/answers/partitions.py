"""PartitionAnswers: workers' groupings of small HITs (hit, worker, item, group).

:func:`encode_partitions` validates the long DataFrame once and turns it into integer codes;
:func:`pairwise_labels` expands every answer into its "same group / different group" labels in
one vectorised pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ._encode import ItemNames, check_frame, factorize, plain, size_of


_COLUMNS = ("hit", "worker", "item", "group")


# --- the data model --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PartitionAnswers(ItemNames):
    """Partition answers as integer codes, one row per image of each answer.

    Attributes
    ----------
    item, worker, answer, group : ndarray of int64, shape (n_rows,), sorted by answer.
        ``answer`` numbers the (hit, worker) answers; ``group`` numbers the groups of all answers
        together (two rows share a group code exactly when the worker put the two images in one
        group of one answer).
    items, workers : pandas.Index, the user's names for the item and worker codes.
    answer_hit : ndarray, the HIT name of each answer; ``answer_worker`` its worker code.
    """

    item: np.ndarray
    worker: np.ndarray
    answer: np.ndarray
    group: np.ndarray
    items: pd.Index
    workers: pd.Index
    answer_hit: np.ndarray
    answer_worker: np.ndarray

    n_answers = size_of("answer_hit", "(hit, worker) answers")


def _hits_table(hits) -> pd.DataFrame:
    if isinstance(hits, pd.DataFrame):
        if not {"hit", "item"} <= set(hits.columns):
            raise ValueError(f"hits must have columns 'hit' and 'item'; got {list(hits.columns)}")
        return hits[["hit", "item"]]
    if isinstance(hits, Mapping):
        rows = [(h, i) for h, items in hits.items() for i in items]
        return pd.DataFrame(rows, columns=["hit", "item"])
    raise TypeError(
        "hits must be a DataFrame (columns hit, item) or a mapping hit -> images; "
        f"got {type(hits).__name__}"
    )


def encode_partitions(
    answers: pd.DataFrame | PartitionAnswers, hits: pd.DataFrame | Mapping | None = None
) -> PartitionAnswers:
    """Validate partition answers and encode them as integer codes.

    Parameters
    ----------
    answers : DataFrame with columns ``hit``, ``worker``, ``item``, ``group``: one row per image
        of each answer; images with the same ``group`` value in one (hit, worker) answer were put
        together. An already encoded :class:`PartitionAnswers` is returned as is.
    hits : optional, the HITs that were shown (DataFrame ``hit``, ``item`` or a mapping hit ->
        images). When given, every answered image must be one that its HIT showed.

    Raises
    ------
    ValueError
        Missing columns, empty input, missing values, an image listed twice in one answer (in
        one group or, worse, in two overlapping groups), an answer naming an image its HIT did
        not show, or a HIT unknown to ``hits``. The message names the HIT, worker and image.
    """
    if isinstance(answers, PartitionAnswers):
        return answers
    check_frame(answers, _COLUMNS)
    frame = answers[list(_COLUMNS)]
    dup = frame.duplicated(["hit", "worker", "item"], keep=False).to_numpy()
    if dup.any():
        bad = frame[dup].sort_values(["hit", "worker", "item"], kind="stable")
        h, w, i = (plain(x) for x in bad.iloc[0][["hit", "worker", "item"]])
        same_row = (bad["hit"] == h) & (bad["worker"] == w) & (bad["item"] == i)
        groups = [plain(g) for g in bad.loc[same_row, "group"]]
        if len(set(groups)) > 1:
            raise ValueError(
                f"overlapping groups: worker {w!r} put image {i!r} in groups {groups} of HIT {h!r}; "
                "a partition puts each image in exactly one group"
            )
        raise ValueError(f"worker {w!r} lists image {i!r} {len(groups)} times in HIT {h!r}")
    if hits is not None:
        table = _hits_table(hits)
        known = pd.MultiIndex.from_frame(table.drop_duplicates())
        shown = pd.MultiIndex.from_frame(frame[["hit", "item"]])
        unknown_hit = ~frame["hit"].isin(table["hit"]).to_numpy()
        if unknown_hit.any():
            row = {k: plain(v) for k, v in frame[unknown_hit].iloc[0].items()}
            raise ValueError(
                f"worker {row['worker']!r} answered HIT {row['hit']!r}, which hits does not list"
            )
        unknown = known.get_indexer(shown) < 0
        if unknown.any():
            row = {k: plain(v) for k, v in frame[unknown].iloc[0].items()}
            raise ValueError(
                f"unknown image: worker {row['worker']!r}'s answer to HIT {row['hit']!r} has image "
                f"{row['item']!r}, which that HIT did not show ({int(unknown.sum())} such row(s))"
            )
    item, items = factorize(frame["item"].to_numpy(), "item")
    worker, workers = factorize(frame["worker"].to_numpy(), "worker")
    hit, hit_index = factorize(frame["hit"].to_numpy(), "hit")
    # answers: (hit, worker) pairs; groups: (answer, group value) pairs
    answer_key = hit * len(workers) + worker
    answer_codes, answer = np.unique(answer_key, return_inverse=True)
    group_value = pd.factorize(frame["group"].to_numpy())[0].astype(np.int64)
    n_values = int(group_value.max()) + 1
    _, group = np.unique(answer.astype(np.int64) * n_values + group_value, return_inverse=True)
    order = np.lexsort((item, answer))
    return PartitionAnswers(
        item=item[order],
        worker=worker[order],
        answer=answer[order].astype(np.int64),
        group=group[order].astype(np.int64),
        items=items,
        workers=workers,
        answer_hit=hit_index.take(answer_codes // len(workers)).to_numpy(),
        answer_worker=(answer_codes % len(workers)).astype(np.int64),
    )


def _pairs(data: PartitionAnswers) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of rows that share an answer: (row_a, row_b) with row_a < row_b.

    Vectorised: the rows of answer ``s`` (of size ``m_s``) are consecutive; row at position ``p``
    pairs with the ``m_s - 1 - p`` rows after it.
    """
    n = len(data.answer)
    start = np.r_[0, np.flatnonzero(np.diff(data.answer)) + 1]
    size = np.diff(np.r_[start, n])
    position = np.arange(n) - np.repeat(start, size)
    later = np.repeat(size, size) - 1 - position  # pairs each row starts
    first = np.repeat(np.arange(n), later)
    offset = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
    second = first + 1 + offset
    return first, second, data.answer[first], data.group[first] == data.group[second]


def pair_codes(data: PartitionAnswers):
    """Item codes (a < b), worker code, answer code and same-group flag of every pairwise label."""
    first, second, answer, same = _pairs(data)
    a, b = data.item[first], data.item[second]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo, hi, data.worker[first], answer, same


def pairwise_labels(
    answers: pd.DataFrame | PartitionAnswers, hits: pd.DataFrame | Mapping | None = None
) -> pd.DataFrame:
    """The pairwise labels of partition answers: one row per pair of images in one answer.

    Returns
    -------
    DataFrame with columns ``item_a``, ``item_b`` (``item_a`` sorts before ``item_b``),
    ``worker``, ``hit`` and ``same`` (bool: put in one group), in order of answer then pair.
    An answer of ``m`` images gives ``m (m - 1) / 2`` rows.

    Examples
    --------
    >>> answers = pd.DataFrame({"hit": 0, "worker": "w", "item": ["a", "b", "c"],
    ...                         "group": [1, 1, 2]})
    >>> pairwise_labels(answers)[["item_a", "item_b", "same"]].values.tolist()
    [['a', 'b', True], ['a', 'c', False], ['b', 'c', False]]
    """
    data = encode_partitions(answers, hits)
    a, b, worker, answer, same = pair_codes(data)
    return pd.DataFrame(
        {
            "item_a": data.items.take(a),
            "item_b": data.items.take(b),
            "worker": data.workers.take(worker),
            "hit": data.answer_hit[answer],
            "same": same,
        }
    )



