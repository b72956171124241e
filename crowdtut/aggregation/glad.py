"""GLAD: worker ability and task difficulty (Whitehill et al., 2009), multi-class form."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ..answers import CrowdAnswers
from ._base import ClassificationAggregator, check_positive_int, check_non_negative
from ._em import converged, normalize_log, normalize_rows, safe_log

__all__ = ["GLAD"]

_LOG_2PI = float(np.log(2.0 * np.pi))
_MAX_LOG_BETA = 30.0  # exp(30) ~ 1e13: far beyond any useful task easiness, keeps exp finite


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(1 / (1 + exp(-x))), stable for large |x|."""
    return -np.logaddexp(0.0, -x)


def _answer_terms(
    data: CrowdAnswers, alphas: np.ndarray, log_betas: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per answer: beta of its task, alpha*beta, and log P(correct), log P(one given wrong label)."""
    beta = np.exp(log_betas)[data.task]
    x = alphas[data.worker] * beta
    log_right = _log_sigmoid(x)
    log_wrong = _log_sigmoid(-x) - np.log(data.n_classes - 1)
    return beta, x, log_right, log_wrong


def _e_step(
    data: CrowdAnswers, alphas: np.ndarray, log_betas: np.ndarray, log_priors: np.ndarray
) -> tuple[np.ndarray, float]:
    """Posterior over true classes and the marginal log-likelihood of the answers."""
    n_tasks, n_classes = data.n_tasks, data.n_classes
    _, _, log_right, log_wrong = _answer_terms(data, alphas, log_betas)
    # every answer contributes log_wrong to all classes, plus (log_right - log_wrong) to its label
    log_joint = np.bincount(data.task, weights=log_wrong, minlength=n_tasks)[:, None] + log_priors
    log_joint += np.bincount(
        data.task * n_classes + data.label, weights=log_right - log_wrong, minlength=n_tasks * n_classes
    ).reshape(n_tasks, n_classes)
    return normalize_log(log_joint)


def _gaussian_log_density(x: np.ndarray, mean: float) -> float:
    return float(-0.5 * np.sum((x - mean) ** 2) - 0.5 * x.size * _LOG_2PI)


def _m_step_objective(
    data: CrowdAnswers, p_answer: np.ndarray, alpha_mean: float, log_beta_mean: float
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Negative expected complete log-posterior of (alphas, log_betas) and its gradient.

    ``p_answer[a]`` is the posterior probability that answer ``a`` is the true class; the expected
    log-likelihood of an answer only depends on it, so one pass over the answers gives both the value
    and the gradient.
    """
    n_workers = data.n_workers

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        alphas, log_betas = params[:n_workers], params[n_workers:]
        beta, x, log_right, log_wrong = _answer_terms(data, alphas, log_betas)
        expected = p_answer @ log_right + (1.0 - p_answer) @ log_wrong
        d_alpha_diff = alphas - alpha_mean
        d_beta_diff = log_betas - log_beta_mean
        value = expected - 0.5 * (d_alpha_diff @ d_alpha_diff + d_beta_diff @ d_beta_diff)
        residual = p_answer - np.exp(log_right)  # d expected / d x for each answer
        grad_alpha = np.bincount(data.worker, weights=residual * beta, minlength=n_workers)
        grad_log_beta = np.bincount(data.task, weights=residual * x, minlength=data.n_tasks)
        grad = np.concatenate([grad_alpha - d_alpha_diff, grad_log_beta - d_beta_diff])
        return -float(value), -grad

    return objective


class GLAD(ClassificationAggregator):
    """Generative model of Labels, Abilities and Difficulties, fitted by EM (MAP).

    Worker ``j`` has an ability ``alpha_j`` (any real number; negative means adversarial) and task
    ``i`` an easiness ``beta_i > 0``, parametrised by its logarithm. The worker answers the true
    class with probability ``sigmoid(alpha_j * beta_i)`` and otherwise one of the ``K - 1`` other
    classes uniformly. ``alpha_j`` and ``log(beta_i)`` have unit-variance Gaussian priors. The E-step
    is exact (log space); the M-step runs a few L-BFGS iterations on all abilities and log-easiness
    values at once, warm-started from the previous M-step, with the analytic gradient.

    Parameters
    ----------
    n_iter : int, default=100
        Maximum number of EM iterations. ``0`` returns the initialisation (soft majority vote).
    tol : float, default=1e-5
        Stop when the relative change of the log-posterior (marginal log-likelihood of the answers
        plus the log prior density of the parameters) is below ``tol``.
    alpha_prior_mean : float, default=1.0
        Mean of the Gaussian prior on every worker's ability (also the starting value).
    log_beta_prior_mean : float, default=1.0
        Mean of the Gaussian prior on every task's log-easiness ``log(beta_i)`` (also the starting
        value). crowd-kit calls it ``betas_priors_mean`` and applies it on the same log scale.
    class_priors : array-like of shape (n_classes,) or None, default=None
        Fixed prior probabilities of the true classes, in the order of ``classes_``; ``None`` means
        uniform, as in the paper and in crowd-kit. Ignored when ``learn_priors`` is true.
    learn_priors : bool, default=False
        Re-estimate the class priors in every M-step (posterior class frequencies).
    m_step_max_iter : int, default=5
        L-BFGS iterations per M-step.

    Attributes
    ----------
    alphas_ : pandas.Series
        Ability of each worker, indexed by worker.
    betas_ : pandas.Series
        Easiness ``beta_i`` of each task (positive), indexed by task.
    priors_ : pandas.Series
        Class priors used in the last E-step, indexed by class.
    probas_ : pandas.DataFrame
        Posterior probability of each class (columns) for each task (rows).
    labels_ : pandas.Series
        Most probable class of each task.
    loss_history_ : list of float
        Log-posterior after each EM iteration (increasing; the value the stopping rule watches).
    n_iter_ : int
        Number of EM iterations run.

    Notes
    -----
    The model is crowd-kit's ``GLAD`` (same likelihood, priors and starting values). Differences:
    EM starts from the soft majority vote (normalised vote counts) instead of an E-step at the
    prior means; the M-step uses L-BFGS rather than conjugate gradients; ``K`` counts every class in
    ``classes_`` (crowd-kit counts the labels that occur); tasks without answers get the prior.

    References
    ----------
    J. Whitehill, T. Wu, J. Bergsma, J. Movellan and P. Ruvolo. Whose vote should count more:
    optimal integration of labels from labelers of unknown expertise. NeurIPS 22, 2009.
    https://proceedings.neurips.cc/paper/2009/hash/f899139df5e1059396431415e770c6dd-Abstract.html
    (no DOI).
    """

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-5,
        alpha_prior_mean: float = 1.0,
        log_beta_prior_mean: float = 1.0,
        class_priors: np.ndarray | None = None,
        learn_priors: bool = False,
        m_step_max_iter: int = 5,
    ) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.alpha_prior_mean = alpha_prior_mean
        self.log_beta_prior_mean = log_beta_prior_mean
        self.class_priors = class_priors
        self.learn_priors = learn_priors
        self.m_step_max_iter = m_step_max_iter

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_positive_int("m_step_max_iter", self.m_step_max_iter)
        for name in ("alpha_prior_mean", "log_beta_prior_mean"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
                raise ValueError(f"{name}={value!r}; expected a finite number")
        if not isinstance(self.learn_priors, (bool, np.bool_)):
            raise ValueError(f"learn_priors={self.learn_priors!r}; expected True or False")

    def _initial_priors(self, n_classes: int) -> np.ndarray:
        if self.class_priors is None or self.learn_priors:
            return np.full(n_classes, 1.0 / n_classes)
        priors = np.asarray(self.class_priors, dtype=np.float64)
        if priors.shape != (n_classes,) or not np.all(np.isfinite(priors)) or np.any(priors < 0):
            raise ValueError(
                f"class_priors={self.class_priors!r}; expected {n_classes} non-negative numbers"
            )
        if priors.sum() <= 0:
            raise ValueError(f"class_priors={self.class_priors!r}; they sum to zero")
        return priors / priors.sum()

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        n_workers, n_classes = data.n_workers, data.n_classes
        priors = self._initial_priors(n_classes)
        alphas = np.full(n_workers, float(self.alpha_prior_mean))
        log_betas = np.full(data.n_tasks, float(self.log_beta_prior_mean))
        posterior = normalize_rows(data.vote_counts)
        answered = data.answers_per_task > 0
        posterior[~answered] = priors
        bounds = [(None, None)] * n_workers + [(None, _MAX_LOG_BETA)] * data.n_tasks

        history: list[float] = []
        previous = -np.inf
        params = np.concatenate([alphas, log_betas])
        n_done = 0
        for n_done in range(1, self.n_iter + 1):
            # M-step: class priors in closed form, abilities and easiness by L-BFGS
            if self.learn_priors:
                priors = normalize_rows(posterior[answered].sum(axis=0))
            p_answer = posterior[data.task, data.label]
            objective = _m_step_objective(
                data, p_answer, float(self.alpha_prior_mean), float(self.log_beta_prior_mean)
            )
            result = minimize(
                objective, params, jac=True, method="L-BFGS-B", bounds=bounds,
                options={"maxiter": self.m_step_max_iter},
            )
            params = result.x
            alphas, log_betas = params[:n_workers], params[n_workers:]
            # E-step
            posterior, loglik = _e_step(data, alphas, log_betas, safe_log(priors))
            value = (
                loglik
                + _gaussian_log_density(alphas, float(self.alpha_prior_mean))
                + _gaussian_log_density(log_betas, float(self.log_beta_prior_mean))
            )
            history.append(value)
            if converged(value, previous, self.tol):
                break
            previous = value

        self.n_iter_ = n_done if self.n_iter > 0 else 0
        self.loss_history_ = history
        self.alphas_ = data.worker_series(alphas.copy(), name="alpha")
        self.betas_ = data.task_series(np.exp(log_betas), name="beta")
        self.priors_ = pd.Series(priors, index=data.classes, name="prior")
        return posterior
