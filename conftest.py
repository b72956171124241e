"""Collection rules for the whole repository (``pytest`` from the root runs the doctests of
``crowdtut`` too, see ``pyproject.toml``).

Without PyTorch (an optional dependency, ``pip install crowdtut[deep]``) the doctests of
``crowdtut/deep`` cannot even be imported: they are left out of the collection instead of
erroring; the tests of ``tests/test_deep.py`` skip themselves with ``importorskip``.
"""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("torch") is None:
    collect_ignore.append("crowdtut/deep")
