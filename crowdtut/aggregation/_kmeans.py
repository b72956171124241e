"""A small k-means (Lloyd with k-means++ seeding) in numpy, independent of the row order."""

from __future__ import annotations

import numpy as np

__all__ = ["kmeans"]


def kmeans(x: np.ndarray, n_clusters: int, random_state=None, n_init: int = 10, n_iter: int = 100) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding; returns the cluster of each row (best of ``n_init``).

    Rows are put in a canonical (lexicographic) order first, so that the result does not depend
    on the order in which workers were given.
    """
    order = np.lexsort(x.T[::-1])
    labels = np.empty(x.shape[0], dtype=np.int64)
    labels[order] = _kmeans_sorted(x[order], n_clusters, random_state, n_init, n_iter)
    return labels


def _kmeans_sorted(x, n_clusters, random_state, n_init, n_iter):
    rng = np.random.default_rng(random_state)
    n = x.shape[0]
    best_labels, best_inertia = np.zeros(n, dtype=np.int64), np.inf
    sq_norm = (x**2).sum(axis=1)
    for _ in range(n_init):
        centers = [x[rng.integers(n)]]
        for _ in range(1, n_clusters):
            d2 = ((x[:, None, :] - np.asarray(centers)[None]) ** 2).sum(-1).min(axis=1)
            total = d2.sum()
            pick = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
            centers.append(x[pick])
        centers = np.asarray(centers)
        labels = np.full(n, -1)
        for _ in range(n_iter):
            dist = sq_norm[:, None] - 2 * x @ centers.T + (centers**2).sum(axis=1)[None]
            new_labels = dist.argmin(axis=1)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            sums = np.zeros_like(centers)
            np.add.at(sums, labels, x)
            sizes = np.bincount(labels, minlength=n_clusters)
            centers = np.where(sizes[:, None] > 0, sums / np.maximum(sizes, 1)[:, None], centers)
        inertia = dist[np.arange(n), labels].sum()
        if inertia < best_inertia:
            best_labels, best_inertia = labels, inertia
    return best_labels
