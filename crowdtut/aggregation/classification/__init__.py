"""Classification aggregators: one label (or a distribution over classes) per task.

Each module is one family: :mod:`.voting` (MV, NS, Wawa, ZBS, IWMV), :mod:`.dawid_skene` (DS,
one-coin DS, clustered DS), :mod:`.glad`, :mod:`.mace`, :mod:`.modified_dawid_skene`.
"""

from __future__ import annotations

from ..._lazy import lazy_attributes

_WHERE = {
    "MajorityVote": "voting",
    "NaiveSoft": "voting",
    "Wawa": "voting",
    "ZeroBasedSkill": "voting",
    "IWMV": "voting",
    "DawidSkene": "dawid_skene",
    "OneCoinDawidSkene": "dawid_skene",
    "ClusteredDawidSkene": "dawid_skene",
    "GLAD": "glad",
    "MACE": "mace",
    "ModifiedDawidSkene": "modified_dawid_skene",
    "KOS": "kos",
    "MMSR": "mmsr",
    "EBCC": "ebcc",
    "WDS": "peerannot",
    "PlantNet": "peerannot",
    "TwoThird": "peerannot",
    "BinaryRelevance": "multilabel",
}
__all__ = list(_WHERE)
__getattr__, __dir__ = lazy_attributes(__name__, _WHERE)
