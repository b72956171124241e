"""Seeded synthetic crowds: labels (peerannot's strategies), masks, partitions and comparisons.

Every simulator takes ``seed`` (an int or a :class:`numpy.random.Generator`) and never touches
the global random state. One module per answer kind: :mod:`.labels`, :mod:`.masks`,
:mod:`.partitions`, :mod:`.comparisons`.
"""

from __future__ import annotations

from .labels import (
    SimulatedCrowd,
    bayes_oracle,
    discrete_difficulty,
    hammer_spammer,
    independent_confusion,
    student_teacher,
)
from .partitions import (
    WORKER_KINDS,
    IntruderHits,
    SimulatedPartitions,
    VisualStructure,
    hit_arithmetic,
    make_hits,
    make_intruder_hits,
    simulate_intruder_answers,
    simulate_partitions,
    visual_structure,
)
from .masks import SimulatedSegmentations, simulate_segmentations
from .comparisons import SimulatedComparisons, simulate_comparisons

__all__ = [
    "SimulatedCrowd",
    "independent_confusion",
    "hammer_spammer",
    "student_teacher",
    "discrete_difficulty",
    "bayes_oracle",
    "simulate_segmentations",
    "SimulatedSegmentations",
    "hit_arithmetic",
    "make_hits",
    "VisualStructure",
    "visual_structure",
    "SimulatedPartitions",
    "simulate_partitions",
    "IntruderHits",
    "make_intruder_hits",
    "simulate_intruder_answers",
    "WORKER_KINDS",
    "SimulatedComparisons",
    "simulate_comparisons",
]
