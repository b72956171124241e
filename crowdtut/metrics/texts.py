"""Scores for texts: word and character error rates over Levenshtein distances.

:func:`edit_distances` computes many Levenshtein distances at once: the pairs are sorted by
size and cut into chunks, and each chunk runs the dynamic programme one row at a time for all
its pairs together (numpy over a (pairs, columns) array). Within a row the left-to-right
dependency ``D[i, j] = min(b[j], D[i, j - 1] + 1)`` is a running minimum,
``D[i, j] = j + min_{k <= j} (b[k] - k)``, so each row is a handful of vectorised operations:
O(n m) work per pair and no Python loop per pair or per cell.
"""

from __future__ import annotations

from typing import Callable, Literal, Sequence

import numpy as np
import pandas as pd

from ..answers.texts import normalize as _normalize
from ._align import as_truth_series, rows_for

__all__ = ["edit_distances", "word_error_rate", "character_error_rate", "answer_word_errors"]

_CHUNK_CELLS = 4_000_000


def pad_sequences(seqs: Sequence[np.ndarray], idx: np.ndarray, width: int, fill: int) -> np.ndarray:
    out = np.full((len(idx), width), fill, dtype=np.int64)
    lengths = np.array([len(seqs[k]) for k in idx], dtype=np.int64)
    if lengths.sum():
        rows = np.repeat(np.arange(len(idx)), lengths)
        cols = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[rows, cols] = np.concatenate([np.asarray(seqs[k], dtype=np.int64) for k in idx])
    return out


def cost_chunks(cost_i: np.ndarray, cost_j: np.ndarray, order: np.ndarray, budget: int):
    """Cut ``order`` (sorted by size) into runs whose padded (rows x i x j) stays under budget."""
    start, n = 0, len(order)
    while start < n:
        stop = start + 1
        mi, mj = cost_i[order[start]], cost_j[order[start]]
        while stop < n:
            ni, nj = max(mi, cost_i[order[stop]]), max(mj, cost_j[order[stop]])
            if (stop - start + 1) * (ni + 1) * (nj + 1) > budget:
                break
            mi, mj, stop = ni, nj, stop + 1
        yield order[start:stop]
        start = stop


def edit_distances(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> np.ndarray:
    """Levenshtein distances between ``a[k]`` and ``b[k]`` for every ``k``.

    Parameters
    ----------
    a, b : sequences of 1-D integer arrays (word or character codes), of the same length
        Unit costs for insertion, deletion and substitution.

    Returns
    -------
    ndarray of int64, shape (len(a),)

    Examples
    --------
    >>> import numpy as np
    >>> edit_distances([np.array([1, 2, 3]), np.array([])], [np.array([1, 3]), np.array([4])])
    array([1, 1])
    """
    if len(a) != len(b):
        raise ValueError(f"a and b must hold as many sequences; got {len(a)} and {len(b)}")
    la = np.array([len(x) for x in a], dtype=np.int64)
    lb = np.array([len(x) for x in b], dtype=np.int64)
    out = np.maximum(la, lb)  # right when either is empty
    todo = np.flatnonzero((la > 0) & (lb > 0))
    order = todo[np.lexsort((lb[todo], la[todo]))]
    for idx in cost_chunks(la, lb, order, _CHUNK_CELLS):
        n_i, n_j = int(la[idx].max()), int(lb[idx].max())
        A = pad_sequences(a, idx, n_i, -1)
        B = pad_sequences(b, idx, n_j, -2)
        jj = np.arange(n_j + 1)
        prev = np.broadcast_to(jj, (len(idx), n_j + 1))
        base = np.empty((len(idx), n_j + 1), dtype=np.int64)
        rows = np.arange(len(idx))
        end_i = la[idx]
        for i in range(1, n_i + 1):
            base[:, 0] = i
            np.minimum(prev[:, :-1] + (A[:, i - 1:i] != B), prev[:, 1:] + 1, out=base[:, 1:])
            prev = np.minimum.accumulate(base - jj, axis=1) + jj
            done = end_i == i
            if done.any():
                out[idx[done]] = prev[rows[done], lb[idx[done]]]
    return out


def _paired(predictions, truth) -> tuple[list[str], list[str]]:
    if isinstance(truth, pd.Series) or isinstance(predictions, pd.Series):
        if not (isinstance(truth, pd.Series) and isinstance(predictions, pd.Series)):
            raise TypeError("give both predictions and truth as Series indexed by task, or neither")
        truth = as_truth_series(truth)
        rows = rows_for(predictions.index, truth.index, "predictions")
        pred = predictions.to_numpy(dtype=object)[rows]
        true = truth.to_numpy(dtype=object)
    else:
        pred, true = list(predictions), list(truth)
        if len(pred) != len(true):
            raise ValueError(f"predictions and truth have lengths {len(pred)} and {len(true)}")
    if len(true) == 0:
        raise ValueError("truth is empty: there is nothing to score")
    for what, values in (("predictions", pred), ("truth", true)):
        for k, v in enumerate(values):
            if not isinstance(v, str):
                raise ValueError(f"{what} must hold strings; entry {k} is {v!r} ({type(v).__name__})")
    return list(pred), list(true)


def _distances(pred, true, split) -> tuple[np.ndarray, np.ndarray]:
    """Edit distances and reference lengths of paired texts cut into units by ``split``."""
    pred_units, true_units = [split(p) for p in pred], [split(t) for t in true]
    codes, _ = pd.factorize(
        np.array([u for seq in pred_units + true_units for u in seq] + [""], dtype=object)
    )
    lengths = [len(s) for s in pred_units + true_units]
    seqs = np.split(codes[:-1], np.cumsum(lengths)[:-1])
    n = len(pred)
    return edit_distances(seqs[:n], seqs[n:]), np.array(lengths[n:], dtype=np.int64)


def _error_rate(pred, true, split, average) -> float:
    if average not in ("corpus", "mean"):
        raise ValueError(f"average={average!r}; expected 'corpus' or 'mean'")
    dist, ref = _distances(pred, true, split)
    if average == "corpus":
        if ref.sum() == 0:
            raise ValueError("every reference is empty: the error rate is undefined")
        return float(dist.sum() / ref.sum())
    if (ref == 0).any():
        raise ValueError(
            f"{int((ref == 0).sum())} reference(s) are empty, e.g. entry {int(np.flatnonzero(ref == 0)[0])}: "
            "the per-text error rate is undefined; use average='corpus'"
        )
    return float(np.mean(dist / ref))


def word_error_rate(
    predictions,
    truth,
    *,
    normalize: Callable[[str], str] | None = _normalize,
    average: Literal["corpus", "mean"] = "corpus",
) -> float:
    """Word error rate: word-level Levenshtein distance divided by the reference's length.

    Parameters
    ----------
    predictions, truth : Series of str indexed by task (aligned by task name; every task of
        ``truth`` needs a prediction) or two sequences of str matched by position.
    normalize : applied to both sides before splitting on white space (default
        :func:`crowdtut.answers.normalize`; ``None`` keeps texts as they are).
    average : ``"corpus"`` (total edits / total reference words, what ``jiwer`` and the
        CrowdSpeech paper report) or ``"mean"`` (mean of the per-text rates).

    Returns
    -------
    float

    Examples
    --------
    >>> word_error_rate(["the cat sat", "hello"], ["the cat sat down", "Hello!"])
    0.2
    """
    pred, true = _paired(predictions, truth)
    if normalize is not None:
        pred, true = [normalize(p) for p in pred], [normalize(t) for t in true]
    return _error_rate(pred, true, str.split, average)


def character_error_rate(
    predictions,
    truth,
    *,
    normalize: Callable[[str], str] | None = _normalize,
    average: Literal["corpus", "mean"] = "corpus",
) -> float:
    """Character error rate: character-level Levenshtein distance / reference length.

    Spaces count as characters; arguments as in :func:`word_error_rate`.

    Examples
    --------
    >>> character_error_rate(["kitten"], ["sitting"])
    0.42857142857142855
    """
    pred, true = _paired(predictions, truth)
    if normalize is not None:
        pred, true = [normalize(p) for p in pred], [normalize(t) for t in true]
    return _error_rate(pred, true, list, average)


def answer_word_errors(
    answers: pd.DataFrame,
    truth: pd.Series,
    *,
    normalize: Callable[[str], str] | None = _normalize,
) -> pd.DataFrame:
    """Word edits of every answer against its task's reference (single-worker baselines).

    Parameters
    ----------
    answers : DataFrame with columns ``task``, ``worker``, ``text``
    truth : Series of reference texts indexed by task; every answered task needs one
    normalize : as in :func:`word_error_rate`

    Returns
    -------
    DataFrame
        ``task``, ``worker``, ``errors`` (word edit distance) and ``words`` (reference length),
        one row per answer in the order of ``answers``. ``errors.sum() / words.sum()`` is the
        word error rate of the answers taken as predictions.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [1, 1], "worker": ["a", "b"], "text": ["a cat", "the cat"]})
    >>> answer_word_errors(answers, pd.Series({1: "the cat"}))["errors"].tolist()
    [1, 0]
    """
    from ..answers.texts import encode_texts

    data = encode_texts(answers, normalize=None, duplicates="keep")  # checks columns and texts
    truth = as_truth_series(truth)
    rows = rows_for(truth.index, data.tasks, "truth", of="answers")
    refs = truth.to_numpy(dtype=object)[rows][data.task]
    pred = list(data.texts)
    true = list(refs)
    if normalize is not None:
        pred, true = [normalize(p) for p in pred], [normalize(t) for t in true]
    dist, ref = _distances(pred, true, str.split)
    return pd.DataFrame(
        {"task": data.tasks.take(data.task), "worker": data.workers.take(data.worker),
         "errors": dist, "words": ref},
        index=answers.index,
    )
