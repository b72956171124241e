"""Loaders of pairwise-comparison datasets: readability (Chen et al. 2013, Shejole et al.'s copy)
and music_preferences (Urbano et al. 2010). ``answers`` has crowd-kit's pairwise layout
``worker, left, right, label``."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ._dataset import CrowdDataset, dataset_from_info
from ._registry import DatasetInfo

__all__ = ["load_readability", "load_music_preferences"]

GetFile = Callable[[str], Path]


def _dataset(info: DatasetInfo, answers, truth, extras) -> CrowdDataset:
    return dataset_from_info(info, answers, truth, extras=extras)


class _BuiltinsOnlyUnpickler(pickle.Unpickler):
    """Unpickles builtin containers and numbers only: any global (class, function) is refused."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: PassagePC.pickle should hold builtin "
            "containers only"
        )


def _comparisons_from_pickle(path: Path) -> pd.DataFrame:
    """PassagePC.pickle (worker -> list of (winner, loser)) as the rows of the derived CSV."""
    votes = _BuiltinsOnlyUnpickler(io.BytesIO(path.read_bytes())).load()
    if not isinstance(votes, dict):
        raise ValueError(f"{path} holds a {type(votes).__name__}, expected a dict")
    rows = [(int(w), int(a), int(b)) for w, pairs in votes.items() for a, b in pairs]
    return pd.DataFrame(rows, columns=["worker", "winner", "loser"], dtype=np.int64)


def load_readability(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    """Readability comparisons; left/right canonical (smaller id left), label = the winner."""
    try:
        raw = pd.read_csv(get("comparisons"), dtype=np.int64)
    except FileNotFoundError:  # the derived CSV is mirror-only: read the published pickle
        raw = _comparisons_from_pickle(get("pickle"))
    if list(raw.columns) != ["worker", "winner", "loser"]:
        raise ValueError(f"readability comparisons have columns {list(raw.columns)}")
    passages = pd.read_csv(get("passages"), index_col=0)
    if list(passages.columns) != ["label", "score"]:
        raise ValueError(f"gt_df_passage.csv has columns {list(passages.columns)}")
    n = len(passages)
    winner, loser = raw["winner"].to_numpy(), raw["loser"].to_numpy()
    if min(winner.min(), loser.min()) < 0 or max(winner.max(), loser.max()) >= n:
        raise ValueError(f"a passage id of the comparisons is outside 0..{n - 1}")
    answers = pd.DataFrame(
        {
            "worker": raw["worker"].to_numpy(),
            "left": np.minimum(winner, loser),
            "right": np.maximum(winner, loser),
            "label": winner,
        }
    )
    items = pd.RangeIndex(n, name="item")
    truth = pd.Series(passages["score"].to_numpy(np.int64), index=items, name="truth")
    extras = {"passages": pd.Series(passages["label"].to_numpy(), index=items, name="passage")}
    return _dataset(info, answers, truth, extras)


def load_music_preferences(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    """Urbano et al.'s MTurk judgments; label <NA> for "same" (a tie) and for no answer."""
    raw = pd.read_csv(get("judgments"), encoding="latin-1")
    needed = ["WorkerId", "Input.query", "Input.docA", "Input.docB", "Answer.radio"]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise ValueError(f"judgments.csv lacks the columns {missing}")
    choice = raw["Answer.radio"]
    unknown = choice.notna() & ~choice.isin(["a", "b", "s"])
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ValueError(f"judgments.csv row {row}: Answer.radio {choice.iloc[row]!r} is not a/b/s")
    query = raw["Input.query"].astype("string")
    left = query + "/" + raw["Input.docA"].astype("string")
    right = query + "/" + raw["Input.docB"].astype("string")
    is_a = choice.eq("a").to_numpy(dtype=bool, na_value=False)
    is_b = choice.eq("b").to_numpy(dtype=bool, na_value=False)
    label = left.where(is_a, right.where(is_b, pd.NA))  # "s" (same) and no answer: <NA>
    answers = pd.DataFrame(
        {
            "worker": raw["WorkerId"].to_numpy(np.int64),
            "left": left,
            "right": right,
            "label": label,
            "query": query,
        }
    )
    qrel = pd.read_csv(
        get("qrel"), sep="\t", header=None, names=["run", "query", "doc", "group"], dtype=str
    )
    qrel = qrel.drop(columns="run").assign(group=lambda q: q["group"].astype(np.int64))
    qrel.insert(2, "item", qrel["query"] + "/" + qrel["doc"])
    extras = {
        "raw": raw,
        "qrel": qrel,
        "no_answer": np.flatnonzero(choice.isna().to_numpy()),
    }
    return _dataset(info, answers, None, extras)
