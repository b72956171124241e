"""The crowd-answer data model: validation at the boundary and integer codes for the algorithms.

The public input is a long DataFrame with one row per answer and the columns ``task``, ``worker``
and ``label`` (crowd-kit's layout). :func:`encode_answers` checks it once and turns it into a
:class:`CrowdAnswers`: three integer arrays of equal length plus the three :class:`pandas.Index`
objects that map the codes back to the user's names. Every aggregator accepts either form.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Hashable, Iterable, Literal

import numpy as np
import pandas as pd

from ._encode import (
    TaskRows, check_duplicates, check_frame, factorize, pair_names, repeated_rows, size_of,
)

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["CrowdAnswers", "encode_answers", "DuplicatePolicy"]

DuplicatePolicy = Literal["raise", "keep", "first"]
_SPARSE_FROM = 20_000  # answers from which a sparse product beats one bincount per column
_COLUMNS = ("task", "worker", "label")


@dataclass(frozen=True, eq=False)
class CrowdAnswers(TaskRows):
    """Crowd answers as integer codes.

    Attributes
    ----------
    task, worker, label : ndarray of int64, shape (n_answers,)
        Codes into ``tasks``, ``workers`` and ``classes``.
    tasks, workers, classes : pandas.Index
        The user's names for each code. ``tasks`` may hold tasks that have no answer (for example
        a peerannot folder that lists them); ``classes`` may hold classes nobody chose.
    """

    task: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    tasks: pd.Index
    workers: pd.Index
    classes: pd.Index

    n_classes = size_of("classes")

    @cached_property
    def vote_counts(self) -> np.ndarray:
        """Number of votes for each (task, class), shape (n_tasks, n_classes), float64."""
        flat = np.bincount(
            self.task * self.n_classes + self.label, minlength=self.n_tasks * self.n_classes
        )
        return flat.reshape(self.n_tasks, self.n_classes).astype(np.float64)

    @cached_property
    def task_worker_label(self) -> sp.csr_matrix:
        """Sparse count matrix of shape (n_tasks, n_workers * n_classes).

        Entry ``[i, j * K + l]`` is 1 when worker ``j`` answered ``l`` on task ``i``. The E-step of
        confusion-matrix models is one product with it and the M-step one product with its transpose.
        """
        import scipy.sparse as sp  # here, so that voting alone never loads scipy

        cols = self.worker * self.n_classes + self.label
        data = np.ones(self.n_answers, dtype=np.float64)
        shape = (self.n_tasks, self.n_workers * self.n_classes)
        return sp.csr_matrix((data, (self.task, cols)), shape=shape)

    @cached_property
    def worker_label_task(self) -> sp.csr_matrix:
        """Transpose of :attr:`task_worker_label`, stored row-major for fast M-steps."""
        return self.task_worker_label.T.tocsr()

    def sum_over_answers(self, by_worker_label: np.ndarray) -> np.ndarray:
        """Per task, the sum over its answers of ``by_worker_label[worker * K + label]``.

        ``by_worker_label`` has shape (n_workers * n_classes, m); the result (n_tasks, m). This is
        the E-step of confusion-matrix models (:attr:`task_worker_label` times the matrix). Small
        answer sets use ``np.bincount`` and never load scipy; large ones one sparse product.
        """
        if self.n_answers >= _SPARSE_FROM:
            return self.task_worker_label @ by_worker_label
        rows = by_worker_label[self.worker * self.n_classes + self.label]
        return np.stack(
            [np.bincount(self.task, weights=col, minlength=self.n_tasks) for col in rows.T], axis=1
        )

    def sum_per_worker_label(self, by_task: np.ndarray) -> np.ndarray:
        """Per (worker, answered label) pair, the sum of ``by_task[task]`` over its answers.

        ``by_task`` has shape (n_tasks, m); the result (n_workers * n_classes, m): the M-step of
        confusion-matrix models (the transpose of :meth:`sum_over_answers`).
        """
        if self.n_answers >= _SPARSE_FROM:
            return self.worker_label_task @ by_task
        rows = by_task[self.task]
        keys = self.worker * self.n_classes + self.label
        size = self.n_workers * self.n_classes
        return np.stack([np.bincount(keys, weights=col, minlength=size) for col in rows.T], axis=1)

    @cached_property
    def labels_used(self) -> np.ndarray:
        """Whether each worker gave each label at least once, shape (n_workers, n_classes)."""
        flat = np.bincount(self.worker * self.n_classes + self.label,
                           minlength=self.n_workers * self.n_classes)
        return (flat > 0).reshape(self.n_workers, self.n_classes)

    @cached_property
    def answers_per_worker(self) -> np.ndarray:
        return np.bincount(self.worker, minlength=self.n_workers)

    def to_frame(self) -> pd.DataFrame:
        """The answers back as a long DataFrame with the user's names."""
        return pd.DataFrame(
            {
                "task": self.tasks.take(self.task),
                "worker": self.workers.take(self.worker),
                "label": self.classes.take(self.label),
            }
        )

    def task_class_frame(self, values: np.ndarray) -> pd.DataFrame:
        """A DataFrame of shape (n_tasks, n_classes) indexed by task names, one column per class."""
        return pd.DataFrame(values, index=self.tasks, columns=self.classes)

    def subset(self, mask: np.ndarray) -> "CrowdAnswers":
        """The answers selected by a boolean mask, with the same task, worker and class indexes."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.task.shape:
            raise ValueError(f"mask has shape {mask.shape}, expected ({self.n_answers},)")
        return CrowdAnswers(
            self.task[mask], self.worker[mask], self.label[mask], self.tasks, self.workers, self.classes
        )


def encode_answers(
    answers: pd.DataFrame | CrowdAnswers,
    *,
    classes: Iterable[Hashable] | None = None,
    tasks: Iterable[Hashable] | None = None,
    duplicates: DuplicatePolicy = "raise",
    min_classes: int = 2,
) -> CrowdAnswers:
    """Check a long answers DataFrame and convert it into integer codes.

    Parameters
    ----------
    answers : DataFrame with columns ``task``, ``worker``, ``label`` (or a CrowdAnswers, returned
        as it is when no other argument asks for a change).
    classes : the full list of classes, in order. By default the categories of a pandas
        Categorical label column (used or not, in their order), else the sorted distinct labels
        (or their order of first appearance when they cannot be sorted). Ties are broken toward
        the class that comes first in this order.
    tasks : the full list of tasks, which may include tasks without answers.
    duplicates : what to do with a worker answering the same task more than once: ``"raise"``
        (default) raises a ValueError naming the pairs, ``"keep"`` counts every answer, ``"first"``
        keeps the first answer of each pair in row order and drops the others.
    min_classes : the fewest classes accepted: 2 for aggregation (one class leaves nothing to
        infer), 1 for agreement metrics, where a unanimous crowd is a valid input.

    Raises
    ------
    ValueError
        Missing columns, an empty frame, missing values, labels outside ``classes``, fewer than
        ``min_classes`` classes, repeated (task, worker) pairs under ``duplicates="raise"``,
        ``inf`` as a task, worker or label (the row is named), or one column mixing values
        that read the same, such as ``1`` and ``"1"`` (named).
    """
    check_duplicates(duplicates)
    if isinstance(answers, CrowdAnswers):
        if classes is None and tasks is None:
            return answers
        answers = answers.to_frame()
    check_frame(answers, _COLUMNS)
    task, task_index = factorize(answers["task"], "task", tasks)
    worker, worker_index = factorize(answers["worker"], "worker")
    labels = answers["label"]
    if classes is None and isinstance(labels.dtype, pd.CategoricalDtype):
        classes = labels.cat.categories  # unused categories stay classes
    label, class_index = factorize(labels, "label", classes)
    if len(class_index) < min_classes:
        raise ValueError(
            f"answers hold a single class {class_index.tolist()}; pass classes=[...] with the "
            f"full list of classes (at least {min_classes})"
        )

    if duplicates != "keep":
        repeated = repeated_rows(task, worker, sizes=(len(task_index), len(worker_index)))
        if repeated.any():
            if duplicates == "raise":
                pairs = pair_names(np.flatnonzero(repeated), task, worker, task_index, worker_index)
                raise ValueError(
                    f"{int(repeated.sum())} repeated (task, worker) answer(s), e.g. {pairs}; "
                    "pass duplicates='keep' to count every answer or duplicates='first' to keep "
                    "only the first answer of each pair"
                )
            keep = ~repeated
            task, worker, label = task[keep], worker[keep], label[keep]
            # a worker may have lost every answer only if all were repeats, which cannot happen

    return CrowdAnswers(task, worker, label, task_index, worker_index, class_index)
