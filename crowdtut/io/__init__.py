"""Readers and writers for the file formats crowd answers come in.

Three layouts hold the same information, one answer per (task, worker) pair:

- the **long table** (crowdtut's and crowd-kit's public input): a DataFrame with the columns
  ``task``, ``worker``, ``label``, one row per answer;
- a **peerannot folder**: ``answers.json`` mapping each task to the answers it received,
  ``{task: {worker: label}}`` with string keys, beside ``metadata.json`` (``name``,
  ``n_classes``, ``n_workers``, ``n_tasks``) and optionally ``ground_truth.npy`` (one true label
  per task, indexed by task id). peerannot indexes arrays by these ids, so tasks are
  ``0..n_tasks-1``, workers are below ``n_workers`` and labels below ``n_classes``;
- a **dense matrix** (Rodrigues et al.'s LabelMe ``answers.txt``): one row per task, one column
  per worker, and a sentinel (``-1``) where a worker did not answer.

:func:`read_peerannot` / :func:`write_peerannot` and :func:`from_dense` / :func:`to_dense` convert
between them. Every file is written through :func:`atomic_write`: into a temporary file in the
target directory, then renamed over the target, so that a reader never sees half a file.

>>> import pandas as pd
>>> long = pd.DataFrame({"task": [0, 0, 1], "worker": [0, 1, 1], "label": [1, 0, 1]})
>>> matrix, tasks, workers = to_dense(long)
>>> matrix
array([[ 1,  0],
       [-1,  1]])
>>> from_dense(matrix).equals(long)
True
"""


from __future__ import annotations

from ._atomic import atomic_write
from .dense import from_dense, to_dense
from .labelstudio import read_labelstudio
from .mturk import read_mturk
from .peerannot import PeerannotCodes, PeerannotFolder, read_peerannot, write_peerannot
from .toloka import TolokaExport, read_toloka, url_stem

__all__ = [
    "PeerannotFolder",
    "PeerannotCodes",
    "read_peerannot",
    "write_peerannot",
    "from_dense",
    "to_dense",
    "atomic_write",
    "TolokaExport",
    "read_toloka",
    "url_stem",
    "read_mturk",
    "read_labelstudio",
]
