"""Three weighted votes defined by peerannot: WDS, PlantNet and TwoThird."""

from __future__ import annotations

from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from ...answers import CrowdAnswers, DuplicatePolicy, encode_answers
from .._base import ClassificationAggregator, check_random_state
from ..._checks import check_choice, check_non_negative, check_positive_int
from .dawid_skene import DawidSkene
from .voting import break_ties, vote_shares, weighted_votes

__all__ = ["WDS", "PlantNet", "TwoThird"]


class WDS(ClassificationAggregator):
    """Weighted Distribution from Dawid-Skene (peerannot's WDS).

    Dawid-Skene is fitted first; then every answer votes for its class with the weight its worker
    has on the diagonal of their confusion matrix at that class, ``pi_j[k, k]``. The label
    distribution of a task is its normalised weighted votes (uniform for a task without answers).

    Parameters
    ----------
    n_iter, tol : passed to :class:`DawidSkene`.

    Attributes
    ----------
    probas_, labels_ : weighted vote shares and their argmax (ties to the first class).
    confusion_ : ndarray (n_workers, K, K) of the underlying Dawid-Skene fit.

    References
    ----------
    T. Lefort, B. Charlier, A. Joly and J. Salmon, "Peerannot: classification for crowdsourced
    image datasets with Python", Computo, 2024. https://doi.org/10.57750/qmaz-gr91

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": [0, 1, 2, 0, 1, 2],
    ...                         "label": [0, 0, 1, 1, 1, 0]})
    >>> WDS().fit_predict(answers).tolist()
    [0, 1]
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-5):
        self.n_iter = n_iter
        self.tol = tol

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)

    def _fit(self, data: CrowdAnswers) -> np.ndarray:
        ds = DawidSkene(n_iter=self.n_iter, tol=self.tol).fit(data)
        diagonal = ds.confusion_[:, np.arange(data.n_classes), np.arange(data.n_classes)]  # (W, K)
        k = data.n_classes
        votes = np.bincount(
            data.task * k + data.label, weights=diagonal[data.worker, data.label],
            minlength=data.n_tasks * k,
        ).reshape(data.n_tasks, k)
        self.confusion_ = ds.confusion_
        self.n_iter_, self.converged_ = ds.n_iter_, ds.converged_
        return vote_shares(votes)


class TwoThird(ClassificationAggregator):
    """Two-third agreement (peerannot's TwoThird): a task is settled when it has at least two
    answers and its most chosen class holds at least two thirds of them.

    ``labels_`` is the majority vote of every task (so that it is defined everywhere) and
    ``agreed_`` says which tasks reached the two-thirds consensus: peerannot's output (the label,
    or -1 without consensus) is ``labels_.where(agreed_)``.

    Parameters
    ----------
    tie_break : ``"first"`` or ``"random"`` (peerannot draws tied classes at random).
    random_state : seed or Generator for ``tie_break="random"``.

    Attributes
    ----------
    labels_, probas_ : majority vote and vote shares.
    agreed_ : Series of bool, the tasks with a two-thirds consensus.

    References
    ----------
    T. Lefort, B. Charlier, A. Joly and J. Salmon, "Peerannot: classification for crowdsourced
    image datasets with Python", Computo, 2024. https://doi.org/10.57750/qmaz-gr91

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [0, 0, 0, 1, 1], "worker": [0, 1, 2, 0, 1],
    ...                         "label": [0, 0, 1, 1, 0]})
    >>> TwoThird().fit(answers).agreed_.tolist()
    [True, False]
    """

    def __init__(self, tie_break: str = "first", random_state=None):
        self.tie_break = tie_break
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_choice("tie_break", self.tie_break, ("first", "random"))
        check_random_state(self.random_state)

    def _fit(self, data: CrowdAnswers):
        votes = data.vote_counts
        rng = np.random.default_rng(self.random_state) if self.tie_break == "random" else None
        codes = break_ties(votes, self.tie_break, rng)
        total = votes.sum(axis=1)
        top = votes.max(axis=1)
        agreed = (total >= 2) & (3 * top >= 2 * total)
        self.agreed_ = data.task_series(agreed, name="agreed")
        return vote_shares(votes), codes


class PlantNet(ClassificationAggregator):
    """Pl@ntNet's weighted vote (Lefort et al., 2024), for very many classes and users.

    A user's weight grows with the number ``n_j`` of distinct classes (species) on which they
    agree with the current labels: ``w_j = n_j ** alpha - n_j ** beta + log(2.1)``. A class
    counts fully when the user is the author of a valid task of that class, and a tenth
    otherwise (the sum is rounded). A task is valid when its weighted agreement with its label
    exceeds ``theta_conf`` and its weighted share exceeds ``theta_acc``. Labels and weights are
    updated in turn, starting from equal weights, until the ``n_j`` stop changing.

    peerannot's defaults ``alpha = beta = 1`` give every user the weight ``log(2.1)``, hence the
    majority vote; the paper uses ``alpha = 0.5, beta = 0.2``. peerannot's loop (v0.x) recounts
    ``n_j`` from the initial labels at every step; this class recounts them from the current
    labels, as the paper describes (the two agree whenever ``alpha == beta``).

    Parameters
    ----------
    alpha, beta : exponents of the weight function.
    theta_conf, theta_acc : validity thresholds (peerannot: 2 and 0.7).
    n_iter : maximum number of updates; tol : stop when the mean change of ``n_j`` per task is
        at most this (after at least six updates, as peerannot).

    Attributes
    ----------
    labels_, probas_ : weighted vote and weighted vote shares.
    weights_ : Series, the final weight of each user; ``n_identified_`` their ``n_j``.
    valid_ : Series of bool, the valid tasks; ``confidence_``, ``accuracy_`` their scores.
    n_iter_, converged_ : updates run and whether ``tol`` was reached.

    References
    ----------
    T. Lefort, A. Affouard, B. Charlier, J.-C. Lombardo, M. Chouet, H. Goeau, J. Salmon, P. Bonnet
    and A. Joly, "Cooperative learning of Pl@ntNet's artificial intelligence algorithm: how does it
    work and how can we improve it?", Methods in Ecology and Evolution, 2025.
    https://hal.science/hal-04603038

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": [0, 1, 2, 0, 1, 2],
    ...                         "label": ["oak", "oak", "ash", "ash", "ash", "ash"]})
    >>> PlantNet().fit_predict(answers).tolist()
    ['oak', 'ash']
    """

    def __init__(self, alpha: float = 1.0, beta: float = 1.0, theta_conf: float = 2.0,
                 theta_acc: float = 0.7, n_iter: int = 100, tol: float = 1e-5):
        self.alpha = alpha
        self.beta = beta
        self.theta_conf = theta_conf
        self.theta_acc = theta_acc
        self.n_iter = n_iter
        self.tol = tol

    def _validate_params(self) -> None:
        for name in ("alpha", "beta", "theta_conf", "theta_acc", "tol"):
            check_non_negative(name, getattr(self, name))
        check_positive_int("n_iter", self.n_iter, allow_zero=True)

    def fit(
        self,
        answers: pd.DataFrame | CrowdAnswers,
        *,
        authors: pd.Series | None = None,
        classes: Iterable[Hashable] | None = None,
        duplicates: DuplicatePolicy = "raise",
    ) -> "PlantNet":
        """Fit on long answers; ``authors`` (Series: task -> worker) names who submitted each task."""
        self._validate_params()
        data = encode_answers(answers, classes=classes, duplicates=duplicates)
        author = np.full(data.n_tasks, -1)
        if authors is not None:
            authors = pd.Series(authors)
            tasks = data.tasks.get_indexer(authors.index)
            workers = data.workers.get_indexer(authors.to_numpy())
            if (tasks < 0).any():
                bad = authors.index[tasks < 0].tolist()[:5]
                raise ValueError(f"authors names task(s) not in the answers, e.g. {bad}")
            if (workers < 0).any():
                bad = authors[workers < 0].tolist()[:5]
                raise ValueError(f"authors names worker(s) not in the answers, e.g. {bad}")
            author[tasks] = workers
        self._author = author
        try:
            result = self._fit(data)
        finally:
            del self._author
        self._set_result(data, *result)
        return self

    def _scores(self, data: CrowdAnswers, weights: np.ndarray, labels: np.ndarray):
        agree = (data.label == labels[data.task]).astype(float)
        total = np.bincount(data.task, weights=weights[data.worker], minlength=data.n_tasks)
        conf = np.bincount(data.task, weights=weights[data.worker] * agree, minlength=data.n_tasks)
        acc = np.divide(conf, total, out=np.zeros_like(conf), where=total > 0)
        return conf, acc

    def _identified(self, data: CrowdAnswers, labels: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """``n_j``: distinct classes authored on valid tasks plus a tenth of the other agreed ones."""
        k = data.n_classes
        agree = data.label == labels[data.task]
        author = getattr(self, "_author", np.full(data.n_tasks, -1))
        own = agree & (author[data.task] == data.worker) & valid[data.task]
        own_pairs = np.unique(data.worker[own] * k + data.label[own])
        all_pairs = np.unique(data.worker[agree] * k + data.label[agree])
        other_pairs = np.setdiff1d(all_pairs, own_pairs, assume_unique=True)
        observed = np.bincount(own_pairs // k, minlength=data.n_workers)
        voted = np.bincount(other_pairs // k, minlength=data.n_workers) / 10.0
        return observed + np.round(voted)

    def _fit(self, data: CrowdAnswers):
        weights = np.full(data.n_workers, np.log(2.1))
        votes = weighted_votes(data, weights)
        labels = votes.argmax(axis=1)
        conf, acc = self._scores(data, weights, labels)
        valid = (conf > self.theta_conf) & (acc > self.theta_acc)
        n_j = self._identified(data, labels, valid)
        converged = False
        n_done = 0
        for step in range(self.n_iter):
            weights = n_j ** self.alpha - n_j ** self.beta + np.log(2.1)
            votes = weighted_votes(data, weights)
            labels = votes.argmax(axis=1)
            conf, acc = self._scores(data, weights, labels)
            valid = (conf > self.theta_conf) & (acc > self.theta_acc)
            previous, n_j = n_j, self._identified(data, labels, valid)
            n_done += 1
            if np.abs(n_j - previous).sum() / max(data.n_tasks, 1) <= self.tol and step > 5:
                converged = True
                break
        self.weights_ = data.worker_series(weights, name="weight")
        self.n_identified_ = data.worker_series(n_j, name="n_identified")
        self.valid_ = data.task_series(valid, name="valid")
        self.confidence_ = data.task_series(conf, name="confidence")
        self.accuracy_ = data.task_series(acc, name="accuracy")
        self.n_iter_ = n_done
        self.converged_ = converged
        return vote_shares(np.maximum(votes, 0.0)), labels
