"""Scores for labels and probabilities, and the crowd's agreement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ..answers import CrowdAnswers, DuplicatePolicy, encode_answers
from ._align import as_truth_series, check_proba, hard_and_truth, preview, proba_and_truth, rows_for, sorted_union

# --- accuracy and calibration ----------------------------------------------------------------
def accuracy(
    pred: pd.Series | pd.DataFrame | np.ndarray,
    truth: pd.Series | Mapping | np.ndarray,
    *,
    ties: Literal["first", "share"] = "first",
) -> float:
    """Fraction of tasks whose aggregated label equals the true label (peerannot's AccTrain).

    Parameters
    ----------
    pred : Series of hard labels indexed by task, or DataFrame of probabilities (tasks x classes,
        columns are the classes). Probabilities are turned into labels by their argmax, as
        peerannot's AccTrain does. Numpy arrays are matched to ``truth`` by position (1-D: labels;
        2-D: probabilities with integer class codes in ``truth``).
    truth : Series of true labels indexed by task. It may cover only some tasks: the score is
        the mean over the tasks of ``truth``; a task of ``truth`` missing from ``pred`` is an error.
    ties : for probabilities, ``"first"`` breaks an exact tie toward the first column (as the
        aggregators do); ``"share"`` gives ``1/m`` credit when the truth is one of ``m`` tied
        classes, the expected score of a uniformly random tie-break (peerannot breaks ties at
        random).

    Returns
    -------
    float
        A missing hard prediction (NaN, e.g. an aggregator that abstains) counts as wrong.
    """
    if ties not in ("first", "share"):
        raise ValueError(f"ties={ties!r}; expected 'first' or 'share'")
    if isinstance(pred, pd.DataFrame) or (isinstance(pred, np.ndarray) and pred.ndim == 2):
        p, y = proba_and_truth(pred, truth)
        if ties == "first":
            return float(np.mean(p.argmax(axis=1) == y))
        is_max = p == p.max(axis=1, keepdims=True)
        return float(np.mean(is_max[np.arange(len(y)), y] / is_max.sum(axis=1)))
    hard, y = hard_and_truth(pred, truth)
    if len(y) == 0:
        raise ValueError("truth is empty: there is nothing to score")
    return float(np.mean(hard == y))


def soft_accuracy(proba: pd.DataFrame | np.ndarray, truth: pd.Series | np.ndarray) -> float:
    """Mean probability given to the true class (the expected accuracy of a label drawn from proba).

    Parameters
    ----------
    proba : DataFrame of probabilities (tasks x classes) or ndarray (n, K) with integer ``truth``.
    truth : Series of true labels indexed by task (may cover only some tasks).
    """
    p, y = proba_and_truth(proba, truth)
    return float(np.mean(p[np.arange(len(y)), y]))


def _calibration_bins(proba, truth, n_bins: int):
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}")
    p, y = proba_and_truth(proba, truth)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bins are (lower, upper]; a confidence of exactly 0 falls in the first bin
    bins = np.clip(np.searchsorted(edges[1:-1], confidence, side="left"), 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    conf_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(bins, weights=correct, minlength=n_bins)
    return edges, count, conf_sum, acc_sum


def expected_calibration_error(
    proba: pd.DataFrame | np.ndarray, truth: pd.Series | np.ndarray, n_bins: int = 15
) -> float:
    """Binned expected calibration error of the top-class confidence (Guo et al., 2017).

    ``ECE = sum_b (n_b / n) |acc_b - conf_b|`` over ``n_bins`` equal-width bins ``(lower, upper]``
    of the confidence ``max_k p_ik``; ``acc_b`` is the accuracy of the argmax in the bin.

    Parameters
    ----------
    proba : DataFrame (tasks x classes) aligned to ``truth`` by task, or ndarray (n, K) with
        integer class codes in ``truth``.
    truth : true labels (Series indexed by task, or integer codes for an ndarray).
    n_bins : number of equal-width bins on [0, 1].

    References
    ----------
    Guo, Pleiss, Sun and Weinberger (2017), On calibration of modern neural networks, ICML.
    """
    _, count, conf_sum, acc_sum = _calibration_bins(proba, truth, n_bins)
    return float(np.abs(acc_sum - conf_sum).sum() / count.sum())


def reliability_curve(
    proba: pd.DataFrame | np.ndarray, truth: pd.Series | np.ndarray, n_bins: int = 15
) -> pd.DataFrame:
    """Per-bin mean confidence, accuracy and count: the data of a reliability diagram.

    Same inputs and bins as :func:`expected_calibration_error`.

    Returns
    -------
    DataFrame with one row per bin and the columns ``lower``, ``upper``, ``confidence``,
    ``accuracy`` and ``count``; ``confidence`` and ``accuracy`` are NaN in empty bins.
    """
    edges, count, conf_sum, acc_sum = _calibration_bins(proba, truth, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.where(count > 0, conf_sum / np.maximum(count, 1), np.nan)
        acc = np.where(count > 0, acc_sum / np.maximum(count, 1), np.nan)
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "confidence": conf,
            "accuracy": acc,
            "count": count,
        }
    )


# --- crowd agreement -------------------------------------------------------------------------
def _encode(answers, classes, duplicates) -> CrowdAnswers:
    """:func:`~crowdtut.answers.encode_answers` for metrics: one class is a valid crowd (a
    unanimous one), so its messages' advice (``classes=``, ``duplicates=``) applies here too."""
    return encode_answers(answers, classes=classes, duplicates=duplicates, min_classes=1)


def _vote_counts(answers, classes=None, duplicates="raise") -> tuple[np.ndarray, pd.Index]:
    """Votes per (task, class) and the task index from answers or a counts matrix."""
    if isinstance(answers, CrowdAnswers) or (
        isinstance(answers, pd.DataFrame) and {"task", "worker", "label"} <= set(answers.columns)
    ):
        data = _encode(answers, classes, duplicates)
        return data.vote_counts, data.tasks
    if classes is not None:
        raise ValueError("classes= applies to long answers; a counts matrix has one column per class")
    if isinstance(answers, (pd.DataFrame, np.ndarray)):
        index = answers.index if isinstance(answers, pd.DataFrame) else None
        if isinstance(answers, pd.DataFrame) and not all(
            pd.api.types.is_numeric_dtype(t) for t in answers.dtypes
        ):
            raise ValueError(
                "answers must be long (columns task, worker, label) or a numeric counts matrix "
                f"(tasks x classes); got a DataFrame with columns {list(answers.columns)[:10]}"
            )
        counts = np.asarray(answers, dtype=np.float64)
        if counts.ndim != 2:
            raise ValueError(
                f"a counts matrix must be 2-D (tasks x classes); got shape {counts.shape}"
            )
        if not np.isfinite(counts).all() or (counts < 0).any():
            raise ValueError("a counts matrix must hold finite non-negative vote counts")
        return counts, index if index is not None else pd.RangeIndex(counts.shape[0], name="task")
    raise TypeError(
        "answers must be a long DataFrame (task, worker, label), a CrowdAnswers or a counts matrix "
        f"(tasks x classes); got {type(answers).__name__}"
    )


def vote_entropy(
    answers: pd.DataFrame | CrowdAnswers | np.ndarray,
    normalize: bool = False,
    *,
    classes: Iterable[Hashable] | None = None,
    duplicates: DuplicatePolicy = "raise",
) -> pd.Series:
    """Entropy of each task's empirical vote distribution (natural log).

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``), CrowdAnswers, or a counts matrix
        (ndarray or DataFrame of shape tasks x classes, e.g. CIFAR-10H's vote counts).
    normalize : divide by ``log K`` (K = number of classes) so that values lie in [0, 1].
    classes, duplicates : as in :func:`crowdtut.answers.encode_answers`, for long answers
        (``classes`` sets K for ``normalize``; ``duplicates="keep"`` counts repeated answers).

    Returns
    -------
    Series indexed by task, named ``"entropy"``; 0 for a unanimous task, NaN for a task without
    any vote.
    """
    counts, index = _vote_counts(answers, classes, duplicates)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        freq = counts / total
        terms = np.where(freq > 0, freq * np.log(np.where(freq > 0, freq, 1.0)), 0.0)
    entropy = -terms.sum(axis=1) + 0.0  # + 0.0: a unanimous task has entropy 0, not -0
    entropy[total[:, 0] == 0] = np.nan
    if normalize:
        n_classes = counts.shape[1]
        if n_classes < 2:
            raise ValueError("normalize=True needs at least two classes (log K would be 0)")
        entropy = entropy / np.log(n_classes)
    return pd.Series(entropy, index=index, name="entropy")


def krippendorff_alpha(
    answers: pd.DataFrame | CrowdAnswers | np.ndarray,
    *,
    classes: Iterable[Hashable] | None = None,
    duplicates: DuplicatePolicy = "raise",
) -> float:
    """Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    Units are tasks and coders are workers. Units with fewer than two answers are not pairable
    and are dropped, as the definition says. With ``n_uc`` the votes for value ``c`` in unit
    ``u`` and ``m_u`` its number of answers, the coincidence matrix is
    ``o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1)`` and
    ``alpha = 1 - (n - 1) sum_{c != k} o_ck / sum_{c != k} n_c n_k``.

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``), CrowdAnswers or a counts matrix
        (units x values).
    classes, duplicates : as in :func:`crowdtut.answers.encode_answers`, for long answers.

    Returns
    -------
    float
        NaN when every pairable value is the same (no variation: alpha is undefined).

    References
    ----------
    Krippendorff (2011), Computing Krippendorff's alpha-reliability, section C.
    """
    counts, _ = _vote_counts(answers, classes, duplicates)
    m = counts.sum(axis=1)
    pairable = m >= 2
    if not pairable.any():
        raise ValueError("krippendorff_alpha needs at least one task with two or more answers")
    n_u = counts[pairable]
    w = 1.0 / (m[pairable] - 1.0)
    coincidence = (n_u * w[:, None]).T @ n_u - np.diag((n_u * w[:, None]).sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    observed = coincidence.sum() - np.trace(coincidence)
    expected = n_c.sum() ** 2 - (n_c**2).sum()
    if expected == 0:
        return float("nan")
    return float(1.0 - (n - 1.0) * observed / expected)


def worker_accuracy(
    answers: pd.DataFrame | CrowdAnswers,
    labels: pd.Series | Mapping,
    *,
    classes: Iterable[Hashable] | None = None,
    duplicates: DuplicatePolicy = "raise",
) -> pd.Series:
    """Per worker, the fraction of their answers that agree with the given task labels.

    With the true labels this is each worker's accuracy; with aggregated labels it is their
    agreement with the aggregate (the weight Wawa uses).

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers.
    labels : hard label per task (Series indexed by task). Answers on tasks without a label are
        not counted.
    classes, duplicates : as in :func:`crowdtut.answers.encode_answers`.

    Returns
    -------
    Series indexed by worker (every worker, in the order of ``encode_answers``), named
    ``"accuracy"``; NaN for a worker with no answer on a labelled task.
    """
    data = _encode(answers, classes, duplicates)
    labels = as_truth_series(labels, "labels")
    label_code = data.classes.get_indexer(labels.to_numpy())  # -1: a class nobody answered
    task_label = np.full(data.n_tasks, -2, dtype=np.int64)  # -2: task without a label
    rows = labels.index.get_indexer(data.tasks)
    has = rows >= 0
    task_label[has] = label_code[rows[has]]
    reference = task_label[data.task]
    counted = reference != -2
    agree = np.bincount(
        data.worker[counted],
        weights=(data.label[counted] == reference[counted]),
        minlength=data.n_workers,
    )
    n = np.bincount(data.worker[counted], minlength=data.n_workers)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(n > 0, agree / np.maximum(n, 1), np.nan)
    return data.worker_series(values, name="accuracy")


@dataclass(frozen=True, eq=False)
class WorkerConfusion:
    """Per-worker confusion matrices estimated from answers against known labels.

    Attributes
    ----------
    matrices : ndarray, shape (n_workers, n_classes, n_classes)
        ``matrices[j, k, l]``: worker ``j``, true class ``k``, answered class ``l`` (counts, or
        row-normalised frequencies with NaN rows for a true class the worker never met).
    workers, classes : pandas.Index
        Names of the first and of the last two axes.
    """

    matrices: np.ndarray
    workers: pd.Index
    classes: pd.Index

    def __getitem__(self, worker: Hashable) -> pd.DataFrame:
        """The matrix of one worker (by name) as a DataFrame: rows true, columns answered."""
        pos = self.workers.get_loc(worker)
        return pd.DataFrame(
            self.matrices[pos],
            index=pd.Index(self.classes, name="true"),
            columns=pd.Index(self.classes, name="answered"),
        )

    def to_frame(self) -> pd.DataFrame:
        """Long-ish DataFrame: MultiIndex (worker, true) rows, one column per answered class."""
        n_w, n_k = len(self.workers), len(self.classes)
        index = pd.MultiIndex.from_product([self.workers, self.classes], names=["worker", "true"])
        return pd.DataFrame(
            self.matrices.reshape(n_w * n_k, n_k),
            index=index,
            columns=pd.Index(self.classes, name="answered"),
        )


def empirical_confusion(
    answers: pd.DataFrame | CrowdAnswers,
    truth: pd.Series | Mapping,
    normalize: bool = True,
    *,
    classes: Iterable[Hashable] | None = None,
    duplicates: DuplicatePolicy = "raise",
) -> WorkerConfusion:
    """Each worker's confusion matrix [worker, true, answered] counted on the tasks of ``truth``.

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers.
    truth : true label per task; answers on tasks without a truth are not counted.
    normalize : divide each row by its total (rows without answers become NaN).
    classes, duplicates : as in :func:`crowdtut.answers.encode_answers`.

    Returns
    -------
    WorkerConfusion
        Classes are the answers' classes followed by any true class nobody answered.
    """
    data = _encode(answers, classes, duplicates)
    truth = as_truth_series(truth)
    classes = data.classes
    extra = pd.Index(pd.unique(truth.to_numpy())).difference(classes, sort=False)
    if len(extra):
        classes = classes.append(extra)
    n_k = len(classes)
    true_code = np.full(data.n_tasks, -1, dtype=np.int64)
    rows = truth.index.get_indexer(data.tasks)
    has = rows >= 0
    true_code[has] = classes.get_indexer(truth.to_numpy()[rows[has]])
    y = true_code[data.task]
    counted = y >= 0
    flat = (data.worker[counted] * n_k + y[counted]) * n_k + data.label[counted]
    mats = np.bincount(flat, minlength=data.n_workers * n_k * n_k).reshape(data.n_workers, n_k, n_k)
    mats = mats.astype(np.float64)
    if normalize:
        total = mats.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            mats = np.where(total > 0, mats / np.where(total > 0, total, 1.0), np.nan)
    return WorkerConfusion(mats, data.workers, pd.Index(classes, name="label"))


def confusion_matrix(
    pred: pd.Series | pd.DataFrame,
    truth: pd.Series | Mapping,
    classes: Sequence[Hashable] | None = None,
    normalize: Literal["true", "pred", "all"] | None = None,
) -> pd.DataFrame:
    """Confusion matrix of aggregated labels against the truth, on the tasks of ``truth``.

    Parameters
    ----------
    pred : hard labels (Series indexed by task) or probabilities (DataFrame tasks x classes,
        turned into labels by the argmax, ties to the first column).
    truth : true label per task.
    classes : row and column order; default the sorted union of the labels that occur.
    normalize : ``None`` (counts), ``"true"`` (rows sum to 1), ``"pred"`` (columns sum to 1) or
        ``"all"``; an empty row or column becomes NaN.

    Returns
    -------
    DataFrame with rows indexed by the true class (``"true"``) and columns by the predicted class
    (``"predicted"``).
    """
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize={normalize!r}; expected None, 'true', 'pred' or 'all'")
    if isinstance(pred, pd.DataFrame):
        truth = as_truth_series(truth)
        rows = rows_for(pred.index, truth.index, "pred")
        p = check_proba(pred.to_numpy()[rows], "pred")
        hard = pred.columns.to_numpy()[p.argmax(axis=1)]
        y = truth.to_numpy()
    else:
        hard, y = hard_and_truth(pred, truth)
    missing = pd.isna(hard)
    if missing.any():
        raise ValueError(
            f"pred has {int(missing.sum())} missing label(s) on scored tasks; "
            "fill or drop them first"
        )
    if classes is None:
        index = sorted_union(y, hard)
    else:
        index = pd.Index(list(classes))
        if not index.is_unique:
            raise ValueError(f"classes has repeated entries: {preview(index[index.duplicated()])}")
    t_code, p_code = index.get_indexer(y), index.get_indexer(hard)
    for name, codes, values in (("truth", t_code, y), ("pred", p_code, hard)):
        if (codes < 0).any():
            raise ValueError(
                f"{name} has label(s) {preview(pd.unique(values[codes < 0]))} outside classes "
                f"{preview(index, 20)}"
            )
    n_k = len(index)
    counts = np.bincount(t_code * n_k + p_code, minlength=n_k * n_k).reshape(n_k, n_k)
    values: np.ndarray = counts
    if normalize is not None:
        counts = counts.astype(np.float64)
        if normalize == "true":
            total = counts.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            total = counts.sum(axis=0, keepdims=True)
        else:
            total = np.full((1, 1), counts.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(total > 0, counts / np.where(total > 0, total, 1.0), np.nan)
    return pd.DataFrame(
        values, index=pd.Index(index, name="true"), columns=pd.Index(index, name="predicted")
    )



