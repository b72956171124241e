"""The object every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable

import pandas as pd

from ..answers import (
    CrowdAnswers,
    DuplicatePolicy,
    PartitionAnswers,
    encode_answers,
    encode_partitions,
)
from ._registry import DatasetInfo

__all__ = ["CrowdDataset", "dataset_from_info"]


@dataclass(eq=False, repr=False)
class CrowdDataset:
    """A real crowdsourcing dataset: the answers, the truth where known, and where it comes from.

    Attributes
    ----------
    name : str
        Canonical name in the registry.
    answers : pandas.DataFrame
        One row per answer, the raw rows as published (repeated (task, worker) pairs included;
        see ``info.n_repeated``). The columns depend on ``info.kind``: ``task, worker, label``
        (classification, crowd-kit's layout; ``segmentation`` for masks), ``worker, left,
        right, label`` (pairwise), ``task, worker, text`` (texts) or ``hit, worker, item,
        group`` (clustering). Raises ValueError for datasets without per-worker answers
        (CIFAR-10H).
    truth : pandas.Series or None
        True label per task (pairwise and clustering: per item), named ``"truth"``. May cover
        only some tasks.
    classes : list or None
        The label values in order (for most datasets the integer codes ``0..K-1``); pass them to
        aggregators so that a class nobody chose still gets a column.
    description, licence, citation, url : str
        What the data is and what to know before use; terms of use; what to cite; where it is
        published.
    extras : dict
        Dataset-specific arrays (features, images, vote counts, class names, ...). Images are
        under ``"images"``, ``"images_<split>"`` or ``"image_paths"``; ``"missing"``, when
        present, says what could not be loaded here and why (a derived file outside a mirror).
    info : DatasetInfo
        The registry entry (files, checksums, static sizes).
    """

    name: str
    truth: pd.Series | None
    classes: list[Hashable] | None
    description: str
    licence: str
    citation: str
    url: str
    info: DatasetInfo
    extras: dict[str, Any] = field(default_factory=dict)
    _answers: pd.DataFrame | None = None
    _no_answers_reason: str = ""

    @property
    def answers(self) -> pd.DataFrame:
        if self._answers is None:
            raise ValueError(self._no_answers_reason or f"{self.name} has no per-worker answers")
        return self._answers

    @property
    def has_answers(self) -> bool:
        """Whether per-worker answers exist (False for vote counts only)."""
        return self._answers is not None

    @property
    def has_images(self) -> bool:
        """Whether images were loaded (``load_dataset(..., images=True or "if-available")``)."""
        return any(k in ("images", "image_paths") or k.startswith("images_") for k in self.extras)

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    @property
    def n_answers(self) -> int | None:
        """Answer rows (for vote counts: total votes)."""
        return len(self._answers) if self._answers is not None else self.info.n_answers

    @property
    def n_tasks(self) -> int | None:
        """Distinct tasks with at least one answer (pairwise, clustering: distinct items)."""
        if self._answers is None:
            return self.info.n_tasks
        answers = self._answers
        if "task" in answers.columns:
            return int(answers["task"].nunique())
        if "item" in answers.columns:
            return int(answers["item"].nunique())
        return int(pd.concat([answers["left"], answers["right"]]).nunique())

    @property
    def n_workers(self) -> int | None:
        """Distinct workers (None when unknown)."""
        if self._answers is None:
            return self.info.n_workers
        return int(self._answers["worker"].nunique())

    def encode(self, *, duplicates: DuplicatePolicy = "raise") -> CrowdAnswers | PartitionAnswers:
        """The answers as integer codes, with this dataset's full list of classes.

        Labels give :class:`~crowdtut.answers.CrowdAnswers`; clustering answers give
        :class:`~crowdtut.answers.PartitionAnswers` (``duplicates`` does not apply).
        Pairwise and text answers have no encoding here: ValueError.

        Parameters
        ----------
        duplicates : {"raise", "keep", "first"}
            What to do with repeated (task, worker) pairs; see
            :func:`crowdtut.answers.encode_answers`.
        """
        if self.info.kind == "clustering":
            return encode_partitions(self.answers)
        if self.info.kind in ("pairwise", "texts"):
            raise ValueError(
                f"{self.name} has {self.info.kind} answers, not labels: use .answers directly "
                "(encode works for labels and, for clustering, partitions)"
            )
        return encode_answers(self.answers, classes=self.classes, duplicates=duplicates)

    def __repr__(self) -> str:
        sizes = (
            f"{self.n_tasks} tasks, {self.n_workers} workers, {self.n_answers} answers"
            if self.has_answers
            else f"{self.n_tasks} tasks, vote counts only"
        )
        truth = 0 if self.truth is None else len(self.truth)
        extras = ", ".join(self.extras) or "none"
        return (
            f"CrowdDataset({self.name!r}: {sizes}, {self.n_classes} classes, truth for {truth} "
            f"tasks; extras: {extras})"
        )


def dataset_from_info(info: DatasetInfo, answers, truth, classes=None, extras=None, **kw) -> CrowdDataset:
    """A :class:`CrowdDataset` whose name, description, licence and citation come from ``info``."""
    description = f"{info.summary}\n\n{info.notes}" if info.notes else info.summary
    return CrowdDataset(
        name=info.name, truth=truth, classes=classes, description=description,
        licence=info.licence, citation=info.citation, url=info.url, info=info,
        extras=extras or {}, _answers=answers, **kw,
    )
