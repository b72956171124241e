"""book/conftest.py's chapter runner: polls that survive a lost wake-up, idle waits reported."""

from __future__ import annotations

import asyncio
import importlib.util
from datetime import datetime, timedelta, timezone
from pathlib import Path
from queue import Empty

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("book_conftest", REPO / "book" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sliced_polls_find_a_message_a_long_poll_would_miss(runner):
    calls = []

    async def get_msg(timeout=None):  # the message "arrives" only on the third poll
        calls.append(timeout)
        if len(calls) < 3:
            raise Empty
        return {"msg": "reply"}

    sliced = runner._sliced(get_msg, step=0.01)
    assert asyncio.run(sliced(timeout=300)) == {"msg": "reply"}
    assert len(calls) == 3 and all(t <= 0.01 for t in calls)  # never one 300 s wait
    calls.clear()
    assert asyncio.run(sliced(timeout=None)) == {"msg": "reply"}  # no timeout: slices forever


def test_sliced_polls_still_time_out(runner):
    async def never(timeout=None):
        await asyncio.sleep(timeout)
        raise Empty

    with pytest.raises(Empty):
        asyncio.run(runner._sliced(never, step=0.01)(timeout=0.05))


def test_idle_waits_name_where_the_time_went(runner):
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    stamp = lambda s: (t0 + timedelta(seconds=s)).isoformat().replace("+00:00", "Z")  # noqa: E731
    nb = nbformat.v4.new_notebook()
    for busy, idle in [(1, 2), (3, 5), (100, 101)]:
        cell = nbformat.v4.new_code_cell("pass")
        cell.metadata["execution"] = {"iopub.status.busy": stamp(busy), "iopub.status.idle": stamp(idle)}
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_markdown_cell("text"))
    waits = runner.idle_waits(nb, t0, t0 + timedelta(seconds=140))
    assert waits == [("between cells 1 and 2", 95.0), ("after the last cell", 39.0)]
