"""Text embeddings computed locally, and the row-wise algebra the embedding aggregators share."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["char_ngram_embed", "as_embeddings", "TaskGram"]


def char_ngram_embed(texts: Sequence[str]):
    """TF-IDF of character trigrams inside word boundaries, rows of unit length (sparse).

    Fitted on the texts it embeds, so it needs no download and no pretrained model; any callable
    ``list[str] -> (n, d) array or sparse matrix`` (e.g. a sentence encoder) can replace it.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), sublinear_tf=True)
    if not any(texts):
        return sp.csr_matrix((len(texts), 1))
    return vectorizer.fit_transform(list(texts)).tocsr()


def as_embeddings(embed: Callable | None, texts: Sequence[str]):
    """Run ``embed`` (default :func:`char_ngram_embed`) and check its shape and values."""
    embed = char_ngram_embed if embed is None else embed
    X = embed(list(texts))
    X = X.tocsr().astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != len(texts):
        raise ValueError(
            f"embed must return one row per answer, shape ({len(texts)}, d); got {X.shape}"
        )
    values = X.data if sp.issparse(X) else X
    if not np.isfinite(values).all():
        raise ValueError("embed returned NaN or infinite values")
    return X


def rowdot(A, B) -> np.ndarray:
    """Dot product of matching rows of two (n, d) arrays or sparse matrices."""
    if sp.issparse(A):
        return np.asarray(A.multiply(B).sum(axis=1)).ravel()
    if sp.issparse(B):
        return np.asarray(B.multiply(A).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", A, B)


class TaskGram:
    """Dot products between every two answers of the same task (itself included).

    A task's embedding is a weighted mean of its answers' embeddings, so every distance and
    cosine the embedding aggregators need is a weighted sum of these entries: the embeddings
    themselves (possibly wide sparse TF-IDF rows) are touched once.
    """

    def __init__(self, X, task: np.ndarray, n_tasks: int) -> None:
        order = np.argsort(task, kind="stable")
        n_ans = np.bincount(task, minlength=n_tasks)
        starts = np.concatenate([[0], np.cumsum(n_ans)])
        size = n_ans[task[order]]  # size of each sorted answer's task
        pos = np.arange(len(order)) - starts[task[order]]  # position inside its task
        sorted_X = X[order]
        firsts, seconds, values = [], [], []
        for shift in range(int(n_ans.max(initial=0))):  # partner = the answer `shift` places on
            keep = shift < size
            rows = np.flatnonzero(keep)
            partner = rows - pos[rows] + (pos[rows] + shift) % size[rows]
            g = rowdot(sorted_X[rows], sorted_X[partner])
            firsts.append(order[rows])
            seconds.append(order[partner])
            values.append(g)
        self.i, self.j = np.concatenate(firsts), np.concatenate(seconds)
        self.g = np.concatenate(values)
        self.task, self.n_tasks, self.n = task, n_tasks, len(task)
        self.sq = rowdot(X, X)

    def weights(self, w: np.ndarray) -> np.ndarray:
        """Per-answer weights normalised to sum to one within each task."""
        totals = np.bincount(self.task, weights=w, minlength=self.n_tasks)
        return w / totals[self.task]

    def dots(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(x_i . e_t(i), |e_t|^2)`` for the task embeddings ``e_t = sum_i a_i x_i``."""
        xe = np.bincount(self.i, weights=a[self.j] * self.g, minlength=self.n)
        ee = np.bincount(self.task[self.i], weights=a[self.i] * a[self.j] * self.g, minlength=self.n_tasks)
        return xe, ee

    def sq_distances(self, a: np.ndarray) -> np.ndarray:
        """Squared distance of each answer's embedding to its task's embedding."""
        xe, ee = self.dots(a)
        return np.maximum(self.sq - 2 * xe + ee[self.task], 0.0)

    def cosines(self, a: np.ndarray) -> np.ndarray:
        """Cosine of each answer to its task's embedding; -inf when either is zero."""
        xe, ee = self.dots(a)
        norms = np.sqrt(np.maximum(self.sq * ee[self.task], 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(norms > 0, xe / np.where(norms > 0, norms, 1.0), -np.inf)

    def sq_norm(self, a: np.ndarray) -> float:
        """``sum_t |sum_i a_i x_i|^2`` over all tasks."""
        return float(np.sum(a[self.i] * a[self.j] * self.g))
