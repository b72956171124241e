"""Label Studio's JSON export: a list of tasks, each with the annotations of several people."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

__all__ = ["read_labelstudio"]


def _annotator(annotation: dict) -> object:
    """``completed_by`` as an id: an int in most exports, a dict with ``id``/``email`` in others."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return who.get("email") or who.get("id")
    return who


def read_labelstudio(
    path: str | os.PathLike,
    *,
    from_name: str | None = None,
    multilabel: bool = False,
    task_key: str | None = None,
) -> pd.DataFrame:
    """Read a Label Studio JSON export into the long answers frame (task, worker, label).

    The export is a JSON list of tasks ``{"id", "data", "annotations": [...]}``; each annotation
    has ``completed_by`` (the annotator), ``was_cancelled`` and a ``result`` list whose items
    carry ``from_name`` (the control tag), ``type`` (``choices``, ``labels``, ``rating``...) and
    ``value`` (``{"choices": ["Positive"]}``). Predictions are ignored; cancelled (skipped)
    annotations give no answer, and an annotation without a result for the control gives none
    either: their counts are in ``frame.attrs["skipped"]``.

    Parameters
    ----------
    path : the ``.json`` export.
    from_name : the control tag to read; needed when the results use several.
    multilabel : keep every choice of an answer as a list (for
        :class:`~crowdtut.aggregation.BinaryRelevance`); otherwise an answer with several
        choices is an error.
    task_key : a key of ``data`` to use as the task id instead of the task's ``id``.

    Raises
    ------
    ValueError
        Not a list of tasks, a task without ``id``, an annotation without ``completed_by``,
        several control tags and no ``from_name``, or several choices without ``multilabel``;
        the message names the file and the task's position in it.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> tasks = [{"id": 1, "data": {"text": "nice"}, "annotations": [
    ...     {"completed_by": 7, "result": [{"from_name": "s", "to_name": "text",
    ...      "type": "choices", "value": {"choices": ["Positive"]}}]}]}]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp) / "export.json"
    ...     _ = file.write_text(json.dumps(tasks))
    ...     read_labelstudio(file).to_dict("records")
    [{'task': 1, 'worker': 7, 'label': 'Positive'}]
    """
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(tasks, list):
        raise ValueError(f"{path}: expected a JSON list of tasks (Label Studio's JSON export)")
    rows, names = [], set()
    skipped = {"cancelled": 0, "no_result": 0}
    for position, task in enumerate(tasks):
        where = f"{path}, task #{position}"
        if not isinstance(task, dict) or "id" not in task:
            raise ValueError(f"{where}: expected an object with 'id', 'data' and 'annotations'")
        if task_key is None:
            task_id = task["id"]
        else:
            data = task.get("data", {})
            if task_key not in data:
                raise ValueError(f"{where}: its data has no key {task_key!r}; keys: {sorted(data)}")
            task_id = data[task_key]
        for annotation in task.get("annotations", []):
            if annotation.get("was_cancelled"):
                skipped["cancelled"] += 1
                continue
            worker = _annotator(annotation)
            if worker is None:
                raise ValueError(f"{where}: an annotation has no 'completed_by' (the annotator)")
            found = False
            for item in annotation.get("result", []):
                name, kind = item.get("from_name"), item.get("type")
                if from_name is not None and name != from_name:
                    continue
                names.add(name)
                value = item.get("value", {}).get(kind)
                if value is None:
                    raise ValueError(f"{where}: result of {name!r} has no value[{kind!r}]")
                if isinstance(value, list):
                    if not multilabel and len(value) != 1:
                        raise ValueError(
                            f"{where}: annotator {worker!r} chose {value} in {name!r}; pass "
                            "multilabel=True to keep several choices per answer"
                        )
                    value = list(value) if multilabel else value[0]
                rows.append({"task": task_id, "worker": worker, "label": value})
                found = True
            if not found:
                skipped["no_result"] += 1
    if from_name is None and len(names) > 1:
        raise ValueError(
            f"{path}: the results use several control tags {sorted(names)}; pass from_name=..."
        )
    frame = pd.DataFrame(rows, columns=["task", "worker", "label"])
    frame.attrs["skipped"] = skipped
    return frame
