"""Loaders of text-answer datasets: CrowdSpeech (Pavlichenko et al. 2021) and CrowdWSA2019 J1
(Li & Fukumoto 2019). ``answers`` has the columns ``task, worker, text``."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..io.toloka import read_toloka, url_stem
from ._dataset import CrowdDataset, dataset_from_info
from ._registry import DatasetInfo

__all__ = ["CROWDSPEECH_SPLITS", "load_crowdspeech", "load_crowdwsa2019"]

# the registry roles of a split are "<split>-crowd" and "<split>-gt"
CROWDSPEECH_SPLITS = ("dev-clean", "dev-other", "test-clean", "test-other")

GetFile = Callable[[str], Path]


def _dataset(info: DatasetInfo, answers, truth, extras) -> CrowdDataset:
    return dataset_from_info(info, answers, truth, extras=extras)


def _read_tsv(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A tab-separated file whose fields may be quoted (CSV rules), every value a string."""
    frame = pd.read_csv(
        path,
        sep="\t",
        dtype=str,
        keep_default_na=False,
        header=None if columns else "infer",
        names=columns,
    )
    return frame


def load_crowdspeech(
    info: DatasetInfo, get: GetFile, images: bool, split: str | None = None
) -> CrowdDataset:
    """One split of CrowdSpeech (a Toloka export, read by :func:`~crowdtut.io.read_toloka`);
    task = the file stem of the audio URL, worker = the numeric Toloka worker id."""
    split = "dev-clean" if split is None else split
    if split not in CROWDSPEECH_SPLITS:
        raise ValueError(f"crowdspeech has no split {split!r}; choose one of {CROWDSPEECH_SPLITS}")
    export = read_toloka(
        get(f"{split}-crowd"), input="audio", output="transcription", column="text",
        task_name=url_stem, warn_dropped=False,  # the count goes to extras["n_dropped"]
    )
    worker = export.answers["worker"]
    numeric = worker.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    if not numeric.all():
        bad = worker[~numeric].iloc[0]
        raise ValueError(f"crowdspeech-{split}-crowd.tsv has a non-numeric worker id {bad!r}")
    answers = pd.DataFrame(
        {
            "task": export.answers["task"].to_numpy(object),
            "worker": worker.to_numpy(np.int64),
            "text": export.answers["text"].to_numpy(object),
        }
    )
    gt = _read_tsv(get(f"{split}-gt"), ["audio", "text"])
    tasks = pd.Index(gt["audio"].map(url_stem).to_numpy(object), name="task")
    if not tasks.is_unique:
        raise ValueError(f"crowdspeech-{split}-gt.txt lists an audio file twice")
    truth = pd.Series(gt["text"].to_numpy(object), index=tasks, name="truth")
    audio = pd.Series(gt["audio"].to_numpy(object), index=tasks, name="audio_url")
    extras = {"split": split, "n_dropped": export.n_dropped, "audio_url": audio}
    return _dataset(info, answers, truth, extras)


def load_crowdwsa2019(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    """CrowdWSA2019 J1: task = sentence id, worker = anonymised id, text = translation."""
    raw = _read_tsv(get("answers"))
    if list(raw.columns) != ["worker", "sentence", "workeranswer"]:
        raise ValueError(f"CrowdWSA2019_J1_label_anonymous.tsv has columns {list(raw.columns)}")
    answers = pd.DataFrame(
        {
            "task": raw["sentence"].to_numpy(object),
            "worker": raw["worker"].to_numpy(object),
            "text": raw["workeranswer"].to_numpy(object),
        }
    )
    gt = _read_tsv(get("truth"))
    truth = pd.Series(
        gt["trueanswer"].to_numpy(object),
        index=pd.Index(gt["sentence"].to_numpy(object), name="task"),
        name="truth",
    )
    extras: dict = {}
    absent = []
    for role in ("source", "human_aggregates"):  # the 2024 additions: optional
        try:
            extras[role] = _READ_EXTRA[role](_read_tsv(get(role)))
        except FileNotFoundError:
            absent.append(info.files[role].mirror_path)
    if absent:
        extras["missing"] = (
            f"Not loaded: {', '.join(absent)} (not found); the answers and the truth are loaded."
        )
    return _dataset(info, answers, truth, extras)


def _source(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(
        frame["sentence_in_source_language_Japanese"].to_numpy(object),
        index=pd.Index(frame["sentence"].to_numpy(object), name="task"),
        name="source",
    )


def _human_aggregates(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task": frame["sentence"].to_numpy(object),
            "worker": frame["worker"].to_numpy(object),
            "text": frame["workeranswer"].to_numpy(object),
        }
    )


_READ_EXTRA = {"source": _source, "human_aggregates": _human_aggregates}
