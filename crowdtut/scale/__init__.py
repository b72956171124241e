"""The EM aggregators over a dask DataFrame (``pip install crowdtut[scale]``).

Same hyper-parameters and results as :mod:`crowdtut.aggregation`; the answers stay partitioned
by task on the workers of any ``distributed.Client`` (or dask's default scheduler), the E-step
maps over partitions and the M-step sums per-partition counts in a tree. dask is imported only
here.
"""

from __future__ import annotations

from .._lazy import lazy_attributes

_WHERE = {
    "MajorityVote": "_estimators",
    "DawidSkene": "_estimators",
    "OneCoinDawidSkene": "_estimators",
    "GLAD": "glad",
    "PassFailed": "_engine",
    "write_synthetic_answers": "_synthetic",
}
__all__ = list(_WHERE)
__getattr__, __dir__ = lazy_attributes(__name__, _WHERE)
