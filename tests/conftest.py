"""Shared fixtures: the offline dataset mirror and small hand-made answer sets."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so that CI cannot fail by chance; set
# CROWDTUT_HYPOTHESIS=explore to let hypothesis search new examples locally.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile("explore" if os.environ.get("CROWDTUT_HYPOTHESIS") == "explore" else "ci")

REPO = Path(__file__).resolve().parents[1]


def mirror_path() -> Path | None:
    """The dataset mirror: $CROWDTUT_DATA, else ../shared/datasets beside the repository."""
    env = os.environ.get("CROWDTUT_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "datasets")
    for path in candidates:
        if (path / "truth_inference").is_dir():
            return path
    return None


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = mirror_path()
    if path is None:
        pytest.skip("dataset mirror not found: set CROWDTUT_DATA to the mirror directory")
    os.environ.setdefault("CROWDTUT_DATA", str(path))
    return path


@pytest.fixture
def tiny_answers() -> pd.DataFrame:
    """3 tasks, 3 workers, 2 classes; task t2 has no answer from w2 (see test_dawid_skene)."""
    rows = [
        ("t0", "w0", 0), ("t0", "w1", 0), ("t0", "w2", 1),
        ("t1", "w0", 1), ("t1", "w1", 1), ("t1", "w2", 1),
        ("t2", "w0", 0), ("t2", "w1", 1),
    ]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])
