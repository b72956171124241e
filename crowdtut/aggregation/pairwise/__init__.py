"""Pairwise aggregators: from "which of the two is better?" answers to one score per item.

A function core over integer codes (:mod:`._core`) and thin estimators on top:
:mod:`.bradley_terry` (BT by Newton or MM, Fisher standard errors), :mod:`.noisy_bradley_terry`,
:mod:`.crowd_bt`, :mod:`.davidson` (ties), :mod:`.elo`; :mod:`.uncertainty` (bootstrap and
Fisher intervals) and :mod:`.active` (which pairs to ask next).
"""

from __future__ import annotations

from ..._lazy import lazy_attributes

_WHERE = {
    "PairwiseAggregator": "_base",
    "BradleyTerry": "bradley_terry",
    "NoisyBradleyTerry": "noisy_bradley_terry",
    "CrowdBT": "crowd_bt",
    "DavidsonBradleyTerry": "davidson",
    "Elo": "elo",
    "bootstrap_scores": "uncertainty",
    "score_intervals": "uncertainty",
    "propose_pairs": "active",
    "active_learning_curve": "active",
}
__all__ = list(_WHERE)
__getattr__, __dir__ = lazy_attributes(__name__, _WHERE)
