"""KOS: Karger, Oh and Shah's message passing for binary labels."""

from __future__ import annotations

import numpy as np

from ...answers import CrowdAnswers
from .._base import ClassificationAggregator
from ..._checks import check_choice, check_non_negative, check_positive_int

__all__ = ["KOS"]


def binary_signs(data: CrowdAnswers) -> tuple[np.ndarray, np.ndarray]:
    """Each answer as +1 / -1 and the codes of the two classes answered (positive first).

    Raises a ValueError when the answers use more than two classes. When they use one class
    only, the second code is the next class in ``classes`` (its answers are all +1).
    """
    used = np.flatnonzero(np.bincount(data.label, minlength=data.n_classes))
    if len(used) > 2:
        raise ValueError(
            f"the answers use {len(used)} classes {data.classes.take(used).tolist()}; this model "
            "is for binary labels (two classes): use DawidSkene or MMSR for more classes"
        )
    if len(used) < 2:
        other = 1 if used[0] == 0 else 0
        used = np.sort(np.r_[used, other])
    signs = np.where(data.label == used[0], 1.0, -1.0)
    return signs, used


class KOS(ClassificationAggregator):
    """KOS: iterative message passing on the task-worker graph (binary labels only).

    Every answer carries two messages: a task message (how strongly the other answers of the
    task point to the first class) and a worker message (how reliable the worker looks on the
    other tasks). Both are sums over neighbouring answers, so the updates are linear; the
    worker messages are rescaled to a largest magnitude of one after every update, which keeps
    them finite and changes no sign. The label of a task is the sign of its answers weighted by
    the worker messages; an exact zero (no answer, or a perfect balance) falls back to the
    majority vote, then to the first class.

    KOS has no likelihood: ``loss_history_`` is absent. ``n_iter_`` counts updates and
    ``converged_`` says whether the rescaled messages stopped moving (by less than ``tol``)
    before ``n_iter``. ``probas_`` is not a posterior: it is one-hot on the label (one half for
    each class on the zero-score tasks).

    Parameters
    ----------
    n_iter : number of message updates (crowd-kit's default, 100).
    tol : stop when no rescaled worker message changes by more than this.
    init : ``"random"`` draws the first worker messages from N(1, 1) as in the paper (with
        ``random_state``); ``"ones"`` starts them all at one, which makes the first task
        messages a leave-one-out majority vote and the result independent of answer order.
    random_state : seed or Generator for ``init="random"``.

    Attributes
    ----------
    labels_, probas_ : label per task and its one-hot encoding.
    scores_ : Series, the final weighted sum per task (positive: the first of the two classes).
    n_iter_, converged_ : updates run, and whether the messages settled.

    References
    ----------
    D. R. Karger, S. Oh and D. Shah, "Iterative learning for reliable crowdsourcing systems",
    NeurIPS 2011; "Budget-optimal task allocation for reliable crowdsourcing systems",
    Operations Research 62(1), 2014. https://doi.org/10.1287/opre.2013.1235

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": [0, 1, 2, 0, 1, 2],
    ...                         "label": ["a", "a", "b", "b", "b", "a"]})
    >>> KOS(init="ones").fit_predict(answers).tolist()
    ['a', 'b']
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-8, init: str = "random", random_state=0):
        self.n_iter = n_iter
        self.tol = tol
        self.init = init
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_choice("init", self.init, ("random", "ones"))

    def _fit(self, data: CrowdAnswers):
        signs, used = binary_signs(data)
        n_tasks, n_workers = data.n_tasks, data.n_workers
        if self.init == "random":
            reliability = np.random.default_rng(self.random_state).normal(1.0, 1.0, data.n_answers)
        else:
            reliability = np.ones(data.n_answers)
        converged = False
        n_done = 0
        for _ in range(self.n_iter):
            weighted = signs * reliability
            task_msg = np.bincount(data.task, weights=weighted, minlength=n_tasks)[data.task] - weighted
            weighted = signs * task_msg
            new = np.bincount(data.worker, weights=weighted, minlength=n_workers)[data.worker] - weighted
            scale = np.abs(new).max() if new.size else 0.0
            n_done += 1
            if scale == 0.0:  # every message is zero: nothing more to learn
                reliability = new
                converged = True
                break
            new /= scale
            step = np.abs(new - reliability).max()
            reliability = new
            if step <= self.tol:
                converged = True
                break
        score = np.bincount(data.task, weights=signs * reliability, minlength=n_tasks)
        votes = np.bincount(data.task, weights=signs, minlength=n_tasks)
        decided = np.where(score != 0, score, votes)
        first = decided >= 0  # exact ties go to the first of the two classes
        codes = np.where(first, used[0], used[1])
        proba = np.zeros((n_tasks, data.n_classes))
        proba[np.arange(n_tasks), codes] = 1.0
        tied = score == 0
        proba[tied] = 0.0
        proba[np.ix_(tied, used)] = 0.5
        self.scores_ = data.task_series(score, name="score")
        self.n_iter_ = n_done
        self.converged_ = converged
        return proba, codes
