"""ComparisonAnswers: pairwise comparisons (worker, left, right, label), crowd-kit's layout.

:func:`encode_comparisons` validates the long DataFrame once and turns it into integer codes:
for every row the code of the winner, the code of the loser, the worker code and a tie flag.

Ties
----
A tie ("same", "can't decide") is a row whose ``label`` is missing (``NaN``, ``None`` or
``pd.NA``). By default a missing label is an error that names the row and says how to allow ties:
pass ``ties="allow"``. Then the row is kept with ``tie=True``; for a tie, ``winner`` holds the
left item and ``loser`` the right one. Models that do not model ties (e.g.
:class:`~crowdtut.aggregation.BradleyTerry`) refuse encoded answers that contain ties, naming
a model that does (:class:`~crowdtut.aggregation.DavidsonBradleyTerry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Literal

import numpy as np
import pandas as pd

from ._encode import ItemNames, check_frame, factorize, plain, size_of

__all__ = ["ComparisonAnswers", "encode_comparisons", "TiePolicy"]

TiePolicy = Literal["raise", "allow"]
_COLUMNS = ("worker", "left", "right", "label")


@dataclass(frozen=True, eq=False)
class ComparisonAnswers(ItemNames):
    """Pairwise comparisons as integer codes, one entry per row of the input, in input order.

    Attributes
    ----------
    winner, loser : ndarray of int64, shape (n_comparisons,), item codes (for a tie: left, right).
    worker : ndarray of int64, worker codes.
    tie : ndarray of bool, True where the worker answered "same".
    left_won : ndarray of bool, True where the winner is the item shown on the left.
    items, workers : pandas.Index, the user's names for the item and worker codes.
    """

    winner: np.ndarray
    loser: np.ndarray
    worker: np.ndarray
    tie: np.ndarray
    left_won: np.ndarray
    items: pd.Index
    workers: pd.Index

    n_comparisons = size_of("winner", "comparisons")

    @property
    def has_ties(self) -> bool:
        return bool(self.tie.any())

    def components(self) -> np.ndarray:
        """Connected component of each item in the comparison graph (int64 codes from 0)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = self.n_items
        graph = coo_matrix(
            (np.ones(self.n_comparisons), (self.winner, self.loser)), shape=(n, n)
        )
        _, labels = connected_components(graph, directed=False)
        return labels.astype(np.int64)


def _first_row(answers: pd.DataFrame, mask: np.ndarray) -> dict:
    row = answers[mask].iloc[0]
    return {"row": plain(answers.index[mask][0]), **{c: plain(row[c]) for c in _COLUMNS if c in row}}


def encode_comparisons(
    answers: pd.DataFrame | ComparisonAnswers,
    *,
    items: Iterable[Hashable] | None = None,
    ties: TiePolicy = "raise",
) -> ComparisonAnswers:
    """Validate pairwise comparisons and encode them as integer codes.

    Parameters
    ----------
    answers : DataFrame with columns ``worker``, ``left``, ``right``, ``label``; ``label`` is the
        item the worker preferred (``left`` or ``right``), or missing for a tie when
        ``ties="allow"``. An already encoded :class:`ComparisonAnswers` is returned as is (after
        the tie check).
    items : optional, the universe of items (their order gives the codes); an item outside it is
        an error. Items listed but never compared are kept (their score rests on the prior).
    ties : ``"raise"`` (default: a missing label is an error) or ``"allow"`` (a missing label is
        a tie).

    Raises
    ------
    ValueError
        Missing columns, empty input, missing worker/left/right, an item compared with itself, a
        label that is neither left nor right, a tie when ties are not allowed, or fewer than two
        items. The message names the first bad row and the fix.

    Examples
    --------
    >>> answers = pd.DataFrame({"worker": ["w1", "w2", "w2"], "left": ["a", "a", "b"],
    ...                         "right": ["b", "b", "c"], "label": ["a", "b", "c"]})
    >>> data = encode_comparisons(answers)
    >>> data.items.tolist(), data.winner.tolist(), data.loser.tolist()
    (['a', 'b', 'c'], [0, 1, 2], [1, 0, 1])
    """
    if ties not in ("raise", "allow"):
        raise ValueError(f"ties={ties!r}; expected 'raise' or 'allow'")
    if isinstance(answers, ComparisonAnswers):
        if ties == "raise" and answers.has_ties:
            raise ValueError(
                f"these answers hold {int(answers.tie.sum())} tie(s) but ties='raise'; use a model "
                "that supports ties (DavidsonBradleyTerry, Elo) or drop the tie rows"
            )
        return answers
    check_frame(answers, _COLUMNS, no_missing=("worker", "left", "right"))
    left = answers["left"].to_numpy()
    right = answers["right"].to_numpy()
    label = answers["label"]
    tie = label.isna().to_numpy()
    if tie.any() and ties == "raise":
        bad = _first_row(answers, tie)
        raise ValueError(
            f"row {bad['row']!r} (worker {bad['worker']!r}, {bad['left']!r} vs {bad['right']!r}) "
            f"has no label ({int(tie.sum())} such row(s)); if a missing label means a tie "
            "(\"same\"), pass ties='allow' and use a model that supports ties"
        )
    distinct = pd.unique(np.concatenate([left, right]))
    if len(distinct) < 2:
        raise ValueError(
            f"only one item ({plain(distinct[0])!r}) is compared: a ranking needs at least two"
        )
    same = (answers["left"] == answers["right"]).to_numpy()
    if same.any():
        bad = _first_row(answers, same)
        raise ValueError(
            f"row {bad['row']!r}: worker {bad['worker']!r} compared item {bad['left']!r} with "
            f"itself ({int(same.sum())} such row(s)); drop these rows"
        )
    is_left = (label == answers["left"]).fillna(False).to_numpy(dtype=bool)
    is_right = (label == answers["right"]).fillna(False).to_numpy(dtype=bool)
    neither = ~(is_left | is_right | tie)
    if neither.any():
        bad = _first_row(answers, neither)
        raise ValueError(
            f"row {bad['row']!r}: label {bad['label']!r} is neither left ({bad['left']!r}) nor "
            f"right ({bad['right']!r}) ({int(neither.sum())} such row(s)); the label must name "
            "the preferred item"
        )
    both = np.concatenate([left, right])
    codes, item_index = factorize(both, "item", items)
    n = len(answers)
    left_code, right_code = codes[:n], codes[n:]
    worker, worker_index = factorize(answers["worker"].to_numpy(), "worker")
    left_won = is_left | tie
    winner = np.where(left_won, left_code, right_code)
    loser = np.where(left_won, right_code, left_code)
    return ComparisonAnswers(
        winner=winner.astype(np.int64),
        loser=loser.astype(np.int64),
        worker=worker,
        tie=tie,
        left_won=is_left,
        items=item_index,
        workers=worker_index,
    )
