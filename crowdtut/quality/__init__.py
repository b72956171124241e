"""Quality control before and during collection: gold questions, exams, dynamic overlap, budgets.

=============================  ==============================================================
name                           what it answers
=============================  ==============================================================
:func:`accuracy_interval`      how sure is a worker's accuracy on n control questions (Wilson, Beta)
:func:`exam_scores`            each worker's score on gold tasks, its interval, pass or fail
:func:`threshold_error_rates`  how often a pass mark rejects good workers and admits bad ones
:func:`plan_gold_questions`    how many control questions tell a 0.7 worker from a 0.9 one
:func:`dynamic_overlap`        replay real answers, buying the next one only while unsure
:func:`budget_curve`           accuracy against answers bought, with bootstrap bands
:func:`votes_from_counts`      long answers from per-task vote counts (CIFAR-10H)
=============================  ==============================================================

:class:`~crowdtut.aggregation.GoldMajorityVote` (gold-weighted voting) lives with the other
aggregators.
"""

from __future__ import annotations

from .._lazy import lazy_attributes

_WHERE = {
    "accuracy_interval": "exams",
    "exam_scores": "exams",
    "threshold_error_rates": "exams",
    "plan_gold_questions": "exams",
    "dynamic_overlap": "overlap",
    "OverlapResult": "overlap",
    "budget_curve": "budget",
    "votes_from_counts": "counts",
}
__all__ = list(_WHERE)
__getattr__, __dir__ = lazy_attributes(__name__, _WHERE)
