"""Crowd layers: how a network's class probabilities become each worker's answer distribution.

Shapes use ``B`` (batch), ``W`` (workers), ``K`` (classes). Confusion-type parameters are indexed
``[worker, true, answered]`` like :attr:`crowdtut.aggregation.DawidSkene.confusion_`.

Every layer takes the classifier's probabilities ``probs`` (B, K) and either

- ``workers=None``: returns the output for every worker, shape (B, W, K) (Rodrigues' dense
  layout, to be compared with a (B, W) answer matrix where ``-1`` means no answer), or
- ``workers`` (B,): one worker per row, returns (B, K) (the long layout: one row per answer).
  The modules also take ``rows`` (n_answers,), the row of ``probs`` that each answer belongs
  to, so that a batch of tasks goes through the classifier (and CoNAL's auxiliary network) once
  however many answers each task has; they then return (n_answers, K).

The math of each layer is in the LabelMe chapter of the book.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "CONN_TYPES",
    "crowd_layer_mw",
    "crowd_layer_vw",
    "crowd_layer_vb",
    "crowd_layer_vw_b",
    "CrowdLayer",
    "conal_mix",
    "conal_regularizer",
    "CoNAL",
    "masked_cross_entropy",
    "label_cross_entropy",
]

CONN_TYPES = ("MW", "VW", "VB", "VW+B")
_TINY = 1e-12


# --- CrowdLayer (Rodrigues and Pereira, AAAI 2018): one pure function per connection type -----
def crowd_layer_mw(
    probs: torch.Tensor, weight: torch.Tensor, workers: torch.Tensor | None = None
) -> torch.Tensor:
    """MW: a K x K matrix per worker, ``a[b, l] = sum_k probs[b, k] * weight[w_b, k, l]``.

    Parameters
    ----------
    probs : (B, K) class probabilities of the classifier.
    weight : (W, K, K) per-worker matrices ``[worker, true, answered]``.
    workers : (B,) worker code of each row, or None for every worker.

    Returns
    -------
    (B, K) logits of the worker of each row, or (B, W, K) logits of every worker.
    """
    if workers is None:
        return torch.einsum("bk,wkl->bwl", probs, weight)
    return torch.einsum("bk,bkl->bl", probs, weight[workers])


def crowd_layer_vw(
    probs: torch.Tensor, scale: torch.Tensor, workers: torch.Tensor | None = None
) -> torch.Tensor:
    """VW: a per-class scale per worker, ``a[b, k] = scale[w_b, k] * probs[b, k]``.

    ``scale`` is (W, K); returns (B, K), or (B, W, K) when ``workers`` is None.
    """
    if workers is None:
        return probs[:, None, :] * scale[None, :, :]
    return probs * scale[workers]


def crowd_layer_vb(
    probs: torch.Tensor, bias: torch.Tensor, workers: torch.Tensor | None = None
) -> torch.Tensor:
    """VB: a per-class bias per worker, ``a[b, k] = probs[b, k] + bias[w_b, k]``.

    ``bias`` is (W, K); returns (B, K), or (B, W, K) when ``workers`` is None.
    """
    if workers is None:
        return probs[:, None, :] + bias[None, :, :]
    return probs + bias[workers]


def crowd_layer_vw_b(
    probs: torch.Tensor,
    scale: torch.Tensor,
    bias: torch.Tensor,
    workers: torch.Tensor | None = None,
) -> torch.Tensor:
    """VW+B: scale then bias, ``a[b, k] = scale[w_b, k] * probs[b, k] + bias[w_b, k]``.

    ``scale`` and ``bias`` are (W, K); returns (B, K), or (B, W, K) when ``workers`` is None.
    """
    if workers is None:
        return probs[:, None, :] * scale[None, :, :] + bias[None, :, :]
    return probs * scale[workers] + bias[workers]


class CrowdLayer(nn.Module):
    """Worker-specific maps from class probabilities to answer logits (Rodrigues and Pereira, 2018).

    The network's softmax output ``probs`` goes through one map per worker; a softmax of the
    result is that worker's answer distribution. Initialised to the identity map (``MW``: identity
    matrices, ``VW``: ones, ``VB``: zeros), so that at the start every worker is modelled as
    answering what the classifier believes.

    Parameters
    ----------
    n_classes : number of classes ``K``.
    n_workers : number of workers ``W``.
    conn_type : ``"MW"`` (a K x K matrix per worker), ``"VW"`` (per-class scale), ``"VB"``
        (per-class bias) or ``"VW+B"`` (both).
    trace_weight : coefficient of the trace penalty added by :meth:`penalty` (0 = none): the mean
        over workers of the trace of their confusion matrix (Tanno et al., CVPR 2019).

    Attributes
    ----------
    weight : (W, K, K) for MW; ``scale`` (W, K) for VW and VW+B; ``bias`` (W, K) for VB and VW+B.

    References
    ----------
    F. Rodrigues and F. C. Pereira, "Deep learning from crowds", AAAI 2018.
    https://doi.org/10.1609/aaai.v32i1.11506
    """

    def __init__(self, n_classes: int, n_workers: int, conn_type: str = "MW", trace_weight: float = 0.0):
        super().__init__()
        if conn_type not in CONN_TYPES:
            raise ValueError(f"conn_type={conn_type!r}; expected one of {CONN_TYPES}")
        if trace_weight < 0:
            raise ValueError(f"trace_weight={trace_weight!r}; expected a non-negative number")
        self.n_classes, self.n_workers, self.conn_type = n_classes, n_workers, conn_type
        self.trace_weight = float(trace_weight)
        if conn_type == "MW":
            self.weight = nn.Parameter(torch.eye(n_classes).repeat(n_workers, 1, 1))
        if conn_type in ("VW", "VW+B"):
            self.scale = nn.Parameter(torch.ones(n_workers, n_classes))
        if conn_type in ("VB", "VW+B"):
            self.bias = nn.Parameter(torch.zeros(n_workers, n_classes))

    def forward(
        self, probs: torch.Tensor, workers: torch.Tensor | None = None, rows: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Answer logits: (B, W, K) for every worker when ``workers`` is None; else one row per
        answer, (n_answers, K), for ``workers`` (n_answers,) on the rows ``rows`` of ``probs``
        (default: row ``a`` for answer ``a``)."""
        if rows is not None:
            probs = probs[rows]
        if self.conn_type == "MW":
            return crowd_layer_mw(probs, self.weight, workers)
        if self.conn_type == "VW":
            return crowd_layer_vw(probs, self.scale, workers)
        if self.conn_type == "VB":
            return crowd_layer_vb(probs, self.bias, workers)
        return crowd_layer_vw_b(probs, self.scale, self.bias, workers)

    def log_proba(
        self,
        probs: torch.Tensor,
        workers: torch.Tensor | None = None,
        features: torch.Tensor | None = None,
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Log-probabilities of the answers, same shapes as :meth:`forward` (``features`` unused)."""
        return F.log_softmax(self(probs, workers, rows), dim=-1)

    def confusion(self) -> torch.Tensor:
        """(W, K, K) confusion matrices ``[worker, true, answered]``: row ``k`` is the worker's
        answer distribution when the classifier is sure of class ``k`` (one-hot ``probs``)."""
        eye = torch.eye(self.n_classes, device=self._device())
        return F.softmax(self(eye), dim=-1).transpose(0, 1)

    def confusion_parameters(self) -> list[nn.Parameter]:
        """The parameters of the worker maps (all of them for a CrowdLayer)."""
        return list(self.parameters())

    def penalty(self) -> torch.Tensor:
        """``trace_weight`` times the mean trace of the confusion matrices (0 when not used)."""
        if self.trace_weight == 0:
            return torch.zeros((), device=self._device())
        return self.trace_weight * torch.diagonal(self.confusion(), dim1=1, dim2=2).sum(-1).mean()

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def extra_repr(self) -> str:
        return f"n_classes={self.n_classes}, n_workers={self.n_workers}, conn_type={self.conn_type!r}"


# --- CoNAL (Chu, Ma and Wang, AAAI 2021) ----------------------------------------------------
def conal_mix(
    probs: torch.Tensor,
    common: torch.Tensor,
    individual: torch.Tensor,
    weight: torch.Tensor,
    workers: torch.Tensor | None = None,
) -> torch.Tensor:
    """Answer probabilities ``w * softmax(probs @ common) + (1 - w) * softmax(probs @ individual[j])``.

    Parameters
    ----------
    probs : (B, K) class probabilities.
    common : (K, K) common matrix ``[true, answered]`` (unconstrained, like CrowdLayer's MW).
    individual : (W, K, K) worker matrices.
    weight : the mixing weight ``w_i^(j)`` of the common branch: (B,) with ``workers``, (B, W)
        without.
    workers : (B,) worker of each row, or None for every worker.

    Returns
    -------
    (B, K), or (B, W, K) without ``workers``: a mixture of two probability vectors, so each row
    sums to one.
    """
    shared = F.softmax(probs @ common, dim=-1)  # (B, K)
    own = F.softmax(crowd_layer_mw(probs, individual, workers), dim=-1)
    if workers is None:
        w = weight[:, :, None]
        return w * shared[:, None, :] + (1.0 - w) * own
    w = weight[:, None]
    return w * shared + (1.0 - w) * own


def conal_regularizer(common: torch.Tensor, individual: torch.Tensor) -> torch.Tensor:
    """``sum_j ||individual[j] - common||_F``: CoNAL subtracts ``scale`` times this from the loss,
    which pushes the worker matrices away from the common one. (W, K, K) and (K, K) -> scalar."""
    diff = (individual - common[None]).flatten(1)
    return torch.linalg.vector_norm(diff, dim=1).sum()


class CoNAL(nn.Module):
    """Common noise adaptation layers (Chu, Ma and Wang, 2021).

    Each answer comes from a mixture of a confusion shared by all workers and the worker's own:
    ``p(y^(j) | x_i) = w_i^(j) softmax(f(x_i) W_c) + (1 - w_i^(j)) softmax(f(x_i) W_j)``, where
    ``f(x_i)`` are the classifier's probabilities and the mixing weight is
    ``w_i^(j) = sigmoid(u_j . v_i)``. ``v_i`` (the instance embedding) comes from the input
    features through a small network and ``u_j`` is a learned worker embedding; both are
    normalised to unit length, as in the authors' code. Both branches are probabilities before
    the cross-entropy, so the mixture is one too.

    Parameters
    ----------
    n_classes, n_workers : ``K`` and ``W``.
    in_features : size of the features fed to the auxiliary network.
    embed_dim : size of ``u_j`` and ``v_i`` (20 in the authors' code).
    hidden : hidden units of the instance branch of the auxiliary network (Linear, ReLU, Linear;
        the public implementations stack the two Linear layers without the ReLU).
    scale : coefficient of :func:`conal_regularizer` subtracted from the loss (0 and 1e-4 in
        peerannot's LabelMe runs; 1e-5 is the authors' default).
    init_diag : the matrices start as ``init_diag`` times the identity (2 in the authors' code).

    Attributes
    ----------
    common : (K, K) parameter ``W_c``. individual : (W, K, K) parameter ``W_j``.

    References
    ----------
    Z. Chu, J. Ma and H. Wang, "Learning from crowds by modeling common confusions", AAAI 2021.
    https://doi.org/10.1609/aaai.v35i7.16730
    """

    def __init__(
        self,
        n_classes: int,
        n_workers: int,
        in_features: int,
        embed_dim: int = 20,
        hidden: int = 128,
        scale: float = 0.0,
        init_diag: float = 2.0,
    ):
        super().__init__()
        if scale < 0:
            raise ValueError(f"scale={scale!r}; expected a non-negative number")
        self.n_classes, self.n_workers, self.scale = n_classes, n_workers, float(scale)
        eye = init_diag * torch.eye(n_classes)
        self.common = nn.Parameter(eye.clone())
        self.individual = nn.Parameter(eye.repeat(n_workers, 1, 1))
        self.instance_embedding = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, embed_dim)
        )
        self.worker_embedding = nn.Embedding(n_workers, embed_dim)

    def common_confusion(self) -> torch.Tensor:
        """(K, K) common confusion ``[true, answered]``: the branch's output for a one-hot class."""
        return F.softmax(self.common, dim=-1)

    def confusion(self) -> torch.Tensor:
        """(W, K, K) worker confusion matrices ``[worker, true, answered]`` of the individual branch."""
        return F.softmax(self.individual, dim=-1)

    def mixing_weight(
        self, features: torch.Tensor, workers: torch.Tensor | None = None, rows: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``w_i^(j) = sigmoid(u_j . v_i)``: (B, W) for every worker, else one per answer."""
        v = F.normalize(self.instance_embedding(features.flatten(1)), dim=-1)
        if rows is not None:
            v = v[rows]
        if workers is None:
            u = F.normalize(self.worker_embedding.weight, dim=-1)
            return torch.sigmoid(v @ u.T)
        u = F.normalize(self.worker_embedding(workers), dim=-1)
        return torch.sigmoid((v * u).sum(-1))

    def forward(
        self,
        probs: torch.Tensor,
        workers: torch.Tensor | None = None,
        features: torch.Tensor | None = None,
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Answer probabilities: (B, W, K) for every worker, else (n_answers, K) as in
        :meth:`CrowdLayer.forward`; ``features`` (B, ...) feed the auxiliary network."""
        if features is None:
            raise ValueError("CoNAL needs the input features for its auxiliary network")
        weight = self.mixing_weight(features, workers, rows)
        if rows is not None:
            probs = probs[rows]
        return conal_mix(probs, self.common, self.individual, weight, workers)

    def log_proba(
        self,
        probs: torch.Tensor,
        workers: torch.Tensor | None = None,
        features: torch.Tensor | None = None,
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Log-probabilities of the answers, same shapes as :meth:`forward`."""
        return torch.log(self(probs, workers, features, rows).clamp_min(_TINY))

    def confusion_parameters(self) -> list[nn.Parameter]:
        """The common and individual matrices (not the auxiliary network)."""
        return [self.common, self.individual]

    def penalty(self) -> torch.Tensor:
        """``-scale * sum_j ||W_j - W_c||_F`` (added to the loss)."""
        if self.scale == 0:
            return torch.zeros((), device=self.common.device)
        return -self.scale * conal_regularizer(self.common, self.individual)


# --- losses ------------------------------------------------------------------------------------
def masked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy over the answers that exist: entries of ``labels`` equal to ``-1`` are skipped.

    Works for both layouts: dense (``logits`` (B, W, K), ``labels`` (B, W) with ``-1`` for no
    answer, Rodrigues' convention) and long (``logits`` (n_answers, K), ``labels`` (n_answers,)).
    ``logits`` may be log-probabilities (a log-softmax leaves them unchanged).

    Parameters
    ----------
    reduction : ``"mean"`` (over the answers that exist; 0 when there is none) or ``"sum"``.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction={reduction!r}; expected 'mean' or 'sum'")
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} do not match labels {tuple(labels.shape)} + (K,)")
    observed = labels >= 0
    total = F.cross_entropy(logits[observed], labels[observed], reduction="sum")
    if reduction == "sum":
        return total
    return total / observed.sum().clamp_min(1)


def label_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy against hard labels (B,) or soft labels (B, K) (rows sum to one)."""
    if target.dim() == 1:
        return F.cross_entropy(logits, target)
    return -(target * F.log_softmax(logits, dim=-1)).sum(-1).mean()
