"""Lazy package attributes (PEP 562), so that ``import crowdtut`` and the CLI start fast."""

from __future__ import annotations

import importlib
from typing import Callable


def lazy_attributes(package: str, where: dict[str, str]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for a package whose names live in submodules.

    ``where`` maps each public name to the submodule (relative to ``package``) that defines it;
    the submodule is imported on first use and the value cached in the package's namespace.
    """
    module = importlib.import_module(package)

    def __getattr__(name: str):
        if name in where:
            value = getattr(importlib.import_module(f".{where[name]}", package), name)
            setattr(module, name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(where))

    return __getattr__, __dir__
