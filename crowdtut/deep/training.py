"""A small training loop: arrays or a Dataset, seeds, a silent-by-default progress bar, early stopping.

The model decides its loss: a module with a ``loss(x, target)`` method (such as
:class:`~crowdtut.deep.CrowdNetwork`) uses it; a plain classifier (logits out) is trained with
the cross-entropy against hard labels (n,) or soft labels (n, K).
"""

from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, default_collate

from .layers import label_cross_entropy

__all__ = ["History", "seeded", "torch_threads", "train", "predict_proba", "as_tensor"]


@dataclass
class History:
    """What :func:`train` records, one entry per epoch.

    Attributes
    ----------
    train_loss : mean training loss of each epoch.
    valid_loss, valid_accuracy : cross-entropy and accuracy of the classifier on the validation
        set (empty without one).
    best_epoch : epoch (0-based) of the lowest validation loss (the weights kept when
        ``restore_best``); the last epoch without validation.
    stopped_early : whether early stopping ended training before ``epochs``.
    seconds : wall time of the whole training.
    """

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def to_frame(self) -> pd.DataFrame:
        """One row per epoch: ``train_loss`` and, with validation, ``valid_loss``, ``valid_accuracy``."""
        frame = pd.DataFrame({"train_loss": self.train_loss})
        if self.valid_loss:
            frame["valid_loss"] = self.valid_loss
            frame["valid_accuracy"] = self.valid_accuracy
        frame.index.name = "epoch"
        return frame


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed torch's global CPU generator inside the block and restore it afterwards.

    Weight initialisation and dropout draw from torch's global generator (torch modules take no
    generator); forking it keeps a seeded run from changing the random state of the code around
    it. numpy's global generator is not touched. ``None`` does nothing.
    """
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def as_tensor(values, *, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A tensor from an array, a tensor, a pandas object (its values) or a list."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        values = values.to_numpy()
    if isinstance(values, torch.Tensor):
        return values if dtype is None else values.to(dtype)
    array = np.asarray(values)
    if dtype is None:
        dtype = torch.float32 if np.issubdtype(array.dtype, np.floating) else torch.int64
    return torch.tensor(array, dtype=dtype)  # a copy: the caller's array is never shared


def _target_tensor(target) -> torch.Tensor:
    """Hard labels and answer matrices as int64, soft labels and features as float32."""
    t = as_tensor(target)
    return t.to(torch.float32) if t.is_floating_point() else t.to(torch.int64)


class _ArrayBatches:
    """Mini-batches of in-memory tensors in an order drawn from a seeded generator (no DataLoader
    overhead: a batch is one indexing operation)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator):
        if len(x) != len(y):
            raise ValueError(f"X has {len(x)} rows but the target has {len(y)}")
        self.x, self.y, self.batch_size, self.generator = x, y, batch_size, generator

    def __iter__(self):
        order = torch.randperm(len(self.x), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.x[idx], self.y[idx]


class _DatasetBatches:
    """Mini-batches of a Dataset of (x, target) pairs, in the same seeded order as
    :class:`_ArrayBatches` (so a Dataset and the equivalent arrays train identically)."""

    def __init__(self, data: Dataset, batch_size: int, generator: torch.Generator):
        self.data, self.batch_size, self.generator = data, batch_size, generator

    def __iter__(self):
        order = torch.randperm(len(self.data), generator=self.generator).tolist()
        for start in range(0, len(order), self.batch_size):
            yield default_collate([self.data[i] for i in order[start : start + self.batch_size]])


def _batches(data, target, batch_size: int, generator: torch.Generator):
    if isinstance(data, Dataset):
        if target is not None:
            raise ValueError("with a Dataset, its items are (x, target) pairs: pass target=None")
        return _DatasetBatches(data, batch_size, generator)
    if target is None:
        raise ValueError("target is required when the data are arrays")
    return _ArrayBatches(as_tensor(data, dtype=torch.float32), _target_tensor(target), batch_size, generator)


def _eval_batches(data, target, batch_size: int):
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=False)
    x = as_tensor(data, dtype=torch.float32)
    y = None if target is None else _target_tensor(target)
    return [
        (x[s : s + batch_size], None if y is None else y[s : s + batch_size])
        for s in range(0, len(x), batch_size)
    ]


@torch.no_grad()
def predict_proba(model: nn.Module, data, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (softmax of the model's logits) in evaluation mode, as a numpy array.

    ``data`` is an array of inputs or a Dataset of (x, target) pairs.
    """
    was_training = model.training
    model.eval()
    try:
        parts = []
        for batch in _eval_batches(data, None, batch_size):
            x = batch[0]
            parts.append(F.softmax(model(x), dim=-1))
        return torch.cat(parts).numpy().astype(np.float64)
    finally:
        model.train(was_training)


@torch.no_grad()
def _validate(model: nn.Module, batches) -> tuple[float, float]:
    model.eval()
    loss, correct, n = 0.0, 0, 0
    for x, y in batches:
        logits = model(x)
        loss += float(F.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(-1) == y).sum())
        n += len(y)
    model.train()
    return loss / n, correct / n


def train(
    model: nn.Module,
    data,
    target=None,
    *,
    valid: tuple | Dataset | None = None,
    epochs: int = 50,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int | None = None,
    restore_best: bool | None = None,
    seed: int | None = 0,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    progress: bool = False,
) -> History:
    """Train ``model`` in place with Adam and return its history.

    Parameters
    ----------
    model : an ``nn.Module`` whose ``forward(x)`` returns class logits. If it has a method
        ``loss(x, target)`` that is the training loss (crowd models); otherwise ``loss`` or the
        cross-entropy against hard (n,) or soft (n, K) labels. A method ``param_groups(lr)``
        gives the optimiser parameter groups with their own learning rates.
    data : inputs (array or tensor, first axis = examples), or a ``torch.utils.data.Dataset`` of
        ``(x, target)`` pairs (then ``target=None``).
    target : hard labels (n,), soft labels (n, K), or answers (n, W) with ``-1`` for no answer.
    valid : ``(X_valid, y_valid)`` with true labels, or a Dataset of such pairs. Each epoch
        records the classifier's validation cross-entropy and accuracy.
    epochs, batch_size, lr, weight_decay : the optimisation (Adam).
    patience : stop when the validation loss has not improved for this many epochs (needs
        ``valid``). None trains all ``epochs``.
    restore_best : load the weights of the epoch with the lowest validation loss at the end.
        Default: True when ``patience`` is set.
    seed : seeds torch's global generator inside the call (weights drawn here, dropout) and the
        order of the batches; torch's global state is restored afterwards (numpy's is never
        touched). None uses the global state.
    loss : ``loss(logits, target)`` for a model without a ``loss`` method.
    progress : show a tqdm progress bar over epochs.

    Returns
    -------
    History
    """
    if patience is not None and valid is None:
        raise ValueError("patience (early stopping) needs a validation set: pass valid=(X, y)")
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"epochs={epochs!r} and batch_size={batch_size!r} must be >= 0 and >= 1")
    restore_best = patience is not None if restore_best is None else restore_best
    if restore_best and valid is None:
        raise ValueError("restore_best needs a validation set: pass valid=(X, y)")
    if hasattr(model, "loss") and callable(model.loss):
        objective = model.loss
    else:
        criterion = loss or label_cross_entropy
        objective = lambda x, y: criterion(model(x), y)  # noqa: E731

    history = History()
    start = time.perf_counter()
    with seeded(seed):
        generator = torch.Generator()
        generator.manual_seed(int(torch.randint(0, 2**62, (1,))) if seed is None else seed)
        batches = _batches(data, target, batch_size, generator)
        if valid is None:
            valid_batches = None
        elif isinstance(valid, Dataset):
            valid_batches = _eval_batches(valid, None, 1024)
        else:
            valid_batches = _eval_batches(valid[0], valid[1], 1024)
        groups = model.param_groups(lr) if hasattr(model, "param_groups") else model.parameters()
        optimizer = torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
        best_loss, best_state, waited = np.inf, None, 0
        epoch_iter = range(epochs)
        if progress:
            from tqdm.auto import tqdm

            epoch_iter = tqdm(epoch_iter, desc=type(model).__name__, leave=False)
        model.train()
        for epoch in epoch_iter:
            total, count = 0.0, 0
            for x, y in batches:
                value = objective(x, y)
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
                total += value.item() * len(x)
                count += len(x)
            history.train_loss.append(total / max(count, 1))
            if valid_batches is None:
                continue
            v_loss, v_acc = _validate(model, valid_batches)
            history.valid_loss.append(v_loss)
            history.valid_accuracy.append(v_acc)
            if progress:
                epoch_iter.set_postfix(valid_loss=f"{v_loss:.3f}", valid_acc=f"{v_acc:.3f}")
            if v_loss < best_loss:
                best_loss, waited, history.best_epoch = v_loss, 0, epoch
                if restore_best:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    history.stopped_early = epoch + 1 < epochs
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
        if valid_batches is None:
            history.best_epoch = history.epochs - 1
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch CPU threads (``0``: leave torch's setting), then restore the setting.

    One thread is fastest for the small networks of the book and does not stall when other
    processes share the CPU.
    """
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
