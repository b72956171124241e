"""Argument checks shared by the simulators: each returns the clean value or raises a ValueError
that names the argument and what it should be."""

from __future__ import annotations

import numpy as np


def check_int(value, name: str, low: int) -> int:
    """An integer (not a bool) of at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}; got {value}")
    return int(value)


def check_fraction(value, name: str) -> float:
    """A number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number in [0, 1]; got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1]; got {value}")
    return float(value)
