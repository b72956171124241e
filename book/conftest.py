"""Every chapter of the book is a test: pytest executes it once and the book build reuses the run.

Each ``book/*.ipynb`` listed in ``_toc.yml`` is collected as one test item. The item executes the
notebook top to bottom with nbclient, in the notebook's own folder, exactly as the book build
would (nbclient with the options of jupyter-cache's ``single_nb_execution``, the function myst-nb
calls, plus a guard against lost socket wake-ups, see ``_sliced``); a failing cell (an
``assert`` in a hidden test cell, or any error) fails the test with the cell and its traceback.
A notebook that ran cleanly is stored, outputs and widget state included, in the book's
execution cache (``_build/.jupyter_cache``). The book build runs with ``execute_notebooks:
cache``, so it renders those stored outputs instead of executing every chapter a second time; a
chapter whose code changed since (a different hash) is executed by the build itself.

``pytest --nbval-lax book/x.ipynb`` still works for one chapter: with an nbval option on the
command line, this collector steps aside.
"""

from __future__ import annotations

import fcntl
import os
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
CACHE = REPO / "_build" / ".jupyter_cache"
TIMEOUT = 300  # seconds per cell, as in _config.yml's execute.timeout
# Twice under heavy load a kernel sat idle while nbclient waited for the reply to a cell of the
# scale chapter (its LocalCluster); the cause is not found. A chapter whose cell times out is run
# once more with a fresh kernel, and the retry is reported as a warning, never hidden.
RETRIES_ON_TIMEOUT = 1
# Twice a full run spent about 300 s more on the aggregation chapter than its cells needed
# (not reproduced since). Each run records cell timings; a wait of more than this many seconds
# outside the cells (kernel start, between two cells, shutdown) is reported as a warning.
IDLE_WARNING = 30.0

# This file has no doctests, and collecting it as a module clashes with tests/conftest.py's name.
collect_ignore = ["conftest.py"]


def _toc_files(entries) -> list[str]:
    files = []
    for entry in entries or []:
        if isinstance(entry, dict):
            files += [entry["file"]] if "file" in entry else []
            for key in ("chapters", "sections", "parts"):
                files += _toc_files(entry.get(key))
    return files


def _chapters_in_toc() -> set[Path]:
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]] + _toc_files(toc.get("parts")) + _toc_files(toc.get("chapters"))
    return {(REPO / f).with_suffix(".ipynb").resolve() for f in files}


def _nbval_requested(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False))


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.suffix != ".ipynb" or _nbval_requested(parent.config):
        return None
    if file_path.resolve() not in _chapters_in_toc():
        return None
    return ChapterFile.from_parent(parent, path=file_path)


@contextmanager
def _locked_cache():
    """The jupyter-cache database, locked against the other pytest-xdist worker."""
    from jupyter_cache import get_cache

    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE.parent / ".jupyter_cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield get_cache(str(CACHE))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def idle_waits(notebook, started: datetime, ended: datetime) -> list[tuple[str, float]]:
    """Waits longer than ``IDLE_WARNING`` outside the cells of an executed notebook, from the
    timestamps nbclient records with ``record_timing=True`` (cell metadata ``execution``)."""
    marks = []  # (index, busy, idle) of every executed code cell
    for index, cell in enumerate(notebook.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.status.busy" in timing and "iopub.status.idle" in timing:
            marks.append((index, datetime.fromisoformat(timing["iopub.status.busy"].replace("Z", "+00:00")),
                          datetime.fromisoformat(timing["iopub.status.idle"].replace("Z", "+00:00"))))
    if not marks:
        return []
    waits = [("before the first cell", (marks[0][1] - started).total_seconds())]
    waits += [(f"between cells {a[0]} and {b[0]}", (b[1] - a[2]).total_seconds())
              for a, b in zip(marks, marks[1:])]
    waits.append(("after the last cell", (ended - marks[-1][2]).total_seconds()))
    return [(where, seconds) for where, seconds in waits if seconds > IDLE_WARNING]


def _sliced(get_msg, step: float = 1.0):
    """``get_msg`` that waits in slices of ``step`` seconds up to the caller's timeout.

    Cells that update ipywidgets sometimes leave nbclient waiting for an execute reply that has
    already arrived (the kernel sits idle; jupyter/nbclient#312): the socket's wake-up is lost,
    and only the next poll sees the message. In full runs this cost 300 s (one cell timeout) or
    more, on the aggregation, segmentation and scale chapters. Polling again every second
    bounds the loss to a second.
    """
    from queue import Empty
    from time import monotonic

    async def sliced_get_msg(timeout: float | None = None):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            left = step if deadline is None else min(step, max(deadline - monotonic(), 0.0))
            try:
                return await get_msg(timeout=left)
            except Empty:
                if deadline is not None and monotonic() >= deadline:
                    raise

    return sliced_get_msg


def execute_chapter(notebook, cwd: Path):
    """Run ``notebook`` in place as jupyter-cache's ``single_nb_execution`` does (same client
    options), with nbclient's cell timings and the sliced polls of :func:`_sliced`. Returns
    ``(seconds, error, traceback text)``; the error is a cell error or a cell timeout."""
    import time
    import traceback

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    class Client(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            for channel in (kc.shell_channel, kc.iopub_channel):
                channel.get_msg = _sliced(channel.get_msg)
            return kc

    client = Client(notebook, timeout=TIMEOUT, allow_errors=False, record_timing=True,
                    resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        return time.perf_counter() - start, error, traceback.format_exc()
    return time.perf_counter() - start, None, None


class ChapterFile(pytest.File):
    def collect(self):
        yield ChapterRun.from_parent(self, name="executes")


class ChapterRun(pytest.Item):
    def runtest(self) -> None:
        import nbformat
        from jupyter_cache.base import CacheBundleIn

        from nbclient.exceptions import CellTimeoutError

        for attempt in range(RETRIES_ON_TIMEOUT + 1):
            notebook = nbformat.read(str(self.path), as_version=4)
            started = datetime.now(timezone.utc)
            seconds_run, error, trace = execute_chapter(notebook, self.path.parent)
            for where, seconds in idle_waits(notebook, started, datetime.now(timezone.utc)):
                warnings.warn(f"{self.path.name}: {seconds:.0f} s passed {where} with no cell "
                              "running", RuntimeWarning, stacklevel=1)
            for cell in notebook.cells:  # the timings would change the cache key the build uses
                cell.get("metadata", {}).pop("execution", None)
            if not isinstance(error, CellTimeoutError) or attempt == RETRIES_ON_TIMEOUT:
                break
            warnings.warn(f"{self.path.name}: a cell timed out after {TIMEOUT} s; running the "
                          "chapter once more with a fresh kernel", RuntimeWarning, stacklevel=1)
        if error is not None:
            raise ChapterFailed(trace or repr(error))
        self.user_properties.append(("execution_seconds", round(seconds_run, 1)))
        if os.environ.get("CROWDTUT_NO_BOOK_CACHE"):
            return
        # jupyter-cache keys the run by the code cells and the kernel, as the build will look it up
        with _locked_cache() as cache:
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, str(self.path), data={"execution_seconds": seconds_run}),
                check_validity=False,
                overwrite=True,
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ChapterFailed):
            return f"chapter {self.path.name} failed:\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"chapter {self.path.name}"


class ChapterFailed(Exception):
    """A cell of a chapter raised (the message holds the cell and its traceback)."""
