"""Gold majority vote: each worker's vote weighs their accuracy on control (gold) tasks."""

from __future__ import annotations

from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from ...answers import CrowdAnswers, DuplicatePolicy, encode_answers
from ..._checks import check_non_negative
from .._base import ClassificationAggregator
from .voting import vote_shares, weighted_votes

__all__ = ["GoldMajorityVote"]


class GoldMajorityVote(ClassificationAggregator):
    """Majority vote weighted by each worker's accuracy on gold tasks (crowd-kit's GoldMajorityVote).

    A worker who answered ``n`` gold tasks and got ``h`` right has skill
    ``(h + pseudo_count * s0) / (n + pseudo_count)``, where ``s0`` is the prior skill; with the
    default ``pseudo_count=0`` this is the plain gold accuracy, as in crowd-kit. A worker who saw
    no gold task (where crowd-kit fails) gets the prior skill ``s0``: ``default_skill`` when given,
    otherwise the pooled accuracy of all gold answers (the crowd's accuracy on gold), or 1 when
    there is no gold answer at all (``gold=None``: every worker weighs the same, which is majority
    vote). Each task's
    label is the class with the largest sum of the skills of the workers who chose it; exact ties
    go to the class that comes first in ``classes_``.

    Parameters
    ----------
    default_skill : prior skill in [0, 1], or ``None`` for the pooled gold accuracy (1 without gold).
    pseudo_count : number of imaginary gold answers at the prior skill added to every worker
        (0: no shrinkage).

    Attributes
    ----------
    skills_ : Series, the weight of each worker.
    n_gold_ : Series, the number of gold answers of each worker.
    default_skill_ : float, the prior skill used.
    probas_, labels_ : skill-weighted vote shares and their argmax per task.

    Examples
    --------
    >>> import pandas as pd
    >>> from crowdtut.aggregation import GoldMajorityVote
    >>> answers = pd.DataFrame({"task": ["t1", "t1", "t1", "t2", "t2", "t2"],
    ...                         "worker": ["a", "b", "c", "a", "b", "c"],
    ...                         "label": [0, 0, 1, 1, 0, 1]})
    >>> model = GoldMajorityVote().fit(answers, gold=pd.Series({"t1": 0}))
    >>> model.skills_.tolist(), model.labels_.tolist()
    ([1.0, 1.0, 0.0], [0, 0])

    References
    ----------
    crowd-kit's ``GoldMajorityVote`` (Ustalov et al., "Learning from crowds with crowd-kit",
    JOSS 2024, https://doi.org/10.21105/joss.06227); Toloka's dynamic overlap smooths gold
    accuracy the same way with ``pseudo_count = 1`` and ``s0 = 1/2``.
    """

    def __init__(self, default_skill: float | None = None, pseudo_count: float = 0.0):
        self.default_skill = default_skill
        self.pseudo_count = pseudo_count

    def _validate_params(self) -> None:
        check_non_negative("pseudo_count", self.pseudo_count)
        if self.default_skill is not None:
            ok = isinstance(self.default_skill, (int, float, np.integer, np.floating))
            if isinstance(self.default_skill, bool) or not ok or not 0.0 <= self.default_skill <= 1.0:
                raise ValueError(f"default_skill={self.default_skill!r}; expected None or a number in [0, 1]")

    def fit(
        self,
        answers: pd.DataFrame | CrowdAnswers,
        gold: pd.Series | dict | None = None,
        *,
        classes: Iterable[Hashable] | None = None,
        duplicates: DuplicatePolicy = "raise",
    ) -> "GoldMajorityVote":
        """Learn skills from ``gold`` (Series: task -> true label) and label every task of ``answers``."""
        from ...quality._gold import gold_hits

        self._validate_params()
        data = encode_answers(answers, classes=classes, duplicates=duplicates)
        if gold is None:
            n, hits = np.zeros(data.n_workers, dtype=np.int64), np.zeros(data.n_workers)
        else:
            n, hits = gold_hits(data, gold)
        if self.default_skill is not None:
            prior = float(self.default_skill)
        elif n.sum() > 0:
            prior = float(hits.sum() / n.sum())
        else:  # no gold answer at all: equal weights, i.e. majority vote
            prior = 1.0
        c = float(self.pseudo_count)
        denom = n + c
        skills = np.divide(hits + c * prior, denom, out=np.full(data.n_workers, prior), where=denom > 0)
        self.default_skill_ = prior
        self.n_gold_ = data.worker_series(n, name="n_gold")
        self.skills_ = data.worker_series(skills, name="skill")
        self._label(data, skills)
        return self

    def fit_predict(self, answers, gold=None, **kwargs) -> pd.Series:
        """Fit on ``answers`` and ``gold``; return the label of every task."""
        return self.fit(answers, gold, **kwargs).labels_

    def fit_predict_proba(self, answers, gold=None, **kwargs) -> pd.DataFrame:
        """Fit on ``answers`` and ``gold``; return the weighted vote shares of every task."""
        return self.fit(answers, gold, **kwargs).probas_

    def predict(self, answers: pd.DataFrame | CrowdAnswers, **kwargs) -> pd.Series:
        """Label other answers with the learned skills (new workers get ``default_skill_``)."""
        return self._apply(answers, **kwargs).labels_

    def predict_proba(self, answers: pd.DataFrame | CrowdAnswers, **kwargs) -> pd.DataFrame:
        """Weighted vote shares of other answers with the learned skills."""
        return self._apply(answers, **kwargs).probas_

    def _apply(self, answers, *, classes=None, duplicates: DuplicatePolicy = "raise"):
        skills = self.skills_  # NotFittedError before fit
        data = encode_answers(answers, classes=classes, duplicates=duplicates)
        w = skills.reindex(data.workers).fillna(self.default_skill_).to_numpy(dtype=np.float64)
        self._label(data, w)
        return self

    def _label(self, data: CrowdAnswers, skills: np.ndarray) -> None:
        votes = weighted_votes(data, skills)
        self._set_result(data, vote_shares(votes), votes.argmax(axis=1))
