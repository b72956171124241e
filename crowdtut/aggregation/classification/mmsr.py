"""M-MSR: worker skills from a robust rank-one completion of the worker agreement matrix."""

from __future__ import annotations

import numpy as np

from ...answers import CrowdAnswers
from .._base import ClassificationAggregator, check_random_state, draws_by_key
from ..._checks import check_choice, check_non_negative, check_positive_int
from .._em import normalize_log

__all__ = ["MMSR"]


def agreement_counts(data: CrowdAnswers) -> tuple[np.ndarray, np.ndarray]:
    """Worker-by-worker numbers of shared tasks with equal answers (``agree``) and of shared
    tasks (``common``, zero on the diagonal). Two sparse products, no loop over workers."""
    import scipy.sparse as sp

    w, n, k = data.n_workers, data.n_tasks, data.n_classes
    ones = np.ones(data.n_answers)
    by_label = sp.csr_matrix((ones, (data.worker, data.task * k + data.label)), shape=(w, n * k))
    by_task = sp.csr_matrix((ones, (data.worker, data.task)), shape=(w, n))
    agree = (by_label @ by_label.T).toarray()
    common = (by_task @ by_task.T).toarray()
    np.fill_diagonal(common, 0.0)
    return agree, common


def agreement_covariance(agree: np.ndarray, common: np.ndarray,
                         n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Worker-by-worker ``C = K/(K-1) * agreement - 1/(K-1)`` and the mask of observed pairs.

    ``agreement[a, b]`` is the share of the tasks answered by both ``a`` and ``b`` on which their
    answers are equal; a pair is observed when the two workers share a task (never on the
    diagonal); ``agree`` and ``common`` come from :func:`agreement_counts`.
    """
    observed = common > 0
    share = np.divide(agree, common, out=np.zeros_like(agree), where=observed)
    cov = np.where(observed, share * n_labels / (n_labels - 1) - 1.0 / (n_labels - 1), 0.0)
    return cov, observed


def _trimmed_update(ratios: np.ndarray, observed: np.ndarray, current: np.ndarray, trim: int,
                    floor: float) -> np.ndarray:
    """Row-wise mean-subsequence-reduced step (one row per worker, contiguous in memory).

    For row ``j`` the observed ``ratios[j]`` are sorted; up to ``trim`` of the values below
    ``current[j]`` and up to ``trim`` of those above it are dropped and the rest averaged. A
    row with nothing left keeps its value; a zero mean becomes ``floor``.
    """
    if trim < 0:  # crowd-kit 1.4.2's negative trimming size: only the largest value is kept
        count = observed.sum(axis=1)
        largest = np.where(observed, ratios, -np.inf).max(axis=1, initial=-np.inf)
        kept = np.where(count > 0, largest, current)
        return np.where((count > 0) & (kept == 0.0), floor, kept)
    values = np.where(observed, ratios, np.inf)
    values.sort(axis=1)  # observed values first, in order; inf marks the unobserved tail
    count = observed.sum(axis=1)
    below = (observed & (ratios < current[:, None])).sum(axis=1)
    above = (observed & (ratios > current[:, None])).sum(axis=1)
    low = np.minimum(below, trim)
    high = count - np.minimum(above, trim)
    values[np.isinf(values)] = 0.0
    prefix = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=prefix[:, 1:])
    rows = np.arange(values.shape[0])
    kept = high - low
    total = prefix[rows, high] - prefix[rows, low]
    mean = np.divide(total, kept, out=current.copy(), where=kept > 0)
    return np.where((kept > 0) & (mean == 0.0), floor, mean)


def _sign_vector(cov: np.ndarray, observed: np.ndarray, weight: np.ndarray,
                 self_loops: bool = False) -> np.ndarray:
    """+1 / -1 per worker from the signs of the observed covariances (0: no signed pair).

    Workers with a negative covariance are joined by an edge, workers with a positive one by a
    path through an extra node; in each connected part, the eigenvector of the smallest
    eigenvalue of the normalised adjacency matrix splits the graph into its two sides (Ma and
    Olshevsky's sign step). The side with the larger ``weight`` (number of answers) is taken as
    positive: most work is done by workers who beat chance. When the two sides carry equal
    weight the data cannot say which one is adversarial, and every worker of that part is kept
    positive (so an exact tie between two camps stays a tie).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import eigsh

    signs = np.sign(np.where(observed, cov, 0.0))
    valid = np.flatnonzero(np.abs(signs).sum(axis=1) > 0)
    out = np.zeros(len(cov))
    if len(valid) == 0:
        return out
    s = signs[np.ix_(valid, valid)]
    m = len(valid)
    neg_i, neg_j = np.nonzero(np.triu(s < 0, 1))
    pos_i, pos_j = np.nonzero(np.triu(s > 0, 1))
    extra = m + np.arange(len(pos_i))
    rows = np.r_[neg_i, pos_i, pos_j]
    cols = np.r_[neg_j, extra, extra]
    size = m + len(pos_i)
    adj = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size)).tocsr()
    adj = adj + adj.T
    if self_loops:
        loops = np.flatnonzero(np.diag(s) < 0)
        adj = adj + sp.coo_matrix((np.ones(len(loops)), (loops, loops)), shape=(size, size))
    adj = adj.tocsr()
    n_parts, part = connected_components(adj, directed=False)
    side = np.ones(m)
    for p in range(n_parts):  # one eigenproblem per connected part (usually one or a few)
        nodes = np.flatnonzero(part == p)
        sub = adj[nodes][:, nodes]
        scale = 1.0 / np.sqrt(np.asarray(sub.sum(axis=1)).ravel())
        norm = sp.diags(scale) @ sub @ sp.diags(scale)
        if len(nodes) <= 300:
            vector = np.linalg.eigh(norm.toarray())[1][:, 0]
        else:
            vector = eigsh(norm, k=1, which="SA", v0=np.ones(len(nodes)), tol=1e-8)[1][:, 0]
        workers = nodes < m
        sub_side = np.sign(vector[workers])
        sub_side[sub_side == 0] = 1.0
        w = weight[valid[nodes[workers]]]
        balance = float(sub_side @ w)
        if balance == 0:
            sub_side = np.ones_like(sub_side)
        elif balance < 0:
            sub_side = -sub_side
        side[nodes[workers]] = sub_side
    out[valid] = side
    return out


class MMSR(ClassificationAggregator):
    """M-MSR (matrix mean-subsequence-reduced): skills by robust rank-one completion, then a
    weighted vote.

    Under a one-coin model where worker ``j`` is right with probability ``p_j``, the expected
    covariance ``K/(K-1) * agreement - 1/(K-1)`` of two workers is ``s_a * s_b`` with
    ``s = (K p - 1) / (K - 1)``. M-MSR fits the rank-one matrix ``s s^T`` to the observed
    entries by alternating trimmed means (which resist adversarial workers), takes the signs
    from the graph of positive and negative covariances, and votes with the weights
    ``log((K-1) p_j / (1 - p_j))``. The probabilities are those of the one-coin model with these
    skills and a uniform prior (a softmax of the weighted votes).

    M-MSR has no likelihood: ``loss_history_`` is absent. ``change_history_`` holds what
    crowd-kit calls its loss, the Frobenius norm of the change of ``u v^T`` after each sweep.
    When the alternating means diverge (possible on tiny or degenerate designs), the sweeps stop
    at the last factors whose product is below 1e8 and ``converged_`` is False.
    The trimming size is ``F = floor(d / 2) - 1`` where ``d`` is the smallest number of
    co-workers of any worker, as in crowd-kit, but never below zero unless
    ``negative_trim="largest"``.

    Parameters
    ----------
    n_iter : maximum number of sweeps (crowd-kit: 10,000).
    tol : stop when the change of ``u v^T`` is below this (crowd-kit: 1e-10).
    sign_pairs : ``"observed"`` (default, the paper) builds the sign graph from the pairs of
        workers that share a task; ``"all"`` reproduces crowd-kit 1.4.2, whose covariance matrix
        holds ``-1/(K-1)`` for pairs that share no task (and on its diagonal), so that every such
        pair counts as a negative edge: on sparse designs (rte) this marks many good workers as
        adversarial.
    vote : ``"weighted"`` (default) labels each task with the class of largest total skill;
        ``"normalised_sum"`` reproduces crowd-kit 1.4.2, which divides each task's totals (0 for
        classes nobody chose there) by their sum and takes the largest share: on a task whose
        total is negative the least-supported class wins. ``sign_pairs="all"`` with this vote
        gives crowd-kit's labels; ``probas_`` stay the one-coin posterior in both cases.
    negative_trim : ``"clamp"`` (default) trims nothing when ``F`` would be negative (some
        worker has at most 3 co-workers) and averages all the ratios; ``"largest"`` reproduces
        crowd-kit 1.4.2, whose negative ``F`` keeps only the largest ratio of each row.
        ``sign_pairs="all", vote="normalised_sum", negative_trim="largest"`` is crowd-kit
        1.4.2's M-MSR (within 0.01 of its accuracy on the truth-inference sets).
    random_state : seed or Generator of the uniform starting vector (crowd-kit draws one vector
        and uses it for both factors; so does this class). The draws go to the workers by what
        they answered (numbers of answers, co-workers, shared and agreeing tasks), not by name
        or row, and interchangeable workers start equal: renaming or shuffling the answers
        changes nothing, and an exact tie between two camps stays 0.5/0.5.

    Attributes
    ----------
    skills_ : Series, the voting weight ``log((K-1) p / (1 - p))`` of each worker.
    accuracies_ : Series, the estimated probability ``p`` that each worker is right.
    labels_, probas_ : the weighted vote and the one-coin posterior.
    n_iter_, converged_, change_history_ : sweeps run, whether ``tol`` was reached, changes.

    References
    ----------
    Q. Ma and A. Olshevsky, "Adversarial crowdsourcing through robust rank-one matrix
    completion", NeurIPS 2020. https://arxiv.org/abs/2010.12181

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1, 2, 2, 2],
    ...                         "worker": [0, 1, 2] * 3, "label": [0, 0, 1, 1, 1, 1, 0, 0, 0]})
    >>> MMSR().fit_predict(answers).tolist()
    [0, 1, 0]
    """

    def __init__(self, n_iter: int = 10_000, tol: float = 1e-10, sign_pairs: str = "observed",
                 vote: str = "weighted", negative_trim: str = "clamp", random_state=0):
        self.n_iter = n_iter
        self.tol = tol
        self.sign_pairs = sign_pairs
        self.vote = vote
        self.negative_trim = negative_trim
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_random_state(self.random_state)
        check_choice("sign_pairs", self.sign_pairs, ("observed", "all"))
        check_choice("vote", self.vote, ("weighted", "normalised_sum"))
        check_choice("negative_trim", self.negative_trim, ("clamp", "largest"))

    def _fit(self, data: CrowdAnswers):
        n_labels = max(int((np.bincount(data.label, minlength=data.n_classes) > 0).sum()), 2)
        answered_tasks = max(int((data.answers_per_task > 0).sum()), 1)
        agree, common = agreement_counts(data)
        cov, observed = agreement_covariance(agree, common, n_labels)
        n = data.n_workers
        co_workers = observed.sum(axis=0)
        trim = int(np.floor(co_workers.min() / 2)) - 1 if n else 0
        if self.negative_trim == "clamp":
            trim = max(trim, 0)
        floor = 1.0 / np.sqrt(answered_tasks)
        target = np.abs(cov)
        target_t, observed_t = np.ascontiguousarray(target.T), np.ascontiguousarray(observed.T)
        # one uniform draw per kind of worker (answers, co-workers, shared and agreeing tasks),
        # so that names and row order do not matter and interchangeable workers start equal
        keys = np.column_stack([data.answers_per_worker, observed.sum(axis=1), common.sum(axis=1),
                                agree.sum(axis=1)]).astype(np.int64)
        rng = np.random.default_rng(self.random_state)
        start = draws_by_key(keys, lambda count: rng.uniform(size=count))
        u, v = start.copy(), start.copy()
        history: list[float] = []
        converged = False
        for _ in range(self.n_iter):
            u_old, v_old = u, v
            v = _trimmed_update(target_t / u[None, :], observed_t, v, trim, floor)  # column j of X
            u = _trimmed_update(target / v[None, :], observed, u, trim, floor)      # row i of X
            # u v^T is all that matters: keep the two factors the same size, so neither drifts
            # to 0 or infinity over many sweeps (it changes no product, hence no update)
            balance = np.sqrt(np.linalg.norm(v) / np.linalg.norm(u)) if n else 1.0
            u, v = u * balance, v / balance
            if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))) or np.abs(u).max() * np.abs(v).max() > 1e8:
                # diverging (entries of s s^T are at most 1): keep the last sane factors
                u, v = u_old, v_old
                break
            change = float(np.linalg.norm(np.outer(u, v) - np.outer(u_old, v_old)))
            history.append(change)
            if change < self.tol:
                converged = True
                break
        scale = np.sqrt(np.linalg.norm(u) / np.linalg.norm(v)) if n and np.linalg.norm(v) > 0 else 1.0
        if self.sign_pairs == "observed":
            signs = _sign_vector(cov, observed, data.answers_per_worker.astype(float))
        else:  # crowd-kit 1.4.2: a pair without a common task (and the diagonal) counts as negative
            filled = np.where(observed, cov, -1.0 / (n_labels - 1))
            signs = _sign_vector(filled, np.ones_like(observed), data.answers_per_worker.astype(float),
                                 self_loops=True)
        s = np.abs(u / scale) * signs
        s = np.minimum(s, 1.0 - floor)
        s = np.maximum(s, -1.0 / (n_labels - 1) + floor)
        accuracy = s * (n_labels - 1) / n_labels + 1.0 / n_labels
        skills = np.log(accuracy * (n_labels - 1) / (1.0 - accuracy))
        k = data.n_classes
        scores = np.bincount(
            data.task * k + data.label, weights=skills[data.worker], minlength=data.n_tasks * k
        ).reshape(data.n_tasks, k)
        used = np.bincount(data.label, minlength=k) > 0
        # classes nobody chose get no mass, as in a weighted vote
        joint = np.where(used[None, :], scores, -np.inf) if used.sum() >= 2 else scores.copy()
        codes = joint.argmax(axis=1)
        if self.vote == "normalised_sum":  # crowd-kit 1.4.2: shares of the total, sign included
            voted = np.bincount(data.task * k + data.label, minlength=data.n_tasks * k).reshape(-1, k) > 0
            totals = np.where(voted, scores, 0.0)
            share = totals / totals.sum(axis=1, keepdims=True)
            codes = np.where(np.isfinite(share), share, -np.inf).argmax(axis=1)
        proba, _ = normalize_log(joint)
        self.skills_ = data.worker_series(skills, name="skill")
        self.accuracies_ = data.worker_series(accuracy, name="accuracy")
        self.change_history_ = history
        self.n_iter_ = len(history)
        self.converged_ = converged
        return proba, codes
