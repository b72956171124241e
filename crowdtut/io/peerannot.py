"""peerannot dataset folders: answers.json, metadata.json and ground_truth.npy."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._checks import check_file_name_part, is_int
from ..answers import CrowdAnswers, encode_answers
from ._atomic import atomic_write

ANSWERS_FILE = "answers.json"
METADATA_FILE = "metadata.json"
TRUTH_FILE = "ground_truth.npy"
_INT_KEY = re.compile(r"-?(0|[1-9][0-9]{0,17})")  # at most 18 digits: always fits int64
_MAX_CLASSES = 2**31 - 1

# --- peerannot folders -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class PeerannotFolder:
    """The content of a peerannot dataset folder, as returned by :func:`read_peerannot`.

    Attributes
    ----------
    path : Path
        The folder.
    answers : pandas.DataFrame
        One row per answer, columns ``task``, ``worker``, ``label``, in the order of
        ``answers.json``. Task and worker ids are ints when every key of the file is an integer,
        strings otherwise; labels are ints.
    metadata : dict
        ``metadata.json`` as read (empty when the folder has none).
    truth : pandas.Series or None
        ``ground_truth.npy`` as a Series indexed by task and named ``"truth"`` (negative entries,
        meaning unknown, are left out); None when the file is absent.
    n_classes : int
        ``metadata["n_classes"]``, or the largest label + 1 when the metadata does not say (or
        when ``check_labels=False`` let larger labels through).
    tasks : pandas.Index
        Every task of ``answers.json`` in file order, including tasks without any answer.
    """

    path: Path
    answers: pd.DataFrame
    metadata: dict
    truth: pd.Series | None
    n_classes: int
    tasks: pd.Index

    @property
    def classes(self) -> pd.RangeIndex:
        """The classes ``0..n_classes-1``."""
        return pd.RangeIndex(self.n_classes, name="label")

    @property
    def name(self) -> str:
        """The dataset's name: ``metadata.json``'s ``name``, else the folder's name.

        It becomes part of output file names, so a name from ``metadata.json`` that is not a
        safe file-name part (a path separator, ``..``, a leading dot, see
        :func:`crowdtut._checks.check_file_name_part`) is a ValueError naming it.
        """
        name = self.metadata.get("name")
        if name is None or name == "":
            return Path(self.path).resolve().name
        return check_file_name_part(name, f"{Path(self.path) / METADATA_FILE}: name")

    def labels_path(self, strategy: str) -> Path:
        """Where peerannot keeps aggregated labels: ``labels/labels_<name>_<strategy>.npy``, with
        the strategy written as ``crowdtut aggregate`` writes it (lower case, e.g.
        ``dswc[l=5]``)."""
        slug = "".join(strategy.split()).lower()
        return Path(self.path) / "labels" / f"labels_{self.name}_{slug}.npy"

    def read_labels(self, strategy: str) -> pd.Series:
        """The aggregated labels of one strategy as hard labels (the argmax of probabilities),
        a Series indexed like :attr:`tasks`."""
        path = self.labels_path(strategy)
        if not path.is_file():
            raise FileNotFoundError(f"no labels for strategy {strategy!r}: {path} does not exist")
        values = np.load(path)
        if values.ndim == 2:
            values = values.argmax(axis=1)
        if len(values) != len(self.tasks):
            raise ValueError(f"{path} has {len(values)} labels for {len(self.tasks)} tasks")
        return pd.Series(values, index=self.tasks, name=strategy)

    def encode(self) -> CrowdAnswers:
        """The answers as a :class:`~crowdtut.answers.CrowdAnswers` with every task of the file
        (tasks without answers included) and the classes ``0..n_classes-1``."""
        return encode_answers(self.answers, classes=self.classes, tasks=self.tasks)

    def __repr__(self) -> str:
        truth = "no truth" if self.truth is None else f"truth for {len(self.truth)} tasks"
        return (
            f"PeerannotFolder({str(self.path)!r}: {len(self.tasks)} tasks, "
            f"{self.answers['worker'].nunique()} workers, {len(self.answers)} answers, "
            f"{self.n_classes} classes, {truth})"
        )


def _reject_repeated_keys(pairs: list[tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        repeated = next(k for k in keys if k in seen or seen.add(k))
        raise ValueError(
            f"key {repeated!r} appears twice in one JSON object (a task listed twice, or a "
            "worker answering one task twice); JSON readers would silently keep the last one"
        )
    return dict(pairs)


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found" + ("" if not path.exists() else " (not a file)"))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text: byte {e.start} cannot be decoded") from e
    try:
        return json.loads(text, object_pairs_hook=_reject_repeated_keys)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno} "
            f"(character {e.pos})"
        ) from e
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e


def _convert_keys(keys: list[str]) -> list:
    """The keys as ints when every one is the decimal form of an integer, else unchanged."""
    if keys and all(_INT_KEY.fullmatch(k) for k in keys):
        return [int(k) for k in keys]
    return list(keys)


def read_peerannot(folder: str | os.PathLike, *, check_labels: bool = True) -> PeerannotFolder:
    """Read a peerannot dataset folder: ``answers.json``, ``metadata.json`` and ``ground_truth.npy``.

    Parameters
    ----------
    folder : path of the folder. ``answers.json`` is required; ``metadata.json`` and
        ``ground_truth.npy`` are read when present.
    check_labels : bool, default True
        Require every label (and true label) to lie in ``0..n_classes-1`` when ``metadata.json``
        gives ``n_classes``, as peerannot's models do (they index arrays by label). Pass False
        for files that number their classes differently, such as peerannot's own
        ``krippendorff-data`` (labels 1..4 with ``n_classes`` 4): larger labels are then
        accepted and ``n_classes`` becomes the largest label + 1 (class 0 there has no vote).
        Negative or non-integer labels are refused either way.

    Returns
    -------
    PeerannotFolder
        ``.answers`` (long DataFrame), ``.metadata``, ``.truth``, ``.n_classes``, ``.tasks``;
        ``.encode()`` gives a CrowdAnswers that keeps the tasks without answers.

    Raises
    ------
    FileNotFoundError
        The folder or its ``answers.json`` does not exist (the message names the path).
    ValueError
        A file is not valid JSON (file, line and column named); a key appears twice in one
        object; ``answers.json`` is not ``{task: {worker: label}}``; a label is not an integer or
        is out of range (task, worker and label named); ``metadata.json`` has a bad
        ``n_classes``; ``ground_truth.npy`` does not match the tasks.
    """
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(
            f"peerannot folder {path} " + ("is not a directory" if path.exists() else "not found")
        )
    answers_path = path / ANSWERS_FILE
    votes = _read_json(answers_path)
    if not isinstance(votes, dict):
        raise ValueError(
            f"{answers_path} must hold a JSON object {{task: {{worker: label}}}}; "
            f"found a {type(votes).__name__}"
        )
    metadata_path = path / METADATA_FILE
    metadata = _read_json(metadata_path) if metadata_path.exists() else {}
    if not isinstance(metadata, dict):
        raise ValueError(f"{metadata_path} must hold a JSON object; found a {type(metadata).__name__}")
    declared = metadata.get("n_classes")
    if declared is not None and not (is_int(declared) and 1 <= declared <= _MAX_CLASSES):
        raise ValueError(
            f"{metadata_path}: n_classes must be a positive integer up to {_MAX_CLASSES}, "
            f"got {declared!r}"
        )

    task_keys, worker_keys, labels = [], [], []
    for task, by_worker in votes.items():
        if not isinstance(by_worker, dict):
            raise ValueError(
                f"{answers_path}: task {task!r} must map to an object {{worker: label}}, "
                f"found {by_worker!r}"
            )
        for worker, label in by_worker.items():
            if not is_int(label):
                raise ValueError(
                    f"{answers_path}: task {task!r}, worker {worker!r}: label {label!r} is not an "
                    "integer class code"
                )
            task_keys.append(task)
            worker_keys.append(worker)
            labels.append(label)
    try:
        label_arr = np.asarray(labels, dtype=np.int64)
    except OverflowError:  # a label beyond int64, e.g. 10**30
        i = next(i for i, v in enumerate(labels) if not -(2**63) <= v < 2**63)
        raise ValueError(
            f"{answers_path}: task {task_keys[i]!r}, worker {worker_keys[i]!r}: label {labels[i]} "
            "is out of range for a class code (labels are class codes 0..n_classes-1)"
        ) from None

    def first_bad(bad: np.ndarray) -> str:
        i = int(np.flatnonzero(bad)[0])
        return f"task {task_keys[i]!r}, worker {worker_keys[i]!r}: label {labels[i]}"

    if (label_arr < 0).any():
        bad = label_arr < 0
        raise ValueError(
            f"{answers_path}: {int(bad.sum())} negative label(s), first {first_bad(bad)}; "
            "labels are class codes 0..n_classes-1"
        )
    top = int(label_arr.max()) + 1 if len(label_arr) else 0
    if top > _MAX_CLASSES and (declared is None or not check_labels):
        bad = label_arr >= _MAX_CLASSES
        raise ValueError(
            f"{answers_path}: label(s) of {_MAX_CLASSES} or more, first {first_bad(bad)}; labels "
            "are class codes 0..n_classes-1"
        )
    if declared is None:
        n_classes = top
    elif check_labels and top > declared:
        bad = label_arr >= declared
        raise ValueError(
            f"{answers_path}: {int(bad.sum())} label(s) outside 0..{declared - 1} "
            f"(n_classes={declared} in {METADATA_FILE}), first {first_bad(bad)}; pass "
            "check_labels=False to accept them"
        )
    else:
        n_classes = max(declared, top)

    tasks = pd.Index(_convert_keys(list(votes)), name="task")
    task_map = dict(zip(votes, tasks))
    workers = _convert_keys(sorted(set(worker_keys)))
    worker_map = dict(zip(sorted(set(worker_keys)), workers))
    int_workers = all(is_int(w) for w in workers)
    answers = pd.DataFrame(
        {
            "task": pd.Series([task_map[t] for t in task_keys], dtype=tasks.dtype),
            "worker": pd.Series(
                [worker_map[w] for w in worker_keys], dtype=np.int64 if int_workers else None
            ),
            "label": label_arr,
        }
    )

    truth = None
    truth_path = path / TRUTH_FILE
    if truth_path.exists():
        truth = _read_truth(truth_path, tasks, n_classes, check_labels)
    return PeerannotFolder(path, answers, metadata, truth, n_classes, tasks)


def _read_truth(path: Path, tasks: pd.Index, n_classes: int, check_labels: bool) -> pd.Series:
    try:
        values = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"{path} is not a readable .npy array: {e}") from e
    if values.ndim != 1 or len(values) != len(tasks):
        raise ValueError(
            f"{path} has shape {values.shape}; expected ({len(tasks)},), one label per task of "
            f"{ANSWERS_FILE}"
        )
    if np.issubdtype(values.dtype, np.floating) and np.all(values == np.round(values)):
        values = values.astype(np.int64)
    if not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"{path} must hold integer labels, found dtype {values.dtype}")
    # position i is task i when the ids are 0..n-1 (peerannot's layout), else the i-th task
    if tasks.dtype.kind == "i" and set(tasks) == set(range(len(tasks))):
        index = pd.RangeIndex(len(tasks))
    else:
        index = pd.Index(tasks)
    truth = pd.Series(values.astype(np.int64), index=pd.Index(index, name="task"), name="truth")
    truth = truth[truth >= 0]
    if check_labels and (truth >= n_classes).any():
        bad = truth[truth >= n_classes]
        raise ValueError(
            f"{path}: true label {int(bad.iloc[0])} of task {bad.index[0]!r} is outside "
            f"0..{n_classes - 1}; pass check_labels=False to accept it"
        )
    return truth


class PeerannotCodes(NamedTuple):
    """What :func:`write_peerannot` wrote for each name: position ``i`` of each index is the
    user's name written as code ``i`` (with ``encode=False`` the ids map to themselves)."""

    tasks: pd.Index
    workers: pd.Index
    classes: pd.Index


_ENCODE_FIRST = (
    "peerannot indexes arrays by task id, worker id and label; pass encode=True to write codes "
    "0..n-1 instead (write_peerannot then returns the mapping), or encode them yourself"
)


def _integer_ids(index: pd.Index, what: str) -> np.ndarray:
    values = np.asarray(index)
    if values.dtype.kind not in "iu":
        if values.dtype == object and len(values) and all(is_int(v) for v in values):
            values = values.astype(np.int64)
        else:
            raise ValueError(
                f"{what} must be non-negative integers, got e.g. {index[:5].tolist()}; "
                + _ENCODE_FIRST
            )
    if len(values) and values.min() < 0:
        raise ValueError(
            f"{what} must be non-negative integers, got {sorted(values[values < 0].tolist())[:5]}; "
            + _ENCODE_FIRST
        )
    return values.astype(np.int64)


def _as_crowd_answers(answers, n_classes: int | None, encode: bool) -> CrowdAnswers:
    if isinstance(answers, CrowdAnswers):
        return answers
    if not encode and isinstance(answers, pd.DataFrame) and "label" in answers.columns:
        labels = answers["label"]
        if not labels.isna().any():
            codes = _integer_ids(pd.Index(labels.unique()), "labels")
            top = int(codes.max()) + 1 if len(codes) else 0
            n_classes = max(top, 2) if n_classes is None else n_classes
            if top > n_classes:
                raise ValueError(
                    f"labels must lie in 0..{n_classes - 1} (n_classes={n_classes}); got "
                    f"{sorted(codes[codes >= n_classes].tolist())[:10]}"
                )
            return encode_answers(
                answers, classes=range(n_classes), duplicates="keep", min_classes=1
            )
    # repeats get a message of their own; one class is a valid (if dull) dataset
    return encode_answers(answers, duplicates="keep", min_classes=1)


def write_peerannot(
    answers: pd.DataFrame | CrowdAnswers,
    folder: str | os.PathLike,
    *,
    name: str,
    n_classes: int | None = None,
    truth: pd.Series | np.ndarray | None = None,
    overwrite: bool = False,
    encode: bool = False,
    metadata: dict | None = None,
) -> PeerannotCodes:
    """Write answers as a peerannot dataset folder (``answers.json``, ``metadata.json`` and, with
    ``truth``, ``ground_truth.npy``).

    peerannot's models index arrays by task id, worker id and label, so by default the ids must
    already be those indices: tasks exactly ``0..n_tasks-1`` (tasks without answers can be kept
    by passing a CrowdAnswers built with ``tasks=range(n)``), workers non-negative integers,
    labels in ``0..n_classes-1``. With ``encode=True`` any names are accepted and their codes
    (see :func:`crowdtut.answers.encode_answers`) are written instead.

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers. A (task, worker)
        pair may appear only once: a JSON object cannot hold two answers of one worker.
    folder : the folder to write into; created if missing.
    name : the dataset name stored in ``metadata.json``.
    n_classes : number of classes; by default the largest label + 1 (at least 2), or with
        ``encode=True`` the number of classes of ``answers``.
    truth : true labels, a Series indexed by task name (it may cover only some tasks) or an array
        with one label per task in code order. Tasks without a truth are written as -1.
    overwrite : replace existing files. Without it an existing file is a FileExistsError and
        nothing is written. With it, a ``ground_truth.npy`` left from before is removed when
        ``truth`` is None, so that a stale truth cannot be read back.
    encode : write integer codes instead of the names.
    metadata : further entries for ``metadata.json`` (e.g. the options of a simulation), written
        after the four that this function sets, which they may not replace.

    Returns
    -------
    PeerannotCodes
        ``(tasks, workers, classes)``: position ``i`` of each index is the name written as ``i``.

    Notes
    -----
    ``metadata.json`` holds ``name``, ``n_classes``, ``n_workers`` and ``n_tasks``;
    ``n_workers`` is the largest worker id + 1 (the size of peerannot's worker arrays), which is
    the number of workers when the ids are ``0..n-1``. Every file is serialised before the first
    one is written, and each is replaced atomically (:func:`atomic_write`).
    """
    check_file_name_part(name, "name")  # readers put it into output file names
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"metadata must be a dict, got {type(metadata).__name__}")
    if n_classes is not None and not (is_int(n_classes) and n_classes >= 1):
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    data = _as_crowd_answers(answers, n_classes, encode)

    if encode:
        task_ids = np.arange(data.n_tasks)
        worker_ids = np.arange(data.n_workers)
        label_ids = np.arange(data.n_classes)
        k = data.n_classes if n_classes is None else n_classes
        if k < data.n_classes:
            raise ValueError(f"n_classes={n_classes} but the answers have {data.n_classes} classes")
    else:
        task_ids = _integer_ids(data.tasks, "task ids")
        worker_ids = _integer_ids(data.workers, "worker ids")
        label_ids = _integer_ids(data.classes, "labels")
        gaps = np.setdiff1d(np.arange(data.n_tasks), task_ids)
        if len(gaps):
            raise ValueError(
                f"task ids must be 0..{data.n_tasks - 1} (peerannot counts the tasks of "
                f"{ANSWERS_FILE}); missing {gaps[:10].tolist()}, found up to {task_ids.max()}. "
                "Tasks without answers can be kept with a CrowdAnswers made by "
                "encode_answers(answers, tasks=range(n)); or pass encode=True to write codes "
                "0..n-1 instead"
            )
        k = n_classes if n_classes is not None else max(int(label_ids.max()) + 1, 2)
        if label_ids.max() >= k:
            raise ValueError(
                f"labels must lie in 0..{k - 1} (n_classes={k}); got "
                f"{sorted(label_ids[label_ids >= k].tolist())[:10]}"
            )
    if data.n_answers:
        key = data.task * data.n_workers + data.worker
        if len(np.unique(key)) != len(key):
            raise ValueError(
                "answers repeat (task, worker) pairs, which answers.json cannot hold; encode them "
                "with duplicates='first' (or drop the repeats) first"
            )

    # answers.json: tasks in id order, workers in id order within each task
    t, w, lab = task_ids[data.task], worker_ids[data.worker], label_ids[data.label]
    order = np.lexsort((w, t))
    votes: dict[str, dict[str, int]] = {str(i): {} for i in np.sort(task_ids).tolist()}
    for ti, wi, li in zip(t[order].tolist(), w[order].tolist(), lab[order].tolist()):
        votes[str(ti)][str(wi)] = li
    meta = {
        "name": name,
        "n_classes": int(k),
        "n_workers": int(worker_ids.max()) + 1 if len(worker_ids) else 0,
        "n_tasks": int(data.n_tasks),
    }
    clash = sorted(set(metadata or {}) & set(meta))
    if clash:
        raise ValueError(f"metadata may not set {clash}: write_peerannot computes them")
    meta.update(metadata or {})
    contents = {
        ANSWERS_FILE: json.dumps(votes, indent=4) + "\n",
        METADATA_FILE: json.dumps(meta, indent=4, default=_json_value) + "\n",
    }
    if truth is not None:
        contents[TRUTH_FILE] = _truth_bytes(truth, data, task_ids, label_ids, k, encode)

    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a directory")
    targets = [path / f for f in (ANSWERS_FILE, METADATA_FILE, TRUTH_FILE)]
    existing = [p for p in targets if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} exists; pass overwrite=True to replace it")
    path.mkdir(parents=True, exist_ok=True)
    for filename, content in contents.items():
        atomic_write(path / filename, content)
    stale = path / TRUTH_FILE
    if truth is None and overwrite and stale.exists():
        stale.unlink()
    return PeerannotCodes(data.tasks, data.workers, data.classes)


def _truth_bytes(truth, data: CrowdAnswers, task_ids, label_ids, n_classes: int, encode: bool) -> bytes:
    """``ground_truth.npy``: one label per task id, -1 where unknown."""
    import io as _io

    if isinstance(truth, pd.Series):
        if not truth.index.is_unique:
            raise ValueError("truth has repeated tasks in its index")
        rows = data.tasks.get_indexer(truth.index)
        if (rows < 0).any():
            raise ValueError(
                f"truth has task(s) that are not tasks of answers: "
                f"{truth.index[rows < 0][:10].tolist()}"
            )
        values = truth.to_numpy()
    else:
        values = np.asarray(truth)
        if values.ndim != 1 or len(values) != data.n_tasks:
            raise ValueError(
                f"truth given as an array must hold one label per task ({data.n_tasks}); "
                f"got shape {values.shape}"
            )
        rows = np.arange(data.n_tasks)
    known = ~pd.isna(values)
    if encode:
        codes = data.classes.get_indexer(values[known])
        if (codes < 0).any():
            raise ValueError(
                f"truth has label(s) that are not classes of answers: "
                f"{pd.unique(values[known][codes < 0])[:10].tolist()}"
            )
        labels = label_ids[codes]
    else:
        given = values[known]
        if given.dtype.kind == "f" and np.all(given == np.round(given)):
            given = given.astype(np.int64)  # NaN for unknown truths makes a Series float
        labels = _integer_ids(pd.Index(given), "true labels")
        if len(labels) and labels.max() >= n_classes:
            raise ValueError(f"true labels must lie in 0..{n_classes - 1}; got {labels.max()}")
    out = np.full(data.n_tasks, -1, dtype=np.int64)
    out[task_ids[rows[known]]] = labels
    buffer = _io.BytesIO()
    np.save(buffer, out, allow_pickle=False)
    return buffer.getvalue()


def _json_value(value):
    """numpy scalars and arrays as JSON values (for the ``metadata`` of :func:`write_peerannot`)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"metadata value of type {type(value).__name__} cannot be written to JSON")
