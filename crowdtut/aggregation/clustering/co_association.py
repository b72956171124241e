"""The co-association baseline: how often two items were grouped together, clustered spectrally."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..._checks import check_choice, check_positive_int
from .._base import check_random_state
from ._base import PartitionAggregator, search_clusters, two_rate_loglik, kmeans
from ...answers.partitions import PartitionAnswers, pair_codes, encode_partitions

def co_association(
    answers: pd.DataFrame | PartitionAnswers, hits: pd.DataFrame | Mapping | None = None
) -> tuple[sp.csr_matrix, sp.csr_matrix, pd.Index]:
    """How often each pair of images was grouped together, and how often it was shown together.

    Returns
    -------
    together, shown : symmetric sparse matrices (n_items x n_items) of counts with zero diagonal;
        ``together / shown`` (where ``shown > 0``) is the co-association matrix.
    items : the item names of the rows.
    """
    data = encode_partitions(answers, hits)
    a, b, _, _, same = pair_codes(data)
    return (*_co_counts(a, b, same, data.n_items), data.items)


def _co_counts(a, b, same, n):
    rows, cols = np.r_[a, b], np.r_[b, a]
    shown = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    together = sp.csr_matrix((np.r_[same, same].astype(np.float64), (rows, cols)), shape=(n, n))
    shown.sum_duplicates()
    together.sum_duplicates()
    return together, shown



# --- co-association baseline -----------------------------------------------------------------
class CoAssociationClustering(PartitionAggregator):
    """Spectral clustering of the co-association matrix of the HITs.

    The affinity of images ``a`` and ``b`` is the share of the answers showing both that put
    them in one group (0 when they never met): the co-association matrix of evidence
    accumulation. With the normalised affinity ``D^{-1/2} A D^{-1/2}`` and its leading
    eigenvectors, the rows of the top ``k`` eigenvectors, scaled to unit length, are clustered by
    k-means (Ng, Jordan and Weiss). The number of clusters ``k`` is the one whose partition best
    explains the pairwise labels (``select="labels"``: two rates of "same group", inside and
    across clusters) or the one after the largest eigengap ``l_k - l_{k+1}``
    (``select="eigengap"``), unless ``n_clusters`` fixes it.

    Parameters
    ----------
    n_clusters : fixed number of clusters, or ``None`` to choose it.
    select : ``"labels"`` or ``"eigengap"``.
    max_clusters : largest number of clusters considered.
    random_state : seed of the k-means starts.

    Attributes
    ----------
    labels_ : Series item -> cluster (0 is the largest cluster).
    n_clusters_ : number of clusters found.
    eigenvalues_ : ndarray, the top ``max_clusters + 1`` eigenvalues of the normalised affinity.
    spectral_embedding_ : DataFrame (items x n_clusters_), the row-normalised eigenvectors used.
    coassociation_ : sparse matrix (items x items), the affinity.
    selection_ : DataFrame indexed by the number of clusters: ``eigengap`` and ``label_loglik``.

    References
    ----------
    A. Fred and A. K. Jain, "Combining multiple clusterings using evidence accumulation", IEEE
    TPAMI 27(6), 2005. https://doi.org/10.1109/TPAMI.2005.113
    A. Y. Ng, M. I. Jordan and Y. Weiss, "On spectral clustering: analysis and an algorithm",
    NIPS 2001.
    """

    def __init__(
        self, n_clusters: int | None = None, select: str = "labels", max_clusters: int = 20, random_state=0
    ):
        self.n_clusters = n_clusters
        self.select = select
        self.max_clusters = max_clusters
        self.random_state = random_state

    def _validate_params(self) -> None:
        if self.n_clusters is not None:
            check_positive_int("n_clusters", self.n_clusters)
        check_choice("select", self.select, ("labels", "eigengap"))
        check_positive_int("max_clusters", self.max_clusters)
        check_random_state(self.random_state)

    def fit(self, answers: pd.DataFrame | PartitionAnswers, hits: pd.DataFrame | Mapping | None = None):
        """Fit on partition answers (columns ``hit``, ``worker``, ``item``, ``group``)."""
        self._validate_params()
        data = encode_partitions(answers, hits)
        n = data.n_items
        a, b, _, _, same = pair_codes(data)
        together, shown = _co_counts(a, b, same, n)
        if len(a) and (same.all() or not same.any()):  # a unanimous crowd fixes the partition
            return self._unanimous(data, a, b, same, together)
        affinity = together.copy()
        affinity.data = affinity.data / shown.data
        affinity.eliminate_zeros()
        self.coassociation_ = affinity
        degree = np.asarray(affinity.sum(axis=1)).ravel()
        inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1e-300)), 0.0)
        norm = sp.diags(inv_sqrt) @ affinity @ sp.diags(inv_sqrt)
        k_max = max(1, min(self.max_clusters, n))
        n_eig = min(k_max + 1, n)
        if n < 50 or n_eig >= n - 1:  # small problems: dense eigendecomposition
            values, vectors = np.linalg.eigh(norm.toarray())
            values, vectors = values[::-1][:n_eig], vectors[:, ::-1][:, :n_eig]
        else:
            from scipy.sparse.linalg import eigsh

            v0 = np.full(n, 1.0 / np.sqrt(n))
            values, vectors = eigsh(norm, k=n_eig, which="LA", v0=v0)
            order = np.argsort(-values)
            values, vectors = values[order], vectors[:, order]
        self.eigenvalues_ = values
        gaps = np.r_[values[:-1] - values[1:], 0.0]  # gaps[k - 1] = l_k - l_{k+1}
        # deterministic signs, so that renaming workers or reordering rows changes nothing
        peak = vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])]
        vectors = vectors * np.where(peak < 0, -1.0, 1.0)
        embeddings = {}

        def fit_k(k):
            emb = vectors[:, :k]
            emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
            embeddings[k] = emb
            if k == 1:
                return np.zeros(n, dtype=np.int64), {"eigengap": 0.0}
            return kmeans(np.round(emb, 10), k, self.random_state), {"eigengap": float(gaps[k - 1])}

        if self.n_clusters is not None:
            ks, patience = [min(self.n_clusters, n_eig)], 1
        elif self.select == "eigengap":
            ks, patience = range(2, min(k_max, n_eig - 1) + 1), n
            ks = ks if len(ks) else [1]
        else:
            ks, patience = range(1, min(k_max, n_eig) + 1), 4
        key = "label_loglik" if self.select == "labels" else "eigengap"
        codes, k, self.selection_ = search_clusters(
            fit_k, ks, a, b, same, lambda row: row[key], patience
        )
        dims = pd.Index([f"u{c}" for c in range(k)], name="dim")
        self.spectral_embedding_ = pd.DataFrame(embeddings[k], index=data.items.copy(), columns=dims)
        self._set_labels(data, codes)
        return self

    def _unanimous(self, data, a, b, same, together):
        """Every pair labelled "same" (one cluster) or every pair "different" (one per item)."""
        n = data.n_items
        codes = np.zeros(n, dtype=np.int64) if same.all() else np.arange(n)
        k = int(codes.max()) + 1
        self.coassociation_ = together
        self.eigenvalues_ = np.zeros(0)
        self.selection_ = pd.DataFrame(
            {"eigengap": [0.0], "label_loglik": [two_rate_loglik(codes, a, b, same)]},
            index=pd.Index([k], name="n_clusters"),
        )
        dims = pd.Index([f"u{c}" for c in range(k)], name="dim")
        self.spectral_embedding_ = pd.DataFrame(np.eye(n, k), index=data.items.copy(), columns=dims)
        self._set_labels(data, codes)
        return self

