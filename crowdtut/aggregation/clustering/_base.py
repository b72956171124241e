"""What the clustering aggregators share: the base class, the mixture on embeddings, choosing K."""

from __future__ import annotations


import numpy as np
import pandas as pd

from .._base import Estimator
from ...answers.partitions import PartitionAnswers

# --- shared estimator plumbing ---------------------------------------------------------------
class PartitionAggregator(Estimator):
    """Base class of the clustering family: ``fit(answers, hits=None) -> self``;
    ``fit_predict`` returns ``labels_`` (Series item -> cluster, 0 the largest cluster)."""

    def fit(self, answers, hits=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit_predict(self, answers: pd.DataFrame | PartitionAnswers, hits=None) -> pd.Series:
        """Fit and return the cluster of every image (Series indexed by item)."""
        return self.fit(answers, hits).labels_

    def _set_labels(self, data: PartitionAnswers, codes: np.ndarray) -> None:
        codes = _relabel_by_size(codes)
        self.labels_ = pd.Series(codes, index=data.items.copy(), name="cluster")
        self.n_clusters_ = int(codes.max()) + 1 if len(codes) else 0


def _relabel_by_size(codes: np.ndarray) -> np.ndarray:
    """Cluster 0 is the largest; ties by first appearance. Names carry no other meaning."""
    _, first, inverse, counts = np.unique(
        codes, return_index=True, return_inverse=True, return_counts=True
    )
    rank = np.lexsort((first, -counts))
    new = np.empty(len(rank), dtype=np.int64)
    new[rank] = np.arange(len(rank))
    return new[inverse.ravel()]


# --- k-means and Gaussian mixtures (scikit-learn), independent of the row order ---------------
def _seed(random_state) -> int:
    """An integer seed for scikit-learn from None, an int or a numpy Generator."""
    return int(np.random.default_rng(random_state).integers(2**31 - 1))


def _canonical_order(x: np.ndarray) -> np.ndarray:
    """Rows in lexicographic order, so that a seeded fit does not depend on how rows were given."""
    return np.lexsort(np.round(x, 10).T[::-1])


def kmeans(x: np.ndarray, n_clusters: int, random_state=None, n_init: int = 10) -> np.ndarray:
    """scikit-learn's KMeans (k-means++, best of ``n_init``) on rows in a canonical order;
    returns the cluster of each row. One thread: the problems are small, and several threads
    on a loaded machine are tens of times slower."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    order = _canonical_order(x)
    model = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=_seed(random_state))
    labels = np.empty(len(x), dtype=np.int64)
    with threadpool_limits(limits=1):
        labels[order] = model.fit_predict(x[order])
    return labels


def gaussian_mixture(z: np.ndarray, k: int, n_init: int, rng: np.random.Generator, n_iter: int = 1000):
    """scikit-learn's full-covariance GaussianMixture with ``k`` components, started from the
    best of ``n_init`` k-means runs (:func:`kmeans`); returns the most probable component of
    each row and the log-likelihood of the rows. ``n_iter`` is scikit-learn's ``max_iter``: 200
    left a 6-component mixture on a 473-image crowd unconverged (a ConvergenceWarning)."""
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    n, d = z.shape
    reg = 1e-4
    start = np.zeros(n, dtype=np.int64) if k == 1 else kmeans(z, k, rng, n_init=n_init)
    resp = np.eye(k)[start]
    counts = resp.sum(axis=0)
    means = resp.T @ z / counts[:, None]
    diff = z[None, :, :] - means[:, None, :]
    cov = np.einsum("nk,kni,knj->kij", resp, diff, diff) / counts[:, None, None] + reg * np.eye(d)
    model = GaussianMixture(
        n_components=k, covariance_type="full", reg_covar=reg, tol=1e-5, max_iter=n_iter,
        weights_init=counts / n, means_init=means, precisions_init=np.linalg.inv(cov),
        init_params="random_from_data", random_state=_seed(rng),
    )
    with threadpool_limits(limits=1):
        codes = model.fit_predict(z)
        loglik = float(model.score(z) * n)
    return codes, loglik


def two_rate_loglik(codes: np.ndarray, a: np.ndarray, b: np.ndarray, same: np.ndarray) -> float:
    """Log-likelihood of the pairwise labels when a pair is labelled "same" with one rate inside
    a cluster and another across clusters, both rates at their maximum-likelihood values."""
    inside = codes[a] == codes[b]
    total = 0.0
    for mask in (inside, ~inside):
        count, hits = int(mask.sum()), int(same[mask].sum())
        for c in (hits, count - hits):
            if c > 0:
                total += c * np.log(c / count)
    return float(total)


def search_clusters(fit_k, ks, a, b, same, score, patience: int):
    """Fit a partition for k = ks[0], ks[1], ... and keep the one of highest ``score(row)``,
    where ``row`` holds what ``fit_k`` reported plus ``label_loglik``. Stops once the score has
    not improved for ``patience`` values of k in a row. Returns (codes, k, table)."""
    rows, best, best_k, best_score, since = [], None, None, -np.inf, 0
    for k in ks:
        codes, info = fit_k(k)
        info = {"n_clusters": k, **info, "label_loglik": two_rate_loglik(codes, a, b, same)}
        rows.append(info)
        if score(info) > best_score:
            best, best_k, best_score, since = codes, k, score(info), 0
        else:
            since += 1
            if since >= patience:
                break
    return best, best_k, pd.DataFrame(rows).set_index("n_clusters")



