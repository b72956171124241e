"""Run deep crowd learners over several seeds and tabulate test accuracy, calibration and time."""

from __future__ import annotations

import copy
import time
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..aggregation import GLAD, DawidSkene, MajorityVote, NaiveSoft
from ..metrics import accuracy, expected_calibration_error
from .estimators import CoNALClassifier, CrowdLayerClassifier, CrowdsEM, LabelClassifier, dense_answers

__all__ = ["standard_methods", "compare", "summarize", "labelme_published"]


def standard_methods(
    answers,
    n_tasks: int,
    *,
    truth=None,
    n_classes: int | None = None,
    soft: bool = True,
    em_rounds: int = 5,
    confusion_lr: float | None = None,
    **params,
) -> dict[str, tuple[object, object]]:
    """The methods of the LabelMe chapter as ``{name: (unfitted estimator, training target)}``.

    Parameters
    ----------
    answers : long answers whose tasks are the row positions ``0..n_tasks-1``, or a (n, W) matrix
        with ``-1`` for no answer.
    n_tasks : number of training rows.
    truth : true training labels (n,), for the "ground truth" reference (omitted when None).
    n_classes : number of classes (default: the largest label + 1).
    soft : train on the posterior probabilities of Dawid-Skene and GLAD (True) or on their hard
        labels (False). Majority vote is always hard and naive soft labels always soft.
    em_rounds : rounds of deep EM; each trains ``epochs // em_rounds`` epochs.
    confusion_lr : learning rate of the crowd layers' weights and CoNAL's matrices (default: ``lr``).
    **params : hyper-parameters shared by every estimator (``epochs``, ``lr``, ``patience``, ...).

    Returns
    -------
    dict
        ``ground truth``, ``MV``, ``NS``, ``DS``, ``GLAD`` (the classifier trained on those labels),
        ``deep EM``, ``CrowdLayer MW``, ``CrowdLayer VW``, ``CrowdLayer VB``, ``CrowdLayer VW+B``,
        ``CoNAL``, ``CoNAL (scale 1e-4)``; the input of :func:`compare`.
    """
    matrix, _, classes = dense_answers(answers, n_tasks=n_tasks, n_classes=n_classes)
    k = len(classes)
    task, worker = np.nonzero(matrix >= 0)
    long = pd.DataFrame({"task": task, "worker": worker, "label": matrix[task, worker]})
    kw = dict(classes=range(k))

    def in_rows(frame):
        return frame.reindex(range(n_tasks)).to_numpy()

    def labels(model):
        return in_rows(model.fit(long, **kw).labels_).astype(np.int64)

    def probas(model):
        return in_rows(model.fit(long, **kw).probas_)

    methods: dict[str, tuple[object, object]] = {}
    if truth is not None:
        methods["ground truth"] = (LabelClassifier(**params), np.asarray(truth, dtype=np.int64))
    methods["MV"] = (LabelClassifier(**params), labels(MajorityVote()))
    methods["NS"] = (LabelClassifier(**params), probas(NaiveSoft()))
    for name, model in (("DS", DawidSkene()), ("GLAD", GLAD())):
        methods[name] = (LabelClassifier(**params), probas(model) if soft else labels(model))
    em_params = dict(params)
    em_params["epochs"] = max(1, params.get("epochs", 50) // em_rounds)
    methods["deep EM"] = (CrowdsEM(n_rounds=em_rounds, **em_params), matrix)
    for conn in ("MW", "VW", "VB", "VW+B"):
        methods[f"CrowdLayer {conn}"] = (CrowdLayerClassifier(conn, confusion_lr=confusion_lr, **params), matrix)
    methods["CoNAL"] = (CoNALClassifier(scale=0.0, confusion_lr=confusion_lr, **params), matrix)
    methods["CoNAL (scale 1e-4)"] = (CoNALClassifier(scale=1e-4, confusion_lr=confusion_lr, **params), matrix)
    return methods


def compare(
    methods: Mapping[str, tuple[object, object]],
    X,
    *,
    test: tuple,
    valid: tuple | None = None,
    seeds: Iterable[int] = range(5),
    n_classes: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Fit every method with every seed and score its classifier on the test set.

    Parameters
    ----------
    methods : ``{name: (estimator, target)}``; each run fits a copy with ``random_state`` set to the seed, as
        ``estimator.fit(X, target, valid=valid)``. See :func:`standard_methods`.
    X : training features.
    test : ``(X_test, y_test)`` with integer class codes.
    valid : ``(X_valid, y_valid)`` passed to ``fit`` (recorded in the history; used for early
        stopping when the estimators have ``patience``).
    seeds : the seeds.
    n_classes : passed to ``fit`` so that every classifier has all the classes.
    progress : a tqdm bar over the runs.

    Returns
    -------
    DataFrame
        One row per (method, seed): ``accuracy``, ``ece`` (15 bins), ``epochs`` trained and
        ``seconds`` (fit time). ``result.attrs["fitted"][name]`` is the estimator fitted with the
        first seed (for plots of what it learned).
    """
    seeds = list(seeds)
    runs = [(name, seed) for name in methods for seed in seeds]
    if progress:
        from tqdm.auto import tqdm

        runs = tqdm(runs, desc="runs")
    x_test, y_test = test[0], np.asarray(test[1])
    rows, fitted = [], {}
    for name, seed in runs:
        estimator, target = methods[name]
        model = copy.deepcopy(estimator).set_params(random_state=seed)
        start = time.perf_counter()
        model.fit(X, target, valid=valid, n_classes=n_classes)
        seconds = time.perf_counter() - start
        proba = model.predict_proba(x_test)
        rows.append(
            {
                "method": name,
                "seed": seed,
                "accuracy": accuracy(proba, y_test),
                "ece": expected_calibration_error(proba, y_test),
                "epochs": model.history_.epochs,
                "seconds": seconds,
            }
        )
        fitted.setdefault(name, model)
    result = pd.DataFrame(rows)
    result.attrs["fitted"] = fitted
    return result


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of :func:`compare`'s scores, one row per method
    (in the order of first appearance), with the mean seconds per fit."""
    order = pd.unique(results["method"])
    grouped = results.groupby("method", sort=False)
    table = pd.DataFrame(
        {
            "accuracy": grouped["accuracy"].mean(),
            "accuracy_std": grouped["accuracy"].std(ddof=1),
            "ece": grouped["ece"].mean(),
            "ece_std": grouped["ece"].std(ddof=1),
            "seconds": grouped["seconds"].mean(),
            "seeds": grouped["seed"].nunique(),
        }
    ).loc[order]
    table.index.name = "method"
    return table


def labelme_published() -> pd.DataFrame:
    """Published LabelMe test accuracies next to the method names of :func:`standard_methods`.

    Columns: ``Rodrigues & Pereira 2018`` (AAAI, 1,000 images augmented to 10,000, VGG16 4x4x512
    features, base model as here) and ``peerannot`` (Lefort et al., Computo 2024, VGG-16
    fine-tuned); NaN where a source does not report the method. The published CoNAL figures use
    scale 0 and 1e-4.
    """
    rows = {
        "ground truth": (0.908, np.nan),
        "MV": (0.774, 0.856),
        "NS": (np.nan, 0.864),
        "DS": (0.806, 0.811),
        "GLAD": (np.nan, 0.875),
        "CrowdLayer MW": (0.824, 0.872),
        "CoNAL": (np.nan, 0.885),
        "CoNAL (scale 1e-4)": (np.nan, 0.889),
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["Rodrigues & Pereira 2018", "peerannot"])
    table.index.name = "method"
    return table
