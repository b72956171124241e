"""Intervals on pairwise scores: a bootstrap over comparisons, or the Fisher information."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..._checks import check_positive_int
from ...answers.comparisons import ComparisonAnswers, encode_comparisons
from ._base import DisconnectedComparisonsWarning, PairwiseAggregator

__all__ = ["bootstrap_scores", "score_intervals"]


def _check_confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r}; expected a number strictly between 0 and 1")
    return float(confidence)


def bootstrap_scores(
    estimator: PairwiseAggregator,
    answers: pd.DataFrame | ComparisonAnswers,
    *,
    n_resamples: int = 200,
    confidence: float = 0.95,
    random_state=None,
) -> pd.DataFrame:
    """Percentile bootstrap intervals: refit a copy of ``estimator`` on comparisons drawn with
    replacement (same items and workers; an item that drops out of a resample keeps its prior
    score).

    Scores are centred on their mean in every fit (a Bradley-Terry score is defined up to a
    shift), so the intervals describe the ranking, not the arbitrary origin.

    Returns
    -------
    DataFrame indexed by item with columns ``score`` (the fit on all comparisons, centred),
    ``lower``, ``upper`` and ``std`` (of the resampled scores), sorted by the item index.

    Examples
    --------
    >>> from crowdtut.aggregation import BradleyTerry
    >>> from crowdtut.simulate.comparisons import simulate_comparisons
    >>> crowd = simulate_comparisons(10, 5, 300, seed=0)
    >>> table = bootstrap_scores(BradleyTerry(), crowd.answers, n_resamples=20, random_state=0)
    >>> bool(((table.lower <= table.score) & (table.score <= table.upper)).mean() > 0.8)
    True
    """
    check_positive_int("n_resamples", n_resamples)
    confidence = _check_confidence(confidence)
    if not isinstance(estimator, PairwiseAggregator):
        raise TypeError(f"estimator must be a crowdtut pairwise aggregator; got {type(estimator).__name__}")
    ties = "allow" if estimator._supports_ties else "raise"
    data = encode_comparisons(answers, ties=ties)
    rng = np.random.default_rng(random_state)
    params = estimator.get_params()
    full = type(estimator)(**params).fit(data).scores_
    draws = np.empty((n_resamples, data.n_items))
    fields = ("winner", "loser", "worker", "tie", "left_won")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisconnectedComparisonsWarning)
        for b in range(n_resamples):
            rows = rng.integers(0, data.n_comparisons, data.n_comparisons)
            sample = dataclasses.replace(data, **{f: getattr(data, f)[rows] for f in fields})
            scores = type(estimator)(**params).fit(sample).scores_.to_numpy()
            draws[b] = scores - scores.mean()
    tail = (1.0 - confidence) / 2.0
    lower, upper = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    return pd.DataFrame(
        {"score": full.to_numpy() - full.mean(), "lower": lower, "upper": upper, "std": draws.std(axis=0)},
        index=full.index,
    )


def score_intervals(model, confidence: float = 0.95) -> pd.DataFrame:
    """Normal (Wald) intervals ``score +- z * standard_error`` from a fitted model's
    ``standard_errors_`` (the observed Fisher information of :class:`BradleyTerry`).

    Scores are centred on their mean, as in :func:`bootstrap_scores`. Returns a DataFrame
    indexed by item with columns ``score``, ``lower``, ``upper``, ``std``.

    Examples
    --------
    >>> from crowdtut.aggregation import BradleyTerry
    >>> from crowdtut.simulate.comparisons import simulate_comparisons
    >>> model = BradleyTerry().fit(simulate_comparisons(10, 5, 300, seed=0).answers)
    >>> table = score_intervals(model)
    >>> bool((table.upper > table.lower).all())
    True
    """
    confidence = _check_confidence(confidence)
    try:
        se = model.standard_errors_
    except AttributeError as err:
        raise ValueError(
            f"{type(model).__name__} has no standard_errors_ ({err}); fit a BradleyTerry model, "
            "or use bootstrap_scores"
        ) from None
    z = norm.ppf(0.5 + confidence / 2.0)
    scores = model.scores_ - model.scores_.mean()
    return pd.DataFrame(
        {"score": scores, "lower": scores - z * se, "upper": scores + z * se, "std": se},
        index=scores.index,
    )
