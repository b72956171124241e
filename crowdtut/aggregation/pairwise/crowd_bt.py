"""CrowdBT: Bradley-Terry with a per-worker probability of answering as the model says."""

from __future__ import annotations

import numpy as np

from ..._checks import check_non_negative, check_positive, check_positive_int
from ._base import PairwiseAggregator
from ._core import (
    MAX_STEP, gradient, newton_step, bt_loss, bt_newton, log_sigmoid, sigmoid_parts,
)

__all__ = ["CrowdBT"]


class CrowdBT(PairwiseAggregator):
    """CrowdBT (Chen et al., WSDM 2013): each worker agrees with Bradley-Terry with probability
    ``eta_w`` and reports the other item otherwise; fitted by (generalised) EM.

    ``P(w says i > j) = eta_w sigmoid(s_i - s_j) + (1 - eta_w) sigmoid(s_j - s_i)``: a random
    clicker has ``eta`` near 1/2, an adversarial worker below 1/2. The E-step gives, for each
    comparison, the probability that its worker answered honestly; the M-step refits the scores
    by Bradley-Terry on these soft outcomes (one warm-started Newton step with the anchor prior
    ``alpha``: a generalised EM) and sets
    each ``eta_w`` to its posterior mean under a Beta(``eta_prior``) prior. Ties are refused.

    Parameters
    ----------
    n_iter : int, default 100
        Maximum number of EM iterations.
    tol : float, default 1e-7
        Stop when the loss per comparison falls by less than ``tol``.
    alpha : float, default 0.1
        Anchor prior on the scores (as :class:`BradleyTerry`).
    eta_prior : tuple of two floats, default (1.0, 1.0)
        Pseudo-counts (honest, flipped) added to every worker's answers: they keep ``eta``
        inside (0, 1) for workers with few answers; large counts pull every ``eta`` towards
        ``honest / (honest + flipped)`` (with ``eta`` = 1 for all, CrowdBT is Bradley-Terry).

    Attributes
    ----------
    scores_ : Series, log-scores by item; ``skills_``: ``eta`` by worker.
    n_iter_, converged_, loss_history_ : EM iterations, whether ``tol`` was met, and the negative
        log-likelihood plus the priors' penalties per comparison after each iteration
        (non-increasing); the loss before the first iteration comes first.

    References
    ----------
    Chen, Bennett, Collins-Thompson & Horvitz (2013), "Pairwise ranking aggregation in a
    crowdsourced setting", WSDM, doi:10.1145/2433396.2433420.

    Examples
    --------
    >>> from crowdtut.simulate.comparisons import simulate_comparisons
    >>> crowd = simulate_comparisons(30, 10, 800, adversarial_fraction=0.2, seed=0)
    >>> model = CrowdBT().fit(crowd.answers)
    >>> bool((model.skills_[crowd.workers == "adversarial"] < 0.5).all())
    True
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-7, alpha: float = 0.1,
                 eta_prior: tuple[float, float] = (1.0, 1.0)):
        self.n_iter = n_iter
        self.tol = tol
        self.alpha = alpha
        self.eta_prior = eta_prior

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter)
        check_non_negative("tol", self.tol)
        check_positive("alpha", self.alpha)
        prior = self.eta_prior
        ok = isinstance(prior, (tuple, list)) and len(prior) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in prior)
        if not ok:
            raise ValueError(f"eta_prior={prior!r}; expected two non-negative numbers (honest, flipped)")

    def _loss(self, s, eta, data, sd=None) -> float:
        """The loss per comparison; ``sd``: ``sigmoid(s_winner - s_loser)`` when already known."""
        honest, flipped = self.eta_prior
        if sd is None:
            _, sd = sigmoid_parts(s[data.winner] - s[data.loser])
        e = eta[data.worker]
        data_term = -np.sum(np.log(e * sd + (1.0 - e) * (1.0 - sd)))
        prior = bt_loss(s, data.winner[:0], data.loser[:0], None, self.alpha)
        prior -= np.sum(honest * np.log(eta) + flipped * np.log1p(-eta))
        return float((data_term + prior) / data.n_comparisons)

    def _fit(self, data, graph) -> np.ndarray:
        honest, flipped = (float(v) for v in self.eta_prior)
        n, m = data.n_items, data.n_workers
        winner, loser, worker = data.winner, data.loser, data.worker
        ones = np.ones(len(winner))
        pattern = graph
        s = bt_newton(winner, loser, n, alpha=self.alpha, pattern=pattern)[0]
        counts = np.bincount(worker, minlength=m)
        eta = np.full(m, (honest + 0.5) / (honest + flipped + 1.0))
        eta = np.clip(eta, 1e-6, 1 - 1e-6)

        def terms(s):  # one pass over the comparisons per score vector: d, log sigmoid(d), sigmoid(d)
            d = s[winner] - s[loser]
            return (d, *sigmoid_parts(d))

        def m_step_loss(s, d, log_sd, r):  # the M-step's objective: BT on the soft outcomes r
            return float(-np.sum(log_sd - (1.0 - r) * d) - self.alpha * np.sum(2.0 * log_sigmoid(s) - s))

        d, log_sd, sd = terms(s)
        history = [self._loss(s, eta, data, sd)]
        converged = False
        n_iter = 0
        for n_iter in range(1, self.n_iter + 1):
            # E-step: probability that each answer was honest
            e = eta[worker]
            r = e * sd / (e * sd + (1.0 - e) * (1.0 - sd))
            # M-step: eta by worker (closed form), scores by one warm-started Newton step on the
            # soft outcomes, with a loose CG solve and step halving (a generalised EM step: the
            # M-step objective falls, so the likelihood cannot rise)
            eta = (np.bincount(worker, r, m) + honest) / (counts + honest + flipped)
            eta = np.clip(eta, 1e-6, 1 - 1e-6)
            q = m_step_loss(s, d, log_sd, r)
            grad = gradient(s, winner, loser, ones, self.alpha, r, sd)
            step = newton_step(s, winner, loser, ones, self.alpha, grad, pattern, sd, rtol=1e-3)
            largest = float(np.max(np.abs(step)))
            t = 1.0 if largest <= MAX_STEP else MAX_STEP / largest
            while t >= 1e-8:
                candidate = s - t * step
                new_terms = terms(candidate)
                if m_step_loss(candidate, new_terms[0], new_terms[1], r) <= q:
                    s, (d, log_sd, sd) = candidate, new_terms
                    break
                t /= 2.0
            history.append(self._loss(s, eta, data, sd))
            if history[-2] - history[-1] < self.tol:
                converged = True
                break
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.loss_history_ = history
        self.skills_ = data.worker_series(eta, name="skill")
        return s
