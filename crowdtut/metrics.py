"""Scores for aggregated labels, calibrated probabilities, crowds, masks and partitions.

Every function takes pandas objects indexed by the user's task names (or plain numpy arrays,
matched by position) and returns plain numbers or pandas objects. Inputs are aligned by task name,
never silently dropped or reordered: a task the score needs and cannot find is a ``ValueError``
that names it. Answers come in the long form (columns ``task``, ``worker``, ``label``) or as a
:class:`~crowdtut.answers.CrowdAnswers`; see :func:`crowdtut.answers.encode_answers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from .answers import CrowdAnswers, encode_answers

__all__ = [
    "accuracy",
    "soft_accuracy",
    "expected_calibration_error",
    "reliability_curve",
    "vote_entropy",
    "krippendorff_alpha",
    "worker_accuracy",
    "WorkerConfusion",
    "empirical_confusion",
    "confusion_matrix",
    "iou",
    "dice",
    "mean_iou",
    "adjusted_rand_index",
    "normalized_mutual_info",
]

_PROBA_TOL = 1e-6


# --- alignment helpers -----------------------------------------------------------------------
def _preview(values: Iterable, k: int = 10) -> list:
    return list(values)[:k]


def _as_truth_series(truth, name: str = "truth") -> pd.Series:
    """A Series of labels with a unique index and no missing value."""
    if isinstance(truth, Mapping) and not isinstance(truth, pd.Series):
        truth = pd.Series(truth)
    if not isinstance(truth, pd.Series):
        raise TypeError(
            f"{name} must be a pandas Series indexed by task; got {type(truth).__name__}"
        )
    if not truth.index.is_unique:
        dup = truth.index[truth.index.duplicated()].unique()
        raise ValueError(f"{name} has repeated task(s) in its index: {_preview(dup)}")
    isna = truth.isna().to_numpy()
    if isna.any():
        raise ValueError(
            f"{name} has {int(isna.sum())} missing value(s) at task(s) "
            f"{_preview(truth.index[isna])}; drop them first (a missing truth cannot be scored)"
        )
    return truth


def _rows_for(index: pd.Index, tasks: pd.Index, what: str, of: str = "truth") -> np.ndarray:
    """Positions in ``index`` of each entry of ``tasks``; ValueError naming the missing ones."""
    if not index.is_unique:
        dup = index[index.duplicated()].unique()
        raise ValueError(f"{what} has repeated task(s) in its index: {_preview(dup)}")
    rows = index.get_indexer(tasks)
    missing = rows < 0
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} task(s) in {of} have no entry in {what}: "
            f"{_preview(tasks[missing])}"
        )
    return rows


def _check_proba(p: np.ndarray, what: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ValueError(f"{what} must have shape (n_tasks, n_classes); got {p.shape}")
    if p.shape[0] == 0:
        raise ValueError(f"{what} is empty: there is nothing to score")
    if not np.isfinite(p).all():
        bad = np.flatnonzero(~np.isfinite(p).all(axis=1))
        raise ValueError(f"{what} has NaN or infinite values in row(s) {_preview(bad)}")
    if (p < 0).any():
        bad = np.flatnonzero((p < 0).any(axis=1))
        raise ValueError(f"{what} has negative probabilities in row(s) {_preview(bad)}")
    off = np.abs(p.sum(axis=1) - 1.0) > _PROBA_TOL
    if off.any():
        bad = np.flatnonzero(off)
        raise ValueError(
            f"{what} rows must sum to 1; {int(off.sum())} do not, e.g. row(s) {_preview(bad)}"
        )
    return p


def _proba_and_truth(proba, truth) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (n, K) and truth codes (n,) aligned on the tasks of ``truth``."""
    if isinstance(proba, pd.DataFrame):
        truth = _as_truth_series(truth)
        if len(truth) == 0:
            raise ValueError("truth is empty: there is nothing to score")
        rows = _rows_for(proba.index, truth.index, "proba")
        p = _check_proba(proba.to_numpy()[rows], "proba")
        if not proba.columns.is_unique:
            raise ValueError(f"proba has repeated class columns: {list(proba.columns)}")
        codes = proba.columns.get_indexer(truth.to_numpy())
        unknown = codes < 0
        if unknown.any():
            raise ValueError(
                f"truth has label(s) {_preview(pd.unique(truth.to_numpy()[unknown]))} that are not "
                f"columns of proba {_preview(proba.columns, 20)}"
            )
        return p, codes.astype(np.int64)
    if isinstance(proba, np.ndarray):
        p = _check_proba(proba, "proba")
        y = np.asarray(truth)
        if y.ndim != 1 or y.shape[0] != p.shape[0]:
            raise ValueError(
                f"truth must be a 1-D array of {p.shape[0]} class codes to match proba {p.shape}; "
                f"got shape {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer):
            if (
                np.issubdtype(y.dtype, np.floating)
                and np.all(np.isfinite(y))
                and np.all(y == np.round(y))
            ):
                y = y.astype(np.int64)
            else:
                raise ValueError(
                    "with a numpy proba, truth must hold integer class codes (column positions)"
                )
        bad = (y < 0) | (y >= p.shape[1])
        if bad.any():
            raise ValueError(
                f"truth codes must lie in [0, {p.shape[1] - 1}]; got {_preview(np.unique(y[bad]))}"
            )
        return p, y.astype(np.int64)
    raise TypeError(
        f"proba must be a DataFrame (tasks x classes) or a 2-D ndarray; got {type(proba).__name__}"
    )


def _hard_and_truth(pred, truth) -> tuple[np.ndarray, np.ndarray]:
    """Predicted and true labels (object-free numpy arrays) aligned on the tasks of ``truth``."""
    if isinstance(pred, pd.Series):
        truth = _as_truth_series(truth)
        rows = _rows_for(pred.index, truth.index, "pred")
        return pred.to_numpy()[rows], truth.to_numpy()
    pred = np.asarray(pred)
    truth_arr = np.asarray(truth)
    if pred.ndim != 1 or truth_arr.shape != pred.shape:
        raise ValueError(
            f"pred and truth given as arrays must be 1-D of the same length; got shapes "
            f"{pred.shape} and {truth_arr.shape}"
        )
    if pd.isna(truth_arr).any():
        raise ValueError("truth has missing value(s); drop them first")
    return pred, truth_arr


def _sorted_union(*arrays: np.ndarray) -> pd.Index:
    values = pd.unique(np.concatenate([np.asarray(a, dtype=object) for a in arrays]))
    try:
        return pd.Index(sorted(values))
    except TypeError:
        return pd.Index(values)


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
        p, y = _proba_and_truth(pred, truth)
        if ties == "first":
            return float(np.mean(p.argmax(axis=1) == y))
        is_max = p == p.max(axis=1, keepdims=True)
        return float(np.mean(is_max[np.arange(len(y)), y] / is_max.sum(axis=1)))
    hard, y = _hard_and_truth(pred, truth)
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
    p, y = _proba_and_truth(proba, truth)
    return float(np.mean(p[np.arange(len(y)), y]))


def _calibration_bins(proba, truth, n_bins: int):
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}")
    p, y = _proba_and_truth(proba, truth)
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
def _vote_counts(answers) -> tuple[np.ndarray, pd.Index]:
    """Votes per (task, class) and the task index from answers or a counts matrix."""
    if isinstance(answers, CrowdAnswers):
        return answers.vote_counts, answers.tasks
    if isinstance(answers, pd.DataFrame) and {"task", "worker", "label"} <= set(answers.columns):
        data = encode_answers(answers)
        return data.vote_counts, data.tasks
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
    answers: pd.DataFrame | CrowdAnswers | np.ndarray, normalize: bool = False
) -> pd.Series:
    """Entropy of each task's empirical vote distribution (natural log).

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``), CrowdAnswers, or a counts matrix
        (ndarray or DataFrame of shape tasks x classes, e.g. CIFAR-10H's vote counts).
    normalize : divide by ``log K`` (K = number of classes) so that values lie in [0, 1].

    Returns
    -------
    Series indexed by task, named ``"entropy"``; NaN for a task without any vote.
    """
    counts, index = _vote_counts(answers)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        freq = counts / total
        terms = np.where(freq > 0, freq * np.log(np.where(freq > 0, freq, 1.0)), 0.0)
    entropy = -terms.sum(axis=1)
    entropy[total[:, 0] == 0] = np.nan
    if normalize:
        n_classes = counts.shape[1]
        if n_classes < 2:
            raise ValueError("normalize=True needs at least two classes (log K would be 0)")
        entropy = entropy / np.log(n_classes)
    return pd.Series(entropy, index=index, name="entropy")


def krippendorff_alpha(answers: pd.DataFrame | CrowdAnswers | np.ndarray) -> float:
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

    Returns
    -------
    float
        NaN when every pairable value is the same (no variation: alpha is undefined).

    References
    ----------
    Krippendorff (2011), Computing Krippendorff's alpha-reliability, section C.
    """
    counts, _ = _vote_counts(answers)
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


def worker_accuracy(answers: pd.DataFrame | CrowdAnswers, labels: pd.Series | Mapping) -> pd.Series:
    """Per worker, the fraction of their answers that agree with the given task labels.

    With the true labels this is each worker's accuracy; with aggregated labels it is their
    agreement with the aggregate (the weight Wawa uses).

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers.
    labels : hard label per task (Series indexed by task). Answers on tasks without a label are
        not counted.

    Returns
    -------
    Series indexed by worker (every worker, in the order of ``encode_answers``), named
    ``"accuracy"``; NaN for a worker with no answer on a labelled task.
    """
    data = encode_answers(answers)
    labels = _as_truth_series(labels, "labels")
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
    answers: pd.DataFrame | CrowdAnswers, truth: pd.Series | Mapping, normalize: bool = True
) -> WorkerConfusion:
    """Each worker's confusion matrix [worker, true, answered] counted on the tasks of ``truth``.

    Parameters
    ----------
    answers : long DataFrame (``task``, ``worker``, ``label``) or CrowdAnswers.
    truth : true label per task; answers on tasks without a truth are not counted.
    normalize : divide each row by its total (rows without answers become NaN).

    Returns
    -------
    WorkerConfusion
        Classes are the answers' classes followed by any true class nobody answered.
    """
    data = encode_answers(answers)
    truth = _as_truth_series(truth)
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
        truth = _as_truth_series(truth)
        rows = _rows_for(pred.index, truth.index, "pred")
        p = _check_proba(pred.to_numpy()[rows], "pred")
        hard = pred.columns.to_numpy()[p.argmax(axis=1)]
        y = truth.to_numpy()
    else:
        hard, y = _hard_and_truth(pred, truth)
    missing = pd.isna(hard)
    if missing.any():
        raise ValueError(
            f"pred has {int(missing.sum())} missing label(s) on scored tasks; "
            "fill or drop them first"
        )
    if classes is None:
        index = _sorted_union(y, hard)
    else:
        index = pd.Index(list(classes))
        if not index.is_unique:
            raise ValueError(f"classes has repeated entries: {_preview(index[index.duplicated()])}")
    t_code, p_code = index.get_indexer(y), index.get_indexer(hard)
    for name, codes, values in (("truth", t_code, y), ("pred", p_code, hard)):
        if (codes < 0).any():
            raise ValueError(
                f"{name} has label(s) {_preview(pd.unique(values[codes < 0]))} outside classes "
                f"{_preview(index, 20)}"
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


# --- segmentation masks ----------------------------------------------------------------------
def _as_mask(mask, where: str) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iuf" and np.isin(arr, (0, 1)).all():
        return arr.astype(bool)
    raise ValueError(
        f"{where} must be a boolean mask (or hold only 0 and 1); got dtype {arr.dtype}"
    )


def _mask_scores(pred, true, score: Callable[[np.ndarray, np.ndarray], float], name: str):
    def one(a, b, where: str) -> float:
        a, b = _as_mask(a, f"pred_mask {where}"), _as_mask(b, f"true_mask {where}")
        if a.shape != b.shape:
            raise ValueError(f"pred_mask and true_mask {where} have shapes {a.shape} and {b.shape}")
        return score(a, b)

    if isinstance(pred, pd.Series) or isinstance(true, pd.Series):
        if not (isinstance(pred, pd.Series) and isinstance(true, pd.Series)):
            raise TypeError(
                "give both pred_mask and true_mask as Series indexed by task, or neither"
            )
        rows = _rows_for(true.index, pred.index, "true_mask", of="pred_mask")
        extra = true.index.difference(pred.index)
        if len(extra):
            raise ValueError(
                f"{len(extra)} task(s) in true_mask have no pred_mask: {_preview(extra)}"
            )
        values = [
            one(a, true.iloc[r], f"of task {t!r}")
            for t, a, r in zip(pred.index, pred, rows, strict=True)
        ]
        return pd.Series(values, index=pred.index, name=name, dtype=np.float64)
    if isinstance(pred, (list, tuple)) or isinstance(true, (list, tuple)):
        if len(pred) != len(true):
            raise ValueError(f"pred_mask has {len(pred)} masks and true_mask {len(true)}")
        return np.array(
            [one(a, b, f"at position {i}") for i, (a, b) in enumerate(zip(pred, true, strict=True))]
        )
    return one(pred, true, "")


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    size = np.count_nonzero(a) + np.count_nonzero(b)
    return 1.0 if size == 0 else 2.0 * np.count_nonzero(a & b) / size


def iou(pred_mask, true_mask):
    """Intersection over union (Jaccard index) of boolean masks.

    Parameters
    ----------
    pred_mask, true_mask : one mask each (array of any shape, bool or 0/1), or lists of masks
        (matched by position), or Series of masks indexed by task (matched by task; both must hold
        the same tasks).

    Returns
    -------
    float for one pair, ndarray for lists, Series (in the order of ``pred_mask``) for Series.
    Two empty masks agree perfectly: their IoU is 1.0.
    """
    return _mask_scores(pred_mask, true_mask, _iou, "iou")


def dice(pred_mask, true_mask):
    """Dice coefficient ``2|A & B| / (|A| + |B|)`` of boolean masks; inputs as in :func:`iou`.

    Two empty masks give 1.0.
    """
    return _mask_scores(pred_mask, true_mask, _dice, "dice")


def mean_iou(pred_mask, true_mask) -> float:
    """Mean of the per-task IoU (see :func:`iou`); the IoU itself for a single pair."""
    return float(np.mean(iou(pred_mask, true_mask)))


# --- partitions ------------------------------------------------------------------------------
def _partition_codes(a, b) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        rows = _rows_for(a.index, b.index, "a", of="b")
        extra = a.index.difference(b.index)
        if len(extra):
            raise ValueError(f"{len(extra)} item(s) in a are missing from b: {_preview(extra)}")
        a_val, b_val = a.to_numpy()[rows], b.to_numpy()
    else:
        a_val, b_val = np.asarray(a), np.asarray(b)
        if a_val.ndim != 1 or a_val.shape != b_val.shape:
            raise ValueError(
                "a and b must be 1-D of the same length; got shapes "
                f"{a_val.shape} and {b_val.shape}"
            )
    for name, v in (("a", a_val), ("b", b_val)):
        if pd.isna(v).any():
            raise ValueError(f"{name} has missing cluster labels")
    if len(a_val) == 0:
        raise ValueError("a and b are empty: there is no partition to compare")
    return pd.factorize(a_val)[0].astype(np.int64), pd.factorize(b_val)[0].astype(np.int64)


def _contingency(a, b):
    """Non-zero cells n_ij with their row and column codes, plus the margins."""
    ia, ib = _partition_codes(a, b)
    n_b = int(ib.max()) + 1
    cells, n_ij = np.unique(ia * n_b + ib, return_counts=True)
    return cells // n_b, cells % n_b, n_ij, np.bincount(ia), np.bincount(ib), len(ia)


def adjusted_rand_index(a, b) -> float:
    """Adjusted Rand index of two partitions (Hubert and Arabie, 1985).

    Parameters
    ----------
    a, b : cluster labels, array-like of the same length (matched by position) or two Series
        (matched by index). Label values are names only: permuting them does not change the score.

    Returns
    -------
    float
        1 for identical partitions, about 0 for independent ones; 1.0 when both are the trivial
        partition (one cluster each, or all singletons each), where the formula is 0/0.
    """
    _, _, n_ij, a_i, b_j, n = _contingency(a, b)

    def comb2(x):
        return x * (x - 1) / 2.0

    index = comb2(n_ij.astype(np.float64)).sum()
    sum_a, sum_b = comb2(a_i.astype(np.float64)).sum(), comb2(b_j.astype(np.float64)).sum()
    expected = sum_a * sum_b / comb2(float(n)) if n > 1 else 0.0
    maximum = 0.5 * (sum_a + sum_b)
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))


def normalized_mutual_info(
    a, b, average: Literal["arithmetic", "geometric", "min", "max"] = "arithmetic"
) -> float:
    """Mutual information of two partitions divided by a mean of their entropies.

    Parameters
    ----------
    a, b : cluster labels, as in :func:`adjusted_rand_index`.
    average : the mean of ``H(a)`` and ``H(b)`` used as normaliser (scikit-learn's default is
        ``"arithmetic"``).

    Returns
    -------
    float in [0, 1]; 1.0 when both partitions are a single cluster, 0.0 when the mutual
    information is 0 otherwise.
    """
    if average not in ("arithmetic", "geometric", "min", "max"):
        raise ValueError(f"average={average!r}; expected 'arithmetic', 'geometric', 'min' or 'max'")
    row, col, n_ij, a_i, b_j, n = _contingency(a, b)
    if len(a_i) == 1 and len(b_j) == 1:
        return 1.0
    n_ij = n_ij.astype(np.float64)
    mi = float(
        np.sum(n_ij / n * (np.log(n_ij * n) - np.log(a_i[row] * b_j[col].astype(np.float64))))
    )
    mi = max(mi, 0.0)
    if mi == 0.0:
        return 0.0

    def entropy(counts: np.ndarray) -> float:
        p = counts / n
        return float(-np.sum(p * np.log(p)))

    h_a, h_b = entropy(a_i), entropy(b_j)
    norm = {
        "arithmetic": (h_a + h_b) / 2.0,
        "geometric": np.sqrt(h_a * h_b),
        "min": min(h_a, h_b),
        "max": max(h_a, h_b),
    }[average]
    return float(min(mi / norm, 1.0))


# --- crowd clustering: intruders and workers' pairwise agreement -----------------------------
__all__ += ["intruder_quality", "worker_pairwise_ari", "pair_counting_ari"]


def intruder_quality(
    answers: pd.DataFrame,
    intruders: pd.Series | Mapping,
    *,
    by: pd.Series | Mapping | None = None,
    level: Literal["answer", "task"] = "answer",
) -> float | pd.Series:
    """Share of intruder answers that found the intruder (Chang et al., NIPS 2009).

    An intruder HIT shows several images of one cluster and one image of another; the worker
    points at the image that does not belong. When clusters are coherent and distinct the
    intruder is easy to find; when they are mixed it is found about ``1 / (images per HIT)`` of
    the time.

    Parameters
    ----------
    answers : long DataFrame with columns ``task`` (the intruder HIT), ``worker`` and ``label``
        (the image the worker chose).
    intruders : Series task -> the true intruding image; every answered task must have one.
    by : optional Series task -> group (e.g. the main cluster of each HIT); the score is then
        given per group.
    level : ``"answer"`` (default): the share of answers that chose the intruder, i.e. the share
        of workers who found it. ``"task"``: the share of HITs whose most chosen image is the
        intruder (a tie between ``m`` images counts ``1 / m``), as when the answers of a HIT are
        aggregated first.

    Returns
    -------
    float, or a Series indexed by group (named ``"intruder_quality"``) when ``by`` is given.
    """
    if level not in ("answer", "task"):
        raise ValueError(f"level={level!r}; expected 'answer' or 'task'")
    if not isinstance(answers, pd.DataFrame) or not {"task", "worker", "label"} <= set(answers.columns):
        raise ValueError("answers must be a DataFrame with columns 'task', 'worker' and 'label'")
    if len(answers) == 0:
        raise ValueError("answers is empty: there is nothing to score")
    intruders = _as_truth_series(intruders, "intruders")
    task = answers["task"].to_numpy()
    _rows_for(intruders.index, pd.Index(pd.unique(task)), "intruders", of="answers")
    found = (answers["label"].to_numpy() == intruders.reindex(task).to_numpy()).astype(np.float64)
    if level == "answer":
        score = pd.Series(found, index=pd.Index(task, name="task"))
        weight = pd.Series(1.0, index=score.index)
    else:
        counts = answers.groupby(["task", "label"]).size()
        top = counts.groupby(level="task").transform("max")
        is_top = counts == top
        n_top = is_top.groupby(level="task").sum()
        labels = counts.index.get_level_values("label").to_numpy()
        tasks_of = counts.index.get_level_values("task")
        hit = is_top.to_numpy() & (labels == intruders.reindex(tasks_of).to_numpy())
        score = pd.Series(hit.astype(np.float64), index=tasks_of).groupby(level=0).sum() / n_top
        weight = pd.Series(1.0, index=score.index)
    if by is None:
        return float((score * weight).sum() / weight.sum())
    by = _as_truth_series(by, "by")
    _rows_for(by.index, pd.Index(score.index.unique()), "by", of="answers")
    groups = by.reindex(score.index).to_numpy()
    table = pd.DataFrame({"group": groups, "score": score.to_numpy(), "weight": weight.to_numpy()})
    sums = table.assign(sw=table["score"] * table["weight"]).groupby("group")[["sw", "weight"]].sum()
    out = sums["sw"] / sums["weight"]
    out.index.name = by.name if by.name is not None else "group"
    return out.rename("intruder_quality")


def pair_counting_ari(same_pred, same_true) -> float:
    """Adjusted Rand index from pairwise "same cluster" flags.

    With ``TP`` pairs together in both, ``TN`` apart in both, ``FP`` and ``FN`` the
    disagreements, ``ARI = 2 (TP TN - FN FP) / ((TP + FN)(FN + TN) + (TP + FP)(FP + TN))``. Over
    all pairs of a set this is exactly :func:`adjusted_rand_index`; over a subset of pairs (those
    a worker saw) it is the same agreement measured where there is evidence.

    Returns NaN when the denominator is zero (for example all pairs together in both).
    """
    a = np.asarray(same_pred, dtype=bool)
    b = np.asarray(same_true, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"same_pred and same_true must be 1-D of one length; got {a.shape} and {b.shape}")
    tp = float(np.sum(a & b))
    tn = float(np.sum(~a & ~b))
    fp = float(np.sum(a & ~b))
    fn = float(np.sum(~a & b))
    denom = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    return float(2.0 * (tp * tn - fn * fp) / denom) if denom > 0 else float("nan")


def worker_pairwise_ari(answers: pd.DataFrame, truth: pd.Series | Mapping, hits=None) -> pd.Series:
    """Each worker's agreement with the true classes on the image pairs they grouped.

    Every answer of a partitioning worker (columns ``hit``, ``worker``, ``item``, ``group``; see
    :func:`crowdtut.aggregation.clustering.encode_partitions`) says, for each pair of its images,
    "same group" or not. :func:`pair_counting_ari` of those flags against "same true class" is
    the worker's ARI on the pairs they saw: 1 for a worker who follows the classes, about 0 for
    one who groups at random, and directly comparable with the ARI of an aggregated clustering.

    Returns
    -------
    Series worker -> ARI (named ``"pairwise_ari"``), NaN for a worker whose pairs carry no
    contrast (e.g. every pair from one class and grouped together).
    """
    from .aggregation.clustering import _pair_codes, encode_partitions

    data = encode_partitions(answers, hits)
    truth = _as_truth_series(truth)
    classes = truth.to_numpy()[_rows_for(truth.index, data.items, "truth", of="answers")]
    a, b, worker, _, same = _pair_codes(data)
    true_same = classes[a] == classes[b]
    # four pair counts per worker in one bincount, then the formula (no loop over workers)
    cell = same.astype(np.int64) * 2 + true_same  # 0 TN, 1 FN, 2 FP, 3 TP
    counts = np.bincount(worker * 4 + cell, minlength=4 * data.n_workers).reshape(-1, 4)
    tn, fn, fp, tp = counts.T.astype(np.float64)
    denom = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    with np.errstate(invalid="ignore", divide="ignore"):
        ari = np.where(denom > 0, 2.0 * (tp * tn - fn * fp) / np.where(denom > 0, denom, 1.0), np.nan)
    return pd.Series(ari, index=data.workers.copy(), name="pairwise_ari")
