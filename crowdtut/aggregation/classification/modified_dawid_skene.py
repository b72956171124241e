"""SageMaker Ground Truth's consolidation for classification: a modified Dawid-Skene (MDS).

Three things set it apart from textbook Dawid-Skene (:class:`~crowdtut.aggregation.DawidSkene`):

- every confusion matrix starts from an assumed worker accuracy (0.7 on the diagonal, the rest
  spread evenly), and the first E-step uses a uniform class prior;
- the M-step adds Dirichlet pseudo-counts toward two one-coin matrices: one at the worker's own
  estimated accuracy, weighted by the worker's answer count, and one at the crowd's average
  accuracy, at half that weight. A worker with five answers cannot fill a 10 x 10 matrix; the
  pseudo-counts keep the matrix close to "right with probability a, wrong evenly";
- the parameters can be kept from one labeling batch to the next (:meth:`partial_fit`).

The book's chapter *SageMaker consolidation* has the equations and the comparison with the
labels SageMaker itself produced.
"""

from __future__ import annotations

from typing import Hashable, Iterable, Literal

import numpy as np
import pandas as pd

from ...answers import CrowdAnswers, DuplicatePolicy, encode_answers
from .._base import ClassificationAggregator, first_of_max
from ..._checks import check_choice, check_non_negative, check_positive_int
from .._em import converged, normalize_log, normalize_rows, safe_log
from .dawid_skene import log_joint

__all__ = ["ModifiedDawidSkene", "one_coin_matrices"]

StopRule = Literal["relative", "notebook"]


def one_coin_matrices(accuracy, n_classes: int) -> np.ndarray:
    """Confusion matrices that are right with probability ``accuracy`` and wrong evenly.

    ``accuracy`` is a number or an array of shape (n,); the result has shape (K, K) or (n, K, K):
    ``accuracy`` on the diagonal and ``(1 - accuracy) / (K - 1)`` elsewhere.
    """
    acc = np.asarray(accuracy, dtype=np.float64)
    off = (1.0 - acc) / (n_classes - 1)
    eye = np.eye(n_classes)
    return off[..., None, None] * (1.0 - eye) + acc[..., None, None] * eye


def expected_confusion_counts(data: CrowdAnswers, post: np.ndarray) -> np.ndarray:
    """Expected counts ``[worker, true, answered]`` of each worker's answers under ``post``.

    Entry ``[j, k, l]`` is the sum of ``post[i, k]`` over the tasks ``i`` on which worker ``j``
    answered ``l``: one sparse product over the answers.
    """
    k = data.n_classes
    counts = data.sum_per_worker_label(post)  # (W * K_answered, K_true)
    return counts.reshape(data.n_workers, k, k).transpose(0, 2, 1)


class ModifiedDawidSkene(ClassificationAggregator):
    """SageMaker Ground Truth's modified Dawid-Skene, with batch-by-batch updates.

    Each EM epoch is an E-step followed by an M-step, in SageMaker's order:

    - E-step: posterior of every task under the current confusion matrices and class prior; the
      class prior is the mean of the previous posteriors (uniform before the first E-step);
    - M-step: expected confusion counts ``C_j`` of each worker, their accuracy
      ``a_j = trace(C_j) / n_j`` (``n_j``: the worker's answer count), and new confusion rows
      proportional to ``C_j + worker_prior_weight * n_j * M(a_j) + crowd_prior_weight * n_j *
      M(a)``, where ``M(a)`` is the one-coin matrix of accuracy ``a`` and ``a`` the crowd
      accuracy: the mean of the ``a_j`` from the previous M-step (``initial_accuracy`` at the
      first).

    ``probas_`` is the posterior of the last E-step, as SageMaker reports it.

    Parameters
    ----------
    n_iter : maximum number of epochs (SageMaker's ``max_epochs``). ``0`` runs one E-step with
        the initial parameters: a vote in which every worker has ``initial_accuracy``.
    tol : stop when the log-likelihood changes by less than ``tol`` relative to its value.
    initial_accuracy : the assumed accuracy of a typical worker. Confusion matrices of workers
        not seen before start at it, and it is the crowd accuracy of the first M-step.
    worker_prior_weight : weight of the pseudo-counts toward the worker's own accuracy, as a
        multiple of the worker's answer count.
    crowd_prior_weight : weight of the pseudo-counts toward the crowd's accuracy, as a multiple
        of the worker's answer count (SageMaker: half).
    stop_rule : ``"relative"`` stops when ``|l - l_prev| <= tol * |l_prev|``. ``"notebook"``
        reproduces the test of AWS's demonstration notebook, ``(l - l_prev) / l_prev < tol``:
        the log-likelihood ``l`` is negative, so the test passes whenever the likelihood went
        up, and EM stops after its second epoch.
    max_confidence : the confidences are the posterior of the chosen label rounded to two
        decimals and capped at this value (SageMaker's manifests show 0.95 at most).

    Attributes
    ----------
    probas_, labels_ : posterior class probabilities and their argmax, for every task consolidated
        so far (with :meth:`partial_fit`, each task as of the batch that consolidated it).
    confidences_ : Series, the confidence SageMaker writes for each label.
    confusion_ : ndarray (n_workers, K, K), ``[worker, true, answered]``, rows sum to one.
    errors_ : DataFrame, the same matrices indexed by (worker, answered label), one column per
        true label (crowd-kit's layout).
    confusion_counts_ : ndarray (n_workers, K, K), expected counts accumulated over the batches.
    skills_ : Series, each worker's estimated accuracy ``a_j``.
    crowd_accuracy_ : float, the mean of ``skills_`` (the crowd prior of the next batch).
    priors_ : Series, the class prior; ``class_counts_`` the posterior mass behind it.
    workers_ : Index of every worker seen so far (the rows of ``confusion_``).
    loss_history_ : negative log-likelihood per answer at each E-step of the last batch.
    n_iter_, converged_ : iterations of the last batch, and whether its stopping rule was met.
    n_iter_ : epochs run on the last batch; ``n_batches_`` batches seen.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"task": [0, 0, 0, 1, 1, 1], "worker": ["a", "b", "c"] * 2,
    ...                         "label": ["cat", "cat", "dog", "dog", "dog", "cat"]})
    >>> ModifiedDawidSkene().fit(answers).labels_.tolist()
    ['cat', 'dog']

    References
    ----------
    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer error-rates using the
    EM algorithm", JRSS C 28(1), 1979. https://doi.org/10.2307/2346806 ; Amazon SageMaker Ground
    Truth, "Annotation consolidation" (developer guide) and the example notebook "Understanding
    Annotation Consolidation" (aws/amazon-sagemaker-examples).
    """

    def __init__(
        self,
        n_iter: int = 20,
        tol: float = 1e-8,
        initial_accuracy: float = 0.7,
        worker_prior_weight: float = 1.0,
        crowd_prior_weight: float = 0.5,
        stop_rule: StopRule = "relative",
        max_confidence: float = 0.95,
    ):
        self.n_iter = n_iter
        self.tol = tol
        self.initial_accuracy = initial_accuracy
        self.worker_prior_weight = worker_prior_weight
        self.crowd_prior_weight = crowd_prior_weight
        self.stop_rule = stop_rule
        self.max_confidence = max_confidence

    def _validate_params(self) -> None:
        check_positive_int("n_iter", self.n_iter, allow_zero=True)
        check_non_negative("tol", self.tol)
        check_non_negative("worker_prior_weight", self.worker_prior_weight)
        check_non_negative("crowd_prior_weight", self.crowd_prior_weight)
        if not isinstance(self.initial_accuracy, (int, float, np.number)) or not (
            0.0 < self.initial_accuracy < 1.0
        ):
            raise ValueError(
                f"initial_accuracy={self.initial_accuracy!r}; expected a number in (0, 1)"
            )
        check_choice("stop_rule", self.stop_rule, ("relative", "notebook"))
        if not isinstance(self.max_confidence, (int, float, np.number)) or not (
            0.0 < self.max_confidence <= 1.0
        ):
            raise ValueError(f"max_confidence={self.max_confidence!r}; expected a number in (0, 1]")

    # --- public API ----------------------------------------------------------------------------
    def fit(
        self,
        answers: pd.DataFrame | CrowdAnswers,
        *,
        classes: Iterable[Hashable] | None = None,
        duplicates: DuplicatePolicy = "raise",
    ) -> "ModifiedDawidSkene":
        """Forget any earlier batch and consolidate ``answers`` (columns task, worker, label)."""
        self._reset()
        return self.partial_fit(answers, classes=classes, duplicates=duplicates)

    def partial_fit(
        self,
        batch: pd.DataFrame | CrowdAnswers,
        *,
        classes: Iterable[Hashable] | None = None,
        duplicates: DuplicatePolicy = "raise",
    ) -> "ModifiedDawidSkene":
        """Consolidate one more batch of answers, keeping what was learned from earlier batches.

        The EM epochs run on the batch's tasks only. What carries over from earlier batches:

        - each known worker's confusion matrix (the start of the batch's first E-step) and
          expected counts ``C_j``, to which the batch's counts are added in every M-step (so
          ``n_j`` counts all the worker's answers so far); new workers start at the one-coin
          matrix of the crowd accuracy, with no counts;
        - the crowd accuracy, the mean over every worker seen so far of their accuracy;
        - the class counts: the prior is ``(earlier class counts + sum of the batch's
          posteriors) / (earlier tasks + batch tasks)``, the batch's posteriors being uniform
          before its first E-step.

        One call on all the answers is the same as :meth:`fit`. Labels of earlier batches are not
        revised; a task that comes back in a later batch is consolidated again from that
        batch's answers only (its earlier answers stay in the workers' counts). A batch may be
        a subset of one encoding (``data.subset(mask)``): its workers and tasks without answers
        are left out, except that a task no batch has consolidated gets the class prior (and
        does not count in it).

        Parameters
        ----------
        batch : long answers DataFrame or CrowdAnswers.
        classes : the full list of classes. Needed on the first call when the first batch does
            not contain every class; later batches must use the same classes.
        duplicates : see :func:`crowdtut.answers.encode_answers`.
        """
        self._validate_params()
        if "classes_" in vars(self):
            if classes is not None and list(classes) != self.classes_.tolist():
                raise ValueError(
                    f"classes {list(classes)} differ from the classes of the earlier batches "
                    f"{self.classes_.tolist()}; call fit() to start again"
                )
            classes = self.classes_
        same_classes = classes is not None and isinstance(batch, CrowdAnswers)
        if same_classes and batch.classes.equals(pd.Index(classes)):
            data = batch  # already encoded with these classes (a subset of one encoding, say)
        else:
            data = encode_answers(batch, classes=classes, duplicates=duplicates)
        if data.n_answers == 0:
            raise ValueError("the batch has no answers: there is nothing to consolidate")
        if "classes_" not in vars(self):
            self._start(data.classes)
        self._consolidate(data)
        return self

    # --- internals -----------------------------------------------------------------------------
    def _reset(self) -> None:
        for name in [n for n in vars(self) if n.endswith("_")]:
            delattr(self, name)

    def _start(self, classes: pd.Index) -> None:
        k = len(classes)
        self.classes_ = classes
        self.workers_ = pd.Index([], name="worker", dtype=object)
        self.confusion_ = np.zeros((0, k, k))
        self.confusion_counts_ = np.zeros((0, k, k))
        self.crowd_accuracy_ = float(self.initial_accuracy)
        self.class_counts_ = np.zeros(k)
        self.n_batches_ = 0

    def _consolidate(self, data: CrowdAnswers) -> None:
        k = data.n_classes
        data, unanswered = self._batch_only(data)
        # Align the batch's workers with the workers seen before; new ones go at the end.
        known = self.workers_
        pos = known.get_indexer(data.workers)
        new = pos < 0
        pos[new] = len(known) + np.arange(new.sum())
        n_all = len(known) + int(new.sum())
        n_new = int(new.sum())
        start = np.broadcast_to(one_coin_matrices(self.crowd_accuracy_, k), (n_new, k, k))
        confusion = np.concatenate([self.confusion_, start])
        stored = np.concatenate([self.confusion_counts_, np.zeros((n_new, k, k))])
        skills = np.concatenate([self._skills_array(), np.zeros(n_new)])
        in_batch = np.zeros(n_all, dtype=bool)
        in_batch[pos] = True
        other_skill_sum = skills[~in_batch].sum()

        batch_stored = stored[pos]
        conf = confusion[pos]
        crowd = self.crowd_accuracy_
        post = np.full((data.n_tasks, k), 1.0 / k)
        n_before = float(self.class_counts_.sum())
        history: list[float] = []
        previous = -np.inf
        acc = None
        stop = False
        for _ in range(self.n_iter):
            prior = (self.class_counts_ + post.sum(axis=0)) / (n_before + data.n_tasks)
            post, loglik = normalize_log(log_joint(data, safe_log(conf), safe_log(prior)))
            counts = batch_stored + expected_confusion_counts(data, post)
            conf, acc = self._m_step(counts, crowd)
            history.append(-loglik / max(data.n_answers, 1))
            stop = self._converged(loglik, previous)
            previous = loglik
            crowd = (acc.sum() + other_skill_sum) / n_all
            if stop:
                break
        if self.n_iter == 0:
            prior = (self.class_counts_ + post.sum(axis=0)) / (n_before + data.n_tasks)
            post, _ = normalize_log(log_joint(data, safe_log(conf), safe_log(prior)))
        counts = batch_stored + expected_confusion_counts(data, post)
        if acc is None:  # no M-step ran: matrices stay, accuracies come from the counts
            acc = np.trace(counts, axis1=1, axis2=2) / np.maximum(counts.sum(axis=(1, 2)), 1e-300)
            crowd = (acc.sum() + other_skill_sum) / n_all

        confusion[pos] = conf
        stored[pos] = counts
        skills[pos] = acc
        self.workers_ = known.append(data.workers[new]) if new.any() else known
        self.workers_.name = "worker"
        self.confusion_ = confusion
        self.confusion_counts_ = stored
        self.skills_ = pd.Series(skills, index=self.workers_, name="skill")
        self.crowd_accuracy_ = float(crowd)
        self.class_counts_ = self.class_counts_ + post.sum(axis=0)
        self.priors_ = pd.Series(
            self.class_counts_ / self.class_counts_.sum(), index=self.classes_, name="prior"
        )
        self.errors_ = self._errors_frame()
        self.loss_history_ = history
        self.n_iter_ = len(history)
        self.converged_ = bool(stop)
        self.n_batches_ += 1
        # tasks without answers, not seen before, get the class prior (and do not count in it)
        post = np.vstack([post, np.broadcast_to(self.priors_.to_numpy(), (len(unanswered), k))])
        self._store_posteriors(data.tasks.append(unanswered), post)

    def _batch_only(self, data: CrowdAnswers) -> tuple[CrowdAnswers, pd.Index]:
        """The batch without the workers and tasks that have no answer in it, and the tasks
        without answers that no earlier batch consolidated."""
        workers = data.answers_per_worker > 0
        tasks = data.answers_per_task > 0
        previous = vars(self).get("probas_")
        seen = np.zeros(len(tasks), bool) if previous is None else data.tasks.isin(previous.index)
        unanswered = data.tasks[~tasks & ~seen]
        if workers.all() and tasks.all():
            return data, unanswered
        worker_code, task_code = np.cumsum(workers) - 1, np.cumsum(tasks) - 1
        batch = CrowdAnswers(
            task_code[data.task], worker_code[data.worker], data.label,
            data.tasks[tasks], data.workers[workers], data.classes,
        )
        return batch, unanswered

    def _m_step(self, counts: np.ndarray, crowd: float) -> tuple[np.ndarray, np.ndarray]:
        """Smoothed confusion matrices and worker accuracies from expected counts.

        ``n_j M(a_j)`` and ``n_j M(crowd)`` add the same pseudo-count off the diagonal of a row
        and another on it, so the sum is built without forming the one-coin matrices.
        """
        k = counts.shape[-1]
        n = counts.sum(axis=(1, 2))
        acc = np.trace(counts, axis1=1, axis2=2) / np.maximum(n, 1e-300)
        own, group = self.worker_prior_weight * n, self.crowd_prior_weight * n
        off = (own * (1.0 - acc) + group * (1.0 - crowd)) / (k - 1)
        on = own * acc + group * crowd
        smoothed = counts + off[:, None, None]
        diagonal = np.arange(k)
        smoothed[:, diagonal, diagonal] += (on - off)[:, None]
        if own.min() > 0 or group.min() > 0:  # every row has pseudo-counts: no empty row
            return smoothed / smoothed.sum(axis=2, keepdims=True), acc
        return normalize_rows(smoothed), acc

    def _converged(self, loglik: float, previous: float) -> bool:
        if self.stop_rule == "relative":
            return converged(loglik, previous, self.tol)
        # AWS notebook: relative_diff = (ll - prev) / prev; stop if relative_diff < tol
        if not np.isfinite(previous) or previous == 0:
            return False
        return (loglik - previous) / previous < self.tol

    def _skills_array(self) -> np.ndarray:
        skills = vars(self).get("skills_")
        return np.zeros(0) if skills is None else skills.to_numpy()

    def _errors_frame(self) -> pd.DataFrame:
        k = len(self.classes_)
        index = pd.MultiIndex.from_product(
            [self.workers_, self.classes_], names=["worker", "label"]
        )
        values = self.confusion_.transpose(0, 2, 1).reshape(len(self.workers_) * k, k)
        return pd.DataFrame(values, index=index, columns=self.classes_)

    def _store_posteriors(self, tasks: pd.Index, post: np.ndarray) -> None:
        before = {n: vars(self).get(n) for n in ("probas_", "labels_", "confidences_")}
        self.probas_ = pd.DataFrame(post, index=tasks, columns=self.classes_)
        self.probas_.columns.name = "label"
        labels = self.classes_.take(first_of_max(post))
        self.labels_ = pd.Series(labels, index=tasks, name="agg_label")
        confidence = np.minimum(np.round(post.max(axis=1), 2), self.max_confidence)
        self.confidences_ = pd.Series(confidence, index=tasks, name="confidence")
        if before["probas_"] is not None:  # earlier batches: keep their tasks, replace repeats
            keep = ~before["probas_"].index.isin(tasks)
            for name, old in before.items():
                setattr(self, name, pd.concat([old[keep], getattr(self, name)]))
