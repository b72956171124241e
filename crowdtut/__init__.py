"""crowdtut: learning from crowdsourced labels.

``import crowdtut`` is nearly free: the submodules (``aggregation``, ``metrics``, ``simulate``,
``datasets``, ``io``, ...) load on first use. torch is imported only by :mod:`crowdtut.deep` and
matplotlib only by :mod:`crowdtut.plotting`.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
__all__ = ["CrowdAnswers", "encode_answers", "__version__"]

_SUBMODULES = {
    "aggregation", "answers", "datasets", "deep", "evaluation", "identification", "io", "metrics",
    "plotting", "quality", "simulate",
}


def __getattr__(name: str):  # PEP 562: load on first use
    if name in ("CrowdAnswers", "encode_answers"):
        from . import answers

        return getattr(answers, name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'crowdtut' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
