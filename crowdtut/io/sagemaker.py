"""Read and write the files of an Amazon SageMaker Ground Truth classification labeling job.

A job's output folder holds, among others:

- ``annotations/worker-response/iteration-<n>/<datasetObjectId>/<timestamp>.json``: what each
  worker answered on each data object, one JSON file per object and iteration, of the form
  ``{"answers": [{"workerId": ..., "submissionTime": ..., "answerContent":
  {"crowd-image-classifier": {"label": "Owl"}}}, ...]}``;
- ``manifests/output/output.manifest``: JSON lines, one per data object in the order of the
  input manifest (``datasetObjectId`` is the 0-based line number), with the source, the
  consolidated class index under the job's *label attribute*, and a ``<label attribute>-metadata``
  object (``class-name``, ``confidence``, ``job-name``, ``human-annotated``, ``creation-date``,
  ``type``).

:func:`read_worker_responses` turns the first into crowdtut's long answers table (columns
``task``, ``worker``, ``label``); :func:`read_output_manifest` and :func:`write_output_manifest`
read and write the second as a DataFrame with one row per object; :func:`to_output_manifest`
builds that DataFrame from any fitted aggregator, so that crowdtut's consolidation can be written
where SageMaker's would be.

>>> import pandas as pd
>>> from crowdtut.aggregation import MajorityVote
>>> answers = pd.DataFrame(
...     {"task": ["a", "a", "a"], "worker": [1, 2, 3], "label": ["Owl", "Owl", "Duck"]}
... )
>>> model = MajorityVote().fit(answers, classes=["Duck", "Owl"])
>>> frame = to_output_manifest(model, pd.Series({"a": "s3://bucket/a.jpg"}), job_name="birds")
>>> frame[["source_ref", "label", "class_index", "confidence"]].to_dict("records")
[{'source_ref': 's3://bucket/a.jpg', 'label': 'Owl', 'class_index': 1, 'confidence': 0.67}]
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._atomic import atomic_write

__all__ = [
    "read_worker_responses",
    "read_output_manifest",
    "write_output_manifest",
    "to_output_manifest",
    "parse_worker_response",
    "agreement",
]

_ITERATION = re.compile(r"iteration-(\d+)")
MANIFEST_COLUMNS = [
    "source_ref", "class_index", "label", "confidence", "job_name", "human_annotated",
    "creation_date", "type",
]  # fmt: skip
_META_FIELDS = {  # column -> metadata key
    "confidence": "confidence",
    "job_name": "job-name",
    "label": "class-name",
    "human_annotated": "human-annotated",
    "creation_date": "creation-date",
    "type": "type",
}


# --- worker responses ------------------------------------------------------------------------
def _answer_label(content: Any, where: str) -> Any:
    """The label in one ``answerContent``: ``{"<template>": {"label": x}}`` or ``{"label": x}``."""
    if isinstance(content, dict) and "label" in content:
        return content["label"]
    if isinstance(content, dict) and len(content) == 1:
        (inner,) = content.values()
        if isinstance(inner, dict) and "label" in inner:
            return inner["label"]
        if isinstance(inner, dict) and "labels" in inner:
            raise ValueError(f"{where}: multi-label answers (a 'labels' list) are not supported")
    raise ValueError(
        f"{where}: answerContent {json.dumps(content)[:120]} holds no single-label classification "
        "answer ({'<template>': {'label': ...}})"
    )


def parse_worker_response(
    response: Any, where: str = "worker response"
) -> list[tuple[Any, Any, Any]]:
    """The ``(worker, label, submission time)`` triples of one parsed worker-response JSON.

    Raises ValueError naming ``where`` when the object is not of the documented shape.
    """
    if not isinstance(response, dict) or not isinstance(response.get("answers"), list):
        raise ValueError(f"{where}: expected an object with an 'answers' list")
    rows = []
    for n, answer in enumerate(response["answers"]):
        here = f"{where}, answer {n}"
        if not (isinstance(answer, dict) and "workerId" in answer and "answerContent" in answer):
            raise ValueError(f"{here}: expected 'workerId' and 'answerContent'")
        label = _answer_label(answer["answerContent"], here)
        if label is None or (isinstance(label, str) and not label.strip()):
            raise ValueError(f"{here}: empty label")
        rows.append((answer["workerId"], label, answer.get("submissionTime")))
    return rows


def read_worker_responses(folder: str | os.PathLike) -> pd.DataFrame:
    """Read every worker response under ``folder`` into a long answers table.

    Parameters
    ----------
    folder : the ``worker-response`` folder of a labeling job, or any folder above it. Files are
        found at ``iteration-<n>/<datasetObjectId>/<name>.json`` at any depth; macOS ``._*``
        files are skipped.

    Returns
    -------
    DataFrame with one row per answer, sorted by task, iteration and file name: ``task`` (the
    ``datasetObjectId``, an int), ``worker``, ``label``, ``iteration`` (int) and
    ``submission_time`` (Timestamp, UTC; NaT when absent).

    Raises
    ------
    FileNotFoundError
        ``folder`` does not exist or holds no worker response.
    ValueError
        A file is not JSON or not of the documented shape, or an object folder is not an integer
        id; the message names the file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    rows = []
    files = sorted(p for p in folder.rglob("*.json") if not p.name.startswith("._"))
    for path in files:
        parent, grandparent = path.parent, path.parent.parent
        match = _ITERATION.fullmatch(grandparent.name)
        if match is None:
            continue  # consolidation requests and other job files
        if not parent.name.isdigit():
            raise ValueError(
                f"{path}: a worker response must sit in iteration-<n>/<datasetObjectId>/, but "
                f"{parent.name!r} is not an integer id"
            )
        try:
            response = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{path}: not a JSON file ({err})") from None
        for worker, label, when in parse_worker_response(response, str(path)):
            rows.append((int(parent.name), worker, label, int(match.group(1)), when, path.name))
    if not rows:
        raise FileNotFoundError(
            f"no worker response under {folder} (expected iteration-<n>/<datasetObjectId>/*.json)"
        )
    frame = pd.DataFrame(
        rows, columns=["task", "worker", "label", "iteration", "submission_time", "_file"]
    )
    frame["submission_time"] = pd.to_datetime(frame["submission_time"], utc=True, format="ISO8601")
    frame = frame.sort_values(["task", "iteration", "_file"], kind="stable").drop(columns="_file")
    return frame.reset_index(drop=True)


# --- output manifest -------------------------------------------------------------------------
def _label_attribute(record: dict, given: str | None, where: str) -> str:
    candidates = [k for k in record if f"{k}-metadata" in record]
    if given is not None:
        if given not in candidates:
            raise ValueError(
                f"{where}: no label attribute {given!r} with a {given!r}-metadata object; "
                f"found {candidates}"
            )
        return given
    if len(candidates) != 1:
        raise ValueError(
            f"{where}: {len(candidates)} label attributes {candidates}; pass label_attribute= "
            "to choose one" if candidates else f"{where}: no '<label attribute>-metadata' field"
        )
    return candidates[0]


def read_output_manifest(
    path: str | os.PathLike, *, label_attribute: str | None = None
) -> pd.DataFrame:
    """Read a classification output manifest (JSON lines) into one row per data object.

    Parameters
    ----------
    path : the ``output.manifest`` file.
    label_attribute : the job's label attribute name (the key holding the class index). Found
        by itself when each line has exactly one ``<name>`` / ``<name>-metadata`` pair.

    Returns
    -------
    DataFrame indexed by ``object_id`` (the 0-based line number among non-empty lines, which is
    SageMaker's ``datasetObjectId``) with the columns ``source_ref`` (the ``source-ref``, or the
    ``source`` text of a text job), ``class_index`` (int), ``label`` (the class name),
    ``confidence``, ``job_name``, ``human_annotated``, ``creation_date`` (Timestamp) and
    ``type``. ``frame.attrs`` holds ``label_attribute`` and ``source_key``.

    Raises
    ------
    ValueError
        A line is not JSON, lacks the source or the label attribute, or the label attributes
        differ between lines; the message names the line.
    """
    path = Path(path)
    rows, attribute, source_key = [], label_attribute, None
    with open(path, encoding="utf-8") as f:
        lines = [(n, line) for n, line in enumerate(f, start=1) if line.strip()]
    if not lines:
        raise ValueError(f"{path} is empty")
    for n, line in lines:
        where = f"{path}, line {n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{where}: not JSON ({err})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected a JSON object")
        key = "source-ref" if "source-ref" in record else "source" if "source" in record else None
        if key is None:
            raise ValueError(f"{where}: no 'source-ref' (or 'source') field")
        if source_key is None:
            source_key = key
        name = _label_attribute(record, attribute, where)
        if attribute is None:
            attribute = name
        meta = record[f"{name}-metadata"]
        if not isinstance(meta, dict) or "class-name" not in meta:
            raise ValueError(f"{where}: {name}-metadata has no 'class-name'")
        value = record[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ValueError(f"{where}: {name} = {value!r} is not a class index")
        row = {"source_ref": record[key], "class_index": int(value)}
        row.update({col: meta.get(meta_key) for col, meta_key in _META_FIELDS.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    frame.index = pd.RangeIndex(len(frame), name="object_id")
    frame["confidence"] = pd.to_numeric(frame["confidence"], errors="raise").astype(np.float64)
    frame["creation_date"] = pd.to_datetime(frame["creation_date"], format="ISO8601")
    frame.attrs.update(label_attribute=attribute, source_key=source_key)
    return frame


def to_output_manifest(
    model,
    source_refs: pd.Series,
    *,
    job_name: str,
    task_type: str = "groundtruth/image-classification",
    creation_date: datetime | None = None,
) -> pd.DataFrame:
    """A fitted aggregator's labels in the layout of :func:`read_output_manifest`.

    Parameters
    ----------
    model : a fitted crowdtut aggregator (``labels_``, ``probas_``, ``classes_``). The
        confidence is the model's ``confidences_`` when it has them (ModifiedDawidSkene), else
        the probability of the label rounded to two decimals.
    source_refs : Series mapping each task to its source (``s3://...``); its order is the order
        of the lines. Every task must have a label.
    job_name : written as ``labeling-job/<job_name>``.
    task_type : the ``type`` field.
    creation_date : default now (UTC, without time zone, as SageMaker writes it).
    """
    missing = source_refs.index.difference(model.labels_.index)
    if len(missing):
        raise ValueError(
            f"{len(missing)} task(s) of source_refs have no label, e.g. {missing[:5].tolist()}"
        )
    labels = model.labels_.reindex(source_refs.index)
    confidences = vars(model).get("confidences_")
    if confidences is None:
        confidences = model.probas_.max(axis=1).round(2)
    when = creation_date or datetime.now(timezone.utc).replace(tzinfo=None)
    frame = pd.DataFrame(
        {
            "source_ref": source_refs.to_numpy(),
            "class_index": pd.Index(model.classes_).get_indexer(labels.to_numpy()),
            "label": labels.to_numpy(),
            "confidence": confidences.reindex(source_refs.index).to_numpy(dtype=np.float64),
            "job_name": f"labeling-job/{job_name}",
            "human_annotated": "yes",
            "creation_date": pd.Timestamp(when),
            "type": task_type,
        },
        index=pd.RangeIndex(len(source_refs), name="object_id"),
    )
    frame.attrs.update(label_attribute=job_name, source_key="source-ref")
    return frame


def agreement(labels: pd.Series, manifest: pd.DataFrame | pd.Series) -> int:
    """Number of tasks of ``manifest`` (a DataFrame with a ``label`` column, or a Series of
    labels, indexed by task) on which ``labels`` (Series indexed by task) gives the same label.

    Raises ValueError when a task of ``manifest`` has no label in ``labels``.
    """
    reference = manifest["label"] if isinstance(manifest, pd.DataFrame) else manifest
    missing = reference.index.difference(labels.index)
    if len(missing):
        raise ValueError(
            f"{len(missing)} task(s) of the manifest have no label, e.g. {missing[:5].tolist()}; "
            "index the manifest by the same task names as the labels"
        )
    return int((labels.reindex(reference.index).to_numpy() == reference.to_numpy()).sum())


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, Timestamps as SageMaker's ISO strings."""
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_output_manifest(
    path: str | os.PathLike,
    manifest: pd.DataFrame,
    *,
    label_attribute: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write an output manifest (JSON lines), atomically (a reader never sees half a file),
    from a DataFrame laid out as :func:`read_output_manifest` returns it.

    Parameters
    ----------
    path : the file to write; its folder must exist.
    manifest : columns ``source_ref``, ``class_index``, ``label`` are required; ``confidence``,
        ``job_name``, ``human_annotated``, ``creation_date`` and ``type`` are written into the
        metadata when present and not missing. Lines follow the row order.
    label_attribute : the key of the class index; default ``manifest.attrs["label_attribute"]``.
    overwrite : replace an existing file (default: raise FileExistsError).

    Returns
    -------
    Path of the written file.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    attribute = label_attribute or manifest.attrs.get("label_attribute")
    if not attribute:
        raise ValueError("no label attribute: pass label_attribute= (the job's label key)")
    required = ["source_ref", "class_index", "label"]
    missing = [c for c in required if c not in manifest.columns]
    if missing:
        raise ValueError(
            f"manifest is missing column(s) {missing}; it has {list(manifest.columns)}"
        )
    for column in required:
        if manifest[column].isna().any():
            raise ValueError(f"manifest column {column!r} has missing values")
    if (manifest["class_index"].astype(np.int64) < 0).any():
        raise ValueError("manifest has negative class indices (a label outside the classes?)")
    source_key = manifest.attrs.get("source_key", "source-ref")
    lines = []
    for row in manifest.to_dict("records"):
        meta = {}
        for column, key in _META_FIELDS.items():
            value = row.get(column)
            if value is not None and not pd.isna(value):
                meta[key] = _plain(value)
        record = {source_key: _plain(row["source_ref"]), attribute: int(row["class_index"]),
                  f"{attribute}-metadata": meta}
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return atomic_write(path, "".join(line + "\n" for line in lines))
