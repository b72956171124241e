"""Argument checks shared by the estimators and the simulators: each raises a ValueError that
names the argument, its value and what it should be (``check_int`` and ``check_fraction`` also
return the clean value)."""

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

def check_positive_int(name: str, value, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        what = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name}={value!r}; expected {what} integer")


def check_non_negative(name: str, value) -> None:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{name}={value!r}; expected a non-negative number")


def check_positive(name: str, value) -> None:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name}={value!r}; expected a positive number")


def check_choice(name: str, value, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r}; expected one of {', '.join(map(repr, choices))}")


def is_int(value) -> bool:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


_UNSAFE_NAME_CHARS = frozenset('/\\\x00:*?"<>|')


def check_file_name_part(value, what: str) -> str:
    """``value`` if it can be one part of a file name, else a ValueError naming it.

    A name read from a file (a dataset's ``name`` in ``metadata.json``) is put into output file
    names: it must be a non-empty string of at most 100 characters without path separators or
    characters that Windows refuses (``/ \\ : * ? " < > |``), control characters, leading or
    trailing spaces, and it may not be ``.`` or ``..`` or start with a dot.
    """
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string; got {value!r}")
    bad = sorted({c for c in value if c in _UNSAFE_NAME_CHARS or ord(c) < 32})
    problem = None
    if not value:
        problem = "it is empty"
    elif bad:
        problem = f"it holds {', '.join(map(repr, bad))}"
    elif value.startswith("."):
        problem = "it starts with a dot"
    elif value != value.strip():
        problem = "it starts or ends with a space"
    elif len(value) > 100:
        problem = f"it has {len(value)} characters (at most 100)"
    if problem is not None:
        raise ValueError(
            f"{what} {value!r} cannot be part of a file name: {problem}; use letters, digits, "
            "'-', '_' and '.' only"
        )
    return value
