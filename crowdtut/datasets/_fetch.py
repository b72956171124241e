"""Local paths for registry files: a read-only mirror, or a cache filled by pinned downloads.

Where a file is looked for, in order:

1. ``data_home`` when given: a cache directory; missing files are downloaded into it.
2. ``$CROWDTUT_DATA`` when set: a read-only mirror laid out like the registry's ``mirror_path``
   (the layout of the shared offline mirror); nothing is downloaded.
3. ``$CROWDTUT_CACHE`` when set, else ``~/.cache/crowdtut``: the cache.

A cache directory has the same layout as a mirror, so a filled cache can serve as one. Every file
is checked against the registry's size and sha256 before use; the check is remembered for the rest
of the process (keyed by path, size and modification time) so that loading twice hashes once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from ._registry import RemoteFile

__all__ = ["fetch_file", "default_cache_dir", "sha256_file", "MIRROR_ENV", "CACHE_ENV"]

MIRROR_ENV = "CROWDTUT_DATA"
CACHE_ENV = "CROWDTUT_CACHE"
_CHUNK = 1 << 20

# (resolved path, size, mtime_ns) -> sha256 already checked in this process
_VERIFIED: dict[tuple[str, int, int], str] = {}


def default_cache_dir() -> Path:
    """The download cache: ``$CROWDTUT_CACHE`` if set, else ``~/.cache/crowdtut``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "crowdtut"


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, file: RemoteFile, remedy: str) -> None:
    """Check size and sha256 once per process; ValueError naming the file and the remedy."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if _VERIFIED.get(key) == file.sha256:
        return
    found = sha256_file(path) if stat.st_size == file.size else None
    if found != file.sha256:
        what = f"sha256 {found}" if found else f"{stat.st_size} bytes instead of {file.size}"
        raise ValueError(
            f"checksum mismatch for {path}: expected sha256 {file.sha256} ({file.size} bytes), "
            f"found {what}. {remedy}"
        )
    _VERIFIED[key] = file.sha256


def _source(file: RemoteFile) -> str:
    if file.url:
        return f"download it again from {file.url}"
    return f"it is a derived file (made from {file.derived_from}) that no public repository hosts"


def fetch_file(
    file: RemoteFile,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool = True,
) -> Path:
    """Local path of a registry file, downloading it into the cache when needed.

    Parameters
    ----------
    file : RemoteFile
        A file of :data:`crowdtut.datasets.REGISTRY` (``info.files[role]``).
    data_home : path, optional
        Cache directory to use instead of ``$CROWDTUT_DATA`` / ``$CROWDTUT_CACHE`` /
        ``~/.cache/crowdtut``.
    download : bool, default True
        Download a file missing from the cache. Never applies to the mirror (``$CROWDTUT_DATA``),
        which is read-only.
    progress : bool, default True
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pathlib.Path
        The verified local file.

    Raises
    ------
    FileNotFoundError
        The file is missing from the mirror, or from the cache with ``download=False``, or it is a
        derived file that cannot be downloaded. The message names the file, the expected sha256
        and what to do.
    ValueError
        The local copy or the download does not have the expected size and sha256.
    ConnectionError
        The download failed.
    """
    mirror = os.environ.get(MIRROR_ENV)
    if data_home is None and mirror:
        root = Path(mirror).expanduser()
        path = root / file.mirror_path
        if not path.is_file():
            raise FileNotFoundError(
                f"{file.mirror_path} is missing from the mirror {root} (${MIRROR_ENV}): expected "
                f"{path} with sha256 {file.sha256} ({file.size} bytes). Copy it there, point "
                f"{MIRROR_ENV} at a complete mirror, or unset {MIRROR_ENV} to use the download "
                f"cache ({_source(file)})."
            )
        _verify(path, file, f"The mirror's copy is damaged or another version: {_source(file)}.")
        return path

    root = Path(data_home).expanduser() if data_home is not None else default_cache_dir()
    path = root / file.mirror_path
    if path.is_file():
        _verify(path, file, f"Delete {path} and load again to download a fresh copy.")
        return path
    if file.url is None:
        raise FileNotFoundError(
            f"{file.mirror_path} is not in {root}, and {_source(file)}. Set {MIRROR_ENV} to a "
            f"mirror directory that holds it, or place it at {path} (expected sha256 "
            f"{file.sha256}, {file.size} bytes)."
        )
    if not download:
        raise FileNotFoundError(
            f"{file.mirror_path} is not in the cache {root} and download=False: expected {path} "
            f"with sha256 {file.sha256}. Pass download=True to fetch it from {file.url}, or set "
            f"{MIRROR_ENV} to a mirror directory that holds it."
        )
    _download(file, path, progress=progress)
    return path


def _download(file: RemoteFile, target: Path, *, progress: bool = True) -> None:
    """Stream ``file.url`` (not None) into a temporary file beside ``target``, check, rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(file.url, timeout=60)
            except (urllib.error.URLError, OSError) as err:
                raise ConnectionError(
                    f"could not download {file.mirror_path} from {file.url}: {err}. Check the "
                    f"connection, or set {MIRROR_ENV} to a mirror directory that holds the file."
                ) from err
            with response, tqdm(
                total=file.size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=target.name,
                disable=not progress,
                leave=False,
            ) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        if digest.hexdigest() != file.sha256:
            raise ValueError(
                f"checksum mismatch for the download of {file.mirror_path} from {file.url}: "
                f"expected sha256 {file.sha256}, got {digest.hexdigest()}. The file was not "
                "kept; try again, or report the upstream change."
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stat = target.stat()
    _VERIFIED[(str(target.resolve()), stat.st_size, stat.st_mtime_ns)] = file.sha256
