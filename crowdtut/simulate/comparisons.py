"""Simulated comparison crowds: true item scores and good, random and adversarial workers.

Item ``i`` has a true log-score ``s_i ~ Normal(0, scale)``. Each comparison shows a pair of
distinct items drawn uniformly at random (left / right in random order) to a worker drawn
uniformly at random. A *good* worker prefers ``i`` over ``j`` with the Bradley-Terry
probability ``sigmoid(s_i - s_j)``; a *random* worker flips a fair coin; an *adversarial* worker
answers like a good one, then reports the other item. With ``tie_margin > 0`` a good worker
answers "same" (missing label) when ``|s_i - s_j| < tie_margin`` with probability ``tie_rate``.
Generation is vectorised over comparisons.

>>> crowd = simulate_comparisons(20, 5, 100, seed=0)
>>> crowd.answers.columns.tolist(), len(crowd.answers), len(crowd.scores)
(['worker', 'left', 'right', 'label'], 100, 20)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_fraction, check_int
from ._common import numbered, seed_value

__all__ = ["SimulatedComparisons", "simulate_comparisons"]


@dataclass(frozen=True, eq=False)
class SimulatedComparisons:
    """A simulated comparison crowd and the truth behind it.

    Attributes
    ----------
    answers : DataFrame, columns ``worker``, ``left``, ``right``, ``label`` (integers; a tie has
        a missing label).
    scores : Series, the true log-score of each item (indexed by item).
    workers : Series, the kind of each worker: ``"good"``, ``"random"`` or ``"adversarial"``.
    params : dict, the arguments of the simulation.
    """

    answers: pd.DataFrame
    scores: pd.Series
    workers: pd.Series
    params: dict[str, Any] = field(default_factory=dict)


def simulate_comparisons(
    n_items: int,
    n_workers: int,
    n_comparisons: int,
    *,
    random_fraction: float = 0.0,
    adversarial_fraction: float = 0.0,
    scale: float = 1.0,
    tie_margin: float = 0.0,
    tie_rate: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> SimulatedComparisons:
    """Draw a seeded comparison crowd (see the module docstring for the model).

    Parameters
    ----------
    n_items, n_workers, n_comparisons : sizes (at least 2 items, 1 worker, 1 comparison).
    random_fraction, adversarial_fraction : shares of the workers who click at random or answer
        backwards (rounded to whole workers; their sum at most 1).
    scale : standard deviation of the true log-scores.
    tie_margin, tie_rate : good workers answer "same" for pairs closer than ``tie_margin`` with
        probability ``tie_rate`` (no ties by default).
    seed : int or numpy Generator.
    """
    n_items = check_int(n_items, "n_items", 2)
    n_workers = check_int(n_workers, "n_workers", 1)
    n_comparisons = check_int(n_comparisons, "n_comparisons", 1)
    random_fraction = check_fraction(random_fraction, "random_fraction")
    adversarial_fraction = check_fraction(adversarial_fraction, "adversarial_fraction")
    tie_rate = check_fraction(tie_rate, "tie_rate")
    if random_fraction + adversarial_fraction > 1:
        raise ValueError(
            f"random_fraction + adversarial_fraction = {random_fraction + adversarial_fraction}; "
            "expected at most 1"
        )
    if not (isinstance(scale, (int, float)) and scale >= 0):
        raise ValueError(f"scale={scale!r}; expected a non-negative number")
    if not (isinstance(tie_margin, (int, float)) and tie_margin >= 0):
        raise ValueError(f"tie_margin={tie_margin!r}; expected a non-negative number")
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, scale, n_items)
    n_random = int(round(random_fraction * n_workers))
    n_adversarial = int(round(adversarial_fraction * n_workers))
    kinds = np.array(["good"] * (n_workers - n_random - n_adversarial) + ["random"] * n_random
                     + ["adversarial"] * n_adversarial, dtype=object)
    kinds = kinds[rng.permutation(n_workers)]
    left = rng.integers(0, n_items, n_comparisons)
    right = (left + rng.integers(1, n_items, n_comparisons)) % n_items  # never equal to left
    worker = rng.integers(0, n_workers, n_comparisons)
    kind = kinds[worker]
    p_left = 1.0 / (1.0 + np.exp(scores[right] - scores[left]))
    p_left = np.where(kind == "random", 0.5, p_left)
    p_left = np.where(kind == "adversarial", 1.0 - p_left, p_left)
    left_wins = rng.random(n_comparisons) < p_left
    label = pd.array(np.where(left_wins, left, right), dtype="Int64")
    tie_draw = rng.random(n_comparisons)
    if tie_margin > 0:
        tie = (kind == "good") & (np.abs(scores[left] - scores[right]) < tie_margin) & (tie_draw < tie_rate)
        label[tie] = pd.NA
    answers = pd.DataFrame({"worker": worker, "left": left, "right": right, "label": label})
    return SimulatedComparisons(
        answers=answers,
        scores=numbered(scores, "item", "true_score"),
        workers=numbered(kinds, "worker", "kind"),
        params=dict(n_items=n_items, n_workers=n_workers, n_comparisons=n_comparisons,
                    random_fraction=random_fraction, adversarial_fraction=adversarial_fraction,
                    scale=scale, tie_margin=tie_margin, tie_rate=tie_rate, seed=seed_value(seed)),
    )
