"""Scores for aggregated labels, calibrated probabilities, crowds, masks and partitions.

Every function takes pandas objects indexed by the user's task names (or plain numpy arrays,
matched by position) and returns plain numbers or pandas objects. Inputs are aligned by task name,
never silently dropped or reordered: a task the score needs and cannot find is a ``ValueError``
that names it. Answers come in the long form (columns ``task``, ``worker``, ``label``) or as a
:class:`~crowdtut.answers.CrowdAnswers`; see :func:`crowdtut.answers.encode_answers`.

One module per thing scored: :mod:`.labels` (labels, probabilities, the crowd's agreement),
:mod:`.masks`, :mod:`.partitions` and :mod:`.rankings`.
:mod:`.masks`, :mod:`.partitions` and :mod:`.edges`.
"""

from __future__ import annotations

from .labels import (
    WorkerConfusion,
    accuracy,
    confusion_matrix,
    empirical_confusion,
    expected_calibration_error,
    krippendorff_alpha,
    reliability_curve,
    soft_accuracy,
    vote_entropy,
    worker_accuracy,
)
from .edges import edge_errors
from .masks import dice, iou, mean_iou
from .rankings import kendall_tau, ndcg_at_k, spearman_rho
from .partitions import (
    adjusted_rand_index,
    intruder_quality,
    normalized_mutual_info,
    pair_counting_ari,
    worker_pairwise_ari,
)
from .texts import answer_word_errors, character_error_rate, edit_distances, word_error_rate

__all__ = [
    "accuracy",
    "soft_accuracy",
    "expected_calibration_error",
    "reliability_curve",
    "vote_entropy",
    "krippendorff_alpha",
    "worker_accuracy",
    "WorkerConfusion",
    "empirical_confusion",
    "confusion_matrix",
    "iou",
    "dice",
    "mean_iou",
    "adjusted_rand_index",
    "normalized_mutual_info",
    "intruder_quality",
    "pair_counting_ari",
    "worker_pairwise_ari",
    "word_error_rate",
    "character_error_rate",
    "edit_distances",
    "answer_word_errors",
    "kendall_tau",
    "spearman_rho",
    "ndcg_at_k",
    "edge_errors",
]
