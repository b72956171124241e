"""Dawid-Skene and its variants: full, one-coin, and clustered (workers share confusion matrices)."""

from __future__ import annotations

from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from ...answers import CrowdAnswers, DuplicatePolicy, encode_answers
from .._base import ClassificationAggregator, check_number, check_random_state
from ..._checks import check_choice, check_non_negative, check_positive_int
from .._em import column_means, converged, normalize_log, safe_log
from .voting import vote_shares

__all__ = ["DawidSkene", "OneCoinDawidSkene", "ClusteredDawidSkene"]

_EPS = 1e-10  # floor on the confusion counts of the labels a worker used (crowd-kit's _EPS)


def confusion_from_posterior(data: CrowdAnswers, post: np.ndarray, pseudo_count: float) -> np.ndarray:
    """Per-worker confusion counts ``[worker, true, answered]`` expected under ``post``.

    The floor ``_EPS`` goes, as in crowd-kit 1.4.2, only on the cells of labels the worker
    used (crowd-kit's matrices have no row for the others): a label the worker never gave keeps
    its ``pseudo_count`` (0 by default, so probability 0, which no E-step ever reads), and a
    label they gave is never impossible under any true class, so no log is -inf.
    """
    k = data.n_classes
    counts = data.sum_per_worker_label(post)  # (W * K_answered, K_true)
    counts = counts.reshape(data.n_workers, k, k).transpose(0, 2, 1)
    return floor_confusion_counts(counts, data.labels_used, pseudo_count)


def floor_confusion_counts(counts: np.ndarray, used: np.ndarray, pseudo_count: float) -> np.ndarray:
    """``counts + pseudo_count`` floored at ``_EPS`` on the labels each worker used.

    ``counts`` is ``[worker, true, answered]``; ``used`` is ``[worker, answered]`` (bool).
    """
    floor = np.where(used[:, None, :], _EPS, 0.0)
    return np.maximum(counts + pseudo_count, floor)


def one_coin_skills(hits: np.ndarray, answers_per_worker: np.ndarray, min_skill: float) -> np.ndarray:
    """Each worker's share of expected right answers, kept inside ``[max(min_skill, eps), 1 - eps]``."""
    skills = hits / np.maximum(answers_per_worker, 1)
    return np.clip(skills, max(min_skill, _EPS), 1.0 - _EPS)


def one_coin_log_joint(data: CrowdAnswers, skills: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The one-coin model's ``log p(true = k) + sum of log p(answer | true = k)`` per task."""
    k = data.n_classes
    log_wrong = np.log((1.0 - skills) / (k - 1))
    gain = np.log(skills) - log_wrong  # extra log-likelihood when the answer is the class
    base = np.bincount(data.task, weights=log_wrong[data.worker], minlength=data.n_tasks)
    bonus = np.bincount(
        data.task * k + data.label, weights=gain[data.worker], minlength=data.n_tasks * k
    ).reshape(data.n_tasks, k)
    return bonus + base[:, None] + safe_log(prior)


def log_joint(data: CrowdAnswers, log_confusion: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """``log p(true = k) + sum over answers of log p(answer | true = k)``, shape (n_tasks, K).

    ``log_confusion`` is (n_workers, K_true, K_answered).
    """
    k = data.n_classes
    by_answer = log_confusion.transpose(0, 2, 1).reshape(data.n_workers * k, k)
    return data.sum_over_answers(by_answer) + log_prior


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
    """Shared EM loop: initialise with vote shares, then alternate M-step and E-step, and end on
    an M-step of the final posteriors, so that the parameters exposed are those of ``probas_``.

    ``loss_history_[t]`` is the negative log-likelihood per answer of the parameters of the
    ``t``-th M-step; it never rises.
    """

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
        gold_codes = None if gold is None else _gold_codes(data, gold)
        self._set_result(data, self._fit(data, gold_codes))
        return self

    @staticmethod
    def _clamp_gold(post: np.ndarray, gold) -> np.ndarray:
        if gold is not None:
            tasks, labels = gold
            post[tasks] = 0.0
            post[tasks, labels] = 1.0
        return post

    def _fit(self, data: CrowdAnswers, gold=None) -> np.ndarray:
        post = self._clamp_gold(vote_shares(data.vote_counts), gold)
        history: list[float] = []
        previous = -np.inf
        done = False
        for _ in range(self.n_iter):
            params = self._m_step(data, post)
            joint = self._log_joint(data, params)
            post, loglik = normalize_log(joint)
            post = self._clamp_gold(post, gold)
            history.append(-loglik / max(data.n_answers, 1))
            if converged(loglik, previous, self.tol):
                done = True
                break
            previous = loglik
        self.n_iter_ = len(history)
        self.converged_ = done
        self.loss_history_ = history
        self._store(data, self._m_step(data, post), post)  # parameters of the final posteriors
        return post

    def _m_step(self, data: CrowdAnswers, post: np.ndarray):  # pragma: no cover - abstract
        raise NotImplementedError

    def _log_joint(self, data: CrowdAnswers, params) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _store(self, data: CrowdAnswers, params, post: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError


def errors_frame(data: CrowdAnswers, confusion: np.ndarray) -> pd.DataFrame:
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
    workers_ : Index, the worker of each row of ``confusion_``.
    errors_ : DataFrame, the same matrices indexed by (worker, answered label), one column per
        true label (crowd-kit's layout).
    priors_ : Series, class prior.
    loss_history_ : negative log-likelihood per answer after each iteration (non-increasing).
    n_iter_, converged_ : iterations run, and whether the stopping rule was met.

    Notes
    -----
    ``confusion_``, ``errors_`` and ``priors_`` come from one M-step on the final ``probas_``
    (as crowd-kit re-estimates them), so they are the parameters of those posteriors.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [1, 1, 1, 2, 2, 2], "worker": list("abcabc"),
    ...                         "label": ["x", "x", "y", "y", "y", "y"]})
    >>> DawidSkene().fit_predict(answers).tolist()
    ['x', 'y']

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
        prior = column_means(post)
        return confusion, prior

    def _log_joint(self, data, params):
        confusion, prior = params
        return log_joint(data, safe_log(confusion), safe_log(prior))

    def _store(self, data, params, post):
        confusion, prior = params
        self.workers_ = data.workers
        self.confusion_ = confusion
        self.errors_ = errors_frame(data, confusion)
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
        check_choice("prior", self.prior, ("uniform", "learned"))
        check_number("min_skill", self.min_skill, 0.0, 1.0, high_open=True)

    def _m_step(self, data, post):
        hits = np.bincount(data.worker, weights=post[data.task, data.label], minlength=data.n_workers)
        skills = one_coin_skills(hits, data.answers_per_worker, self.min_skill)
        if self.prior == "uniform":
            return skills, np.full(data.n_classes, 1.0 / data.n_classes)
        return skills, column_means(post)

    def _log_joint(self, data, params):
        skills, prior = params
        return one_coin_log_joint(data, skills, prior)

    def _store(self, data, params, post):
        skills, prior = params
        self.skills_ = data.worker_series(skills, name="skill")
        self.priors_ = pd.Series(prior, index=data.classes, name="prior")


class ClusteredDawidSkene(ClassificationAggregator):
    """Dawid-Skene with worker clusters (Imamura et al., 2018; peerannot's DSWC).

    Each worker belongs to one of ``n_clusters`` latent clusters and the workers of a cluster
    share one confusion matrix. The task labels, the workers' cluster memberships, the cluster
    matrices and both priors are fitted by mean-field variational EM, started as peerannot does:
    majority-vote shares for the tasks, workers ranked by the nuclear norm of their own confusion
    matrix and cut into ``n_clusters`` equal groups. When every task ends in the same class (the
    "chance rate" solution) although majority vote does not put them all in one class, the fit
    restarts from a perturbed start drawn with ``random_state``; such restarts (rare) are the one
    place where the result can depend on the order of the tasks.

    Parameters
    ----------
    n_clusters : number of shared confusion matrices (``L``).
    n_iter : maximum number of variational rounds per start.
    tol : stop when the evidence lower bound rises by less than this (absolute, as peerannot).
    max_restarts : number of perturbed restarts allowed after a chance-rate solution.
    random_state : seed for the perturbed restarts.

    Attributes
    ----------
    clusters_ : Series, each worker's most probable cluster.
    cluster_probas_ : DataFrame (workers x clusters), the membership posteriors.
    cluster_confusion_ : ndarray (n_clusters, K, K), ``[cluster, true, answered]``.
    confusion_ : ndarray (n_workers, K, K), the matrix of each worker's most probable cluster.
    priors_, cluster_priors_ : class and cluster priors.
    loss_history_ : negative ELBO per answer after each round of the final start.
    n_iter_, n_starts_ : rounds of the final start, and starts used.

    References
    ----------
    H. Imamura, I. Sato and M. Sugiyama, "Analysis of minimax error rate for crowdsourcing and its
    application to worker clustering model", ICML 2018. https://proceedings.mlr.press/v80/imamura18a.html
    """

    _DELTA = 1e-10  # added inside logs, as in peerannot

    def __init__(self, n_clusters: int = 5, n_iter: int = 100, tol: float = 1e-4,
                 max_restarts: int = 20, random_state=0):
        self.n_clusters = n_clusters
        self.n_iter = n_iter
        self.tol = tol
        self.max_restarts = max_restarts
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int("n_clusters", self.n_clusters)
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_positive_int("max_restarts", self.max_restarts, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_random_state(self.random_state)

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        if self.n_clusters > data.n_workers:
            raise ValueError(
                f"n_clusters={self.n_clusters} exceeds the number of workers ({data.n_workers})"
            )
        rng = np.random.default_rng(self.random_state)
        shares = vote_shares(data.vote_counts)
        theta, state = self._run(data, shares)
        starts = 1
        # restart only when the fit puts every task in one class although the votes do not
        votes_agree = self._chance_rate(np.eye(data.n_classes)[shares.argmax(axis=1)], data)
        while not votes_agree and self._chance_rate(theta, data) and starts <= self.max_restarts:
            noisy = np.clip(shares + rng.normal(scale=0.1, size=shares.shape), 0.0, 1.0)
            noisy = vote_shares(noisy)
            theta, state = self._run(data, noisy)
            starts += 1
        phi, lam, rho, tau, history = state
        self.n_starts_ = starts
        self.n_iter_ = len(history)
        self.converged_ = len(history) < self.n_iter
        self.loss_history_ = history
        best = phi.argmax(axis=1)
        self.clusters_ = data.worker_series(best, name="cluster")
        self.cluster_probas_ = pd.DataFrame(phi, index=data.workers)
        self.cluster_confusion_ = lam
        self.confusion_ = lam[best]
        self.priors_ = pd.Series(rho, index=data.classes, name="prior")
        self.cluster_priors_ = pd.Series(tau, name="cluster_prior")
        return theta

    @staticmethod
    def _chance_rate(theta: np.ndarray, data: CrowdAnswers) -> bool:
        answered = data.answers_per_task > 0
        return bool(np.any(np.isclose(theta[answered].sum(axis=0), answered.sum())))

    def _expected_counts(self, data: CrowdAnswers, theta: np.ndarray) -> np.ndarray:
        """``C[j, a, k]``: expected number of times worker j answered a when the truth is k."""
        k = data.n_classes
        return data.sum_per_worker_label(theta).reshape(data.n_workers, k, k)

    def _initial_clusters(self, data: CrowdAnswers, theta: np.ndarray):
        counts = self._expected_counts(data, theta) + self._DELTA  # [worker, answered, true]
        own = counts / counts.sum(axis=1, keepdims=True)           # P(answered | true), per worker
        norms = np.linalg.norm(own, ord="nuc", axis=(1, 2))
        # rank by norm (largest first); ties broken by the matrices themselves, not by names
        order = np.lexsort(np.vstack([own.reshape(data.n_workers, -1).T[::-1], -norms]))
        groups = np.array_split(order, self.n_clusters)
        m, n_l = data.n_workers, self.n_clusters
        phi = np.zeros((m, n_l))
        lam = np.empty((n_l, data.n_classes, data.n_classes))
        for l, members in enumerate(groups):  # one step per cluster, not per worker or task
            phi[members, l] = 1.0
            lam[l] = own[members].sum(axis=0).T * n_l / m
        return phi, lam, column_means(phi)

    def _run(self, data: CrowdAnswers, theta: np.ndarray):
        phi, lam, tau = self._initial_clusters(data, theta)
        rho = column_means(theta)
        history: list[float] = []
        previous = -np.inf
        for _ in range(self.n_iter):
            log_lam = np.log(lam + self._DELTA)  # [cluster, true, answered]
            counts = self._expected_counts(data, theta)
            # variational step: tasks and workers both from the previous round
            per_worker = np.einsum("jl,lka->jka", phi, log_lam)
            joint_theta = log_joint(data, per_worker, np.log(rho + self._DELTA))
            joint_phi = np.einsum("jak,lka->jl", counts, log_lam) + np.log(tau + self._DELTA)
            theta, _ = normalize_log(joint_theta)
            phi, _ = normalize_log(joint_phi)
            # hyper-parameter step
            counts = self._expected_counts(data, theta)
            lam = np.einsum("jl,jak->lka", phi, counts)
            lam = lam / np.maximum(lam.sum(axis=2, keepdims=True), _EPS)
            rho, tau = column_means(theta), column_means(phi)
            elbo = self._elbo(counts, theta, phi, lam, rho, tau)
            history.append(-elbo / max(data.n_answers, 1))
            if elbo - previous >= 0 and elbo - previous < self.tol:
                break
            previous = elbo
        if not history:
            theta = theta.copy()
        return theta, (phi, lam, rho, tau, history)

    def _elbo(self, counts, theta, phi, lam, rho, tau) -> float:
        d = self._DELTA
        return float(
            np.einsum("jak,jl,lka->", counts, phi, np.log(lam + d))
            + theta.sum(axis=0) @ np.log(rho + d)
            + phi.sum(axis=0) @ np.log(tau + d)
            - np.sum(theta * np.log(theta + d))
            - np.sum(phi * np.log(phi + d))
        )
