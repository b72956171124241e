"""Exams and control questions: accuracy with a confidence interval, admission thresholds and their
error rates under a binomial model, and how many control questions a decision needs."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers, DuplicatePolicy, encode_answers
from ._gold import gold_hits

__all__ = [
    "accuracy_interval",
    "exam_scores",
    "threshold_error_rates",
    "plan_gold_questions",
]

Method = Literal["wilson", "beta"]


def _check_open_unit(name: str, value) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name}={value!r}; expected a number strictly between 0 and 1")
    return float(value)


def accuracy_interval(
    correct, total, *, confidence: float = 0.95, method: Method = "wilson"
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided confidence interval for a binomial proportion ``correct / total`` (vectorised).

    ``"wilson"`` is the Wilson score interval, ``"beta"`` the exact Clopper-Pearson interval (Beta
    quantiles). Where ``total`` is 0 the interval is [0, 1].

    Parameters
    ----------
    correct, total : counts (scalars or arrays of the same shape), ``0 <= correct <= total``.
    confidence : coverage in (0, 1).
    method : ``"wilson"`` or ``"beta"``.

    Returns
    -------
    low, high : float arrays.

    Examples
    --------
    >>> low, high = accuracy_interval(9, 10)
    >>> round(float(low), 3), round(float(high), 3)
    (0.596, 0.982)

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical inference", JASA
    22(158), 1927. C. J. Clopper and E. S. Pearson, Biometrika 26(4), 1934.
    """
    from scipy import stats

    confidence = _check_open_unit("confidence", confidence)
    if method not in ("wilson", "beta"):
        raise ValueError(f"method={method!r}; expected 'wilson' or 'beta'")
    k = np.asarray(correct, dtype=np.float64)
    n = np.asarray(total, dtype=np.float64)
    if np.any(n < 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("expected 0 <= correct <= total for every entry")
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wilson":
            z = stats.norm.ppf(1.0 - alpha / 2.0)
            p = k / n
            centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
            half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
            low, high = centre - half, centre + half
        else:
            low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
            high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    empty = n == 0
    low = np.where(empty, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(empty, 1.0, np.clip(high, 0.0, 1.0))
    return low, high


def exam_scores(
    answers: pd.DataFrame | CrowdAnswers,
    gold: pd.Series | dict,
    *,
    threshold: float | None = None,
    confidence: float = 0.95,
    method: Method = "wilson",
    duplicates: DuplicatePolicy = "raise",
) -> pd.DataFrame:
    """Each worker's score on control (gold) tasks, with a confidence interval and a verdict.

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers.
    gold : Series (task -> true label) of the control tasks; every task must be in ``answers``
        and every label one of its classes.
    threshold : accuracy needed to pass; ``None`` gives no verdict.
    confidence, method : as in :func:`accuracy_interval`.

    Returns
    -------
    DataFrame indexed by worker with ``n_gold``, ``n_correct``, ``accuracy`` (NaN without gold),
    ``low``, ``high`` and, with a threshold, ``passed`` (accuracy >= threshold; False without gold).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [1, 2, 1, 2], "worker": ["a", "a", "b", "b"],
    ...                         "label": [0, 1, 0, 0]})
    >>> exam_scores(answers, pd.Series({1: 0, 2: 1}), threshold=0.75)["passed"].tolist()
    [True, False]
    """
    data = encode_answers(answers, duplicates=duplicates)
    if threshold is not None:
        ok = isinstance(threshold, (int, float, np.integer, np.floating)) and not isinstance(threshold, bool)
        if not ok or not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold={threshold!r}; expected None or a number in [0, 1]")
    n, hits = gold_hits(data, gold)
    low, high = accuracy_interval(hits, n, confidence=confidence, method=method)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n > 0, hits / np.maximum(n, 1), np.nan)
    table = pd.DataFrame(
        {"n_gold": n, "n_correct": hits.astype(np.int64), "accuracy": acc, "low": low, "high": high},
        index=data.workers,
    )
    if threshold is not None:
        table["passed"] = (n > 0) & (np.nan_to_num(acc, nan=-1.0) >= threshold - 1e-12)
    return table


def threshold_error_rates(n_questions, min_correct, *, good: float = 0.9, bad: float = 0.7) -> pd.DataFrame:
    """False-reject and false-admit rates of the rule "admit with at least ``min_correct`` right
    out of ``n_questions``", when each answer is right independently (binomial model).

    A good worker (accuracy ``good``) is rejected with probability P(Bin(n, good) < m); a bad one
    (accuracy ``bad``) admitted with probability P(Bin(n, bad) >= m). Broadcasts over
    ``n_questions`` and ``min_correct``.

    Returns
    -------
    DataFrame with columns ``n_questions``, ``min_correct``, ``false_reject``, ``false_admit``.

    Examples
    --------
    >>> rates = threshold_error_rates(10, 8)
    >>> round(float(rates.false_reject[0]), 3), round(float(rates.false_admit[0]), 3)
    (0.07, 0.383)
    """
    from scipy import stats

    good = _check_open_unit("good", good)
    bad = _check_open_unit("bad", bad)
    n, m = np.broadcast_arrays(np.asarray(n_questions), np.asarray(min_correct))
    n, m = n.ravel(), m.ravel()
    if not (np.issubdtype(n.dtype, np.integer) and np.issubdtype(m.dtype, np.integer)):
        raise ValueError("n_questions and min_correct must be integers")
    if np.any(n < 1) or np.any(m < 0) or np.any(m > n):
        raise ValueError("expected n_questions >= 1 and 0 <= min_correct <= n_questions")
    return pd.DataFrame(
        {
            "n_questions": n,
            "min_correct": m,
            "false_reject": stats.binom.cdf(m - 1, n, good),
            "false_admit": stats.binom.sf(m - 1, n, bad),
        }
    )


def plan_gold_questions(
    *, good: float = 0.9, bad: float = 0.7, max_error: float = 0.05, max_questions: int = 500
) -> pd.Series:
    """The fewest control questions (and the pass mark) that tell a ``good`` worker from a ``bad``
    one with both error rates at most ``max_error``.

    Searches every ``n <= max_questions`` and every pass mark at once; among the pass marks that
    work for the smallest ``n``, the one with the smallest worse error is returned.

    Returns
    -------
    Series with ``n_questions``, ``min_correct``, ``false_reject``, ``false_admit``.

    Examples
    --------
    >>> plan = plan_gold_questions(good=0.9, bad=0.7, max_error=0.05)
    >>> int(plan.n_questions), int(plan.min_correct)
    (41, 34)
    """
    from scipy import stats

    good = _check_open_unit("good", good)
    bad = _check_open_unit("bad", bad)
    max_error = _check_open_unit("max_error", max_error)
    if not good > bad:
        raise ValueError(f"good={good} must exceed bad={bad}")
    is_int = isinstance(max_questions, (int, np.integer)) and not isinstance(max_questions, bool)
    if not is_int or max_questions < 1:
        raise ValueError(f"max_questions={max_questions!r}; expected a positive integer")
    n = np.arange(1, max_questions + 1)[:, None]
    m = np.arange(0, max_questions + 1)[None, :]
    valid = m <= n
    reject = stats.binom.cdf(m - 1, n, good)
    admit = stats.binom.sf(m - 1, n, bad)
    worse = np.where(valid, np.maximum(reject, admit), np.inf)
    ok = worse <= max_error
    rows = np.flatnonzero(ok.any(axis=1))
    if rows.size == 0:
        raise ValueError(
            f"no exam of at most {max_questions} questions reaches error {max_error} between "
            f"accuracies {bad} and {good}; raise max_questions or max_error"
        )
    i = rows[0]
    j = int(np.argmin(worse[i]))
    return pd.Series(
        {
            "n_questions": int(i + 1),
            "min_correct": j,
            "false_reject": float(reject[i, j]),
            "false_admit": float(admit[i, j]),
        },
        dtype=object,
    )
