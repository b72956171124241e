"""Read a Toloka results export (the TSV of a pool's "Download results").

The file is tab-separated with a header of prefixed columns (Toloka's documentation, "Receiving
responses"): ``INPUT:<field>`` the task's input data, ``OUTPUT:<field>`` the Toloker's response,
``GOLDEN:<field>`` the known response of a control task (empty elsewhere), ``HINT:text``, and
``ASSIGNMENT:link``, ``ASSIGNMENT:assignment_id``, ``ASSIGNMENT:worker_id``,
``ASSIGNMENT:started``, ``ASSIGNMENT:status``. CrowdSpeech publishes its transcriptions in this
layout with only ``INPUT:audio``, ``OUTPUT:transcription`` and ``ASSIGNMENT:worker_id``.

:func:`read_toloka` turns it into crowdtut's long table (``task``, ``worker`` and the response
column) plus the gold responses of the control tasks. Fields are read as text, exactly as written
with CSV quoting rules, as Toloka writes them: a field that holds a tab, a line break or a
leading quote is enclosed in double quotes (CrowdSpeech dev-clean has 624 transcriptions
with a line break, so the file cannot be split on line breaks). Values are not
type-guessed; empty responses are kept as ``""``; a record may leave out trailing empty fields.
Error messages give the line on which a record ends. Rows without a worker id (Toloka
writes them, e.g. for tasks no one completed) are dropped with a warning that says how many
(``warn_dropped=False`` leaves the count in ``n_dropped`` only); every other problem is a
``ValueError`` of one line naming the file, the line and what was expected.
"""

from __future__ import annotations

import csv
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable

import pandas as pd

__all__ = ["TolokaExport", "read_toloka", "url_stem"]

_WORKER = "ASSIGNMENT:worker_id"


@dataclass(frozen=True)
class TolokaExport:
    """What :func:`read_toloka` found in a file.

    Attributes
    ----------
    answers : DataFrame
        One row per response, columns ``task``, ``worker`` and the response column (``label`` by
        default), in file order; further ``ASSIGNMENT:`` fields as columns without the prefix.
    gold : Series
        The ``GOLDEN:`` response of every control task, indexed by task (empty when none).
    n_dropped : int
        Rows dropped for want of a worker id.
    """

    answers: pd.DataFrame
    gold: pd.Series
    n_dropped: int


def url_stem(value: str) -> str:
    """The file name without extension at the end of a URL or path (``.../dev-clean/76.mp3`` -> ``76``).

    Examples
    --------
    >>> url_stem("https://tlk.s3.yandex.net/annotation_tasks/librispeech/dev-clean/76.mp3")
    '76'
    """
    name = value.rstrip("/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _pick(header: list[str], prefix: str, given: str | None, path, required: bool) -> str | None:
    if given is not None:
        column = given if given.startswith(prefix) else prefix + given
        if column not in header:
            raise ValueError(f"{path}: line 1: no column {column!r}; the header has {header}")
        return column
    found = [c for c in header if c.startswith(prefix)]
    if len(found) == 1:
        return found[0]
    if not found and not required:
        return None
    what = "no" if not found else f"{len(found)} ({', '.join(found)})"
    raise ValueError(
        f"{path}: line 1: expected one {prefix}<field> column, found {what}; "
        f"name the one to read with {prefix.split(':')[0].lower()}=..."
    )


def read_toloka(
    path: str | os.PathLike,
    *,
    input: str | None = None,
    output: str | None = None,
    column: str = "label",
    task_name: Callable[[str], Hashable] | None = None,
    warn_dropped: bool = True,
) -> TolokaExport:
    """Read a Toloka results TSV into long answers and gold responses.

    Parameters
    ----------
    path : the ``.tsv`` file.
    input, output : the field that identifies the task (``INPUT:<field>``) and the response
        (``OUTPUT:<field>``); by default the only column of each kind (a ValueError when there are
        several).
    column : name of the response column in ``answers`` (``"text"`` for transcriptions).
    task_name : callable applied to the input value to make the task id (e.g. :func:`url_stem`);
        by default the value itself.
    warn_dropped : whether dropping rows without a worker id emits a ``UserWarning`` (default);
        ``False`` for callers that report :attr:`TolokaExport.n_dropped` themselves.

    Returns
    -------
    TolokaExport

    Examples
    --------
    >>> import pathlib, tempfile
    >>> tsv = ("INPUT:audio\\tOUTPUT:transcription\\tGOLDEN:transcription\\tASSIGNMENT:worker_id\\n"
    ...        "https://x/1.mp3\\thello world\\t\\tw1\\n"
    ...        "https://x/2.mp3\\tgood bye\\tgoodbye\\tw1\\n"
    ...        "https://x/1.mp3\\thello word\\t\\tw2\\n")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "results.tsv"); _ = p.write_text(tsv)
    ...     export = read_toloka(p, column="text", task_name=url_stem)
    >>> export.answers.values.tolist()
    [['1', 'w1', 'hello world'], ['2', 'w1', 'good bye'], ['1', 'w2', 'hello word']]
    >>> export.gold.to_dict()
    {'2': 'goodbye'}
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t")
            records = [(reader.line_num, row) for row in reader]  # line on which each record ends
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise ValueError(f"{path}: not a tab-separated file with CSV quoting ({exc})") from None
    if not records or not any(field.strip() for field in records[0][1]):
        raise ValueError(f"{path}: line 1: empty; expected a header of INPUT:, OUTPUT: and {_WORKER} columns")
    header = records[0][1]
    source = _pick(header, "INPUT:", input, path, required=True)
    response = _pick(header, "OUTPUT:", output, path, required=True)
    if _WORKER not in header:
        raise ValueError(f"{path}: line 1: no column {_WORKER!r}; the header has {header}")
    golden_name = "GOLDEN:" + response.split(":", 1)[1]
    golden = golden_name if golden_name in header else None
    extra = [c for c in header if c.startswith("ASSIGNMENT:") and c != _WORKER]
    pos = {c: k for k, c in enumerate(header)}
    rows, gold, dropped = [], {}, 0
    for number, fields in records[1:]:
        if not fields:
            continue
        if len(fields) > len(header):
            raise ValueError(
                f"{path}: line {number}: expected at most {len(header)} tab-separated fields as "
                f"in the header, found {len(fields)} (a tab inside an unquoted field?)"
            )
        fields += [""] * (len(header) - len(fields))  # trailing empty fields may be left out
        worker = fields[pos[_WORKER]].strip()
        if not worker:
            dropped += 1
            continue
        value = fields[pos[source]]
        if not value.strip():
            raise ValueError(f"{path}: line {number}: empty {source!r}; every row needs its task")
        task = value if task_name is None else task_name(value)
        rows.append([task, worker, fields[pos[response]]] + [fields[pos[c]] for c in extra])
        if golden is not None and fields[pos[golden]] != "":
            known = gold.setdefault(task, fields[pos[golden]])
            if known != fields[pos[golden]]:
                raise ValueError(
                    f"{path}: line {number}: {golden!r} is {fields[pos[golden]]!r} for task "
                    f"{task!r}, which an earlier line gave as {known!r}"
                )
    if dropped and warn_dropped:
        warnings.warn(
            f"{path.name}: dropped {dropped} row(s) without a worker id ({_WORKER} empty)", stacklevel=2
        )
    names = ["task", "worker", column] + [c.split(":", 1)[1] for c in extra]
    answers = pd.DataFrame(rows, columns=names, dtype=object)
    gold_series = pd.Series(gold, name=column, dtype=object)
    gold_series.index.name = "task"
    return TolokaExport(answers=answers, gold=gold_series, n_dropped=dropped)
