"""What the simulators share: numbered outputs and the seed as their parameters record it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["numbered", "seed_value"]


def numbered(values, index: str, name: str) -> pd.Series:
    """``values`` as a Series named ``name``, indexed ``0..n-1`` under the name ``index``
    (``"task"``, ``"worker"``, ``"item"``): simulated tasks, workers and items are numbers."""
    return pd.Series(values, index=pd.RangeIndex(len(values), name=index), name=name)


def seed_value(seed) -> Any:
    """The seed as ``params`` records it: None for a Generator, which metadata cannot hold."""
    return None if isinstance(seed, np.random.Generator) else seed
