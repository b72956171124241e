"""Worker-weighted choice of an answer: RASA's reliabilities on (pluggable) text embeddings."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...answers.texts import TextAnswers
from ._base import TextAggregator, best_per_task
from ._embed import TaskGram, as_embeddings

__all__ = ["TextRASA"]

_EPS = 1e-5


class TextRASA(TextAggregator):
    """Reliability-aware sequence aggregation (Li and Fukumoto 2019) on text embeddings.

    Alternates (i) each task's embedding as the reliability-weighted mean of its answers'
    embeddings and (ii) each worker's reliability ``beta = chi2_{alpha/2}(n_answers) /
    sum of squared distances`` of the worker's answers to their tasks' embeddings; then returns,
    per task, the answer with the highest cosine similarity to the task's embedding. The two
    steps are block coordinate descent on ``L = sum_k (beta_k S_k - c_k log beta_k)`` (``S_k`` the
    worker's summed squared distances, ``c_k`` the chi-squared quantile), a Gaussian negative
    log-likelihood up to constants; ``loss_history_`` records ``L`` per answer, which never
    rises. ``beta`` divides by ``S_k`` floored at 1e-5, as in crowd-kit; ``L`` keeps the true
    ``S_k``, and the floored step still moves ``beta`` towards its optimum without passing it.

    Parameters
    ----------
    embed : callable or None
        ``list[str] -> (n_answers, d)`` array or sparse matrix; ``None`` uses TF-IDF of
        character n-grams fitted locally (see :class:`ClosestToAverage`).
    n_iter : int
        Maximum number of iterations.
    tol : float
        Stop when the squared change of the task embeddings, relative to their squared norm,
        falls below ``tol`` (crowd-kit's rule).
    alpha : float in (0, 1)
        Significance level of the chi-squared quantile.

    Attributes
    ----------
    texts_ : Series of str indexed by task
    skills_ : Series of float indexed by worker
        The reliabilities ``beta``.
    scores_ : ndarray of float, shape (n_answers,)
        Cosine similarity of each answer to its task's weighted embedding.
    n_iter_, converged_, loss_history_
        Iterations run, whether ``tol`` was reached, ``L`` per answer after each iteration.

    References
    ----------
    J. Li and F. Fukumoto, "A Dataset of Crowdsourced Word Sequences: Collections and Answer
    Aggregation for Ground Truth Creation", AnnoNLP 2019, https://doi.org/10.18653/v1/D19-5904

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "task": ["u1", "u1", "u1", "u2", "u2", "u2"],
    ...     "worker": ["w1", "w2", "w3"] * 2,
    ...     "text": ["the cat sat", "the cat sat", "a dog ran",
    ...              "hello world", "hello world!", "goodbye"],
    ... })
    >>> rasa = TextRASA().fit(answers)
    >>> rasa.texts_.tolist()
    ['the cat sat', 'hello world']
    >>> bool(rasa.skills_["w3"] < rasa.skills_["w1"])
    True
    """

    def __init__(
        self, embed: Callable | None = None, n_iter: int = 100, tol: float = 1e-9, alpha: float = 0.05
    ) -> None:
        self.embed = embed
        self.n_iter = n_iter
        self.tol = tol
        self.alpha = alpha

    def _validate_params(self) -> None:
        if self.embed is not None and not callable(self.embed):
            raise ValueError(f"embed={self.embed!r}; expected None or a callable list[str] -> array")
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, (int, np.integer)) or self.n_iter < 1:
            raise ValueError(f"n_iter={self.n_iter!r}; expected an integer >= 1")
        if not (isinstance(self.tol, (int, float)) and self.tol >= 0):
            raise ValueError(f"tol={self.tol!r}; expected a number >= 0")
        if not (isinstance(self.alpha, (int, float)) and 0 < self.alpha < 1):
            raise ValueError(f"alpha={self.alpha!r}; expected a number in (0, 1)")

    def _fit(self, data: TextAnswers) -> np.ndarray:
        from scipy.stats import chi2

        X = as_embeddings(self.embed, data.texts)
        gram = TaskGram(X, data.task, data.n_tasks)
        n_per_worker = np.bincount(data.worker, minlength=data.n_workers)
        prior = chi2.isf(self.alpha / 2, n_per_worker)
        skills = np.ones(data.n_workers)
        previous, losses, converged = None, [], False
        for _ in range(int(self.n_iter)):
            a = gram.weights(skills[data.worker])
            dist = gram.sq_distances(a)
            totals = np.bincount(data.worker, weights=dist, minlength=data.n_workers)
            skills = prior / np.maximum(totals, _EPS)
            losses.append(float(np.sum(skills * totals - prior * np.log(skills)) / data.n_answers))
            if previous is not None:
                change = gram.sq_norm(a - previous) / max(gram.sq_norm(a), _EPS)
                if change < self.tol:
                    converged = True
                    break
            previous = a
        self.skills_ = data.worker_series(skills, name="skill")
        self.n_iter_ = len(losses)
        self.converged_ = converged
        self.loss_history_ = np.array(losses)
        self.scores_ = gram.cosines(a)
        return data.texts[best_per_task(data, self.scores_)]
