"""GLAD over a dask DataFrame: the in-memory block-Newton EM with per-partition task state.

Task parameters (posteriors and log-easiness values) live with their partition between passes;
worker abilities are broadcast. The ability step sums per-worker gradients, curvatures and
objective values over partitions (a tree reduction per Newton step and per halving), the
easiness step is local to each partition (the in-memory code on the partition's tasks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..aggregation._em import converged, normalize_rows, safe_log
from ..aggregation.classification import glad as _glad
from ..aggregation.classification.glad import (
    FINAL_MOVE, FINAL_ROUNDS, LOG_2PI, GLADMStep, answer_log_probs, backtrack,
    gaussian_log_density, glad_e_step, sigmoid, starting_priors,
)
from ._blocks import load_block
from ._engine import PassFailed, pass_failed, current_client
from ._estimators import ScaleAggregator
from ._prepare import Prepared

__all__ = ["GLAD"]


def _combine(*parts: dict) -> dict:
    """Add the arrays of per-block stats; keys starting with ``max_`` take the maximum."""
    out = {k: np.array(v, dtype=np.float64, copy=True) for k, v in parts[0].items()}
    for part in parts[1:]:
        for k, v in part.items():
            out[k] = np.maximum(out[k], v) if k.startswith("max_") else out[k] + v
    return out


def _data(block, params):
    return load_block(block).answers(params["n_workers"], params["n_classes"])


def _init(block, state, params):
    data = _data(block, params)
    post = normalize_rows(data.vote_counts)
    state = {"post": post, "log_betas": np.full(data.n_tasks, params["log_beta_mean"])}
    return state, {"post_sum": post.sum(axis=0)}


def _alpha_stats(block, state, params):
    data = _data(block, params)
    p_right = state["post"][data.task, data.label]
    x, log_right, log_wrong = answer_log_probs(data, params["alphas"], state["log_betas"])
    sigma = sigmoid(x)
    beta = np.exp(state["log_betas"])[data.task]
    w = data.n_workers
    return state, {
        "grad": np.bincount(data.worker, (p_right - sigma) * beta, w),
        "curv": np.bincount(data.worker, sigma * (1.0 - sigma) * beta**2, w),
        "value": np.bincount(data.worker, p_right * log_right + (1.0 - p_right) * log_wrong, w),
    }


def _alpha_values(block, state, params):
    data = _data(block, params)
    p_right = state["post"][data.task, data.label]
    _, log_right, log_wrong = answer_log_probs(data, params["trial"], state["log_betas"])
    value = np.bincount(data.worker, p_right * log_right + (1.0 - p_right) * log_wrong,
                        data.n_workers)
    return state, {"value": value}


def _beta_step(block, state, params):
    data = _data(block, params)
    if data.n_tasks == 0:  # an empty partition (numpy's bincount of nothing is an int array)
        return state, {"max_moved": np.float64(0.0)}
    p_right = state["post"][data.task, data.label]
    step = GLADMStep(data, p_right, params["alpha_mean"], params["log_beta_mean"])
    new = step.log_beta_step(params["alphas"], state["log_betas"])
    moved = np.abs(new - state["log_betas"]).max(initial=0.0)
    return dict(state, log_betas=new), {"max_moved": np.float64(moved)}


def _e_step(block, state, params):
    data = _data(block, params)
    post, loglik = glad_e_step(data, params["alphas"], state["log_betas"], params["log_priors"])
    sq = np.sum((state["log_betas"] - params["log_beta_mean"]) ** 2)
    return dict(state, post=post), {"loglik": np.float64(loglik), "beta_sq": np.float64(sq),
                                    "post_sum": post.sum(axis=0)}


def _probas(block, state, classes):
    data = _data(block, {"n_workers": 0, "n_classes": len(classes)})
    return pd.DataFrame(state["post"], index=data.tasks, columns=classes)


def _labels(block, state, classes):
    data = _data(block, {"n_workers": 0, "n_classes": len(classes)})
    return pd.Series(classes.take(state["post"].argmax(axis=1)), index=data.tasks, name="agg_label")


def _betas(block, state):
    data = _data(block, {"n_workers": 0, "n_classes": 2})
    return pd.Series(np.exp(state["log_betas"]), index=data.tasks, name="beta")


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


def _apply(fn, block, state, params):
    return fn(block, state, params)


class _Stateful:
    """Blocks with per-block state: each pass maps ``fn(block, state, params) -> (state, stats)``
    and returns the stats combined in a tree; the new states stay where they were computed."""

    def __init__(self, blocks: list):
        self.blocks = blocks
        self.states = [None] * len(blocks)

    def run(self, fn, params: dict, what: str) -> dict:
        import dask

        from ._engine import SPLIT_EVERY

        client = current_client()
        try:
            if client is not None:
                [shared] = client.scatter([params], broadcast=True, hash=False)
                pairs = [client.submit(_apply, fn, b, s, shared, pure=False)
                         for b, s in zip(self.blocks, self.states)]
                self.states = [client.submit(_first, p, pure=False) for p in pairs]
                parts = [client.submit(_second, p, pure=False) for p in pairs]
                while len(parts) > 1:
                    parts = [client.submit(_combine, *parts[i:i + SPLIT_EVERY], pure=False)
                             for i in range(0, len(parts), SPLIT_EVERY)]
                return parts[0].result()
            pairs = dask.compute(*[dask.delayed(fn)(b, s, params)
                                   for b, s in zip(self.blocks, self.states)])
            self.states = [p[0] for p in pairs]
            return _combine(*[p[1] for p in pairs])
        except (ValueError, TypeError):
            raise
        except PassFailed:
            raise
        except Exception as error:  # noqa: BLE001
            raise pass_failed(error, what) from error


class GLAD(ScaleAggregator):
    """GLAD over a dask DataFrame: the EM of :class:`crowdtut.aggregation.GLAD` with task
    parameters kept per partition and worker abilities reduced in a tree.

    Parameters
    ----------
    n_iter, tol, alpha_prior_mean, log_beta_prior_mean, class_priors, learn_priors,
    m_step_max_iter : as in :class:`crowdtut.aggregation.GLAD`.

    Attributes
    ----------
    labels_, probas_, betas_ : dask collections indexed by task.
    alphas_, priors_ : pandas Series.
    loss_history_, n_iter_, converged_ : as in :class:`crowdtut.aggregation.GLAD`.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> from crowdtut.scale import GLAD
    >>> df = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": ["a", "b", "c"] * 2,
    ...                    "label": [1, 1, 0, 0, 0, 0]})
    >>> GLAD(n_iter=5).fit(dd.from_pandas(df, npartitions=2)).labels_.compute().sort_index().tolist()
    [1, 0]

    References
    ----------
    J. Whitehill, T. Wu, J. Bergsma, J. R. Movellan and P. L. Ruvolo. Whose vote should count
    more: optimal integration of labels from labelers of unknown expertise. NIPS 2009.
    """

    _memory_class = _glad.GLAD

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, alpha_prior_mean: float = 1.0,
                 log_beta_prior_mean: float = 1.0, class_priors=None, learn_priors: bool = False,
                 m_step_max_iter: int = 3):
        self.n_iter = n_iter
        self.tol = tol
        self.alpha_prior_mean = alpha_prior_mean
        self.log_beta_prior_mean = log_beta_prior_mean
        self.class_priors = class_priors
        self.learn_priors = learn_priors
        self.m_step_max_iter = m_step_max_iter

    def _fit(self, prepared: Prepared) -> None:
        k = len(prepared.classes)
        alpha_mean = float(self.alpha_prior_mean)
        log_beta_mean = float(self.log_beta_prior_mean)
        priors = starting_priors(self.class_priors, self.learn_priors, k)
        base = dict(prepared.base_params, alpha_mean=alpha_mean, log_beta_mean=log_beta_mean)
        alphas = np.full(len(prepared.workers), alpha_mean)
        state = _Stateful(prepared.blocks)
        stats = state.run(_init, base, "the initial pass")
        history: list[float] = []
        done = False
        n_answers = max(prepared.n_answers, 1)
        for iteration in range(self.n_iter):
            what = f"EM iteration {iteration + 1}"
            if self.learn_priors:
                priors = normalize_rows(stats["post_sum"])
            alphas = self._m_step(state, base, alphas, self.m_step_max_iter, 1e-10, what)
            stats = state.run(_e_step, dict(base, alphas=alphas, log_priors=safe_log(priors)), what)
            log_posterior = (
                float(stats["loglik"])
                + gaussian_log_density(alphas, alpha_mean)
                + float(-0.5 * stats["beta_sq"] - 0.5 * prepared.n_tasks * LOG_2PI)
            )
            history.append(-log_posterior / n_answers)
            if len(history) > 1 and converged(history[-1], history[-2], self.tol):
                done = True
                break
        # the final M-step of the in-memory GLAD: the parameters exposed are those of ``probas_``
        if self.learn_priors:
            priors = normalize_rows(stats["post_sum"])
        alphas = self._m_step(state, base, alphas, FINAL_ROUNDS, FINAL_MOVE, "the final M-step")
        self.n_iter_ = len(history)
        self.loss_history_ = history
        self.converged_ = done
        self.alphas_ = pd.Series(alphas, index=prepared.workers, name="alpha")
        self.priors_ = pd.Series(priors, index=prepared.classes, name="prior")
        self._set_state_result(prepared, state)

    def _m_step(self, state, base, alphas, n_rounds: int, stop: float, what: str):
        """Block-Newton rounds (abilities, then each partition's easiness) until nothing moves."""
        for _ in range(n_rounds):
            new_alphas = self._alpha_step(state, base, alphas, what)
            moved_beta = state.run(_beta_step, dict(base, alphas=new_alphas), what)["max_moved"]
            moved = max(np.abs(new_alphas - alphas).max(initial=0.0), float(moved_beta))
            alphas = new_alphas
            if moved < stop:
                break
        return alphas

    def _alpha_step(self, state, base, alphas, what):
        mean = base["alpha_mean"]
        stats = state.run(_alpha_stats, dict(base, alphas=alphas), what)
        grad = stats["grad"] - (alphas - mean)
        curv = stats["curv"] + 1.0
        value = stats["value"] - 0.5 * (alphas - mean) ** 2

        def values(trial):
            out = state.run(_alpha_values, dict(base, trial=trial), what)["value"]
            return out - 0.5 * (trial - mean) ** 2

        return backtrack(alphas, grad / curv, value, values, upper=np.inf)

    def _set_state_result(self, prepared: Prepared, state: _Stateful) -> None:
        import dask
        import dask.dataframe as dd

        classes = prepared.classes
        index = pd.Index(np.array([], dtype=object), name="task")
        try:
            index = index.astype(prepared.task_dtype)
        except (TypeError, ValueError):
            pass
        proba_meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in classes}, index=index)
        proba_meta.columns = classes
        pairs = list(zip(prepared.blocks, state.states))
        self.classes_ = classes
        self.probas_ = dd.from_delayed([dask.delayed(_probas)(b, s, classes) for b, s in pairs],
                                       meta=proba_meta, verify_meta=False)
        self.labels_ = dd.from_delayed(
            [dask.delayed(_labels)(b, s, classes) for b, s in pairs],
            meta=pd.Series(classes.take([]), index=index, name="agg_label"), verify_meta=False)
        self.betas_ = dd.from_delayed(
            [dask.delayed(_betas)(b, s) for b, s in pairs],
            meta=pd.Series(np.array([], dtype=np.float64), index=index, name="beta"),
            verify_meta=False)
        self.n_answers_ = prepared.n_answers
        self.n_tasks_ = prepared.n_tasks
