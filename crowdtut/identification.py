"""Scores that point at ambiguous tasks and at poor workers.

Task scores (one value per task; larger means more ambiguous unless said otherwise):

- :func:`vote_entropy` (from :mod:`crowdtut.metrics`): entropy of the vote distribution;
- :func:`glad_difficulty`: ``1 / beta_i`` of a fitted GLAD model;
- :func:`aum`: area under the margin of a classifier trained on the task features and one label
  per task (Pleiss et al., 2020); *small* or negative values flag mislabelled or ambiguous tasks;
- :func:`waum`: the AUM of every answer, weighted by how much the worker is trusted on the task
  (Lefort et al., 2024); *small* values flag ambiguous tasks.

Worker scores (one value per worker):

- :func:`spam_score`: distance of a confusion matrix to the closest rank-one matrix (Raykar and
  Yu, 2011): 0 for a spammer, whose answer does not depend on the truth;
- :func:`confusion_trace`: trace of the confusion matrix (``K`` for a perfect worker);
- :func:`worker_agreement`: share of a worker's answers equal to the aggregated label.

:func:`krippendorff_alpha` (from :mod:`crowdtut.metrics`) scores the whole dataset.

AUM and WAUM train a classifier through :func:`crowdtut.deep.train_recording_margins`, loaded
inside those two functions only. The math is in the book's command-line chapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .answers import CrowdAnswers, encode_answers
from .metrics import krippendorff_alpha, vote_entropy, worker_accuracy

__all__ = [
    "vote_entropy",
    "glad_difficulty",
    "aum",
    "waum",
    "WAUMResult",
    "spam_score",
    "confusion_trace",
    "worker_agreement",
    "krippendorff_alpha",
]

Margin = Literal["yang", "pleiss"]


# --- task scores from the answers only ----------------------------------------------------------
def glad_difficulty(
    answers: pd.DataFrame | CrowdAnswers, *, classes=None, duplicates="raise", **glad_params
) -> pd.Series:
    """GLAD's task difficulty ``1 / beta_i`` (Whitehill et al., 2009); larger is harder.

    Parameters
    ----------
    answers : long answers (``task``, ``worker``, ``label``) or CrowdAnswers.
    classes, duplicates : as in :func:`crowdtut.answers.encode_answers`.
    **glad_params : hyper-parameters of :class:`crowdtut.aggregation.GLAD`.

    Returns
    -------
    Series indexed by task, named ``"glad_difficulty"``.
    """
    from .aggregation import GLAD

    model = GLAD(**glad_params).fit(answers, classes=classes, duplicates=duplicates)
    return (1.0 / model.betas_).rename("glad_difficulty")


# --- worker scores from confusion matrices -------------------------------------------------------
def _confusions(confusion) -> np.ndarray:
    conf = np.asarray(confusion, dtype=np.float64)
    if conf.ndim == 2:
        conf = conf[None]
    if conf.ndim != 3 or conf.shape[1] != conf.shape[2] or conf.shape[1] < 2:
        raise ValueError(
            f"confusion must have shape (n_workers, K, K) with K >= 2; got {np.shape(confusion)}"
        )
    return conf


def _worker_series(values: np.ndarray, workers, name: str) -> pd.Series:
    index = pd.RangeIndex(len(values), name="worker") if workers is None else pd.Index(workers)
    if len(index) != len(values):
        raise ValueError(f"{len(index)} worker names for {len(values)} confusion matrices")
    return pd.Series(values, index=index, name=name)


def spam_score(confusion: np.ndarray, workers=None) -> pd.Series:
    """Spammer score of each worker (Raykar and Yu, 2011).

    The squared Frobenius distance from the worker's confusion matrix ``pi`` (rows: true class) to
    the closest matrix whose rows are all equal, a spammer's matrix, scaled to [0, 1]:

    ``s_j = 1 / (K (K - 1)) * sum_{k < k'} sum_l (pi_kl - pi_k'l)^2``.

    0 means the answer does not depend on the true class (a spammer, whatever their favourite
    label); 1 means a perfect worker or one who always permutes the classes.

    Parameters
    ----------
    confusion : ndarray (n_workers, K, K) ``[worker, true, answered]`` (e.g.
        ``DawidSkene().fit(answers).confusion_``), or one (K, K) matrix.
    workers : names of the workers (default ``0..n_workers-1``).

    Returns
    -------
    Series indexed by worker, named ``"spam_score"``.

    References
    ----------
    V. C. Raykar and S. Yu, "Ranking annotators for crowdsourced labeling tasks", NIPS 2011.
    """
    conf = _confusions(confusion)
    k = conf.shape[1]
    # sum over ordered pairs (k, k') counts every unordered pair twice
    gaps = conf[:, :, None, :] - conf[:, None, :, :]
    values = (gaps**2).sum(axis=(1, 2, 3)) / (2.0 * k * (k - 1))
    return _worker_series(values, workers, "spam_score")


def confusion_trace(confusion: np.ndarray, workers=None) -> pd.Series:
    """Trace of each worker's confusion matrix: ``K`` for a perfect worker, 1 for a spammer who
    answers uniformly at random.

    Parameters are those of :func:`spam_score`. Returns a Series named ``"trace"``.
    """
    conf = _confusions(confusion)
    return _worker_series(np.trace(conf, axis1=1, axis2=2), workers, "trace")


def worker_agreement(
    answers: pd.DataFrame | CrowdAnswers, labels: pd.Series, *, classes=None, duplicates="raise"
) -> pd.Series:
    """Share of each worker's answers that equal the aggregated label of their task.

    ``labels`` is one hard label per task (e.g. ``MajorityVote().fit(answers).labels_``); see
    :func:`crowdtut.metrics.worker_accuracy`, which this is with aggregated labels in place of
    the truth; ``classes`` and ``duplicates`` as in :func:`crowdtut.answers.encode_answers`.
    Returns a Series indexed by worker, named ``"agreement"``.
    """
    return worker_accuracy(answers, labels, classes=classes, duplicates=duplicates).rename(
        "agreement"
    )


# --- AUM and WAUM: margins of a classifier during training ---------------------------------------
def _check_features(features) -> np.ndarray:
    x = np.asarray(features, dtype=np.float32)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"features must have one row per task; got shape {np.shape(features)}")
    return x.reshape(len(x), -1)


def _row_positions(names, n_rows: int, what: str) -> np.ndarray:
    values = np.asarray(names)
    ok = values.dtype.kind in "iu" and len(values) and values.min() >= 0 and values.max() < n_rows
    if not ok:
        raise ValueError(
            f"the tasks of {what} must be the row positions 0..{n_rows - 1} of the features; "
            f"got e.g. {list(values[:5])}"
        )
    return values.astype(np.int64)


def aum(
    features,
    labels: pd.Series | np.ndarray,
    *,
    n_classes: int | None = None,
    epochs: int = 50,
    lr: float = 1e-3,
    batch_size: int = 64,
    hidden: int = 128,
    dropout: float = 0.5,
    seed: int | None = 0,
) -> pd.Series:
    """Area under the margin of each task (Pleiss et al., 2020).

    A classifier (:func:`crowdtut.deep.mlp`) is trained on the features with one label per task,
    e.g. the majority vote. At every epoch, each task's margin is its assigned logit minus the
    largest other logit, taken in the training pass; the AUM is the mean over epochs. Tasks whose
    label the network keeps disagreeing with get a small or negative AUM: mislabelled or ambiguous.

    Parameters
    ----------
    features : array (n_tasks, ...) of inputs, flattened per row.
    labels : the label of every row: integer codes (n_tasks,), or a Series indexed by the row
        positions ``0..n_tasks-1``.
    n_classes : number of classes (default: the largest label + 1).
    epochs, lr, batch_size : training (Adam) of :func:`crowdtut.deep.train`.
    hidden, dropout : size of the hidden layer and dropout of :func:`crowdtut.deep.mlp`.
    seed : seed of the weights, dropout and batch order.

    Returns
    -------
    Series indexed by row position, named ``"aum"``.

    References
    ----------
    G. Pleiss, T. Zhang, E. Elenberg and K. Q. Weinberger, "Identifying mislabeled data using the
    area under the margin ranking", NeurIPS 2020.
    """
    x = _check_features(features)
    if isinstance(labels, pd.Series):
        labels = labels.sort_index()
        _row_positions(labels.index, len(x), "labels")
        if len(labels) != len(x):
            raise ValueError(f"labels cover {len(labels)} rows but features have {len(x)}")
    y = np.asarray(labels)
    if y.shape != (len(x),) or y.dtype.kind not in "iu" or (len(y) and y.min() < 0):
        raise ValueError(
            f"labels must be {len(x)} non-negative integer class codes, one per row of features"
        )
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    from .deep import train_recording_margins  # torch is loaded here, not at import

    values, _ = train_recording_margins(
        x, y, max(k, 2), "logit", epochs=epochs, lr=lr, batch_size=batch_size, hidden=hidden,
        dropout=dropout, seed=seed,
    )
    return pd.Series(values, index=pd.RangeIndex(len(x), name="task"), name="aum")


@dataclass(frozen=True, eq=False)
class WAUMResult:
    """What :func:`waum` returns.

    Attributes
    ----------
    waum : Series indexed by task (row position), named ``"waum"``.
    per_answer : DataFrame, one row per answer: ``task``, ``worker``, ``label``, ``aum`` (the
        answer's area under the margin) and ``trust`` (the worker's trust score on the task).
    threshold : the ``alpha`` quantile of ``waum``.
    flagged : tasks whose WAUM is at or below ``threshold`` (the ambiguous ones).
    confusion : the workers' confusion matrices behind the trust scores (Dawid-Skene by default),
        in the order of ``per_answer``'s workers as encoded.
    """

    waum: pd.Series
    per_answer: pd.DataFrame
    threshold: float
    flagged: pd.Index
    confusion: np.ndarray


def waum(
    features,
    answers: pd.DataFrame | CrowdAnswers,
    *,
    alpha: float = 0.01,
    margin: Margin = "yang",
    n_classes: int | None = None,
    confusion: np.ndarray | None = None,
    epochs: int = 50,
    lr: float = 1e-3,
    batch_size: int = 64,
    hidden: int = 128,
    dropout: float = 0.5,
    seed: int | None = 0,
) -> WAUMResult:
    """Weighted area under the margin of each task (Lefort et al., 2024).

    A classifier is trained on one row per *answer*, ``(x_i, y_i^(j))``. The AUM of answer
    ``(i, j)`` is the mean over epochs of its margin in the training pass: with ``margin="yang"``
    the probability of the answered class minus the second largest probability (peerannot's
    default), with ``"pleiss"`` minus the largest probability among the other classes. Each
    answer is weighted by the worker's trust on the task,
    ``s_j(x_i) = sum_k p_k(x_i) pi^(j)_kk``, with ``p`` the trained network's probabilities and
    ``pi^(j)`` the worker's Dawid-Skene confusion matrix:

    ``WAUM(x_i) = sum_j s_j(x_i) AUM_i^(j) / sum_j s_j(x_i)``.

    Tasks in the lowest ``alpha`` quantile are flagged as ambiguous.

    Parameters
    ----------
    features : array (n_tasks, ...) of inputs.
    answers : long answers whose tasks are the row positions ``0..n_tasks-1`` of ``features``
        (or a CrowdAnswers with such task names).
    alpha : quantile below which tasks are flagged.
    margin : ``"yang"`` or ``"pleiss"``.
    n_classes : number of classes (default: the largest label + 1).
    confusion : the workers' confusion matrices ``[worker, true, answered]`` in the order of
        ``encode_answers(answers).workers``; default: fitted by
        :class:`crowdtut.aggregation.DawidSkene`.
    epochs, lr, batch_size, hidden, dropout, seed : as in :func:`aum`.

    References
    ----------
    T. Lefort, B. Charlier, A. Joly and J. Salmon, "Identify ambiguous tasks combining crowdsourced
    labels by weighting areas under the margin", TMLR 2024.
    """
    if margin not in ("yang", "pleiss"):
        raise ValueError(f"margin={margin!r}; expected 'yang' or 'pleiss'")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha={alpha!r}; expected a quantile in [0, 1]")
    x = _check_features(features)
    if n_classes is None:
        data = encode_answers(answers, duplicates="keep")
        labels = np.asarray(data.classes)
        if labels.dtype.kind not in "iu" or labels.min() < 0:
            raise ValueError("labels must be integer class codes 0..K-1")
        n_classes = int(labels.max()) + 1
    data = encode_answers(answers, classes=range(n_classes), duplicates="keep")
    task_rows = _row_positions(data.tasks, len(x), "answers")
    if confusion is None:
        from .aggregation import DawidSkene

        confusion = DawidSkene().fit(data).confusion_
    conf = _confusions(confusion)
    if conf.shape != (data.n_workers, n_classes, n_classes):
        raise ValueError(
            f"confusion has shape {conf.shape}; expected {(data.n_workers, n_classes, n_classes)}"
        )

    rows = task_rows[data.task]
    from .deep import train_recording_margins  # torch is loaded here, not at import

    answer_aum, network = train_recording_margins(
        x[rows], data.label, n_classes, margin, epochs=epochs, lr=lr, batch_size=batch_size,
        hidden=hidden, dropout=dropout, seed=seed,
    )
    from .deep import predict_proba

    proba = predict_proba(network, x)  # (n_tasks, K) after training
    diag = np.diagonal(conf, axis1=1, axis2=2)  # (W, K)
    trust = np.einsum("ak,ak->a", proba[rows], diag[data.worker])
    num = np.bincount(data.task, weights=trust * answer_aum, minlength=data.n_tasks)
    den = np.bincount(data.task, weights=trust, minlength=data.n_tasks)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    scores = pd.Series(values, index=pd.Index(task_rows, name="task"), name="waum").sort_index()
    threshold = float(np.nanquantile(scores.to_numpy(), alpha))
    per_answer = pd.DataFrame(
        {
            "task": task_rows[data.task],
            "worker": data.workers.take(data.worker),
            "label": data.label,
            "aum": answer_aum,
            "trust": trust,
        }
    )
    flagged = scores.index[scores.to_numpy() <= threshold]
    return WAUMResult(scores, per_answer, threshold, flagged, conf)
