"""Per-row margins recorded while a classifier trains (for AUM and WAUM in
:mod:`crowdtut.identification`)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .estimators import mlp
from .training import seeded, train

__all__ = ["train_recording_margins"]


def train_recording_margins(x, labels, n_classes, margin, *, epochs, lr, batch_size, hidden,
                             dropout, seed):
    """Train ``mlp`` on (x, labels) with :func:`crowdtut.deep.train` and return, for every row, the
    mean over epochs of its margin in the training pass, and the trained network.

    The margin is recorded by the loss function, which sees the logits of every mini-batch as it
    is trained on (each row once per epoch); the network is trained exactly as without recording.
    """
    n = len(x)
    sums = torch.zeros(n, dtype=torch.float64)

    def margins(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if margin == "logit":  # Pleiss et al.: assigned logit minus the largest other logit
            scores = logits
        else:
            scores = logits.softmax(dim=-1)
        assigned = scores.gather(1, y[:, None])[:, 0]
        if margin == "yang":  # assigned probability minus the second largest probability
            other = scores.topk(2, dim=-1).values[:, 1]
        else:
            other = scores.scatter(1, y[:, None], float("-inf")).max(dim=-1).values
        return assigned - other

    def recording_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        y, rows = target[:, 0], target[:, 1]
        with torch.no_grad():
            sums.index_add_(0, rows, margins(logits, y).double())
        return F.cross_entropy(logits, y)

    with seeded(seed):
        network = mlp(x.shape[1], n_classes, hidden, dropout)
    target = np.stack([np.asarray(labels, dtype=np.int64), np.arange(n)], axis=1)
    train(network, x, target, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
          loss=recording_loss)
    return (sums / max(epochs, 1)).numpy(), network
