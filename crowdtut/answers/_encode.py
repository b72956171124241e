"""The checks, the factorisation and the name look-ups that every answer kind shares.

Each ``encode_*`` function in :mod:`crowdtut.answers` calls :func:`check_frame` once (type,
columns, emptiness, missing values) and :func:`factorize` once per id column, so that every data
model refuses the same bad input with the same message. The encoded dataclasses take their sizes
and their Series over the names (``n_workers``, ``worker_series``, ...) from the mixins
:class:`WorkerNames`, :class:`TaskNames`, :class:`ItemNames` and :class:`TaskRows`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "check_frame",
    "check_columns",
    "check_no_missing",
    "check_duplicates",
    "factorize",
    "repeated_rows",
    "pair_names",
    "plain",
    "size_of",
    "series_over",
    "WorkerNames",
    "TaskNames",
    "ItemNames",
    "TaskRows",
]


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
    check_columns(answers, columns, what=what)
    if len(answers) == 0:
        raise ValueError(f"{what} is empty: there is nothing to aggregate")
    check_no_missing(answers, columns if no_missing is None else no_missing)


def check_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str = "answers") -> None:
    """A ValueError naming the ``columns`` that ``frame`` lacks, what it has and what it needs."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; it has {list(frame.columns)} and needs "
            f"{list(columns)}"
        )


def check_no_missing(frame: pd.DataFrame, columns: Iterable[str], *, where: str = "") -> None:
    """A ValueError naming the first of ``columns`` with missing values (NaN/None), how many and
    its first rows; ``where`` is added after the count (e.g. ``" in this partition"``)."""
    for column in columns:
        isna = frame[column].isna().to_numpy()
        if isna.any():
            rows = frame.index[isna].tolist()[:5]
            raise ValueError(
                f"column {column!r} has {int(isna.sum())} missing value(s) (NaN/None){where}, "
                f"first at row(s) {rows}; drop or fill them first"
            )


def check_duplicates(duplicates: str, allowed: Sequence[str] = ("raise", "keep", "first")) -> None:
    """A ValueError unless ``duplicates`` is one of the ``allowed`` policies."""
    if duplicates not in allowed:
        names = [repr(a) for a in allowed]
        raise ValueError(
            f"duplicates={duplicates!r}; expected {', '.join(names[:-1])} or {names[-1]}"
        )


def factorize(
    values, name: str, universe: Iterable[Hashable] | None = None
) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (int64) and the index of names for one column.

    With ``universe`` the codes point into that list (in its order) and a value outside it is a
    ``ValueError`` naming it. Without, the index holds the sorted distinct values, or their order
    of first appearance when they cannot be ordered (mixed types).

    Two rules keep the names unambiguous (both are checked on the distinct values only, so they
    cost nothing on millions of rows): ``inf`` and ``-inf`` are not names (ValueError naming the
    first row that holds one), and two distinct values with the same text, such as ``1`` and
    ``"1"``, are refused with a ValueError naming them (convert the column to one type first).
    """
    if universe is not None:
        index = pd.Index(list(universe), name=name)
        if not index.is_unique:
            dup = index[index.duplicated()].unique().tolist()[:5]
            raise ValueError(f"{name} list has repeated entries: {dup}")
        infinite = _check_names(index, name, f"the given {name} list")
        if infinite is not None:
            raise ValueError(
                f"the given {name} list holds {index[infinite]}: infinite values are not names"
            )
        codes = index.get_indexer(values)
        unknown = codes < 0
        if unknown.any():
            bad = pd.unique(np.asarray(values)[unknown])
            raise ValueError(
                f"{int(unknown.sum())} answers have a {name} outside the given {name} list "
                f"{index.tolist()[:20]}: {bad.tolist()[:10]}"
            )
        return codes.astype(np.int64), index
    dense = dense_integer_codes(values)
    if dense is not None:
        codes, uniques = dense
    else:
        try:
            codes, uniques = pd.factorize(values, sort=True)
        except TypeError:  # mixed types that cannot be ordered: keep order of first appearance
            codes, uniques = pd.factorize(values, sort=False)
    index = pd.Index(uniques, name=name)
    bad = _check_names(index, name, f"column {name!r}")
    if bad is not None:  # name the first row holding the bad value
        row = int(np.flatnonzero(codes == bad)[0])
        where = values.index[row] if isinstance(values, pd.Series) else row
        raise ValueError(
            f"column {name!r} holds {index[bad]} at row {plain(where)!r}: infinite values are "
            "not names; drop or replace those rows first"
        )
    return codes.astype(np.int64), index


def dense_integer_codes(values) -> tuple[np.ndarray, np.ndarray] | None:
    """``pd.factorize(values, sort=True)`` for a numpy integer column whose values span a range
    not much longer than the column (ids 0..n, the common case): a lookup table over the range
    instead of a hash table and a sort, several times faster. ``None`` when it does not apply."""
    array = values.to_numpy() if isinstance(values, pd.Series) else values
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "iu" or array.size == 0:
        return None
    if isinstance(values, pd.Series) and values.dtype != array.dtype:
        return None  # an extension dtype (nullable integers): leave it to pandas
    low, high = array.min(), array.max()
    if int(high) - int(low) + 1 > 4 * array.size + 1024:
        return None
    # unsigned: array - low cannot overflow; signed: widen first (int8 127 - -126 would wrap)
    offset = (array - low).astype(np.int64) if array.dtype.kind == "u" else array.astype(np.int64) - int(low)
    present = np.zeros(int(high) - int(low) + 1, dtype=bool)
    present[offset] = True
    lookup = np.cumsum(present, dtype=np.int64) - 1
    positions = np.flatnonzero(present)
    if array.dtype == np.uint64:  # beyond int64: add in the column's own type
        return lookup[offset], positions.astype(np.uint64) + low
    return lookup[offset], (positions + int(low)).astype(array.dtype)


_ONE_TYPE = frozenset({"string", "bytes", "integer", "boolean", "date", "datetime", "period"})


def _check_names(index: pd.Index, name: str, where: str) -> int | None:
    """Position of an infinite name in ``index`` (None if there is none); a ValueError for two
    names with the same text (``1`` and ``"1"``), which would silently become two classes."""
    if index.dtype.kind == "f":
        infinite = np.flatnonzero(np.isinf(index.to_numpy()))
        return int(infinite[0]) if len(infinite) else None
    if index.dtype != object or pd.api.types.infer_dtype(index, skipna=False) in _ONE_TYPE:
        return None
    infinite = None
    kinds = set()
    for i, value in enumerate(index):
        kinds.add(type(value))
        if infinite is None and isinstance(value, (float, np.floating)) and np.isinf(value):
            infinite = i
    if len(kinds) > 1:
        text = index.map(str)
        if text.has_duplicates:
            same = text[text.duplicated(keep=False)]
            shown = [index[i] for i in np.flatnonzero(text.isin(same.unique()))][:6]
            raise ValueError(
                f"{where} mixes types whose values read the same: {shown!r} would become "
                f"different {name}s; convert the column to one type first (e.g. "
                f"answers[{name!r}].astype(str))"
            )
    return infinite


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


def size_of(attribute: str, what: str | None = None) -> property:
    """A read-only property: the length of ``self.<attribute>`` (``n_tasks = size_of("tasks")``);
    its docstring reads "Number of <what>" (``what`` defaults to ``attribute``)."""

    def size(self) -> int:
        return len(getattr(self, attribute))

    return property(size, doc=f"Number of {what or attribute}.")


def series_over(attribute: str, noun: str):
    """A method ``(values, name=None) -> Series`` indexed by the names in ``self.<attribute>``."""

    def series(self, values, name: str | None = None) -> pd.Series:
        return pd.Series(values, index=getattr(self, attribute), name=name)

    series.__doc__ = f"A Series indexed by the {noun} names."
    series.__name__ = f"{noun}_series"
    return series


def pair_names(
    rows: np.ndarray, task: np.ndarray, worker: np.ndarray, tasks: pd.Index, workers: pd.Index
) -> list[tuple]:
    """The (task, worker) names of the first five of ``rows`` (positions into the code arrays),
    as plain Python values: the examples an error about repeated answers shows."""
    shown = np.asarray(rows)[:5]
    return list(zip(tasks.take(task[shown]).tolist(), workers.take(worker[shown]).tolist()))


class WorkerNames:
    """Mixin of the encoded answers: ``n_workers`` and ``worker_series`` over ``workers``."""

    n_workers = size_of("workers")
    worker_series = series_over("workers", "worker")


class TaskNames(WorkerNames):
    """Mixin of answers about tasks: adds ``n_tasks`` and ``task_series`` over ``tasks``."""

    n_tasks = size_of("tasks")
    task_series = series_over("tasks", "task")


class ItemNames(WorkerNames):
    """Mixin of answers about items (comparisons, partitions): adds ``n_items`` and
    ``item_series`` over ``items``."""

    n_items = size_of("items")
    item_series = series_over("items", "item")


class TaskRows(TaskNames):
    """Mixin of answers stored one row per answer, with a ``task`` code array: adds
    ``n_answers`` and ``answers_per_task``."""

    n_answers = size_of("task", "answers")

    @cached_property
    def answers_per_task(self) -> np.ndarray:
        """Number of answers of each task, shape (n_tasks,)."""
        return np.bincount(self.task, minlength=self.n_tasks)
