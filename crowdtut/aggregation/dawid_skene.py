"""Dawid-Skene and its variants: full, one-coin, and clustered (workers share confusion matrices)."""

from __future__ import annotations

from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers, DuplicatePolicy, encode_answers
from ._base import ClassificationAggregator, check_non_negative, check_positive_int
from ._em import converged, normalize_log, safe_log
from .voting import vote_shares

__all__ = ["DawidSkene", "OneCoinDawidSkene", "ClusteredDawidSkene"]

_EPS = 1e-10  # floor on confusion counts, as in crowd-kit, so that no log is -inf


def confusion_from_posterior(data: CrowdAnswers, post: np.ndarray, pseudo_count: float) -> np.ndarray:
    """Per-worker confusion counts ``[worker, true, answered]`` expected under ``post``."""
    k = data.n_classes
    counts = data.worker_label_task @ post  # (W * K_answered, K_true)
    counts = counts.reshape(data.n_workers, k, k).transpose(0, 2, 1)
    return np.maximum(counts + pseudo_count, _EPS)


def log_joint(data: CrowdAnswers, log_confusion: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """``log p(true = k) + sum over answers of log p(answer | true = k)``, shape (n_tasks, K).

    ``log_confusion`` is (n_workers, K_true, K_answered).
    """
    k = data.n_classes
    by_answer = log_confusion.transpose(0, 2, 1).reshape(data.n_workers * k, k)
    return data.task_worker_label @ by_answer + log_prior


def _gold_codes(data: CrowdAnswers, gold) -> tuple[np.ndarray, np.ndarray]:
    """Task and class codes of gold labels given as a Series indexed by task name."""
    gold = pd.Series(gold)
    task_codes = data.tasks.get_indexer(gold.index)
    if (task_codes < 0).any():
        bad = gold.index[task_codes < 0].tolist()[:5]
        raise ValueError(f"gold has {int((task_codes < 0).sum())} task(s) not in the answers, e.g. {bad}")
    class_codes = data.classes.get_indexer(gold.to_numpy())
    if (class_codes < 0).any():
        bad = gold[class_codes < 0].unique().tolist()[:5]
        raise ValueError(f"gold has label(s) {bad} outside the classes {data.classes.tolist()}")
    return task_codes, class_codes


class _EMAggregator(ClassificationAggregator):
    """Shared EM loop: initialise with vote shares, then alternate M-step and E-step."""

    def __init__(self, n_iter: int = 100, tol: float = 1e-5):
        self.n_iter = n_iter
        self.tol = tol

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)

    def fit(
        self,
        answers: pd.DataFrame | CrowdAnswers,
        *,
        gold: pd.Series | None = None,
        classes: Iterable[Hashable] | None = None,
        duplicates: DuplicatePolicy = "raise",
    ):
        """Fit by EM. ``gold`` (Series: task -> label) fixes the true label of some tasks."""
        self._validate_params()
        data = encode_answers(answers, classes=classes, duplicates=duplicates)
        self._gold = None if gold is None else _gold_codes(data, gold)
        self._set_result(data, self._fit(data))
        del self._gold
        return self

    def _clamp_gold(self, post: np.ndarray) -> np.ndarray:
        gold = getattr(self, "_gold", None)
        if gold is not None:
            tasks, labels = gold
            post[tasks] = 0.0
            post[tasks, labels] = 1.0
        return post

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        post = self._clamp_gold(vote_shares(data.vote_counts))
        history: list[float] = []
        previous = -np.inf
        for _ in range(self.n_iter):
            params = self._m_step(data, post)
            joint = self._log_joint(data, params)
            post, loglik = normalize_log(joint)
            post = self._clamp_gold(post)
            history.append(-loglik / max(data.n_answers, 1))
            if converged(loglik, previous, self.tol):
                break
            previous = loglik
        self.n_iter_ = len(history)
        self.loss_history_ = history
        self._store(data, self._m_step(data, post) if self.n_iter == 0 else params, post)
        return post

    def _m_step(self, data: CrowdAnswers, post: np.ndarray):  # pragma: no cover - abstract
        raise NotImplementedError

    def _log_joint(self, data: CrowdAnswers, params) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _store(self, data: CrowdAnswers, params, post: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError


def _errors_frame(data: CrowdAnswers, confusion: np.ndarray) -> pd.DataFrame:
    """Confusion matrices in crowd-kit's layout: rows (worker, answered label), columns true label."""
    k = data.n_classes
    index = pd.MultiIndex.from_product([data.workers, data.classes], names=["worker", "label"])
    values = confusion.transpose(0, 2, 1).reshape(data.n_workers * k, k)
    return pd.DataFrame(values, index=index, columns=data.classes)


class DawidSkene(_EMAggregator):
    """Dawid-Skene: one full confusion matrix per worker and a class prior, fitted by EM.

    Parameters
    ----------
    n_iter : maximum number of EM iterations; ``0`` returns the majority-vote initialisation.
    tol : stop when the log-likelihood changes by less than this, relative to its value.
    pseudo_count : Dirichlet smoothing added to every confusion count (0 = maximum likelihood).

    Attributes
    ----------
    probas_, labels_ : posterior class probabilities and their argmax per task.
    confusion_ : ndarray (n_workers, K, K), ``[worker, true, answered]``, rows sum to one.
    errors_ : DataFrame, the same matrices indexed by (worker, answered label), one column per
        true label (crowd-kit's layout).
    priors_ : Series, class prior.
    loss_history_ : negative log-likelihood per answer after each iteration.
    n_iter_ : iterations run.

    References
    ----------
    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer error-rates using the
    EM algorithm", JRSS C 28(1), 1979. https://doi.org/10.2307/2346806
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, pseudo_count: float = 0.0):
        super().__init__(n_iter=n_iter, tol=tol)
        self.pseudo_count = pseudo_count

    def _validate_params(self) -> None:
        super()._validate_params()
        check_non_negative("pseudo_count", self.pseudo_count)

    def _m_step(self, data, post):
        counts = confusion_from_posterior(data, post, self.pseudo_count)
        confusion = counts / counts.sum(axis=2, keepdims=True)
        prior = post.mean(axis=0)
        return confusion, prior

    def _log_joint(self, data, params):
        confusion, prior = params
        return log_joint(data, np.log(confusion), safe_log(prior))

    def _store(self, data, params, post):
        confusion, prior = params
        self.confusion_ = confusion
        self.errors_ = _errors_frame(data, confusion)
        self.priors_ = pd.Series(prior, index=data.classes, name="prior")


class OneCoinDawidSkene(_EMAggregator):
    """One-coin Dawid-Skene: each worker is right with probability ``skill`` and otherwise picks
    one of the other ``K - 1`` classes uniformly.

    With ``prior="uniform"`` (default) the class prior is held fixed, which is ZenCrowd's model
    (ZC in Zheng et al., PVLDB 2017). With ``prior="learned"`` the prior is re-estimated at each
    M-step as in :class:`DawidSkene`; on sets whose workers favour one class (bluebird, trec,
    S_Rel) that prior then runs away to the favoured class and the labels collapse onto it, which
    is what crowd-kit's ``OneCoinDawidSkene`` shows there (the book has the numbers).

    Parameters
    ----------
    n_iter, tol : as in :class:`DawidSkene`.
    prior : ``"uniform"`` or ``"learned"``.
    min_skill : lower bound on skills; ``1 / K`` treats workers worse than chance as random
        instead of reading their answers backwards. ``0`` (default) keeps the plain model.

    Attributes
    ----------
    skills_ : Series, each worker's probability of answering the true class.
    priors_, probas_, labels_, loss_history_, n_iter_ : as in :class:`DawidSkene`.

    References
    ----------
    G. Demartini, D. E. Difallah and P. Cudre-Mauroux, "ZenCrowd: leveraging probabilistic
    reasoning and crowdsourcing techniques for large-scale entity linking", WWW 2012.
    https://doi.org/10.1145/2187836.2187900
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, prior: str = "uniform", min_skill: float = 0.0):
        super().__init__(n_iter=n_iter, tol=tol)
        self.prior = prior
        self.min_skill = min_skill

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.prior not in ("uniform", "learned"):
            raise ValueError(f"prior={self.prior!r}; expected 'uniform' or 'learned'")
        if not 0.0 <= self.min_skill < 1.0:
            raise ValueError(f"min_skill={self.min_skill!r}; expected a number in [0, 1)")

    def _m_step(self, data, post):
        hits = np.bincount(data.worker, weights=post[data.task, data.label], minlength=data.n_workers)
        skills = hits / np.maximum(data.answers_per_worker, 1)
        skills = np.clip(skills, max(self.min_skill, _EPS), 1.0 - _EPS)
        if self.prior == "uniform":
            return skills, np.full(data.n_classes, 1.0 / data.n_classes)
        return skills, post.mean(axis=0)

    def _log_joint(self, data, params):
        skills, prior = params
        k = data.n_classes
        log_wrong = np.log((1.0 - skills) / (k - 1))
        gain = np.log(skills) - log_wrong  # extra log-likelihood when the answer is the class
        base = np.bincount(data.task, weights=log_wrong[data.worker], minlength=data.n_tasks)
        bonus = np.bincount(
            data.task * k + data.label, weights=gain[data.worker], minlength=data.n_tasks * k
        ).reshape(data.n_tasks, k)
        return bonus + base[:, None] + safe_log(prior)

    def _store(self, data, params, post):
        skills, prior = params
        self.skills_ = data.worker_series(skills, name="skill")
        self.priors_ = pd.Series(prior, index=data.classes, name="prior")


class ClusteredDawidSkene(_EMAggregator):
    """Dawid-Skene with worker clustering (peerannot's DSWC): workers share ``n_clusters``
    confusion matrices.

    Workers are first described by their Dawid-Skene confusion matrices; k-means on the flattened
    matrices assigns each worker to a cluster; EM then fits one confusion matrix per cluster.

    Parameters
    ----------
    n_clusters : number of shared confusion matrices (``L``).
    n_iter, tol : as in :class:`DawidSkene`.
    random_state : seed for the k-means initialisation.

    Attributes
    ----------
    clusters_ : Series, the cluster of each worker.
    cluster_confusion_ : ndarray (n_clusters, K, K), ``[cluster, true, answered]``.
    confusion_ : ndarray (n_workers, K, K), each worker's cluster matrix.
    priors_, probas_, labels_, loss_history_, n_iter_ : as in :class:`DawidSkene`.

    References
    ----------
    H. Imamura, I. Sato and M. Sugiyama, "Analysis of minimax error rate for crowdsourcing and its
    application to worker clustering model", ICML 2018.
    """

    def __init__(self, n_clusters: int = 5, n_iter: int = 100, tol: float = 1e-5, random_state=0):
        super().__init__(n_iter=n_iter, tol=tol)
        self.n_clusters = n_clusters
        self.random_state = random_state

    def _validate_params(self) -> None:
        super()._validate_params()
        check_positive_int("n_clusters", self.n_clusters)

    def _fit(self, data):
        ds = DawidSkene(n_iter=self.n_iter, tol=self.tol)
        ds._gold = getattr(self, "_gold", None)
        ds._fit(data)
        features = ds.confusion_.reshape(data.n_workers, -1)
        self._cluster = kmeans(features, min(self.n_clusters, data.n_workers), self.random_state)
        return super()._fit(data)

    def _m_step(self, data, post):
        counts = confusion_from_posterior(data, post, 0.0)
        shared = np.zeros((self.n_clusters,) + counts.shape[1:])
        np.add.at(shared, self._cluster, counts)  # one call over workers, not per iteration of tasks
        shared = np.maximum(shared, _EPS)
        shared /= shared.sum(axis=2, keepdims=True)
        return shared, post.mean(axis=0)

    def _log_joint(self, data, params):
        shared, prior = params
        return log_joint(data, np.log(shared[self._cluster]), safe_log(prior))

    def _store(self, data, params, post):
        shared, prior = params
        self.clusters_ = data.worker_series(self._cluster, name="cluster")
        self.cluster_confusion_ = shared
        self.confusion_ = shared[self._cluster]
        self.priors_ = pd.Series(prior, index=data.classes, name="prior")
        del self._cluster


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
