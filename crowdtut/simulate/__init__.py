"""Seeded synthetic crowds: labels (peerannot's strategies), masks, partitions and comparisons.

Every simulator takes ``seed`` (an int or a :class:`numpy.random.Generator`) and never touches
the global random state. One module per answer kind: :mod:`.labels`, :mod:`.masks`,
:mod:`.partitions`, :mod:`.comparisons`.
"""

from __future__ import annotations

# Each module's __all__ is the one list of its public names; the package re-exports them all
# (the standard library's asyncio/__init__.py does the same).
from . import comparisons, labels, masks, partitions
from .comparisons import *  # noqa: F403
from .labels import *  # noqa: F403
from .masks import *  # noqa: F403
from .partitions import *  # noqa: F403

__all__ = labels.__all__ + masks.__all__ + partitions.__all__ + comparisons.__all__
