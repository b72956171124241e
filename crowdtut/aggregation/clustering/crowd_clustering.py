"""Gomes, Welinder, Krause & Perona (NIPS 2011) crowdclustering, fitted by variational Bayes."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..._checks import check_choice, check_non_negative, check_positive, check_positive_int
from .._base import check_random_state
from ._base import (
    PartitionAggregator, gaussian_mixture, search_clusters, two_rate_loglik,
)
from ...answers.partitions import PartitionAnswers, pair_codes, encode_partitions

# --- Gomes et al. crowdclustering ------------------------------------------------------------
def _duplication(d: int) -> np.ndarray:
    """Duplication matrix (d*d, d(d+1)/2): vec(W) = dup @ vech(W) for symmetric W (row-major)."""
    iu = np.triu_indices(d)
    p = len(iu[0])
    idx = np.empty((d, d), dtype=np.int64)
    idx[iu] = np.arange(p)
    idx[iu[1], iu[0]] = np.arange(p)
    dup = np.zeros((d * d, p))
    dup[np.arange(d * d), idx.ravel()] = 1.0
    return dup


def _lam(delta: np.ndarray) -> np.ndarray:
    """Jaakkola-Jordan ``tanh(delta / 2) / (4 delta)``, 1/8 at 0."""
    out = np.full_like(delta, 0.125)
    big = np.abs(delta) > 1e-6
    out[big] = np.tanh(delta[big] / 2) / (4 * delta[big])
    return out


def _grouped_matvec(vectors: np.ndarray, groups: np.ndarray, mats: np.ndarray) -> np.ndarray:
    """``out[k] = mats[groups[k]] @ vectors[k]`` as one sparse product (no per-row gather of
    the matrices): row ``k`` of a sparse (n x n_groups * dim) matrix holds ``vectors[k]`` in
    the columns of its group."""
    n, dim = vectors.shape
    g, rows, _ = mats.shape
    cols = (groups[:, None] * dim + np.arange(dim)).ravel()
    x = sp.csr_matrix((vectors.ravel(), cols, np.arange(0, n * dim + 1, dim)), shape=(n, g * dim))
    return x @ mats.transpose(0, 2, 1).reshape(g * dim, rows)


def _grouped_outer(left: np.ndarray, right: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """``out[j] = sum over k in group j of outer(left[k], right[k])``, shape (n_groups, dl, dr)."""
    n, dim = left.shape
    cols = (groups[:, None] * dim + np.arange(dim)).ravel()
    x = sp.csr_matrix((left.ravel(), cols, np.arange(0, n * dim + 1, dim)), shape=(n, n_groups * dim))
    return np.asarray(x.T @ right).reshape(n_groups, dim, right.shape[1])


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _aggregator(keys: np.ndarray, n_keys: int) -> sp.csr_matrix:
    """Sparse (n_keys x len(keys)) 0/1 matrix that sums rows by key."""
    return sp.csr_matrix((np.ones(len(keys)), (keys, np.arange(len(keys)))), shape=(n_keys, len(keys)))


class _Labels:
    """Pairwise labels and the sparse group-by matrices the updates use (built once)."""

    def __init__(self, a, b, j, y, n_items, n_workers):
        self.a, self.b, self.j, self.y = a, b, j, y
        self.n_items, self.n_workers = n_items, n_workers
        t = len(a)
        # (worker, a) keys: the worker update and the delta update
        wa, self.wa_of = np.unique(j * n_items + a, return_inverse=True)
        self.wa_worker, self.wa_item = wa // n_items, wa % n_items
        self.sum_wa = _aggregator(self.wa_of, len(wa))
        self.sum_wa_to_worker = _aggregator(self.wa_worker, n_workers)
        # (item, worker) keys over both endpoints: the item update
        ends_i, ends_o = np.r_[a, b], np.r_[b, a]
        iw, iw_of = np.unique(ends_i * n_workers + np.r_[j, j], return_inverse=True)
        self.ends_o = ends_o
        self.iw_item, self.iw_worker = iw // n_workers, iw % n_workers
        self.sum_iw = _aggregator(iw_of, len(iw))
        self.sum_iw_to_item = _aggregator(self.iw_item, n_items)
        self.y_half = np.r_[y, y] / 2
        self.t = t


def _spectral_init(lab: _Labels, d: int, rng: np.random.Generator) -> np.ndarray:
    """Embeddings from the top ``d`` eigenvectors of the centred mean-label matrix.

    ``M_ab`` is the mean of the +-1 labels of pair (a, b) minus the overall mean, 0 for pairs
    never shown together; its leading eigenvectors, scaled so that ``|x_i|^2`` is about 2 on
    average, are a low-rank start for ``x_a^T W x_b`` with ``W = I``.
    """
    from scipy.sparse.linalg import eigsh

    n = lab.n_items
    rows, cols = np.r_[lab.a, lab.b], np.r_[lab.b, lab.a]
    y = np.r_[lab.y, lab.y]
    total = sp.csr_matrix((y, (rows, cols)), shape=(n, n))
    count = sp.csr_matrix((np.ones(len(y)), (rows, cols)), shape=(n, n))
    total.sum_duplicates()
    count.sum_duplicates()
    centred = total.copy()
    centred.data = total.data / count.data - y.mean()
    k = min(d, n - 2)
    if k < 1 or n < 3 * d or not np.any(np.abs(centred.data) > 1e-12):
        # too small, or a unanimous crowd (every label the same: the centred matrix is 0 and
        # has no leading eigenvectors; ARPACK fails on it): start at random
        return rng.normal(size=(n, d))
    v0 = rng.normal(size=n)
    _, vectors = eigsh(centred, k=k, which="LA", v0=v0)
    x = np.zeros((n, d))
    x[:, :k] = vectors[:, ::-1] * np.sqrt(2.0 * n / d)
    x[:, k:] = 0.1 * rng.normal(size=(n, d - k))
    return x


class CrowdClustering(PartitionAggregator):
    """Bayesian crowdclustering (Gomes et al., NIPS 2011) by variational Bayes, then a Gaussian
    mixture on the image embeddings with the number of clusters chosen from the data.

    Each image ``i`` has an embedding ``x_i`` in ``R^D``; each worker ``j`` a symmetric matrix
    ``W_j`` and a bias ``tau_j``; the probability that worker ``j`` puts images ``a`` and ``b``
    in one group is ``sigmoid(x_a^T W_j x_b + tau_j)``. With Gaussian priors on ``x``, the
    entries of ``W_j`` and ``tau_j``, the posterior is approximated by independent Gaussians
    ``q(x_i)`` and ``q(W_j, tau_j)`` (full covariance within each block) and the logistic
    likelihood by the Jaakkola-Jordan bound. The free energy is maximised by coordinate ascent:
    a parallel update of all image blocks (damped when it would lower the free energy), exact
    updates of all worker blocks (they do not interact), a scale step (``x -> c x``,
    ``W -> W / c^2``) and the optimal bound parameters. Every update is computed for all labels
    at once with sparse group-by products, so an iteration costs ``O(labels D^2 + keys D^4)``.

    The embeddings are then clustered by full-covariance Gaussian mixtures with 1, 2, ...
    components; ``select="labels"`` keeps the mixture whose partition best explains the pairwise
    labels (two rates of "same group": inside and across clusters), ``select="bic"`` the one
    with the lowest BIC on the embeddings.

    Parameters
    ----------
    n_dims : dimension ``D`` of the image embeddings.
    n_iter : maximum number of variational iterations.
    tol : stop when the free energy changes by less than ``tol`` relative to its value.
    prior_x, prior_w, prior_tau : prior variances of the embedding coordinates, of the entries
        of ``W_j`` and of ``tau_j`` (the seed pipeline uses 5, 10 and 1).
    init : ``"spectral"`` (embeddings start at the leading eigenvectors of the centred mean
        pairwise-label matrix) or ``"random"`` (standard normal, as in the seed pipeline).
    n_clusters : fixed number of mixture components, or ``None`` to choose it.
    select : ``"labels"`` or ``"bic"``, how the number of components is chosen.
    max_clusters : largest number of components tried (the search also stops once the
        criterion has not improved for 4 sizes in a row).
    random_state : seed of the initialisation and of the mixtures' k-means starts.

    Attributes
    ----------
    labels_ : Series item -> cluster (0 is the largest cluster).
    n_clusters_ : number of clusters found.
    embedding_ : DataFrame (items x D), posterior means of ``x_i``.
    embedding_cov_ : ndarray (n_items, D, D), posterior covariances.
    worker_matrices_ : ndarray (n_workers, D, D), posterior means of ``W_j``.
    worker_bias_ : Series worker -> posterior mean of ``tau_j``.
    loss_history_ : list, minus the free energy (the evidence lower bound on the log evidence
        of the pairwise labels) per pairwise label, after each iteration; it never increases.
    selection_ : DataFrame indexed by the number of components: ``gmm_loglik``, ``bic`` and
        ``label_loglik`` of each mixture tried.
    n_iter_, converged_ : iterations run, and whether ``tol`` stopped them.
    n_labels_ : pairwise labels used.

    When every pairwise label is "same group" (a unanimous crowd), the result is one cluster;
    when every label is "different group", one cluster per image.

    References
    ----------
    R. Gomes, P. Welinder, A. Krause and P. Perona, "Crowdclustering", NIPS 2011.
    T. Jaakkola and M. Jordan, "Bayesian parameter estimation via variational methods",
    Statistics and Computing 10, 2000. https://doi.org/10.1023/A:1008932416310
    """

    def __init__(
        self,
        n_dims: int = 4,
        n_iter: int = 50,
        tol: float = 1e-4,
        prior_x: float = 5.0,
        prior_w: float = 10.0,
        prior_tau: float = 1.0,
        init: str = "spectral",
        n_clusters: int | None = None,
        select: str = "labels",
        max_clusters: int = 20,
        random_state=0,
    ):
        self.n_dims = n_dims
        self.n_iter = n_iter
        self.tol = tol
        self.prior_x = prior_x
        self.prior_w = prior_w
        self.prior_tau = prior_tau
        self.init = init
        self.n_clusters = n_clusters
        self.select = select
        self.max_clusters = max_clusters
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int("n_dims", self.n_dims)
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        for name in ("prior_x", "prior_w", "prior_tau"):
            check_positive(name, getattr(self, name))
        check_choice("init", self.init, ("spectral", "random"))
        if self.n_clusters is not None:
            check_positive_int("n_clusters", self.n_clusters)
        check_choice("select", self.select, ("labels", "bic"))
        check_positive_int("max_clusters", self.max_clusters)
        check_random_state(self.random_state)

    def fit(self, answers: pd.DataFrame | PartitionAnswers, hits: pd.DataFrame | Mapping | None = None):
        """Fit on partition answers (columns ``hit``, ``worker``, ``item``, ``group``).

        ``hits`` (optional: DataFrame ``hit``, ``item`` or mapping hit -> images) lets the
        answers be checked against the images each HIT showed.
        """
        self._validate_params()
        data = encode_partitions(answers, hits)
        a, b, j, _, same = pair_codes(data)
        if len(a) == 0:
            raise ValueError("no answer groups two or more images: there is no pairwise label")
        labels = _Labels(a, b, j, np.where(same, 1.0, -1.0), data.n_items, data.n_workers)
        rng = np.random.default_rng(self.random_state)
        m, sx, mu, v, _, history, done = self._variational(labels, rng)
        self.n_iter_ = len(history)
        self.converged_ = done
        self.loss_history_ = [-f / labels.t for f in history]
        self.n_labels_ = labels.t
        d = self.n_dims
        dims = pd.Index([f"x{k}" for k in range(d)], name="dim")
        self.embedding_ = pd.DataFrame(m, index=data.items.copy(), columns=dims)
        self.embedding_cov_ = sx
        p = d * (d + 1) // 2
        self.worker_matrices_ = (mu[:, :p] @ _duplication(d).T).reshape(-1, d, d)
        self.worker_bias_ = pd.Series(mu[:, p], index=data.workers.copy(), name="tau")
        # mixtures on the standardised embeddings
        z = (m - m.mean(axis=0)) / (m.std(axis=0).mean() or 1.0)
        n = len(z)

        def fit_k(k):
            codes, loglik = gaussian_mixture(z, k, 10, rng)
            n_params = (k - 1) + k * d + k * d * (d + 1) / 2
            return codes, {"gmm_loglik": loglik, "bic": -2 * loglik + n_params * np.log(n)}

        if same.all() or not same.any():  # a unanimous crowd: the labels fix the partition
            codes = np.zeros(n, dtype=np.int64) if same.all() else np.arange(n)
            self.selection_ = pd.DataFrame(
                {"label_loglik": [two_rate_loglik(codes, a, b, same)]},
                index=pd.Index([int(codes.max()) + 1], name="n_clusters"),
            )
            self._set_labels(data, codes)
            return self
        if self.n_clusters is not None:
            ks = [min(self.n_clusters, n)]
        else:
            ks = range(1, min(self.max_clusters, n) + 1)
        score = (lambda row: row["label_loglik"]) if self.select == "labels" else (lambda row: -row["bic"])
        codes, _, self.selection_ = search_clusters(fit_k, ks, a, b, same, score, patience=4)
        self._set_labels(data, codes)
        return self

    # -- variational Bayes ------------------------------------------------------------------
    def _variational(self, lab: _Labels, rng: np.random.Generator):
        d = self.n_dims
        n, nw = lab.n_items, lab.n_workers
        dup = _duplication(d)
        p = dup.shape[1]
        prior_v = np.r_[np.full(p, self.prior_w), self.prior_tau]
        if self.init == "spectral":
            m = _spectral_init(lab, d, rng)
        else:  # the seed pipeline's start: standard normal embeddings
            m = rng.normal(size=(n, d))
        sx = np.broadcast_to(0.1 * np.eye(d), (n, d, d)).copy()
        mu = np.zeros((nw, p + 1))
        mu[:, :p] = dup.T @ np.eye(d).ravel() / np.maximum(dup.sum(axis=0), 1)  # W = I
        share = np.clip((lab.y > 0).mean(), 0.01, 0.99)
        mu[:, p] = np.log(share / (1 - share))  # tau: the log-odds of "same group"
        v = np.broadcast_to(np.diag(0.01 * prior_v), (nw, p + 1, p + 1)).copy()
        delta = self._delta(lab, m, sx, mu, v, dup)
        history: list[float] = []
        previous, step, done = -np.inf, 1.0, False
        for _ in range(self.n_iter):
            for _ in range(10):  # halve the image step while the free energy would drop
                m1, sx1 = self._update_items(lab, m, sx, mu, v, delta, dup, step)
                mu1, v1 = self._update_workers(lab, m1, sx1, delta, prior_v, dup)
                m1, sx1, mu1, v1 = self._rescale(m1, sx1, mu1, v1, p)
                delta1 = self._delta(lab, m1, sx1, mu1, v1, dup)
                energy = self._free_energy(lab, m1, sx1, mu1, v1, delta1, prior_v, dup)
                if not np.isfinite(previous) or energy >= previous - 1e-9 * abs(previous):
                    break
                step /= 2
            m, sx, mu, v, delta = m1, sx1, mu1, v1, delta1
            step = min(1.0, 2 * step)
            history.append(energy)
            if np.isfinite(previous) and abs(energy - previous) <= self.tol * abs(previous):
                done = True
                break
            previous = energy
        # a final worker update from the final item moments and bound parameters (coordinate
        # ascent, so the free energy cannot fall): the exposed worker matrices and biases are
        # then the optimal worker factors of the exposed embedding, not one update behind it
        mu, v = self._update_workers(lab, m, sx, delta, prior_v, dup)
        return m, sx, mu, v, delta, history, done

    def _rescale(self, m, sx, mu, v, p):
        """Parameter-expanded scale step: ``x -> c x`` and ``W -> W / c^2`` leave every
        ``x_a^T W x_b`` unchanged, so only the two KL terms depend on ``c``; set ``c`` to their
        minimiser (the positive root of a cubic in ``u = c^2``). Never lowers the free energy."""
        n, d = m.shape
        nw = mu.shape[0]
        a = float((m**2).sum() + np.trace(sx, axis1=1, axis2=2).sum())
        b = float((mu[:, :p] ** 2).sum() + np.diagonal(v, axis1=1, axis2=2)[:, :p].sum())
        alpha, beta, gamma = a / (2 * self.prior_x), nw * p - n * d / 2, b / self.prior_w
        roots = np.roots([alpha, beta, 0.0, -gamma])
        real = roots[(np.abs(roots.imag) < 1e-9 * np.abs(roots).max()) & (roots.real > 0)].real
        if len(real) == 0:
            return m, sx, mu, v
        u = float(real.max())
        c = np.sqrt(u)
        scale = np.r_[np.full(p, 1.0 / u), 1.0]  # w -> w / c^2, tau unchanged
        return m * c, sx * u, mu * scale, v * scale[:, None] * scale[None, :]

    @staticmethod
    def _worker_moments(mu, v, dup):
        """Moments of q(W_j, tau_j): ``e2w[j][(p, q), (r, s)] = E[W_pr W_qs]`` (symmetric in its
        two index pairs), ``E[W]``, ``E[tau W]``, ``E[tau]`` and ``E[tau^2]``."""
        d2, p = dup.shape
        d = int(round(np.sqrt(d2)))
        q = mu[:, :, None] * mu[:, None, :] + v
        vec2 = np.einsum("ap,jpq,bq->jab", dup, q[:, :p, :p], dup, optimize=True)  # E[vecW vecW^T]
        e2w = vec2.reshape(-1, d, d, d, d).transpose(0, 1, 3, 2, 4).reshape(-1, d2, d2)
        ew = (mu[:, :p] @ dup.T).reshape(-1, d, d)
        r = (q[:, :p, p] @ dup.T).reshape(-1, d, d)  # E[tau W]
        return e2w, ew, r, mu[:, p], q[:, p, p]

    def _delta(self, lab, m, sx, mu, v, dup):
        """Optimal Jaakkola-Jordan parameters: delta_t = sqrt(E[z_t^2])."""
        return np.sqrt(np.maximum(self._ez2(lab, m, sx, mu, v, dup), 1e-12))

    def _ez2(self, lab, m, sx, mu, v, dup):
        """``E[z_t^2]`` for every label, ``z_t = x_a^T W_j x_b + tau_j``."""
        d2 = self.n_dims**2
        s = (m[:, :, None] * m[:, None, :] + sx).reshape(-1, d2)
        e2w, _, r, _, etau2 = self._worker_moments(mu, v, dup)
        # per (worker, a) key: U = E2W_j S_a, then <U, S_b> per label
        u = _grouped_matvec(s[lab.wa_item], lab.wa_worker, e2w)
        quad = np.einsum("tx,tx->t", u[lab.wa_of], s[lab.b])
        rb = _grouped_matvec(m[lab.b], lab.j, r)
        cross = 2 * np.einsum("tp,tp->t", m[lab.a], rb)
        return quad + cross + etau2[lab.j]

    def _update_workers(self, lab, m, sx, delta, prior_v, dup):
        """Exact update of every q(W_j, tau_j): a Bayesian logistic regression on the features
        ``psi_t = (vech-pairs of x_a x_b^T, 1)`` under the Jaakkola-Jordan bound."""
        d = self.n_dims
        d2, p = dup.shape
        nw = lab.n_workers
        s = (m[:, :, None] * m[:, None, :] + sx).reshape(-1, d2)
        lam = _lam(delta)
        # per (worker, a) key: sums over its labels of lam * S_b, lam * m_b and y/2 * m_b
        bsum = lab.sum_wa @ (lam[:, None] * s[lab.b])
        csum = lab.sum_wa @ (lam[:, None] * m[lab.b])
        esum = lab.sum_wa @ ((lab.y / 2)[:, None] * m[lab.b])
        sa, ma = s[lab.wa_item], m[lab.wa_item]
        # sum_t lam_t E[vec(x_a x_b^T) vec(x_a x_b^T)^T] = sum_keys kron(S_a, B_key), per worker
        outer = _grouped_outer(sa, bsum, lab.wa_worker, nw).reshape(nw, d, d, d, d)
        kron_sum = outer.transpose(0, 1, 3, 2, 4).reshape(nw, d2, d2)
        first = _grouped_outer(ma, csum, lab.wa_worker, nw).reshape(nw, d2)
        linear = _grouped_outer(ma, esum, lab.wa_worker, nw).reshape(nw, d2)
        lam_sum = np.bincount(lab.j, weights=lam, minlength=nw)
        y_sum = np.bincount(lab.j, weights=lab.y / 2, minlength=nw)
        prec = np.zeros((nw, p + 1, p + 1))
        prec[:, :p, :p] = 2 * np.einsum("ap,jab,bq->jpq", dup, kron_sum, dup, optimize=True)
        cross = 2 * first @ dup
        prec[:, :p, p] = cross
        prec[:, p, :p] = cross
        prec[:, p, p] = 2 * lam_sum
        prec += np.diag(1.0 / prior_v)
        h = np.concatenate([linear @ dup, y_sum[:, None]], axis=1)
        v = np.linalg.inv(prec)
        v = (v + v.transpose(0, 2, 1)) / 2
        mu = np.einsum("jpq,jq->jp", v, h)
        return mu, v

    def _item_natural(self, lab, m, sx, mu, v, delta, dup):
        """Natural parameters (precision, precision @ mean) of the optimal q(x_i) given the rest."""
        d = self.n_dims
        d2 = d * d
        s = (m[:, :, None] * m[:, None, :] + sx).reshape(-1, d2)
        e2w, ew, r, _, _ = self._worker_moments(mu, v, dup)
        lam2 = np.r_[_lam(delta), _lam(delta)]
        o = lab.ends_o
        # per (item, worker) key: sums of lam * S_o, y/2 * m_o and lam * m_o over its labels
        a_sum = lab.sum_iw @ (lam2[:, None] * s[o])
        g_sum = lab.sum_iw @ (lab.y_half[:, None] * m[o])
        r_sum = lab.sum_iw @ (lam2[:, None] * m[o])
        prec_keys = _grouped_matvec(a_sum, lab.iw_worker, e2w)  # E[W_j S W_j] per key
        lin_keys = _grouped_matvec(g_sum, lab.iw_worker, ew) - 2 * _grouped_matvec(r_sum, lab.iw_worker, r)
        prec = 2 * (lab.sum_iw_to_item @ prec_keys).reshape(-1, d, d)
        prec = (prec + prec.transpose(0, 2, 1)) / 2 + np.eye(d) / self.prior_x
        lin = lab.sum_iw_to_item @ lin_keys
        return prec, lin

    def _update_items(self, lab, m, sx, mu, v, delta, dup, step):
        """Parallel update of every q(x_i), moved ``step`` of the way (in natural parameters)
        from the current q towards the optimal q given the rest."""
        prec_new, lin_new = self._item_natural(lab, m, sx, mu, v, delta, dup)
        if step < 1.0:
            prec_old = np.linalg.inv(sx)
            lin_old = np.einsum("npq,nq->np", prec_old, m)
            prec_new = (1 - step) * prec_old + step * prec_new
            lin_new = (1 - step) * lin_old + step * lin_new
        sx_new = np.linalg.inv(prec_new)
        sx_new = (sx_new + sx_new.transpose(0, 2, 1)) / 2
        return np.einsum("npq,nq->np", sx_new, lin_new), sx_new

    def _free_energy(self, lab, m, sx, mu, v, delta, prior_v, dup):
        """Lower bound on log p(labels): JJ-bounded likelihood (at the optimal delta) minus KLs."""
        d = self.n_dims
        _, ew, _, etau, _ = self._worker_moments(mu, v, dup)
        ez = np.einsum("tp,tpq,tq->t", m[lab.a], ew[lab.j], m[lab.b]) + etau[lab.j]
        like = float(np.sum(_log_sigmoid(delta) + (lab.y * ez - delta) / 2))
        _, logdet_x = np.linalg.slogdet(sx)
        kl_x = 0.5 * float(
            np.sum((np.trace(sx, axis1=1, axis2=2) + (m**2).sum(1)) / self.prior_x - d
                   + d * np.log(self.prior_x) - logdet_x)
        )
        _, logdet_v = np.linalg.slogdet(v)
        diag_v = np.diagonal(v, axis1=1, axis2=2)
        kl_v = 0.5 * float(
            np.sum(((diag_v + mu**2) / prior_v).sum(1) - len(prior_v) + np.log(prior_v).sum() - logdet_v)
        )
        return like - kl_x - kl_v



