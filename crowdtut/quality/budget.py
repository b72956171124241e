"""Budget curves: accuracy against answers bought, for fixed and dynamic overlap, with bootstrap bands."""

from __future__ import annotations

from typing import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers, encode_answers
from .overlap import check_overlap_params, dynamic_overlap

__all__ = ["budget_curve"]


def _truth_codes(data: CrowdAnswers, truth) -> tuple[np.ndarray, np.ndarray]:
    """Task codes of the labelled tasks and the code of their true class (-1: a class nobody chose)."""
    truth = pd.Series(truth)
    if len(truth) == 0 or truth.isna().any():
        raise ValueError("truth must be a non-empty Series (task -> label) without missing labels")
    tasks = data.tasks.get_indexer(truth.index)
    if (tasks < 0).any():
        raise ValueError(f"truth has task(s) not in the answers, e.g. {truth.index[tasks < 0].tolist()[:5]}")
    return tasks, data.classes.get_indexer(truth.to_numpy())


def budget_curve(
    answers: pd.DataFrame | CrowdAnswers,
    truth: pd.Series,
    *,
    overlaps: Sequence[int] | None = None,
    confidences: Sequence[float] = (0.8, 0.9, 0.95, 0.99),
    min_overlap: int = 1,
    max_overlap: int | None = None,
    aggregator="one_coin",
    skills=0.7,
    n_repeats: int = 5,
    n_boot: int = 200,
    band: float = 0.9,
    random_state=None,
    classes: Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    """Accuracy against answers bought per task, for fixed overlaps and for dynamic overlap.

    Every policy is replayed ``n_repeats`` times (new random orders); each task's correctness and
    answers bought are averaged over the repeats, and the bands are percentile bootstrap bands
    over tasks (``n_boot`` resamples). Fixed overlap ``k`` is majority vote on ``k`` random
    answers per task (ties to the first class); dynamic overlap is :func:`dynamic_overlap` with
    each of ``confidences``. The last row, policy ``"all"``, is majority vote on every answer.

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers.
    truth : Series (task -> true label); accuracy is measured on these tasks.
    overlaps : fixed overlaps to replay (default ``1..`` the largest number of answers of a task).
    confidences, min_overlap, max_overlap, aggregator, skills : the dynamic policy, as in
        :func:`dynamic_overlap`.
    n_repeats, n_boot : replays per policy, bootstrap resamples.
    band : coverage of the bands, in (0, 1).
    random_state : seed or Generator.

    Returns
    -------
    DataFrame with columns ``policy`` (``"fixed"``, ``"dynamic"``, ``"all"``), ``parameter``
    (overlap or confidence), ``answers_per_task``, ``fraction_bought``, ``accuracy``,
    ``accuracy_low``, ``accuracy_high``, ``cost_low``, ``cost_high`` (bands of answers per task).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [1, 1, 1, 2, 2, 2], "worker": list("abcabc"),
    ...                         "label": [0, 0, 1, 1, 1, 1]})
    >>> curve = budget_curve(answers, pd.Series({1: 0, 2: 1}), confidences=[0.9], n_boot=10,
    ...                      random_state=0)
    >>> curve.policy.tolist()
    ['fixed', 'fixed', 'fixed', 'dynamic', 'all']
    """
    check_overlap_params(min_overlap, max_overlap, 0.5)
    for name, value in (("n_repeats", n_repeats), ("n_boot", n_boot)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r}; expected a positive integer")
    if not isinstance(band, (int, float)) or not 0.0 < band < 1.0:
        raise ValueError(f"band={band!r}; expected a number strictly between 0 and 1")
    data = encode_answers(answers, classes=classes)
    task_codes, true_codes = _truth_codes(data, truth)
    if overlaps is None:
        overlaps = range(1, int(data.answers_per_task.max()) + 1)
    for conf in confidences:
        check_overlap_params(min_overlap, max_overlap, conf)
    rng = np.random.default_rng(random_state)
    n = len(task_codes)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot) / n  # (n_boot, n) bootstrap weights
    q = [(1 - band) / 2 * 100, (1 + band) / 2 * 100]

    def summarise(policy, parameter, correct, cost):
        acc = weights @ correct
        spent = weights @ cost
        return {
            "policy": policy,
            "parameter": parameter,
            "answers_per_task": float(cost.mean()),
            "fraction_bought": float(cost.sum() / data.answers_per_task[task_codes].sum()),
            "accuracy": float(correct.mean()),
            "accuracy_low": float(np.percentile(acc, q[0])),
            "accuracy_high": float(np.percentile(acc, q[1])),
            "cost_low": float(np.percentile(spent, q[0])),
            "cost_high": float(np.percentile(spent, q[1])),
        }

    def replay(policy, parameter, **kwargs):
        correct = np.zeros(n)
        cost = np.zeros(n)
        for _ in range(n_repeats):
            r = dynamic_overlap(data, random_state=rng, **kwargs)
            codes = data.classes.get_indexer(r.labels.to_numpy()[task_codes])
            correct += codes == true_codes
            cost += r.n_bought.to_numpy()[task_codes]
        return summarise(policy, parameter, correct / n_repeats, cost / n_repeats)

    rows = [
        replay("fixed", k, min_overlap=int(k), max_overlap=int(k), confidence=0.5, aggregator="majority")
        for k in overlaps
    ]
    rows += [
        replay("dynamic", float(c), min_overlap=min_overlap, max_overlap=max_overlap, confidence=c,
               aggregator=aggregator, skills=skills)
        for c in confidences
    ]
    votes = data.vote_counts[task_codes]
    rows.append(summarise("all", np.nan, (votes.argmax(axis=1) == true_codes).astype(float),
                          data.answers_per_task[task_codes].astype(float)))
    return pd.DataFrame(rows)
