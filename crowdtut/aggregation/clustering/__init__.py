"""Crowd clustering: from workers' groupings of small HITs to one partition of all the images.

Input is a long DataFrame with one row per image of each answered HIT and the columns ``hit``,
``worker``, ``item`` and ``group`` (the worker's own group name inside that HIT; only equality
within one answer matters). :func:`encode_partitions` validates it once and turns it into integer
codes; :func:`pairwise_labels` expands every answer into its "same group / different group"
labels in one vectorised pass.

Two aggregators:

- :class:`CrowdClustering`, the Bayesian crowdclustering model of Gomes, Welinder, Krause and
  Perona (NIPS 2011) fitted by variational Bayes with the Jaakkola-Jordan bound, followed by a
  Gaussian mixture on the image embeddings;
- :class:`CoAssociationClustering`, the co-association matrix of the HITs (how often two images
  were put together when they were shown together) clustered spectrally.

Both choose the number of clusters from the data: by default the partition that best explains
the pairwise labels with two rates of "same group" (inside and across clusters); optionally the
BIC of the mixture, or the largest eigengap of the co-association matrix.

Both follow the estimator conventions of :mod:`crowdtut.aggregation`: hyper-parameters in
``__init__``, checked when ``fit`` starts; learned attributes end with ``_``.
"""

from __future__ import annotations

from ...answers.partitions import PartitionAnswers, encode_partitions, pairwise_labels
from .co_association import CoAssociationClustering, co_association
from .crowd_clustering import CrowdClustering

__all__ = [
    "PartitionAnswers",
    "encode_partitions",
    "pairwise_labels",
    "co_association",
    "CrowdClustering",
    "CoAssociationClustering",
]
