"""Voting aggregators: majority vote, naive soft labels, and the skill-weighted votes Wawa, ZBS, IWMV."""

from __future__ import annotations

from typing import Hashable, Iterable, Literal

import numpy as np
import pandas as pd

from ...answers import CrowdAnswers, DuplicatePolicy, encode_answers
from .._base import ClassificationAggregator
from ..._checks import check_choice, check_non_negative, check_positive_int
from .._base import check_random_state

__all__ = ["MajorityVote", "NaiveSoft", "Wawa", "ZeroBasedSkill", "IWMV"]

TieBreak = Literal["first", "random"]


def weighted_votes(data: CrowdAnswers, worker_weights: np.ndarray | None = None) -> np.ndarray:
    """(n_tasks, n_classes) sum of the weights of the workers who voted for each class."""
    if worker_weights is None:
        return data.vote_counts.copy()
    flat = np.bincount(
        data.task * data.n_classes + data.label,
        weights=worker_weights[data.worker],
        minlength=data.n_tasks * data.n_classes,
    )
    return flat.reshape(data.n_tasks, data.n_classes)


def vote_shares(votes: np.ndarray) -> np.ndarray:
    """Rows of non-negative votes normalised to sum to one; a row without votes becomes uniform."""
    total = votes.sum(axis=1, keepdims=True)
    k = votes.shape[1]
    return np.divide(votes, total, out=np.full_like(votes, 1.0 / k), where=total > 0)


def tied_one_hot(scores: np.ndarray) -> np.ndarray:
    """Rows of ``scores`` as the indicator of their maximum, shared equally among exact ties
    (a 2-2 tie gives 0.5 and 0.5; a row of equal scores, e.g. no votes, is uniform)."""
    is_max = scores >= scores.max(axis=1, keepdims=True)
    return is_max / is_max.sum(axis=1, keepdims=True)


def break_ties(scores: np.ndarray, tie_break: TieBreak, rng: np.random.Generator | None) -> np.ndarray:
    """Argmax per row; exact ties go to the first class, or to a uniformly drawn tied class."""
    if tie_break == "first":
        return scores.argmax(axis=1)
    is_max = scores >= scores.max(axis=1, keepdims=True)
    keys = rng.random(scores.shape) * is_max
    return keys.argmax(axis=1)


def align_worker_weights(data: CrowdAnswers, weights) -> np.ndarray:
    """Worker weights given by name (Series or dict) as an array in worker-code order."""
    series = pd.Series(weights, dtype=np.float64)
    missing = data.workers.difference(series.index)
    if len(missing):
        raise ValueError(
            f"weights lack {len(missing)} worker(s) present in the answers, e.g. {missing[:5].tolist()}"
        )
    values = series.reindex(data.workers).to_numpy()
    if not np.all(np.isfinite(values)) or (values < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return values


class MajorityVote(ClassificationAggregator):
    """Majority vote, optionally weighted per worker.

    Parameters
    ----------
    tie_break : ``"first"`` (default) gives a tie to the class that comes first in ``classes_``;
        ``"random"`` draws one of the tied classes with ``random_state``.
    random_state : seed or Generator, used only when ``tie_break="random"``.

    Attributes
    ----------
    labels_ : Series, the winning class per task.
    probas_ : DataFrame, the (weighted) vote share of every class.
    """

    def __init__(self, tie_break: TieBreak = "first", random_state=None):
        self.tie_break = tie_break
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_choice("tie_break", self.tie_break, ("first", "random"))
        check_random_state(self.random_state)

    def fit(
        self,
        answers: pd.DataFrame | CrowdAnswers,
        *,
        weights: pd.Series | dict | None = None,
        classes: Iterable[Hashable] | None = None,
        duplicates: DuplicatePolicy = "raise",
    ) -> "MajorityVote":
        """Fit on long answers; ``weights`` maps each worker name to a non-negative weight."""
        self._validate_params()
        data = encode_answers(answers, classes=classes, duplicates=duplicates)
        w = None if weights is None else align_worker_weights(data, weights)
        votes = weighted_votes(data, w)
        rng = np.random.default_rng(self.random_state) if self.tie_break == "random" else None
        self._set_result(data, vote_shares(votes), break_ties(votes, self.tie_break, rng))
        return self


class NaiveSoft(ClassificationAggregator):
    """Naive soft labels: the empirical distribution of the votes of each task (peerannot's NaiveSoft).

    Attributes
    ----------
    probas_ : DataFrame, vote shares; ``labels_`` their argmax (ties to the first class).
    """

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        return vote_shares(data.vote_counts)


def _agreement(data: CrowdAnswers, proba: np.ndarray) -> np.ndarray:
    """Per worker, mean probability that their answer is the task's label under ``proba``."""
    hits = np.bincount(data.worker, weights=proba[data.task, data.label], minlength=data.n_workers)
    return hits / np.maximum(data.answers_per_worker, 1)


class Wawa(ClassificationAggregator):
    """Worker Agreement With Aggregate: majority vote weighted by each worker's agreement with it.

    A task tied under majority vote counts each tied class as a share of a win, so that tied
    classes stay tied (the tie rule of :class:`~crowdtut.aggregation._base.Estimator`).

    Attributes
    ----------
    skills_ : Series, fraction of each worker's answers that agree with the majority vote.
    """

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        skills = _agreement(data, tied_one_hot(data.vote_counts))
        self.skills_ = data.worker_series(skills, name="skill")
        return vote_shares(weighted_votes(data, skills))


class ZeroBasedSkill(ClassificationAggregator):
    """Zero-Based Skill: weighted majority vote whose worker skills take gradient steps toward
    each worker's agreement with the current labels (crowd-kit's ZBS).

    Parameters
    ----------
    n_iter : maximum number of passes.
    lr_init : initial learning rate.
    lr_steps_to_reduce : the learning rate is multiplied by ``lr_reduce_factor`` at every pass
        whose 1-based number is a multiple of this.
    lr_reduce_factor : see above.
    eps : initial skills are ``1 / K + eps``.
    tol : stop early when no skill moves by more than this (the labels are then fixed).

    Tied classes of the weighted vote share the win equally when skills are updated.

    Attributes
    ----------
    skills_ : Series of worker skills.
    n_iter_, converged_ : passes run, and whether ``tol`` stopped them (there is no likelihood,
        so no ``loss_history_``).
    """

    def __init__(
        self,
        n_iter: int = 100,
        lr_init: float = 1.0,
        lr_steps_to_reduce: int = 20,
        lr_reduce_factor: float = 0.5,
        eps: float = 1e-5,
        tol: float = 1e-9,
    ):
        self.n_iter = n_iter
        self.lr_init = lr_init
        self.lr_steps_to_reduce = lr_steps_to_reduce
        self.lr_reduce_factor = lr_reduce_factor
        self.eps = eps
        self.tol = tol

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_positive_int("lr_steps_to_reduce", self.lr_steps_to_reduce)
        for name in ("lr_init", "lr_reduce_factor", "eps", "tol"):
            check_non_negative(name, getattr(self, name))

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        skills = np.full(data.n_workers, 1.0 / data.n_classes + self.eps)
        lr = self.lr_init
        done, n_run = False, 0
        for step in range(1, self.n_iter + 1):
            if step % self.lr_steps_to_reduce == 0:
                lr *= self.lr_reduce_factor
            agree = _agreement(data, tied_one_hot(weighted_votes(data, skills)))
            step_size = lr * (agree - skills)
            skills = skills + step_size
            n_run = step
            if np.abs(step_size).max(initial=0.0) <= self.tol:
                done = True
                break
        self.n_iter_, self.converged_ = n_run, done
        self.skills_ = data.worker_series(skills, name="skill")
        return vote_shares(weighted_votes(data, skills))


class IWMV(ClassificationAggregator):
    """Iterative Weighted Majority Vote (Li & Yu, 2014).

    Each worker's vote weighs ``K * a_j - 1``, where ``a_j`` is their agreement with the current
    labels; weights and labels are updated until the labels stop changing.

    Parameters
    ----------
    n_iter : maximum number of updates.

    Tied classes share the win equally when agreements are computed.

    Attributes
    ----------
    skills_ : Series, each worker's agreement with the final labels.
    weights_ : Series, the vote weights ``K * skill - 1``.
    n_iter_, converged_ : updates run, and whether the labels stopped changing (no likelihood,
        so no ``loss_history_``).

    References
    ----------
    Hongwei Li and Bin Yu, "Error rate bounds and iterative weighted majority voting for
    crowdsourcing", arXiv:1411.4086, 2014.
    """

    def __init__(self, n_iter: int = 50):
        self.n_iter = n_iter

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        k = data.n_classes
        votes = data.vote_counts
        wins = tied_one_hot(votes)
        done, n_run = False, 0
        for step in range(1, self.n_iter + 1):
            skills = _agreement(data, wins)
            votes = weighted_votes(data, k * skills - 1.0)
            new_wins = tied_one_hot(votes)
            n_run = step
            if np.array_equal(new_wins, wins):
                done = True
                break
            wins = new_wins
        self.n_iter_, self.converged_ = n_run, done
        winner = votes.argmax(axis=1)
        skills = _agreement(data, wins)
        self.skills_ = data.worker_series(skills, name="skill")
        self.weights_ = data.worker_series(k * skills - 1.0, name="weight")
        # weights below zero (workers worse than chance) count against a class; the reported
        # probabilities are the shares of the positively weighted votes, the labels the winners
        proba = vote_shares(weighted_votes(data, np.clip(k * skills - 1.0, 0.0, None)))
        return proba, winner
