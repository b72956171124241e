"""Atomic writes: a temporary file in the target directory, renamed over the target."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path



# --- atomic writes ---------------------------------------------------------------------------
def _default_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file (0o666 minus the umask).

    Reading the umask means setting it for an instant; a file created by another thread in that
    instant would get mode 0o666 & ~0.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _atomic_write_bytes(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that ``path`` holds either its old content or all of ``data``.

    The bytes go to a temporary file in the same directory (so the rename cannot cross file
    systems), are flushed to disk, and the file is renamed over ``path`` with :func:`os.replace`.
    On any error the temporary file is removed and ``path`` is left as it was. A new file gets
    the permissions ``open`` would give it; a replaced file keeps its own.

    Parameters
    ----------
    path : path of the file to write. Its directory must exist.
    data : bytes, or str (encoded as UTF-8).

    Returns
    -------
    Path
        ``path`` as a :class:`pathlib.Path`.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes or str, got {type(data).__name__}")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _default_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


atomic_write = _atomic_write_bytes


