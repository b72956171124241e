"""Run several aggregators on several datasets and tabulate accuracy and time."""

from __future__ import annotations

import copy
import time
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from .answers import CrowdAnswers, encode_answers
from .metrics import accuracy

__all__ = ["compare_aggregators", "benchmark_datasets"]


def compare_aggregators(
    models: Mapping[str, object],
    answers: pd.DataFrame | CrowdAnswers,
    truth: pd.Series | None = None,
    *,
    classes=None,
    duplicates: str = "keep",
) -> pd.DataFrame:
    """Fit every model on the same answers (encoded once).

    Returns one row per model with ``accuracy`` on the tasks in ``truth`` (NaN without truth) and
    ``seconds`` (wall time of the fit). The models passed in are left untouched: each fit runs on
    a copy, available as ``result.attrs["fitted"][name]``.
    """
    data = encode_answers(answers, classes=classes, duplicates=duplicates)
    rows, fitted = [], {}
    for name, model in models.items():
        model = copy.deepcopy(model)
        start = time.perf_counter()
        model.fit(data)
        seconds = time.perf_counter() - start
        acc = accuracy(model.labels_, truth) if truth is not None and len(truth) else np.nan
        rows.append({"method": name, "accuracy": acc, "seconds": seconds})
        fitted[name] = model
    table = pd.DataFrame(rows).set_index("method")
    table.attrs["fitted"] = fitted
    return table


def benchmark_datasets(models: Mapping[str, object], names: Iterable[str]) -> pd.DataFrame:
    """:func:`compare_aggregators` over datasets loaded with :func:`crowdtut.datasets.load_dataset`.

    Returns a long table with columns ``dataset``, ``method``, ``accuracy``, ``seconds``.
    Repeated (task, worker) pairs, present in some real sets, are all counted.
    """
    from .datasets import load_dataset

    parts = []
    for name in names:
        ds = load_dataset(name)
        table = compare_aggregators(models, ds.answers, ds.truth, classes=ds.classes)
        parts.append(table.reset_index().assign(dataset=name))
    return pd.concat(parts, ignore_index=True)[["dataset", "method", "accuracy", "seconds"]]
