"""The dataset registry: where every file comes from, its checksum, licence, citation and sizes.

The registry is data, not code: one JSON file per dataset source in the ``registry/`` folder
beside this module (shipped as package data), read on first use and checked field by field
(:func:`read_source`). Nothing here reads the datasets themselves, so
:func:`crowdtut.datasets.list_datasets` works offline and without the files; the sizes were
measured on the mirrored files and the tests check them against the loaders.

A source file holds ``{"source": <file stem>, "datasets": [<entry>, ...]}``. An entry has the
fields of :class:`DatasetInfo` (``sizes`` groups ``n_tasks`` .. ``n_repeated``) and ``files``,
role -> file. A published file has ``mirror_path``, ``sha256``, ``size``, a ``url`` pinned to a
commit (``https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>`` for GitHub) and its
``upstream`` (``owner/repo@commit:path``). A *derived* file (computed from published files; no
public repository hosts it) has ``derived_from`` instead of ``url`` and can only be read from a
mirror directory (``CROWDTUT_DATA``) or a cache that already holds it. A file whose publisher
gives only an MD5 (crowd-kit's archives) has ``md5`` instead of ``sha256`` and may omit ``size``.
``scripts/registry_entry.py`` computes the entry of a new file from a mirror.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath

__all__ = ["RemoteFile", "DatasetInfo", "REGISTRY", "KINDS", "read_source", "resolve_name"]

KINDS = ("classification", "vote-counts", "segmentation", "pairwise", "texts", "clustering")
SIZES = ("n_tasks", "n_workers", "n_answers", "n_classes", "n_truth", "n_repeated")


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset.

    Attributes
    ----------
    mirror_path : str
        Path relative to a mirror or cache directory, with forward slashes.
    sha256 : str or None
        Expected SHA-256 hex digest (None only when the publisher gives an MD5 alone).
    size : int or None
        Expected size in bytes (None when unknown: MD5-only files).
    url : str or None
        Pinned download URL; None for derived files, which no public repository hosts.
    upstream : str or None
        ``owner/repo@commit:path`` of the published file (None for derived files).
    derived_from : str
        For derived files, what they were computed from.
    md5 : str or None
        Expected MD5 hex digest, for files whose publisher gives no sha256.
    note : str
        What to do when the file cannot be had (added to the error messages).
    """

    mirror_path: str
    sha256: str | None
    size: int | None
    url: str | None = None
    upstream: str | None = None
    derived_from: str = ""
    md5: str | None = None
    note: str = ""

    @property
    def checksum(self) -> tuple[str, str]:
        """``("sha256", digest)``, or ``("MD5", digest)`` for an MD5-only file."""
        return ("sha256", self.sha256) if self.sha256 else ("MD5", self.md5 or "")


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of one dataset (see :func:`crowdtut.datasets.list_datasets`).

    Attributes
    ----------
    name : str
        Canonical name, lower case.
    kind : str
        ``"classification"`` (per-worker labels), ``"vote-counts"`` (counts per task and class, no
        worker ids), ``"segmentation"``, ``"pairwise"``, ``"texts"`` or ``"clustering"``.
    summary : str
        One line.
    notes : str
        What a user must know before using it (oddities, repeated pairs, partial truth).
    files : dict of str to RemoteFile
        The files the loader reads, by role.
    licence, citation, url : str
        Terms of use, what to cite, and where the data is published.
    n_tasks, n_workers, n_answers, n_classes, n_truth : int or None
        Sizes of the loaded dataset: distinct tasks (pairwise, clustering: items) with at least
        one answer, distinct workers, answer rows, classes, tasks with a true label. None where
        it does not apply.
    n_repeated : int
        Answer rows that repeat an earlier (task, worker) pair (the rows that
        ``duplicates="first"`` drops).
    aliases : tuple of str
        Other accepted names (upstream folder names).
    loader : str
        Which reader of :mod:`crowdtut.datasets` builds it; ``""`` when the registry lists the
        files but no loader exists yet.
    source : str
        The registry file that holds the entry (``registry/<source>.json``).
    """

    name: str
    kind: str
    summary: str
    notes: str
    files: dict[str, RemoteFile]
    licence: str
    citation: str
    url: str
    n_tasks: int | None
    n_workers: int | None
    n_answers: int | None
    n_classes: int | None
    n_truth: int | None
    n_repeated: int = 0
    aliases: tuple[str, ...] = ()
    loader: str = ""
    source: str = ""


# --- reading and checking the JSON files --------------------------------------------------------

_ENTRY_KEYS = {"name", "kind", "loader", "summary", "notes", "licence", "citation", "url",
               "aliases", "sizes", "files"}
_TEXT_KEYS = ("summary", "notes", "licence", "citation", "url")
_FILE_KEYS = {"mirror_path", "sha256", "md5", "size", "url", "upstream", "derived_from", "note"}
_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]*")
_HEX = {"sha256": re.compile(r"[0-9a-f]{64}"), "md5": re.compile(r"[0-9a-f]{32}")}
_UPSTREAM = re.compile(r"[\w.\-]+/[\w.\-]+@[0-9a-f]{40}:.+")


class _Bad(ValueError):
    pass


def _need(ok: bool, where: str, what: str, value, expected: str) -> None:
    if not ok:
        raise _Bad(f"{where}: {what} {value!r} is not valid; expected {expected}")


def _safe_relative(path) -> bool:
    """A relative POSIX path with no empty, '.' or '..' part (never leaves its root)."""
    if not isinstance(path, str) or not path or "\\" in path or path.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _file(where: str, spec) -> RemoteFile:
    _need(isinstance(spec, dict), where, "file", spec, "an object")
    unknown = set(spec) - _FILE_KEYS
    _need(not unknown, where, "fields", sorted(unknown), f"only {sorted(_FILE_KEYS)}")
    mirror_path = spec.get("mirror_path")
    _need(_safe_relative(mirror_path), where, "mirror_path", mirror_path,
          "a relative path with '/' separators and no '..'")
    for algo, pattern in _HEX.items():
        value = spec.get(algo)
        _need(value is None or (isinstance(value, str) and pattern.fullmatch(value)), where,
              algo, value, f"{pattern.pattern} (lower-case hex)")
    _need(spec.get("sha256") or spec.get("md5"), where, "checksum", None, "sha256 (or md5)")
    size = spec.get("size")
    size_ok = isinstance(size, int) and not isinstance(size, bool) and size > 0
    _need(size_ok or (size is None and not spec.get("sha256")), where, "size", size,
          "a positive number of bytes (null only for an MD5-only file)")
    url = spec.get("url")
    if url is None:
        derived = spec.get("derived_from")
        _need(isinstance(derived, str) and derived, where, "derived_from", derived,
              "what the file was computed from (a file without url is derived)")
        _need(spec.get("upstream") is None, where, "upstream", spec.get("upstream"),
              "null for a derived file")
    else:
        _need(isinstance(url, str) and url.startswith("https://") and " " not in url, where,
              "url", url, "an https URL without spaces (quote the path)")
        upstream = spec.get("upstream")
        _need(isinstance(upstream, str) and _UPSTREAM.fullmatch(upstream), where, "upstream",
              upstream, "owner/repo@<40-hex commit>:path")
    for key in ("derived_from", "note"):
        _need(isinstance(spec.get(key, ""), str), where, key, spec.get(key), "a string")
    return RemoteFile(
        mirror_path=mirror_path,
        sha256=spec.get("sha256"),
        size=size,
        url=url,
        upstream=spec.get("upstream"),
        derived_from=spec.get("derived_from", ""),
        md5=spec.get("md5"),
        note=spec.get("note", ""),
    )


def _entry(where: str, spec, source: str) -> DatasetInfo:
    _need(isinstance(spec, dict), where, "entry", type(spec).__name__, "an object")
    missing, unknown = _ENTRY_KEYS - set(spec), set(spec) - _ENTRY_KEYS
    _need(not missing, where, "missing fields", sorted(missing), f"all of {sorted(_ENTRY_KEYS)}")
    _need(not unknown, where, "unknown fields", sorted(unknown), f"only {sorted(_ENTRY_KEYS)}")
    name = spec["name"]
    _need(isinstance(name, str) and _NAME.fullmatch(name), where, "name", name,
          "lower-case letters, digits, '_' or '-'")
    where = f"{where} ({name})"
    _need(spec["kind"] in KINDS, where, "kind", spec["kind"], f"one of {KINDS}")
    _need(isinstance(spec["loader"], str), where, "loader", spec["loader"], "a string")
    for key in _TEXT_KEYS:
        _need(isinstance(spec[key], str) and spec[key].strip(), where, key, spec[key],
              "a non-empty string")
    aliases = spec["aliases"]
    _need(isinstance(aliases, list) and all(isinstance(a, str) and a for a in aliases), where,
          "aliases", aliases, "a list of names")
    sizes = spec["sizes"]
    _need(isinstance(sizes, dict) and set(sizes) == set(SIZES), where, "sizes", sizes,
          f"an object with exactly {list(SIZES)}")
    for key in SIZES:
        value = sizes[key]
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        _need(ok or (value is None and key != "n_repeated"), where, key, value,
              "a count >= 0" + (" or null" if key != "n_repeated" else ""))
    files = spec["files"]
    _need(isinstance(files, dict), where, "files", type(files).__name__, "an object")
    return DatasetInfo(
        name=name,
        kind=spec["kind"],
        summary=spec["summary"],
        notes=spec["notes"],
        files={role: _file(f"{where}, file {role!r}", f) for role, f in files.items()},
        licence=spec["licence"],
        citation=spec["citation"],
        url=spec["url"],
        **{key: sizes[key] for key in SIZES},
        aliases=tuple(aliases),
        loader=spec["loader"],
        source=source,
    )


def read_source(name: str, text: str) -> list[DatasetInfo]:
    """The entries of one registry file, checked.

    Parameters
    ----------
    name : str
        The file name (``<source>.json``), for the messages and the ``source`` check.
    text : str
        Its JSON content.

    Raises
    ------
    ValueError
        Invalid JSON or an invalid entry; the message names the file, the dataset, the field,
        its value and what was expected.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"registry file {name}: not valid JSON ({err})") from err
    where = f"registry file {name}"
    _need(isinstance(data, dict) and set(data) == {"source", "datasets"}, where, "content",
          sorted(data) if isinstance(data, dict) else type(data).__name__,
          "an object with 'source' and 'datasets'")
    _need(data["source"] == PurePosixPath(name).stem, where, "source", data["source"],
          "the file name without .json")
    _need(isinstance(data["datasets"], list) and data["datasets"], where, "datasets",
          data["datasets"], "a non-empty list")
    return [
        _entry(f"{where}, entry {i}", spec, data["source"])
        for i, spec in enumerate(data["datasets"])
    ]


@functools.lru_cache(maxsize=1)
def _load() -> dict[str, DatasetInfo]:
    """Every registry file of the package, read once."""
    folder = resources.files(__package__).joinpath("registry")
    registry: dict[str, DatasetInfo] = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        for info in read_source(item.name, item.read_text(encoding="utf-8")):
            if info.name in registry:
                raise ValueError(
                    f"registry file {item.name}: dataset {info.name!r} is also in "
                    f"{registry[info.name].source}.json"
                )
            registry[info.name] = info
    order = {source: i for i, source in enumerate(_ORDER)}  # stable: file order within a source
    return dict(sorted(registry.items(), key=lambda kv: order.get(kv[1].source, len(order))))


# the order of list_datasets() (labels first); a source missing here comes last
_ORDER = (
    "truth_inference",
    "labelme",
    "cifar10h",
    "cifar10n",
    "peerannot_toy",
    "sagemaker_birds",
    "bubil",
    "mscoco_small",
    "readability",
    "music_preferences",
    "crowdspeech",
    "crowdwsa2019",
    "crowd_clustering_www25",
)


class _Registry(Mapping):
    """Dataset name -> :class:`DatasetInfo`, read from the JSON files on first use."""

    def __getitem__(self, name: str) -> DatasetInfo:
        return _load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_load())

    def __len__(self) -> int:
        return len(_load())

    def __repr__(self) -> str:
        return f"<crowdtut dataset registry: {', '.join(self)}>"


REGISTRY: Mapping[str, DatasetInfo] = _Registry()


# --- names -------------------------------------------------------------------------------------


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-_]+", "_", name.strip().lower())


@functools.lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for info in _load().values():
        for alias in (info.name, *info.aliases):
            key = _normalise(alias)
            if table.get(key, info.name) != info.name:
                raise ValueError(
                    f"registry: the name {alias!r} of {info.name} also names {table[key]}"
                )
            table[key] = info.name
    return table


def resolve_name(name: str) -> str:
    """The canonical name of a dataset, accepting aliases, any case, ``-``, ``_`` or spaces.

    Raises
    ------
    KeyError
        Unknown name; the message lists close matches and every available name.
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}")
    table = _lookup()
    key = _normalise(name)
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(table[c] for c in close))
    hint = f" Did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
    raise KeyError(
        f"unknown dataset {name!r}.{hint} Available: {', '.join(REGISTRY)} "
        "(see crowdtut.datasets.list_datasets())."
    )
