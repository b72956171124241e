"""Majority vote and the Dawid-Skene family over a dask DataFrame, by map-reduce EM."""

from __future__ import annotations

from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from ..aggregation.classification import dawid_skene as _ds, voting as _voting
from ..aggregation._base import Estimator
from ..aggregation._em import converged
from ..aggregation.classification.dawid_skene import (
    errors_frame, floor_confusion_counts, one_coin_skills,
)
from ..answers import CrowdAnswers
from . import _kernels as k
from ._engine import map_reduce
from ._prepare import Prepared, prepare

__all__ = ["MajorityVote", "DawidSkene", "OneCoinDawidSkene"]



def _index_only(prepared: Prepared) -> CrowdAnswers:
    """A CrowdAnswers without answers, for the in-memory helpers that only read the indexes."""
    empty = np.zeros(0, dtype=np.int64)
    return CrowdAnswers(empty, empty, empty, pd.Index([], name="task"), prepared.workers,
                        prepared.classes)


class ScaleAggregator(Estimator):
    """Shared ``fit`` plumbing: checks, preparation, lazy ``labels_`` and ``probas_``."""

    _memory_class: type = None
    _posterior = None  # kernel: (block, params) -> (posterior, loglik, data)

    def _validate_params(self) -> None:
        self._memory_class(**self.get_params())._validate_params()

    def fit(
        self,
        answers,
        *,
        classes: Iterable[Hashable] | None = None,
        duplicates: str = "raise",
        storage: str | None = None,
    ):
        """Fit on a dask DataFrame with columns ``task``, ``worker``, ``label`` (``task`` may be
        the index). ``storage``: a directory for the encoded answers (Parquet, one pair of files
        per partition) instead of the workers' memory; on a cluster it must be shared storage."""
        self._validate_params()
        prepared = prepare(answers, classes=classes, duplicates=duplicates, storage=storage)
        self._fit(prepared)
        return self

    def fit_predict(self, answers, **kwargs):
        """Fit and return ``labels_`` (a dask Series indexed by task)."""
        return self.fit(answers, **kwargs).labels_

    def fit_predict_proba(self, answers, **kwargs):
        """Fit and return ``probas_`` (a dask DataFrame: one row per task, one column per class)."""
        return self.fit(answers, **kwargs).probas_

    def _fit(self, prepared: Prepared) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_result(self, prepared: Prepared, params: dict, posterior) -> None:
        """``probas_`` and ``labels_`` as dask collections computed from the blocks on demand."""
        import dask
        import dask.dataframe as dd

        classes = prepared.classes
        shared = dask.delayed(params, traverse=False)
        index = pd.Index(np.array([], dtype=object), name="task")
        try:
            index = index.astype(prepared.task_dtype)
        except (TypeError, ValueError):
            pass
        proba_meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in classes}, index=index)
        proba_meta.columns = classes
        label_meta = pd.Series(classes.take([]), index=index, name="agg_label")
        frames = [dask.delayed(k.posterior_frame)(b, shared, posterior, classes)
                  for b in prepared.blocks]
        labels = [dask.delayed(k.labels_frame)(b, shared, posterior, classes, i)
                  for i, b in enumerate(prepared.blocks)]
        self.classes_ = classes
        self.probas_ = dd.from_delayed(frames, meta=proba_meta, verify_meta=False)
        self.labels_ = dd.from_delayed(labels, meta=label_meta, verify_meta=False)
        self.n_answers_ = prepared.n_answers
        self.n_tasks_ = prepared.n_tasks


class MajorityVote(ScaleAggregator):
    """Majority vote over a dask DataFrame; the same labels and vote shares as in memory.

    Parameters
    ----------
    tie_break : ``"first"`` (default) or ``"random"``, as in
        :class:`crowdtut.aggregation.MajorityVote`; random draws come from one generator per
        partition seeded from ``random_state``, so they differ from the in-memory draws.
    random_state : seed or Generator, used only when ``tie_break="random"``.

    Attributes
    ----------
    labels_ : dask Series, the winning class per task.
    probas_ : dask DataFrame, the (weighted) vote shares.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> from crowdtut.scale import MajorityVote
    >>> df = pd.DataFrame({"task": [0, 0, 0, 1, 1], "worker": ["a", "b", "c", "a", "b"],
    ...                    "label": [1, 1, 0, 0, 0]})
    >>> MajorityVote().fit(dd.from_pandas(df, npartitions=2)).labels_.compute().sort_index().tolist()
    [1, 0]
    """

    _memory_class = _voting.MajorityVote

    def __init__(self, tie_break: str = "first", random_state=None):
        self.tie_break = tie_break
        self.random_state = random_state

    def fit(self, answers, *, weights: pd.Series | dict | None = None, **kwargs):
        """Fit; ``weights`` maps each worker name to a non-negative weight (a pandas object)."""
        self._weights = weights
        try:
            return super().fit(answers, **kwargs)
        finally:
            del self._weights

    def _fit(self, prepared: Prepared) -> None:
        params = dict(prepared.base_params, tie_break=self.tie_break)
        if self._weights is not None:
            params["weights"] = _voting.align_worker_weights(
                _index_only(prepared), self._weights)
        if self.tie_break == "random":
            rng = np.random.default_rng(self.random_state)
            params["seed"] = int(rng.integers(2**63 - 1))
        self._set_result(prepared, params, k.vote_posterior)


class _EM(ScaleAggregator):
    """The EM loop of the in-memory ``_EMAggregator``, one map-reduce pass per iteration."""

    _pass = None

    def _fit(self, prepared: Prepared) -> None:
        stats = map_reduce(prepared.blocks, type(self)._pass, self._params(prepared, None), k.add_stats,
                           what="the initial pass")
        used = None  # parameters of the E-step that produced the current posteriors
        history: list[float] = []
        previous = -np.inf
        done = False
        for iteration in range(self.n_iter):
            used = self._m_step(prepared, stats)
            stats = map_reduce(prepared.blocks, type(self)._pass, self._params(prepared, used),
                               k.add_stats, what=f"EM iteration {iteration + 1}")
            loglik = float(stats["loglik"])
            history.append(-loglik / max(prepared.n_answers, 1))
            if converged(loglik, previous, self.tol):
                done = True
                break
            previous = loglik
        self.n_iter_ = len(history)
        self.loss_history_ = history
        self.converged_ = done
        self._store(prepared, self._m_step(prepared, stats))  # M-step of the final posteriors
        self._set_result(prepared, self._params(prepared, used), type(self)._posterior)


class DawidSkene(_EM):
    """Dawid-Skene over a dask DataFrame: the EM of :class:`crowdtut.aggregation.DawidSkene`
    as map-reduce (E-step per partition, M-step counts summed in a tree).

    Parameters
    ----------
    n_iter, tol, pseudo_count : as in :class:`crowdtut.aggregation.DawidSkene`.

    Attributes
    ----------
    labels_, probas_ : dask Series and DataFrame indexed by task (computed on demand from the
        encoded answers; write them with ``to_parquet``).
    confusion_, workers_, errors_, priors_ : pandas / numpy, from an M-step of the final
        posteriors.
    loss_history_, n_iter_, converged_ : negative log-likelihood per answer after each iteration.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> from crowdtut.scale import DawidSkene
    >>> df = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": ["a", "b", "c"] * 2,
    ...                    "label": [1, 1, 0, 0, 0, 0]})
    >>> DawidSkene(n_iter=5).fit(dd.from_pandas(df, npartitions=2)).labels_.compute().sort_index().tolist()
    [1, 0]

    References
    ----------
    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer error-rates using the
    EM algorithm", JRSS C 28(1), 1979. https://doi.org/10.2307/2346806
    """

    _memory_class = _ds.DawidSkene
    _pass = staticmethod(k.ds_pass)
    _posterior = staticmethod(k.ds_posterior)

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, pseudo_count: float = 0.0):
        self.n_iter = n_iter
        self.tol = tol
        self.pseudo_count = pseudo_count

    def _params(self, prepared, params):
        if params is None:
            return dict(prepared.base_params, confusion=None)
        confusion, prior = params
        return dict(prepared.base_params, confusion=confusion, prior=prior)

    def _m_step(self, prepared, stats):
        kk = len(prepared.classes)
        counts = stats["counts"].reshape(len(prepared.workers), kk, kk).transpose(0, 2, 1)
        # the floor goes only on labels the worker used, as in memory (a posterior row sums to
        # one, so summing the counts over the true class gives the worker's answers per label)
        counts = floor_confusion_counts(counts, counts.sum(axis=1) > 0.5, self.pseudo_count)
        return counts / counts.sum(axis=2, keepdims=True), stats["post_sum"] / prepared.n_tasks

    def _store(self, prepared, params):
        confusion, prior = params
        self.workers_ = prepared.workers
        self.confusion_ = confusion
        self.errors_ = errors_frame(_index_only(prepared), confusion)
        self.priors_ = pd.Series(prior, index=prepared.classes, name="prior")


class OneCoinDawidSkene(_EM):
    """One-coin Dawid-Skene (ZenCrowd with ``prior="uniform"``) over a dask DataFrame.

    Parameters
    ----------
    n_iter, tol, prior, min_skill : as in :class:`crowdtut.aggregation.OneCoinDawidSkene`.

    Attributes
    ----------
    labels_, probas_ : dask collections indexed by task.
    skills_, priors_ : pandas, from an M-step of the final posteriors.
    loss_history_, n_iter_, converged_ : as in :class:`DawidSkene`.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> from crowdtut.scale import OneCoinDawidSkene
    >>> df = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": ["a", "b", "c"] * 2,
    ...                    "label": [1, 1, 0, 0, 0, 0]})
    >>> model = OneCoinDawidSkene(n_iter=5).fit(dd.from_pandas(df, npartitions=2))
    >>> model.labels_.compute().sort_index().tolist()
    [1, 0]

    References
    ----------
    G. Demartini, D. E. Difallah and P. Cudre-Mauroux, "ZenCrowd: leveraging probabilistic
    reasoning and crowdsourcing techniques for large-scale entity linking", WWW 2012.
    https://doi.org/10.1145/2187836.2187900
    """

    _memory_class = _ds.OneCoinDawidSkene
    _pass = staticmethod(k.one_coin_pass)
    _posterior = staticmethod(k.one_coin_posterior)

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, prior: str = "uniform",
                 min_skill: float = 0.0):
        self.n_iter = n_iter
        self.tol = tol
        self.prior = prior
        self.min_skill = min_skill

    def _params(self, prepared, params):
        if params is None:
            return dict(prepared.base_params, skills=None)
        skills, prior = params
        return dict(prepared.base_params, skills=skills, prior=prior)

    def _m_step(self, prepared, stats):
        skills = one_coin_skills(stats["hits"], prepared.answers_per_worker, self.min_skill)
        kk = len(prepared.classes)
        if self.prior == "uniform":
            return skills, np.full(kk, 1.0 / kk)
        return skills, stats["post_sum"] / prepared.n_tasks

    def _store(self, prepared, params):
        skills, prior = params
        self.skills_ = pd.Series(skills, index=prepared.workers, name="skill")
        self.priors_ = pd.Series(prior, index=prepared.classes, name="prior")
