"""Learning a classifier end to end from crowd answers (PyTorch).

This is the only part of crowdtut that imports torch (``pip install crowdtut[deep]``);
``import crowdtut`` does not load it.

Layers and losses (:mod:`crowdtut.deep.layers`)
    :class:`CrowdLayer` (``"MW"``, ``"VW"``, ``"VB"``, ``"VW+B"``) and its pure functions
    ``crowd_layer_*``; :class:`CoNAL` with :func:`conal_mix` and :func:`conal_regularizer`;
    :func:`masked_cross_entropy` (answers marked ``-1`` are skipped) and
    :func:`label_cross_entropy` (hard or soft labels).
Networks and estimators (:mod:`crowdtut.deep.estimators`)
    :func:`mlp` (the base classifier), :class:`CrowdNetwork` (classifier + crowd head),
    :func:`dense_answers`; :class:`LabelClassifier` (trained on true or aggregated labels),
    :class:`CrowdLayerClassifier`, :class:`CoNALClassifier` and :class:`CrowdsEM` (deep EM).
Training (:mod:`crowdtut.deep.training`)
    :func:`train` (arrays or a Dataset, seeds, tqdm bar, early stopping; returns a
    :class:`History`), :func:`predict_proba`, :func:`seeded`, :func:`torch_threads`;
    :func:`train_recording_margins` (per-row margins for AUM and WAUM).
Experiments (:mod:`crowdtut.deep.evaluation`)
    :func:`standard_methods`, :func:`compare` (methods x seeds), :func:`summarize`,
    :func:`labelme_published`.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "crowdtut.deep needs PyTorch: pip install 'crowdtut[deep]' (or pip install torch)"
    ) from exc

from .estimators import (
    CoNALClassifier,
    CrowdLayerClassifier,
    CrowdNetwork,
    CrowdsEM,
    LabelClassifier,
    dense_answers,
    mlp,
)
from .evaluation import compare, labelme_published, standard_methods, summarize
from .layers import (
    CONN_TYPES,
    CoNAL,
    CrowdLayer,
    conal_mix,
    conal_regularizer,
    crowd_layer_mw,
    crowd_layer_vb,
    crowd_layer_vw,
    crowd_layer_vw_b,
    label_cross_entropy,
    masked_cross_entropy,
)
from .margins import train_recording_margins
from .training import History, predict_proba, seeded, torch_threads, train

__all__ = [
    "CONN_TYPES",
    "CrowdLayer",
    "crowd_layer_mw",
    "crowd_layer_vw",
    "crowd_layer_vb",
    "crowd_layer_vw_b",
    "CoNAL",
    "conal_mix",
    "conal_regularizer",
    "masked_cross_entropy",
    "label_cross_entropy",
    "mlp",
    "CrowdNetwork",
    "dense_answers",
    "LabelClassifier",
    "CrowdLayerClassifier",
    "CoNALClassifier",
    "CrowdsEM",
    "History",
    "train",
    "predict_proba",
    "seeded",
    "torch_threads",
    "train_recording_margins",
    "standard_methods",
    "compare",
    "summarize",
    "labelme_published",
]
