"""EBCC: enhanced Bayesian classifier combination (worker confusion per latent subtype)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...answers import CrowdAnswers
from .._base import ClassificationAggregator, check_random_state, draws_by_key
from ..._checks import check_non_negative, check_positive_int
from .._em import normalize_log
from .voting import vote_shares

__all__ = ["EBCC"]


def _dirichlet_kl(post: np.ndarray, prior: np.ndarray) -> float:
    """Sum of KL(Dir(post) || Dir(prior)) over all leading axes (last axis = the categories)."""
    from scipy.special import digamma, gammaln

    post0 = post.sum(axis=-1)
    prior0 = prior.sum(axis=-1)
    expect = digamma(post) - digamma(post0)[..., None]
    return float(
        (gammaln(post0) - gammaln(post).sum(axis=-1) - gammaln(prior0) + gammaln(prior).sum(axis=-1)).sum()
        + ((post - prior) * expect).sum()
    )


def _task_keys(data: CrowdAnswers) -> np.ndarray:
    """Integer features of each task that no renaming or row order changes: its number of
    answers, the sum of squares of its vote counts, and the sums over its answers of the worker's
    number of answers and of the worker's support (votes shared with her answers)."""
    counts = data.vote_counts
    support = np.bincount(data.worker, counts[data.task, data.label], data.n_workers)
    return np.column_stack([
        data.answers_per_task,
        (counts.astype(np.int64) ** 2).sum(axis=1),
        np.bincount(data.task, data.answers_per_worker[data.worker], data.n_tasks),
        np.bincount(data.task, support[data.worker], data.n_tasks),
    ]).astype(np.int64)


class EBCC(ClassificationAggregator):
    """EBCC (Li, Rubinstein and Cohn, 2019): every true class splits into ``n_subtypes`` latent
    subtypes, and each worker has one confusion row per (class, subtype), so that workers who are
    correlated on the hard items of a class share a subtype. Fitted by mean-field variational
    Bayes with Dirichlet priors on the class prior ``tau``, the subtype mixtures ``pi_k`` and the
    confusion rows ``v_jkm``, started as the authors' code does: vote shares for the classes,
    a random Dirichlet split into subtypes. The split is drawn per task (one split shared by the
    task's classes, which changes nothing in distribution) and handed out by what each task was
    answered, not by its name or row, so renaming or shuffling the answers leaves the fit
    unchanged and tasks the data cannot tell apart start equal: an exact tie stays 0.5/0.5.

    Parameters
    ----------
    n_subtypes : number of subtypes per class (``M``; the authors use 10).
    alpha : Dirichlet parameter of the class prior (used when ``empirical_prior`` is False).
    empirical_prior : take the class prior's Dirichlet parameters from the data, the vote shares
        summed over the tasks, as the authors' benchmark notebook does (default).
    a_pi : total Dirichlet mass of each subtype mixture (spread as ``a_pi / M``).
    a_v, b_v : prior pseudo-counts of a confusion row: ``a_v`` on the true class, ``b_v``
        elsewhere.
    n_iter : maximum number of variational rounds (authors: 500).
    tol : stop when no class posterior moves by more than this (authors: 1e-3, with numpy's
        default relative tolerance 1e-5 on top).
    n_restarts : number of random starts; the one with the highest evidence lower bound is
        kept. The authors' published table keeps the best of 40.
    random_state : seed or Generator of the random subtype splits.

    Attributes
    ----------
    probas_, labels_ : class posteriors and their argmax.
    priors_ : Series, posterior mean of the class prior.
    subtype_priors_ : ndarray (K, M), posterior mean of each class's subtype mixture.
    subtype_confusion_ : ndarray (n_workers, K, M, K), posterior mean ``[worker, true class,
        subtype, answered]``.
    confusion_ : ndarray (n_workers, K, K), each worker's confusion averaged over the subtypes
        with the subtype mixture of each class.
    loss_history_ : negative evidence lower bound per answer after each round of the kept start
        (falling).
    n_iter_, converged_ : rounds of the kept start and whether ``tol`` was reached.

    References
    ----------
    Y. Li, B. I. P. Rubinstein and T. Cohn, "Exploiting worker correlation for label aggregation
    in crowdsourcing", ICML 2019. https://proceedings.mlr.press/v97/li19i.html

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": [0, 1, 2, 0, 1, 2],
    ...                         "label": [0, 0, 1, 1, 1, 1]})
    >>> EBCC(random_state=0).fit_predict(answers).tolist()
    [0, 1]
    """

    def __init__(self, n_subtypes: int = 10, alpha: float = 1.0, empirical_prior: bool = True,
                 a_pi: float = 0.1, a_v: float = 4.0, b_v: float = 1.0, n_iter: int = 500,
                 tol: float = 1e-3, n_restarts: int = 1, random_state=1234):
        self.n_subtypes = n_subtypes
        self.alpha = alpha
        self.empirical_prior = empirical_prior
        self.a_pi = a_pi
        self.a_v = a_v
        self.b_v = b_v
        self.n_iter = n_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int("n_subtypes", self.n_subtypes)
        check_random_state(self.random_state)
        check_positive_int("n_restarts", self.n_restarts)
        if not isinstance(self.empirical_prior, (bool, np.bool_)):
            raise ValueError(f"empirical_prior={self.empirical_prior!r}; expected True or False")
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        for name in ("alpha", "a_pi", "a_v", "b_v"):
            value = getattr(self, name)
            check_non_negative(name, value)
            if value == 0:
                raise ValueError(f"{name}={value!r}; expected a positive number (a Dirichlet parameter)")

    def _global_step(self, data: CrowdAnswers, joint: np.ndarray, alpha: np.ndarray, beta: np.ndarray):
        """Dirichlet posteriors of the class prior, the subtype mixtures and the confusion rows."""
        from scipy.special import digamma

        k, m = data.n_classes, self.n_subtypes
        eta = self.a_pi / m + joint.sum(axis=0)                      # (K, M)
        nu = alpha + joint.sum(axis=(0, 2))                          # (K,)
        counts = data.sum_per_worker_label(joint.reshape(data.n_tasks, k * m))  # (W*L, K*M)
        counts = counts.reshape(data.n_workers, k, k, m).transpose(0, 2, 3, 1)  # (W, K, M, L)
        mu = counts + beta[None, :, None, :]
        e_log_pi = digamma(eta) - digamma(eta.sum(axis=1, keepdims=True))
        e_log_tau = digamma(nu) - digamma(nu.sum())
        e_log_v = digamma(mu) - digamma(mu.sum(axis=-1, keepdims=True))
        return eta, nu, mu, e_log_pi, e_log_tau, e_log_v

    def _local_step(self, data: CrowdAnswers, e_log_pi, e_log_tau, e_log_v):
        """``q(class, subtype)`` of every task and the evidence term ``sum log sum exp``."""
        k, m = data.n_classes, self.n_subtypes
        by_answer = e_log_v.transpose(0, 3, 1, 2).reshape(data.n_workers * k, k * m)
        log_joint = data.sum_over_answers(by_answer) + (e_log_pi + e_log_tau[:, None]).reshape(1, k * m)
        joint, evidence = normalize_log(log_joint)
        return joint.reshape(data.n_tasks, k, m), evidence

    def _run(self, data: CrowdAnswers, rng: np.random.Generator, alpha: np.ndarray, beta: np.ndarray):
        """One start: random subtype split, then variational rounds until the classes settle."""
        k, m = data.n_classes, self.n_subtypes
        post = vote_shares(data.vote_counts)
        split = draws_by_key(_task_keys(data), lambda n: rng.dirichlet(np.ones(m), size=n))
        joint = post[:, :, None] * split[:, None, :]
        history: list[float] = []
        converged = False
        for _ in range(self.n_iter):
            eta, nu, mu, e_log_pi, e_log_tau, e_log_v = self._global_step(data, joint, alpha, beta)
            joint, evidence = self._local_step(data, e_log_pi, e_log_tau, e_log_v)
            elbo = (
                evidence
                - _dirichlet_kl(nu, alpha)
                - _dirichlet_kl(eta, np.full((k, m), self.a_pi / m))
                - _dirichlet_kl(mu, np.broadcast_to(beta[None, :, None, :], mu.shape))
            )
            history.append(-elbo / max(data.n_answers, 1))
            previous, post = post, joint.sum(axis=2)
            if np.allclose(previous, post, atol=self.tol):
                converged = True
                break
        return post, joint, history, converged

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        k = data.n_classes
        rng = np.random.default_rng(self.random_state)
        beta = np.full((k, k), float(self.b_v))
        np.fill_diagonal(beta, float(self.a_v))
        shares = vote_shares(data.vote_counts)
        # the authors' empirical prior: the vote shares summed over tasks
        alpha = shares.sum(axis=0) if self.empirical_prior else np.full(k, float(self.alpha))
        alpha = np.maximum(alpha, 1e-3)  # a class nobody chose keeps a proper prior
        best = None
        for _ in range(self.n_restarts):
            run = self._run(data, rng, alpha, beta)
            if best is None or (run[2] and (not best[2] or run[2][-1] < best[2][-1])):
                best = run
        post, joint, history, converged = best
        # finish on a global step of the final posteriors, so that the parameters match probas_
        eta, nu, mu, *_ = self._global_step(data, joint, alpha, beta)
        pi = eta / eta.sum(axis=1, keepdims=True)
        v = mu / mu.sum(axis=-1, keepdims=True)
        self.priors_ = pd.Series(nu / nu.sum(), index=data.classes, name="prior")
        self.subtype_priors_ = pi
        self.subtype_confusion_ = v
        self.confusion_ = np.einsum("km,jkml->jkl", pi, v)
        self.workers_ = data.workers
        self.loss_history_ = history
        self.n_iter_ = len(history)
        self.converged_ = converged
        return post
