"""Dynamic overlap replayed on real answers: buy the next answer of a task only while its
aggregated label is not confident enough (Toloka's "dynamic overlap", SageMaker's thresholds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers, DuplicatePolicy, encode_answers

__all__ = ["dynamic_overlap", "OverlapResult"]

_FLOOR = 1e-6  # skills and confusion entries are kept in [_FLOOR, 1 - _FLOOR] so no log is infinite


@dataclass(frozen=True)
class OverlapResult:
    """What a dynamic-overlap replay bought.

    Attributes
    ----------
    answers : DataFrame, the rows of the input answers that were bought, in their input order.
    labels : Series (task -> label) aggregated from the bought answers.
    confidence : Series (task -> posterior probability of ``labels``) when the task stopped.
    n_bought : Series (task -> answers bought).
    n_available : Series (task -> answers in the input).
    """

    answers: pd.DataFrame
    labels: pd.Series
    confidence: pd.Series
    n_bought: pd.Series
    n_available: pd.Series

    @property
    def fraction_bought(self) -> float:
        """Answers bought over answers available."""
        return float(self.n_bought.sum() / self.n_available.sum())

    @property
    def answers_per_task(self) -> float:
        """Mean answers bought per task."""
        return float(self.n_bought.mean())


def check_overlap_params(min_overlap, max_overlap, confidence) -> None:
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if not is_int(min_overlap) or min_overlap < 1:
        raise ValueError(f"min_overlap={min_overlap!r}; expected a positive integer")
    if max_overlap is not None:
        if not is_int(max_overlap) or max_overlap < 1:
            raise ValueError(f"max_overlap={max_overlap!r}; expected None or a positive integer")
        if min_overlap > max_overlap:
            raise ValueError(
                f"min_overlap={min_overlap} is larger than max_overlap={max_overlap}; expected "
                "min_overlap <= max_overlap"
            )
    ok = isinstance(confidence, (int, float, np.integer, np.floating)) and not isinstance(confidence, bool)
    if not ok or not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence={confidence!r}; expected a number strictly between 0 and 1")


def _skill_array(data: CrowdAnswers, skills, default: float) -> np.ndarray:
    """Worker skills in code order from a number, a Series/dict by worker name (others: default)."""
    if isinstance(skills, (int, float, np.integer, np.floating)) and not isinstance(skills, bool):
        values = np.full(data.n_workers, float(skills))
    else:
        series = pd.Series(skills, dtype=np.float64)
        values = series.reindex(data.workers).fillna(default).to_numpy()
    if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values > 1):
        raise ValueError("skills must lie in [0, 1]")
    return values


def _contributions(data: CrowdAnswers, aggregator, skills, default_skill: float):
    """Per answer, its additive contribution to the task's score (n_answers, K), whether the
    scores are log-likelihoods (else vote counts), and the log prior."""
    k = data.n_classes
    n = data.n_answers
    if isinstance(aggregator, str):
        if aggregator == "majority":
            contrib = np.zeros((n, k))
            contrib[np.arange(n), data.label] = 1.0
            return contrib, False, None
        if aggregator == "one_coin":
            q = np.clip(_skill_array(data, skills, default_skill), _FLOOR, 1 - _FLOOR)
        else:
            raise ValueError(
                f"aggregator={aggregator!r}; expected 'majority', 'one_coin' or a fitted model "
                "with confusion_ (DawidSkene) or skills_ (GoldMajorityVote, OneCoinDawidSkene, Wawa)"
            )
        return _one_coin(data, q), True, np.zeros(k)
    # a fitted model: worker confusion matrices, else worker skills
    confusion = getattr(aggregator, "confusion_", None)
    if confusion is not None:
        workers = pd.Index(aggregator.workers_)
        conf = np.clip(np.asarray(confusion, dtype=np.float64), _FLOOR, 1.0)
        rows = workers.get_indexer(data.workers)
        log_conf = np.zeros((data.n_workers, k, k))  # unknown workers: no information
        known = rows >= 0
        log_conf[known] = np.log(conf[rows[known]] / conf[rows[known]].sum(axis=2, keepdims=True))
        contrib = log_conf[data.worker, :, data.label]  # (n_answers, K_true)
        prior = getattr(aggregator, "priors_", None)
        if prior is None:
            log_prior = np.zeros(k)
        else:
            prior = pd.Series(prior).reindex(data.classes).fillna(1.0 / k).to_numpy(dtype=np.float64)
            log_prior = np.log(np.clip(prior, _FLOOR, 1.0))
        return contrib, True, log_prior
    fitted_skills = getattr(aggregator, "skills_", None)
    if fitted_skills is not None:
        default = getattr(aggregator, "default_skill_", default_skill)
        q = np.clip(_skill_array(data, fitted_skills, default), _FLOOR, 1 - _FLOOR)
        return _one_coin(data, q), True, np.zeros(k)
    raise ValueError(
        f"aggregator {type(aggregator).__name__} has neither confusion_ nor skills_: fit it first, "
        "or pass 'majority' or 'one_coin'"
    )


def _one_coin(data: CrowdAnswers, q: np.ndarray) -> np.ndarray:
    k = data.n_classes
    qa = q[data.worker]
    contrib = np.repeat(np.log((1 - qa) / max(k - 1, 1))[:, None], k, axis=1)
    contrib[np.arange(data.n_answers), data.label] = np.log(qa)
    return contrib


def dynamic_overlap(
    answers: pd.DataFrame | CrowdAnswers,
    *,
    min_overlap: int = 1,
    max_overlap: int | None = None,
    confidence: float = 0.9,
    aggregator="majority",
    skills=0.7,
    random_state=None,
    classes: Iterable[Hashable] | None = None,
    duplicates: DuplicatePolicy = "raise",
) -> OverlapResult:
    """Replay real answers in a random order per task, buying the next answer of a task only
    while the aggregated posterior of its leading class is below ``confidence``.

    Each task first gets ``min_overlap`` answers; then one more at a time until its confidence
    reaches ``confidence``, it has ``max_overlap`` answers, or its answers run out. All tasks are
    replayed at once (cumulative sums over the answers sorted by task and random order).

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers: the answers that
        could be bought.
    min_overlap, max_overlap : answers per task before any stop, and at most (``None``: all).
    confidence : stop once the leading class has at least this posterior, in (0, 1).
    aggregator : ``"majority"`` (confidence = the leading class's vote share), ``"one_coin"``
        (Toloka's model: worker ``j`` answers the true class with probability ``skills[j]`` and
        any other class with probability ``(1 - skills[j]) / (K - 1)``, uniform prior), or a
        fitted model: one with ``confusion_`` and ``workers_`` (DawidSkene: its confusion
        matrices and ``priors_``; unknown workers carry no information) or with ``skills_``
        (one-coin with those skills; unknown workers get ``default_skill_`` or ``skills``).
    skills : for ``"one_coin"``: one skill for everyone, or a Series (worker -> skill), where
        missing workers get 0.7.
    random_state : seed or Generator for the order of the answers within each task.

    Returns
    -------
    OverlapResult

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [1] * 5 + [2] * 5, "worker": list("abcde") * 2,
    ...                         "label": [0, 0, 0, 0, 0, 0, 1, 0, 1, 1]})
    >>> result = dynamic_overlap(answers, min_overlap=3, confidence=0.9, random_state=0)
    >>> result.n_bought.tolist()  # task 1 is unanimous after 3; task 2 never reaches 0.9
    [3, 5]

    References
    ----------
    Toloka, "Dynamic overlap", https://toloka.ai/docs/guide/dynamic-overlap/ (accuracy on
    control tasks smoothed with K = 0.5, Bayes' rule with a uniform prior, a threshold on the
    posterior of the leading answer).
    """
    check_overlap_params(min_overlap, max_overlap, confidence)
    data = encode_answers(answers, classes=classes, duplicates=duplicates)
    if not isinstance(aggregator, str):
        classes_ = getattr(aggregator, "classes_", None)
        if classes_ is not None and classes is None and not isinstance(answers, CrowdAnswers):
            missing = pd.Index(data.classes).difference(pd.Index(classes_))
            if len(missing):
                raise ValueError(
                    f"the answers have class(es) {missing.tolist()[:5]} the fitted aggregator never saw"
                )
            data = encode_answers(answers, classes=classes_, duplicates=duplicates)
    rng = np.random.default_rng(random_state)
    contrib, is_log, log_prior = _contributions(data, aggregator, skills, 0.7)

    # answers grouped by task, in a random order within each task
    order = np.lexsort((rng.random(data.n_answers), data.task))
    task = data.task[order]
    counts = data.answers_per_task
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    position = np.arange(data.n_answers) - starts[task]  # 0-based rank of the answer in its task
    cum = np.cumsum(contrib[order], axis=0)
    # the running sum just before each task's first answer
    before = np.vstack([np.zeros((1, data.n_classes)), cum])[starts[task]]
    scores = cum - before  # score after buying answers 0..position of the task
    if is_log:
        scores = scores + log_prior
        scores -= scores.max(axis=1, keepdims=True)
        post = np.exp(scores)
        post /= post.sum(axis=1, keepdims=True)
    else:
        post = scores / (position + 1)[:, None]
    leading = post.argmax(axis=1)
    conf = post[np.arange(data.n_answers), leading]

    cap = counts if max_overlap is None else np.minimum(counts, max_overlap)
    n_bought_so_far = position + 1
    stop = ((n_bought_so_far >= min_overlap) & (conf >= confidence - 1e-12)) | (n_bought_so_far >= cap[task])
    stop_rows = np.flatnonzero(stop)
    first_task, first_at = np.unique(task[stop_rows], return_index=True)
    stop_row = np.full(data.n_tasks, -1, dtype=np.int64)
    stop_row[first_task] = stop_rows[first_at]
    has = stop_row >= 0  # tasks without answers have no stop row
    n_bought = np.zeros(data.n_tasks, dtype=np.int64)
    n_bought[has] = position[stop_row[has]] + 1
    bought_sorted = position < n_bought[task]
    bought = np.zeros(data.n_answers, dtype=bool)
    bought[order] = bought_sorted

    label_codes = np.zeros(data.n_tasks, dtype=np.int64)
    label_codes[has] = leading[stop_row[has]]
    final_conf = np.full(data.n_tasks, np.nan)
    final_conf[has] = conf[stop_row[has]]
    if isinstance(answers, pd.DataFrame) and len(answers) == data.n_answers:  # rows align
        chosen = answers.iloc[np.flatnonzero(bought)]
    else:
        chosen = data.subset(bought).to_frame()
    labels = pd.Series(data.classes.take(label_codes), index=data.tasks, name="agg_label")
    if not has.all():
        labels = labels.astype(object)
        labels[~has] = np.nan
    return OverlapResult(
        answers=chosen,
        labels=labels,
        confidence=data.task_series(final_conf, name="confidence"),
        n_bought=data.task_series(n_bought, name="n_bought"),
        n_available=data.task_series(counts.astype(np.int64), name="n_available"),
    )
