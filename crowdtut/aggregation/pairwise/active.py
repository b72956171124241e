"""Active pair selection: which comparisons to ask next, given the current fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import kendalltau, norm

from ..._checks import check_choice, check_positive_int
from ._base import DisconnectedComparisonsWarning
from .bradley_terry import BradleyTerry

__all__ = ["propose_pairs", "pair_gains", "active_learning_curve"]


def pair_gains(scores: np.ndarray, standard_errors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair ``i < j`` and the expected value of comparing it once more.

    With ``d = s_i - s_j``, ``v = se_i^2 + se_j^2`` and the Fisher information of one comparison
    ``I = p (1 - p)``, ``p = sigmoid(d)``: one more answer shrinks the variance of ``d`` by the
    share ``v I / (1 + v I)``; weighting it by the normal density ``phi(d / sqrt(v))`` favours the
    pairs whose order is in doubt (close and uncertain), which is what Kendall's tau counts.
    """
    n = len(scores)
    i, j = np.triu_indices(n, k=1)
    d = scores[i] - scores[j]
    p = expit(d)
    var = standard_errors[i] ** 2 + standard_errors[j] ** 2
    info = var * p * (1.0 - p)
    return i, j, norm.pdf(d / np.sqrt(var)) * info / (1.0 + info)


def propose_pairs(model: BradleyTerry, n_pairs: int = 10) -> pd.DataFrame:
    """The ``n_pairs`` most informative pairs to ask next (see :func:`pair_gains`), each item at
    most once per batch so that a batch spreads over the ranking.

    ``model`` is a fitted :class:`BradleyTerry` (it needs ``scores_`` and ``standard_errors_``).
    Returns a DataFrame with columns ``left``, ``right`` (item names) and ``gain``, best first;
    fewer rows when there are fewer than ``2 * n_pairs`` items.

    Examples
    --------
    >>> from crowdtut.simulate.comparisons import simulate_comparisons
    >>> model = BradleyTerry().fit(simulate_comparisons(20, 5, 100, seed=0).answers)
    >>> proposal = propose_pairs(model, n_pairs=5)
    >>> len(proposal), bool(proposal.gain.is_monotonic_decreasing)
    (5, True)
    """
    check_positive_int("n_pairs", n_pairs)
    scores = model.scores_
    i, j, gain = pair_gains(scores.to_numpy(), model.standard_errors_.to_numpy())
    order = np.argsort(-gain, kind="stable")
    used = np.zeros(len(scores), dtype=bool)
    chosen = []
    for k in order:  # greedy: stops after n_pairs picks, at most n_items / 2 of them
        a, b = i[k], j[k]
        if used[a] or used[b]:
            continue
        used[a] = used[b] = True
        chosen.append(k)
        if len(chosen) == n_pairs:
            break
    chosen = np.asarray(chosen, dtype=np.int64)
    return pd.DataFrame({
        "left": scores.index.take(i[chosen]),
        "right": scores.index.take(j[chosen]),
        "gain": gain[chosen],
    })


def active_learning_curve(
    true_scores,
    *,
    strategy: str = "active",
    n_initial: int | None = None,
    batch_size: int = 10,
    n_rounds: int = 20,
    alpha: float = 0.1,
    seed=None,
) -> pd.DataFrame:
    """Simulate collecting comparisons in batches and fitting :class:`BradleyTerry` after each.

    Workers answer by Bradley-Terry with ``true_scores``. The first ``n_initial`` pairs (default:
    one per item) are random; then each round asks ``batch_size`` pairs, proposed by
    :func:`propose_pairs` (``strategy="active"``) or drawn at random (``"random"``).

    Returns a DataFrame with one row per fit: ``n_comparisons`` and ``kendall_tau`` (of the fitted
    scores with ``true_scores``).

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.random.default_rng(0).normal(size=20)
    >>> curve = active_learning_curve(truth, n_rounds=3, batch_size=5, seed=0)
    >>> curve.n_comparisons.tolist()
    [20, 25, 30, 35]
    """
    check_choice("strategy", strategy, ("active", "random"))
    truth = np.asarray(true_scores, dtype=np.float64)
    n = len(truth)
    if n < 2:
        raise ValueError(f"true_scores has {n} item(s); expected at least 2")
    n_initial = n if n_initial is None else n_initial
    check_positive_int("n_initial", n_initial)
    check_positive_int("batch_size", batch_size)
    check_positive_int("n_rounds", n_rounds, allow_zero=True)
    rng = np.random.default_rng(seed)

    def random_pairs(k):
        left = rng.integers(0, n, k)
        return left, (left + rng.integers(1, n, k)) % n

    def ask(left, right):
        left_wins = rng.random(len(left)) < expit(truth[left] - truth[right])
        return pd.DataFrame({"worker": 0, "left": left, "right": right,
                             "label": np.where(left_wins, left, right)})

    answers = ask(*random_pairs(n_initial))
    rows = []
    for round_ in range(n_rounds + 1):
        with warnings.catch_warnings():  # a few random pairs rarely connect every item
            warnings.simplefilter("ignore", DisconnectedComparisonsWarning)
            model = BradleyTerry(alpha=alpha).fit(answers, items=range(n))
        tau = kendalltau(model.scores_.to_numpy(), truth).statistic
        rows.append({"n_comparisons": len(answers), "kendall_tau": float(tau)})
        if round_ == n_rounds:
            break
        if strategy == "active":
            proposal = propose_pairs(model, batch_size)
            left, right = proposal.left.to_numpy(np.int64), proposal.right.to_numpy(np.int64)
        else:
            left, right = random_pairs(batch_size)
        answers = pd.concat([answers, ask(left, right)], ignore_index=True)
    return pd.DataFrame(rows)
