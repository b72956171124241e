"""The checks and the factorisation that every answer kind shares.

Each ``encode_*`` function in :mod:`crowdtut.answers` calls :func:`check_frame` once (type,
columns, emptiness, missing values) and :func:`factorize` once per id column, so that every data
model refuses the same bad input with the same message.
"""

from __future__ import annotations

from typing import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["check_frame", "factorize", "repeated_rows", "plain"]


def plain(value):
    """A numpy scalar as the plain Python value, so that messages read ``task 0``, not
    ``task np.int64(0)``."""
    return value.item() if isinstance(value, np.generic) else value


def check_frame(
    answers, columns: Sequence[str], *, what: str = "answers", no_missing: Sequence[str] | None = None
) -> None:
    """Check that ``answers`` is a non-empty DataFrame with ``columns`` and no missing ids.

    Raises ``TypeError`` for a non-DataFrame and ``ValueError`` naming the missing column(s), or
    the column with missing values and its first rows.
    """
    if not isinstance(answers, pd.DataFrame):
        raise TypeError(
            f"{what} must be a pandas DataFrame with columns {', '.join(columns)}; got "
            f"{type(answers).__name__}"
        )
    missing = [c for c in columns if c not in answers.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; it has {list(answers.columns)} and needs "
            f"{list(columns)}"
        )
    if len(answers) == 0:
        raise ValueError(f"{what} is empty: there is nothing to aggregate")
    for column in columns if no_missing is None else no_missing:
        isna = answers[column].isna().to_numpy()
        if isna.any():
            rows = answers.index[isna].tolist()[:5]
            raise ValueError(
                f"column {column!r} has {int(isna.sum())} missing value(s) (NaN/None), first at "
                f"row(s) {rows}; drop or fill them first"
            )


def factorize(
    values, name: str, universe: Iterable[Hashable] | None = None
) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (int64) and the index of names for one column.

    With ``universe`` the codes point into that list (in its order) and a value outside it is a
    ``ValueError`` naming it. Without, the index holds the sorted distinct values, or their order
    of first appearance when they cannot be ordered (mixed types).
    """
    if universe is not None:
        index = pd.Index(list(universe), name=name)
        if not index.is_unique:
            dup = index[index.duplicated()].unique().tolist()[:5]
            raise ValueError(f"{name} list has repeated entries: {dup}")
        codes = index.get_indexer(values)
        unknown = codes < 0
        if unknown.any():
            bad = pd.unique(np.asarray(values)[unknown])
            raise ValueError(
                f"{int(unknown.sum())} answers have a {name} outside the given {name} list "
                f"{index.tolist()[:20]}: {bad.tolist()[:10]}"
            )
        return codes.astype(np.int64), index
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # mixed types that cannot be ordered: keep order of first appearance
        codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), pd.Index(uniques, name=name)


def repeated_rows(*codes: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """Boolean mask of the rows whose key (the tuple of ``codes``) appeared in an earlier row.

    ``sizes`` are the number of distinct values of each code array, used to combine them into one
    int64 key (so a few million tasks x workers stay far below 2**63).
    """
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c, size in zip(codes, sizes):
        key = key * int(size) + c
    order = np.argsort(key, kind="stable")
    repeated = np.zeros(len(key), dtype=bool)
    repeated[order[1:]] = key[order[1:]] == key[order[:-1]]
    return repeated
