"""Per-partition kernels of the distributed EM: one E-step and the partial M-step sums per block.

Each pass function takes a :class:`~crowdtut.scale._blocks.Block` (or the path of a stored one)
and the current parameters, runs the E-step of the block's tasks with the in-memory math
(:mod:`crowdtut.aggregation.classification`), and returns the block's share of the sufficient
statistics of the next M-step as a dict of arrays; :func:`add_stats` adds two such dicts, so
that dask sums them in a tree. Parameters ``None`` mean "start from the vote shares".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..aggregation._em import normalize_log, safe_log
from ..aggregation.classification.dawid_skene import log_joint, one_coin_log_joint
from ..aggregation.classification.voting import break_ties, vote_shares, weighted_votes
from ._blocks import Block, load_block

__all__ = [
    "add_stats", "count_pass", "ds_posterior", "ds_pass", "one_coin_posterior", "one_coin_pass",
    "vote_posterior", "posterior_frame", "labels_frame",
]


def add_stats(*parts: dict) -> dict:
    """Sum dicts of arrays key by key (the tree-reduction step)."""
    out = {k: np.array(v, dtype=np.float64, copy=True) for k, v in parts[0].items()}
    for part in parts[1:]:
        for k, v in part.items():
            out[k] += v
    return out


def count_pass(block: Block | str, params: dict) -> dict:
    """Answers and tasks per block, and answers per worker."""
    block = load_block(block)
    return {
        "n_answers": np.float64(len(block.task)),
        "n_tasks": np.float64(len(block.tasks)),
        "per_worker": np.bincount(block.worker, minlength=params["n_workers"]).astype(np.float64),
    }


# --- Dawid-Skene ---------------------------------------------------------------------------
def ds_posterior(block: Block | str, params: dict) -> tuple[np.ndarray, float, object]:
    """Posterior of the block's tasks, its log-likelihood, and the block as CrowdAnswers."""
    block = load_block(block)
    data = block.answers(params["n_workers"], params["n_classes"])
    if params.get("confusion") is None:
        return vote_shares(data.vote_counts), 0.0, data
    joint = log_joint(data, safe_log(params["confusion"]), safe_log(params["prior"]))
    post, loglik = normalize_log(joint)
    return post, loglik, data


def ds_pass(block: Block | str, params: dict) -> dict:
    """E-step on one block, then its (worker x answered, true) expected counts for the M-step."""
    post, loglik, data = ds_posterior(block, params)
    return {
        "counts": data.sum_per_worker_label(post),  # (W * K_answered, K_true)
        "post_sum": post.sum(axis=0),
        "loglik": np.float64(loglik),
    }


# --- one-coin Dawid-Skene ------------------------------------------------------------------
def one_coin_posterior(block: Block | str, params: dict) -> tuple[np.ndarray, float, object]:
    block = load_block(block)
    data = block.answers(params["n_workers"], params["n_classes"])
    if params.get("skills") is None:
        return vote_shares(data.vote_counts), 0.0, data
    post, loglik = normalize_log(one_coin_log_joint(data, params["skills"], params["prior"]))
    return post, loglik, data


def one_coin_pass(block: Block | str, params: dict) -> dict:
    """E-step on one block, then each worker's expected number of right answers."""
    post, loglik, data = one_coin_posterior(block, params)
    hits = np.bincount(data.worker, weights=post[data.task, data.label], minlength=data.n_workers)
    return {"hits": hits, "post_sum": post.sum(axis=0), "loglik": np.float64(loglik)}


# --- votes -------------------------------------------------------------------------------------
def vote_posterior(block: Block | str, params: dict) -> tuple[np.ndarray, float, object]:
    """(Weighted) vote shares of the block's tasks."""
    block = load_block(block)
    data = block.answers(params["n_workers"], params["n_classes"])
    return vote_shares(weighted_votes(data, params.get("weights"))), 0.0, data


# --- results -----------------------------------------------------------------------------------
def posterior_frame(block: Block | str, params: dict, posterior, classes: pd.Index) -> pd.DataFrame:
    """The block's class probabilities as a DataFrame indexed by task, one column per class."""
    post, _, data = posterior(block, params)
    return pd.DataFrame(post, index=data.tasks, columns=classes)


def labels_frame(
    block: Block | str, params: dict, posterior, classes: pd.Index, block_id: int = 0
) -> pd.Series:
    """The block's most probable class per task (ties to the first class, or drawn at random
    with the block's own seed when ``params["tie_break"] == "random"``)."""
    post, _, data = posterior(block, params)
    if params.get("tie_break") == "random":
        scores = weighted_votes(data, params.get("weights"))
        rng = np.random.default_rng([params["seed"], block_id])
        codes = break_ties(scores, "random", rng)
    else:
        codes = post.argmax(axis=1)
    return pd.Series(classes.take(codes), index=data.tasks, name="agg_label")
