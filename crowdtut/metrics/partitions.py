"""Scores for partitions: ARI, NMI, intruders, workers' pairwise agreement."""

from __future__ import annotations

from typing import Literal, Mapping

import numpy as np
import pandas as pd
from ._align import as_truth_series, preview, rows_for


# --- partitions ------------------------------------------------------------------------------
def _partition_codes(a, b) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        rows = rows_for(a.index, b.index, "a", of="b")
        extra = a.index.difference(b.index)
        if len(extra):
            raise ValueError(f"{len(extra)} item(s) in a are missing from b: {preview(extra)}")
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
    intruders = as_truth_series(intruders, "intruders")
    task = answers["task"].to_numpy()
    rows_for(intruders.index, pd.Index(pd.unique(task)), "intruders", of="answers")
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
    by = as_truth_series(by, "by")
    rows_for(by.index, pd.Index(score.index.unique()), "by", of="answers")
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
    from ..answers.partitions import encode_partitions, pair_codes

    data = encode_partitions(answers, hits)
    truth = as_truth_series(truth)
    classes = truth.to_numpy()[rows_for(truth.index, data.items, "truth", of="answers")]
    a, b, worker, _, same = pair_codes(data)
    true_same = classes[a] == classes[b]
    # four pair counts per worker in one bincount, then the formula (no loop over workers)
    cell = same.astype(np.int64) * 2 + true_same  # 0 TN, 1 FN, 2 FP, 3 TP
    counts = np.bincount(worker * 4 + cell, minlength=4 * data.n_workers).reshape(-1, 4)
    tn, fn, fp, tp = counts.T.astype(np.float64)
    denom = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    with np.errstate(invalid="ignore", divide="ignore"):
        ari = np.where(denom > 0, 2.0 * (tp * tn - fn * fp) / np.where(denom > 0, denom, 1.0), np.nan)
    return pd.Series(ari, index=data.workers.copy(), name="pairwise_ari")

