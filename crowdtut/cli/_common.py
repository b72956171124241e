"""What the commands share: parser parts, the error type, reading a dataset folder, writing outputs.

Only the standard library is imported at module level; numpy, pandas and the rest of crowdtut are
imported inside the functions, when a command runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path
from typing import Any, Iterable

__all__ = [
    "CLIError",
    "USAGE",
    "DATA",
    "Formatter",
    "add_command",
    "add_folder",
    "add_overwrite",
    "add_check_labels",
    "load_folder",
    "task_order",
    "check_free",
    "dataset_files",
    "write_outputs",
    "npy_bytes",
    "json_bytes",
    "show",
    "load_split",
    "read_npy",
    "file_name_part",
    "count",
    "number",
]

USAGE = 2  # bad command line: unknown option, strategy or bracket parameter
DATA = 1  # bad input data or an output that exists


class CLIError(Exception):
    """An error the user can fix: printed as one line on stderr, exit status ``code``."""

    def __init__(self, message: str, code: int = DATA):
        super().__init__(message)
        self.code = code


class Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows every default and keeps the line breaks of descriptions and epilogs.

    Flags (on or off) and options whose default is None (their help says what happens when they
    are not given) show no "(default: ...)".
    """

    def _get_help_string(self, action):
        if action.nargs == 0 or action.default is None:
            return action.help
        return super()._get_help_string(action)


def count(low: int):
    """An argparse type: an integer of at least ``low`` (else a usage error naming the flag)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}; got {value}")
        return value

    return convert


def number(low: float | None = None, high: float | None = None, *, open_low: bool = False,
           open_high: bool = False):
    """An argparse type: a finite number within the bounds (inclusive unless ``open_*``)."""
    import math

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number; got {text!r}")
        too_low = low is not None and (value <= low if open_low else value < low)
        too_high = high is not None and (value >= high if open_high else value > high)
        if too_low or too_high:
            if low is not None and high is not None:
                where = f"in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
            elif low is not None:
                where = f"{'>' if open_low else '>='} {low:g}"
            else:
                where = f"{'<' if open_high else '<='} {high:g}"
            raise argparse.ArgumentTypeError(f"must be {where}; got {text}")
        return value

    return convert


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    *,
    help: str,
    description: str,
    epilog: str | None = None,
    folder: bool = True,
) -> argparse.ArgumentParser:
    """The parser of sub-command ``name`` (help shown with :class:`Formatter`), whose first
    argument is the dataset folder unless ``folder`` is false."""
    parser = sub.add_parser(
        name, help=help, description=description, epilog=epilog, formatter_class=Formatter
    )
    if folder:
        add_folder(parser)
    return parser


def file_name_part(text: str | None, flag: str) -> str | None:
    """``text`` (given by ``flag``) if it can be one part of a file name, else a usage error."""
    if text is None:
        return None
    from .._checks import check_file_name_part

    try:
        return check_file_name_part(text, flag)
    except ValueError as e:
        raise CLIError(str(e), USAGE) from None


def add_folder(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder",
        type=Path,
        help="dataset folder in peerannot's layout (answers.json, metadata.json, "
        "ground_truth.npy optional)",
    )


def add_check_labels(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-check-labels", dest="check_labels", action="store_false",
        help="accept labels >= n_classes of metadata.json (n_classes becomes the largest label "
        "+ 1), e.g. peerannot's krippendorff-data, whose labels are 1..4",
    )


def add_overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite", action="store_true", help="replace output files that already exist"
    )


# --- reading -----------------------------------------------------------------------------------
def load_folder(path: Path, check_labels: bool = True):
    """:func:`crowdtut.io.read_peerannot` plus the consistency checks peerannot relies on."""
    from ..io import read_peerannot

    try:
        folder = read_peerannot(path, check_labels=check_labels)
    except ValueError as e:
        text = str(e).replace("pass check_labels=False", "pass --no-check-labels")
        raise CLIError(text) from None
    _check_consistency(folder)
    return folder


def _check_consistency(folder) -> None:
    meta, answers = folder.metadata, folder.answers
    where = folder.path / "metadata.json"
    if len(answers) == 0:
        raise CLIError(f"{folder.path / 'answers.json'} holds no answer")
    for key in ("n_tasks", "n_task"):  # peerannot's simulate writes n_task
        if key in meta:
            value = meta[key]
            if not isinstance(value, int) or isinstance(value, bool) or value != len(folder.tasks):
                raise CLIError(
                    f"{where}: {key}={value!r} but answers.json lists {len(folder.tasks)} tasks; "
                    "make them agree"
                )
    if "n_workers" in meta:
        value = meta["n_workers"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CLIError(f"{where}: n_workers={value!r} must be a positive integer")
        workers = answers["worker"]
        if workers.dtype.kind in "iu":
            top = int(workers.max())
            if top >= value:
                raise CLIError(
                    f"answers.json has worker id {top} but {where.name} says n_workers={value} "
                    f"(peerannot numbers workers 0..n_workers-1)"
                )
        elif workers.nunique() > value:
            raise CLIError(
                f"answers.json has {workers.nunique()} workers but {where.name} says "
                f"n_workers={value}"
            )


def task_order(folder):
    """Row order of every per-task output: task ids 0..n-1 when the ids are those integers (row
    ``i`` is task ``i``, as peerannot indexes arrays), otherwise the order of answers.json."""
    import pandas as pd

    tasks = folder.tasks
    n = len(tasks)
    if tasks.dtype.kind in "iu" and tasks.min() == 0 and tasks.max() == n - 1 and tasks.is_unique:
        return pd.RangeIndex(n, name="task")
    return tasks


def read_npy(path: Path):
    """The array of a ``.npy`` file (no pickles), or an error naming the file."""
    import numpy as np

    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise CLIError(f"{path} is not a readable .npy array: {e}") from None


def load_split(folder_path: Path, split: str, source: str, n_rows: int | None = None):
    """``features/<split>.npy`` or ``images/<split>.npy`` (flattened, scaled to [0, 1])."""
    import numpy as np

    path = folder_path / source / f"{split}.npy"
    if not path.is_file():
        hint = (
            "install a dataset with features (crowdtut datasets install labelme --folder DIR)"
            if source == "features"
            else "install it with --images"
        )
        raise CLIError(f"{path} not found: the {split} {source} are needed; {hint}")
    x = read_npy(path)
    if x.ndim < 2:
        raise CLIError(f"{path} has shape {x.shape}; expected one row per task")
    if n_rows is not None and len(x) != n_rows:
        raise CLIError(f"{path} has {len(x)} rows but the folder has {n_rows} tasks")
    if source == "images":
        x = x.reshape(len(x), -1).astype(np.float32) / (255.0 if x.dtype == np.uint8 else 1.0)
    return x.astype(np.float32, copy=False)


# --- writing -----------------------------------------------------------------------------------
def show(path: Path) -> str:
    """The path relative to the working directory when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def check_free(paths: Iterable[Path], overwrite: bool) -> None:
    """Refuse to go on when an output exists and ``--overwrite`` was not given, or when a folder
    that must hold an output is a file (whatever ``--overwrite`` says: it never deletes one)."""
    for path in paths:
        path = Path(path)
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise CLIError(
                        f"{show(parent)} is a file, but it must be a folder to hold {path.name}; "
                        "move or rename that file"
                    )
                break
        if path.is_dir():
            raise CLIError(f"{show(path)} is a folder, but the output file {path.name} goes there; "
                           "move or rename that folder")
        if not overwrite and path.exists():
            raise CLIError(f"{show(path)} exists; pass --overwrite to replace it")


def dataset_files(folder: Path) -> list[Path]:
    """The files :func:`crowdtut.io.write_peerannot` writes into a dataset folder."""
    from ..io.peerannot import ANSWERS_FILE, METADATA_FILE, TRUTH_FILE

    return [folder / name for name in (ANSWERS_FILE, METADATA_FILE, TRUTH_FILE)]


def write_outputs(contents: dict[Path, bytes | str], overwrite: bool) -> None:
    """Check every target first, then write each one atomically (temporary file + rename)."""
    from ..io import atomic_write

    check_free(contents, overwrite)
    for path, data in contents.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)


def npy_bytes(array) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def json_bytes(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=_json_default) + "\n"


def _json_default(value):
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
