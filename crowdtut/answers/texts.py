"""Free-text answers (transcriptions, translations): normalised, tokenised and coded once.

The public input is a long DataFrame with the columns ``task``, ``worker`` and ``text``
(crowd-kit's layout). :func:`encode_texts` checks it once and turns it into a
:class:`TextAnswers`: task and worker codes, and every answer as a run of integer word codes
(one flat array plus offsets) into a shared vocabulary.

Normalisation is a separate, explicit step, applied to every answer before it is split into
words and never inside an aggregator's alignment. :func:`normalize` lower-cases, deletes
punctuation (every character that is neither a letter, a digit nor white space, so ``"air-tight"``
becomes ``"airtight"`` and ``"I'm"`` becomes ``"im"``) and collapses runs of white space; words
are then the white-space separated tokens (``str.split()``), so a word is never empty. Pass
``normalize=None`` to keep the text as it is (only split on white space), or any callable
``str -> str``. Score predictions with the same normalisation as the answers.

Documented behaviour at the boundary:

- a missing text (NaN/None) is a ``ValueError`` naming its row; so is a value that is not a
  ``str`` (numbers included: cast with ``.astype(str)`` when they really are texts);
- an empty answer (``""``, or one that normalises to nothing) is kept: it is an answer with no
  words, and it votes for "no word here" wherever it is aligned;
- a task with a single answer is kept: every aggregator returns that answer (normalised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Literal

import numpy as np
import pandas as pd

from ._encode import TaskRows, check_duplicates, check_frame, factorize, plain, repeated_rows

__all__ = ["TextAnswers", "encode_texts", "normalize", "tokenize"]

_COLUMNS = ("task", "worker", "text")
_NOT_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, delete punctuation and collapse white space.

    Parameters
    ----------
    text : str
        One answer or reference.

    Returns
    -------
    str
        The normalised text: words of letters and digits separated by single spaces.

    Examples
    --------
    >>> normalize("  If carried, it should be stored in AIR-TIGHT vessels. ")
    'if carried it should be stored in airtight vessels'
    """
    return _SPACES.sub(" ", _NOT_WORD.sub("", text.lower())).strip()


def tokenize(text: str) -> list[str]:
    """Split a (normalised) text into words on white space; a word is never empty."""
    return text.split()


@dataclass(frozen=True, eq=False)
class TextAnswers(TaskRows):
    """Free-text answers as integer codes.

    Attributes
    ----------
    task, worker : ndarray of int64, shape (n_answers,)
        Codes into ``tasks`` and ``workers``, in the row order of the input.
    texts : ndarray of str, shape (n_answers,)
        The normalised texts.
    tokens : ndarray of int64, shape (n_words,)
        Every answer's words, one after the other, as codes into ``vocabulary``.
    offsets : ndarray of int64, shape (n_answers + 1,)
        Answer ``i`` is ``tokens[offsets[i]:offsets[i + 1]]``.
    tasks, workers, vocabulary : pandas.Index
        The names behind the codes (the vocabulary is sorted).
    """

    task: np.ndarray
    worker: np.ndarray
    texts: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray
    tasks: pd.Index
    workers: pd.Index
    vocabulary: pd.Index

    @cached_property
    def lengths(self) -> np.ndarray:
        """Number of words in each answer."""
        return np.diff(self.offsets)

    @cached_property
    def text_ranks(self) -> np.ndarray:
        """Rank of each answer's (normalised) text among the distinct texts, in sorted order:
        the tie-break "smallest text first" that makes choices independent of row order."""
        return np.unique(self.texts, return_inverse=True)[1].reshape(-1)

    @cached_property
    def by_task(self) -> tuple[np.ndarray, np.ndarray]:
        """``(order, starts)``: answer rows grouped by task, in row order within a task.

        The answers of task ``t`` are ``order[starts[t]:starts[t + 1]]``.
        """
        order = np.argsort(self.task, kind="stable")
        starts = np.concatenate([[0], np.cumsum(self.answers_per_task)])
        return order, starts

    def words(self, i: int) -> np.ndarray:
        """The word codes of answer ``i``."""
        return self.tokens[self.offsets[i]:self.offsets[i + 1]]

    def token_arrays(self) -> list[np.ndarray]:
        """Every answer's word codes, one array per answer (views into ``tokens``)."""
        return np.split(self.tokens, self.offsets[1:-1])

    def decode(self, codes: np.ndarray) -> str:
        """Word codes back to a text (words joined by single spaces)."""
        return " ".join(self.vocabulary.take(np.asarray(codes, dtype=np.int64)))

    def to_frame(self) -> pd.DataFrame:
        """The (normalised) answers back as a long DataFrame with the user's names."""
        return pd.DataFrame(
            {
                "task": self.tasks.take(self.task),
                "worker": self.workers.take(self.worker),
                "text": self.texts,
            }
        )


def _check_texts(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=object)
    is_str = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
    if not is_str.all():
        first = int(np.flatnonzero(~is_str)[0])
        value = plain(values[first])
        raise ValueError(
            f"column 'text' must hold strings; row {plain(column.index[first])!r} holds "
            f"{value!r} ({type(value).__name__}), and {int((~is_str).sum())} row(s) in all are "
            "not str; convert them with answers['text'].astype(str) if they are texts"
        )
    return values


def encode_texts(
    answers: pd.DataFrame | TextAnswers,
    *,
    normalize: Callable[[str], str] | None = normalize,
    duplicates: Literal["raise", "keep", "first"] = "raise",
) -> TextAnswers:
    """Check a long DataFrame of texts and code it into words.

    Parameters
    ----------
    answers : DataFrame with columns ``task``, ``worker``, ``text`` (or a TextAnswers, returned
        as it is).
    normalize : callable ``str -> str`` applied to every text before splitting it on white space
        (default :func:`normalize`: lower case, no punctuation); ``None`` keeps texts as they are.
    duplicates : a worker answering the same task more than once: ``"raise"`` (default),
        ``"keep"`` every answer, or keep the ``"first"`` in row order.

    Returns
    -------
    TextAnswers

    Raises
    ------
    ValueError
        Missing columns, an empty frame, missing values, texts that are not strings, repeated
        (task, worker) pairs under ``duplicates="raise"``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"task": [1, 1], "worker": ["a", "b"], "text": ["Hello, world", ""]})
    >>> data = encode_texts(df)
    >>> data.decode(data.words(0)), data.lengths.tolist()
    ('hello world', [2, 0])
    """
    check_duplicates(duplicates)
    if isinstance(answers, TextAnswers):
        return answers
    check_frame(answers, _COLUMNS)
    raw = _check_texts(answers["text"])
    task, tasks = factorize(answers["task"], "task")
    worker, workers = factorize(answers["worker"], "worker")
    repeated = repeated_rows(task, worker, sizes=(len(tasks), len(workers)))
    if repeated.any() and duplicates == "raise":
        rows = answers.index[repeated].tolist()[:5]
        raise ValueError(
            f"{int(repeated.sum())} answer(s) repeat a (task, worker) pair, first at row(s) {rows}; "
            "pass duplicates='keep' to align every answer or 'first' to keep the first one"
        )
    if repeated.any() and duplicates == "first":
        keep = ~repeated
        task, worker, raw = task[keep], worker[keep], raw[keep]
    if normalize is None:
        texts = raw.astype(str)
    else:
        texts = np.array([normalize(t) for t in raw], dtype=object).astype(str)
    words = [t.split() for t in texts]
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    flat = [w for ws in words for w in ws]
    if flat:
        tokens, vocabulary = pd.factorize(np.array(flat, dtype=object), sort=True)
        vocabulary = pd.Index(vocabulary, name="word")
    else:
        tokens, vocabulary = np.zeros(0, dtype=np.int64), pd.Index([], dtype=object, name="word")
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return TextAnswers(
        task=task, worker=worker, texts=texts, tokens=np.asarray(tokens, dtype=np.int64),
        offsets=offsets, tasks=tasks, workers=workers, vocabulary=vocabulary,
    )
