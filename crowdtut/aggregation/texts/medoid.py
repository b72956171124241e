"""Choosing one of the answers: the word-level medoid and the answer closest to the average."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...answers.texts import TextAnswers
from ...metrics.texts import edit_distances
from ._base import TextAggregator, best_per_task
from ._embed import TaskGram, as_embeddings

__all__ = ["TextMedoid", "ClosestToAverage", "pairwise_word_distances", "total_word_distances"]


def pairwise_word_distances(data: TextAnswers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word edit distance between every two answers of the same task.

    Returns ``(first, second, distance)``: answer rows and their distance, one entry per pair.
    """
    order, starts = data.by_task
    n_ans = data.answers_per_task
    firsts, seconds = [], []
    for n in np.unique(n_ans[n_ans > 1]):  # one block per number of answers, not per task
        tasks = np.flatnonzero(n_ans == n)
        iu, ju = np.triu_indices(int(n), k=1)
        firsts.append(order[starts[tasks][:, None] + iu[None, :]].ravel())
        seconds.append(order[starts[tasks][:, None] + ju[None, :]].ravel())
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    seqs = data.token_arrays()
    dist = edit_distances([seqs[i] for i in first], [seqs[j] for j in second])
    return first, second, dist


def total_word_distances(data: TextAnswers) -> np.ndarray:
    """Each answer's summed word edit distance to the other answers of its task (int64)."""
    first, second, dist = pairwise_word_distances(data)
    total = np.bincount(first, weights=dist, minlength=data.n_answers)
    total += np.bincount(second, weights=dist, minlength=data.n_answers)
    return total.astype(np.int64)


class TextMedoid(TextAggregator):
    """The answer with the smallest total word edit distance to the task's other answers.

    Ties go to the smallest of the tied texts, whatever the row order; a task with one answer
    returns it.

    Attributes
    ----------
    texts_ : Series of str indexed by task
        The chosen (normalised) answers.
    total_distances_ : ndarray of int64, shape (n_answers,)
        Each answer's summed word edit distance to the other answers of its task (row order).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "task": ["u1"] * 3,
    ...     "worker": ["w1", "w2", "w3"],
    ...     "text": ["the cat sat", "the cat sat down", "a dog sat"],
    ... })
    >>> TextMedoid().fit_predict(answers)["u1"]
    'the cat sat'
    """

    def __init__(self) -> None:
        pass

    def _fit(self, data: TextAnswers) -> np.ndarray:
        self.total_distances_ = total_word_distances(data)
        return data.texts[best_per_task(data, -self.total_distances_)]


class ClosestToAverage(TextAggregator):
    """The answer whose embedding has the highest cosine similarity to the task's mean embedding.

    Parameters
    ----------
    embed : callable or None
        ``list[str] -> (n_answers, d)`` array or sparse matrix, called once on the normalised
        answers. ``None`` (default) uses TF-IDF of character trigrams fitted on the
        answers (scikit-learn), computed locally; pass a sentence encoder to follow crowd-kit.

    Attributes
    ----------
    texts_ : Series of str indexed by task
    scores_ : ndarray of float, shape (n_answers,)
        Cosine similarity of each answer to its task's mean (``-inf`` for an all-zero embedding,
        e.g. an empty answer).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "task": ["u1"] * 3,
    ...     "worker": ["w1", "w2", "w3"],
    ...     "text": ["the cat sat", "a dog ran", "the cat sat down"],
    ... })
    >>> ClosestToAverage().fit_predict(answers)["u1"]
    'the cat sat down'
    """

    def __init__(self, embed: Callable | None = None) -> None:
        self.embed = embed

    def _validate_params(self) -> None:
        if self.embed is not None and not callable(self.embed):
            raise ValueError(f"embed={self.embed!r}; expected None or a callable list[str] -> array")

    def _fit(self, data: TextAnswers) -> np.ndarray:
        X = as_embeddings(self.embed, data.texts)
        gram = TaskGram(X, data.task, data.n_tasks)
        self.scores_ = gram.cosines(gram.weights(np.ones(data.n_answers)))
        return data.texts[best_per_task(data, self.scores_)]
