"""What the clustering aggregators share: the base class, the mixture on embeddings, choosing K."""

from __future__ import annotations


import numpy as np
import pandas as pd

from .._base import Estimator
from .._kmeans import kmeans
from ...answers.partitions import PartitionAnswers

# --- shared estimator plumbing ---------------------------------------------------------------
class _PartitionAggregator(Estimator):
    """``fit(answers, hits=None) -> self``; ``fit_predict`` returns ``labels_``."""

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


def _check_positive(name: str, value) -> None:
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not number or not value > 0:
        raise ValueError(f"{name}={value!r}; expected a positive number")


# --- Gaussian mixture with BIC ---------------------------------------------------------------
def _gmm_em(x, resp, n_iter, tol, reg):
    """EM for a full-covariance Gaussian mixture from initial responsibilities."""
    n, d = x.shape
    loglik_prev = -np.inf
    for _ in range(n_iter):
        nk = resp.sum(axis=0) + 1e-10
        weights = nk / n
        means = resp.T @ x / nk[:, None]
        diff = x[None, :, :] - means[:, None, :]  # (k, n, d)
        cov = (resp.T[:, :, None] * diff).transpose(0, 2, 1) @ diff / nk[:, None, None]
        cov += reg * np.eye(d)
        chol = np.linalg.cholesky(cov)
        sol = diff @ np.linalg.inv(chol).transpose(0, 2, 1)  # whitened residuals (k, n, d)
        logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        logp = -0.5 * ((sol**2).sum(-1) + logdet[:, None] + d * np.log(2 * np.pi)) + np.log(weights)[:, None]
        shift = logp.max(axis=0)
        total = np.exp(logp - shift).sum(axis=0)
        loglik = float((np.log(total) + shift).sum())
        resp = (np.exp(logp - shift) / total).T
        if abs(loglik - loglik_prev) <= tol * abs(loglik):
            break
        loglik_prev = loglik
    return resp, loglik


def _gaussian_mixture(z: np.ndarray, k: int, n_init: int, rng: np.random.Generator, n_iter: int = 200):
    """EM for a k-component full-covariance mixture, started from the best of ``n_init``
    k-means runs; returns the most probable component of each row and the log-likelihood."""
    n = len(z)
    if k == 1:
        resp, loglik = _gmm_em(z, np.ones((n, 1)), n_iter, 1e-5, 1e-4)
        return np.zeros(n, dtype=np.int64), loglik
    init = kmeans(z, k, rng.integers(1 << 31), n_init=n_init)
    resp, loglik = _gmm_em(z, np.eye(k)[init], n_iter, 1e-5, 1e-4)
    return resp.argmax(axis=1), loglik


def _two_rate_loglik(codes: np.ndarray, a: np.ndarray, b: np.ndarray, same: np.ndarray) -> float:
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


def _search_clusters(fit_k, ks, a, b, same, score, patience: int):
    """Fit a partition for k = ks[0], ks[1], ... and keep the one of highest ``score(row)``,
    where ``row`` holds what ``fit_k`` reported plus ``label_loglik``. Stops once the score has
    not improved for ``patience`` values of k in a row. Returns (codes, k, table)."""
    rows, best, best_k, best_score, since = [], None, None, -np.inf, 0
    for k in ks:
        codes, info = fit_k(k)
        info = {"n_clusters": k, **info, "label_loglik": _two_rate_loglik(codes, a, b, same)}
        rows.append(info)
        if score(info) > best_score:
            best, best_k, best_score, since = codes, k, score(info), 0
        else:
            since += 1
            if since >= patience:
                break
    return best, best_k, pd.DataFrame(rows).set_index("n_clusters")



