"""Local paths for registry files: a read-only mirror, or a cache filled by pinned downloads.

The one fetch path of :mod:`crowdtut.datasets`: every loader gets its files here, one by one
(:func:`fetch_file`) or many at once (:func:`fetch_files`, parallel downloads under one progress
bar). Where a file is looked for, in order:

1. ``data_home`` when given: a cache directory; missing files are downloaded into it.
2. ``$CROWDTUT_DATA`` when set: a read-only mirror laid out like the registry's ``mirror_path``
   (the layout of the shared offline mirror); nothing is downloaded.
3. ``$CROWDTUT_CACHE`` when set, else ``~/.cache/crowdtut``: the cache.

A cache directory has the same layout as a mirror, so a filled cache can serve as one. Every file
is checked against the registry's size and sha256 (or the MD5 its publisher gives) before use;
the check is remembered for the rest of the process (keyed by path, size and modification time)
so that loading twice hashes once. A download goes to a temporary file beside its target and is
renamed only once its checksum matches.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Iterable

from tqdm.auto import tqdm

from ._registry import RemoteFile

__all__ = [
    "fetch_file",
    "fetch_files",
    "default_cache_dir",
    "sha256_file",
    "MIRROR_ENV",
    "CACHE_ENV",
]

MIRROR_ENV = "CROWDTUT_DATA"
CACHE_ENV = "CROWDTUT_CACHE"
_CHUNK = 1 << 20
_THREADS = 16
_ATTEMPTS = 3

# (resolved path, size, mtime_ns) -> checksum already checked in this process
_VERIFIED: dict[tuple[str, int, int], str] = {}


def default_cache_dir() -> Path:
    """The download cache: ``$CROWDTUT_CACHE`` if set, else ``~/.cache/crowdtut``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "crowdtut"


def _hasher(file: RemoteFile):
    if file.sha256:
        return hashlib.sha256()
    return hashlib.md5(usedforsecurity=False)


def _hash_file(path: str | os.PathLike, digest) -> str:
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks."""
    return _hash_file(path, hashlib.sha256())


def _digest(path: Path, file: RemoteFile) -> str:
    """The digest of ``path`` with the algorithm of ``file``'s checksum."""
    if file.sha256:
        return sha256_file(path)
    return _hash_file(path, _hasher(file))


def _expected(file: RemoteFile) -> str:
    algo, value = file.checksum
    size = f", {file.size} bytes" if file.size is not None else ""
    return f"{algo} {value}{size}"


def _verify(path: Path, file: RemoteFile, remedy: str) -> None:
    """Check size and checksum once per process; ValueError naming the file and the remedy."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    algo, expected = file.checksum
    if _VERIFIED.get(key) == expected:
        return
    right_size = file.size is None or stat.st_size == file.size
    found = _digest(path, file) if right_size else None
    if found != expected:
        what = f"{algo} {found}" if found else f"{stat.st_size} bytes instead of {file.size}"
        raise ValueError(
            f"checksum mismatch for {path}: expected {_expected(file)}, found {what}. {remedy}"
        )
    _VERIFIED[key] = expected


def _source(file: RemoteFile) -> str:
    if file.url:
        return f"download it again from {file.url}"
    return f"it is a derived file (made from {file.derived_from}) that no public repository hosts"


def _note(file: RemoteFile) -> str:
    return f" {file.note}" if file.note else ""


def _root(data_home: str | os.PathLike | None) -> tuple[Path, bool]:
    """The directory files are read from, and whether it is the read-only mirror."""
    mirror = os.environ.get(MIRROR_ENV)
    if data_home is None and mirror:
        return Path(mirror).expanduser(), True
    return (Path(data_home).expanduser() if data_home is not None else default_cache_dir()), False


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
        derived file that cannot be downloaded. The message names the file, the expected checksum
        and what to do.
    ValueError
        The local copy or the download does not have the expected size and checksum.
    ConnectionError
        The download failed.
    """
    root, is_mirror = _root(data_home)
    path = root / file.mirror_path
    if is_mirror:
        if not path.is_file():
            raise FileNotFoundError(
                f"{file.mirror_path} is missing from the mirror {root} (${MIRROR_ENV}): expected "
                f"{path} with {_expected(file)}. Copy it there, point {MIRROR_ENV} at a complete "
                f"mirror, or unset {MIRROR_ENV} to use the download cache ({_source(file)})."
                + _note(file)
            )
        _verify(path, file, f"The mirror's copy is damaged or another version: {_source(file)}.")
        return path
    if path.is_file():
        _verify(path, file, f"Delete {path} and load again to download a fresh copy.")
        return path
    if file.url is None:
        raise FileNotFoundError(
            f"{file.mirror_path} is not in {root}, and {_source(file)}. Set {MIRROR_ENV} to a "
            f"mirror directory that holds it, or place it at {path} (expected "
            f"{_expected(file)})." + _note(file)
        )
    if not download:
        raise FileNotFoundError(
            f"{file.mirror_path} is not in the cache {root} and download=False: expected {path} "
            f"with {_expected(file)}. Pass download=True to fetch it from {file.url}, or set "
            f"{MIRROR_ENV} to a mirror directory that holds it." + _note(file)
        )
    _download(file, path, progress=progress)
    return path


def _download(file: RemoteFile, target: Path, *, progress: bool = True, bar=None) -> None:
    """Stream ``file.url`` (not None) into a temporary file beside ``target``, check, rename.

    ``bar``, when given, is a shared progress bar to advance instead of a bar of this file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = _hasher(file)
    algo, expected = file.checksum
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(file.url, timeout=60)
            except (urllib.error.URLError, OSError) as err:
                raise ConnectionError(
                    f"could not download {file.mirror_path} from {file.url} (expected "
                    f"{_expected(file)}): {err}. Check the connection, or set {MIRROR_ENV} to a "
                    "mirror directory that holds the file." + _note(file)
                ) from err
            own_bar = None
            if bar is None:
                own_bar = bar = tqdm(
                    total=file.size,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=target.name,
                    disable=not progress,
                    leave=False,
                )
            try:
                with response:
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
            finally:
                if own_bar is not None:
                    own_bar.close()
        if digest.hexdigest() != expected:
            raise ValueError(
                f"checksum mismatch for the download of {file.mirror_path} from {file.url}: "
                f"expected {algo} {expected}, got {digest.hexdigest()}. The file was not "
                "kept; try again, or report the upstream change."
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stat = target.stat()
    _VERIFIED[(str(target.resolve()), stat.st_size, stat.st_mtime_ns)] = expected


def _download_with_retries(file: RemoteFile, target: Path, bar, attempts: int) -> Path:
    """:func:`_download`, retried after a pause when the connection fails."""
    for attempt in range(1, attempts + 1):
        try:
            _download(file, target, bar=bar)
            return target
        except ConnectionError:
            if attempt == attempts:
                raise
            time.sleep(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def fetch_files(
    files: Iterable[RemoteFile],
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool = True,
    what: str = "files",
) -> dict[str, Path]:
    """Local paths of many registry files, by mirror path: :func:`fetch_file` for each, with the
    missing ones downloaded in parallel under one progress bar (a failed connection is retried
    twice).

    Parameters
    ----------
    files : iterable of RemoteFile
    data_home, download, progress
        As :func:`fetch_file`.
    what : str
        What the files are, for the messages (``"published BU-BIL files of subset(s) 6"``).

    Raises
    ------
    FileNotFoundError, ValueError, ConnectionError
        As :func:`fetch_file`; with ``download=False``, one message counting the missing files.
    """
    files = list(files)
    root, is_mirror = _root(data_home)
    missing = [] if is_mirror else [f for f in files if not (root / f.mirror_path).is_file()]
    if missing and not download:
        raise FileNotFoundError(
            f"{len(missing)} of the {len(files)} {what} are not in the cache {root} and "
            f"download=False (first: {missing[0].mirror_path}). Pass download=True to fetch them "
            f"({sum(f.size or 0 for f in missing):,} bytes), or set {MIRROR_ENV} to a mirror "
            "directory that holds them."
        )
    to_download = {f.mirror_path for f in missing}
    paths = {
        f.mirror_path: fetch_file(f, data_home=data_home, download=download)
        for f in files
        if f.mirror_path not in to_download
    }
    undownloadable = [f for f in missing if f.url is None]
    if undownloadable:
        fetch_file(undownloadable[0], data_home=data_home)  # raises the derived-file message
    if missing:
        with tqdm(
            total=sum(f.size or 0 for f in missing),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=f"{len(missing)} {what}",
            disable=not progress,
            leave=False,
        ) as bar, ThreadPoolExecutor(min(_THREADS, len(missing))) as pool:
            jobs = {
                pool.submit(_download_with_retries, f, root / f.mirror_path, bar, _ATTEMPTS): f
                for f in missing
            }
            try:
                for job in as_completed(jobs):
                    paths[jobs[job].mirror_path] = job.result()
            except BaseException:
                for job in jobs:
                    job.cancel()
                raise
    return paths
