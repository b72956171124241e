"""Networks and scikit-learn-style estimators that learn a classifier from crowd answers.

- :func:`mlp` is the base classifier of the LabelMe experiments (one hidden layer, dropout).
- :class:`CrowdNetwork` puts a crowd head (:class:`~crowdtut.deep.CrowdLayer` or
  :class:`~crowdtut.deep.CoNAL`) on top of any classifier and owns the masked loss.
- The estimators train one with :func:`~crowdtut.deep.train`: :class:`LabelClassifier` on
  aggregated labels (hard or soft), :class:`CrowdLayerClassifier`, :class:`CoNALClassifier`, and
  :class:`CrowdsEM` (deep EM). Hyper-parameters go to ``__init__``, data to ``fit``; learned state
  ends with ``_`` (``network_``, ``history_``, ``confusion_``, ...).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..aggregation._base import NotFittedError
from ..aggregation._em import normalize_log, safe_log
from ..aggregation.classification.dawid_skene import confusion_from_posterior, log_joint
from ..aggregation.classification.voting import vote_shares
from ..answers import CrowdAnswers, encode_answers
from .layers import CONN_TYPES, CoNAL, CrowdLayer, masked_cross_entropy
from .training import History, as_tensor, predict_proba, seeded, train

__all__ = [
    "mlp",
    "CrowdNetwork",
    "dense_answers",
    "LabelClassifier",
    "CrowdLayerClassifier",
    "CoNALClassifier",
    "CrowdsEM",
]


def mlp(in_features: int, n_classes: int, hidden: int = 128, dropout: float = 0.5) -> nn.Sequential:
    """Linear(in, hidden), ReLU, Dropout, Linear(hidden, K): returns class logits.

    The base model of Rodrigues and Pereira's LabelMe experiments (on VGG16 features); the
    softmax is applied by the losses and by :func:`~crowdtut.deep.predict_proba`.
    """
    return nn.Sequential(
        nn.Linear(in_features, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes)
    )


class CrowdNetwork(nn.Module):
    """A classifier (x -> class logits) followed by a crowd head that predicts each worker's answer.

    ``forward(x)`` returns the classifier's logits (what is used at test time); ``loss(x, answers)``
    is the masked cross-entropy of the heads' answer distributions on the answers that exist, plus
    the head's penalty. Answers are a (B, W) matrix with ``-1`` for no answer; only the observed
    (task, worker) pairs go through the head, so the cost grows with the answers, not with ``W``.
    ``confusion_lr`` gives the head's confusion parameters (the crowd layer's weights, CoNAL's
    matrices) their own learning rate in :func:`~crowdtut.deep.train`.
    """

    def __init__(self, classifier: nn.Module, head: CrowdLayer | CoNAL, confusion_lr: float | None = None):
        super().__init__()
        self.classifier = classifier
        self.head = head
        self.confusion_lr = confusion_lr

    def param_groups(self, lr: float) -> list[dict]:
        """Adam parameter groups: the confusion parameters of the head at ``confusion_lr``
        (default ``lr``), everything else (classifier, CoNAL's auxiliary network) at ``lr``."""
        fast = {id(p) for p in self.head.confusion_parameters()}
        rest = [p for p in self.parameters() if id(p) not in fast]
        confusion_lr = lr if self.confusion_lr is None else self.confusion_lr
        return [
            {"params": rest, "lr": lr},
            {"params": list(self.head.confusion_parameters()), "lr": confusion_lr},
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(x)

    def answer_log_proba(self, x: torch.Tensor, workers: torch.Tensor | None = None) -> torch.Tensor:
        """Log-probabilities of the answers: (B, W, K) for every worker, or (B, K) for ``workers``."""
        probs = F.softmax(self.classifier(x), dim=-1)
        return self.head.log_proba(probs, workers, x)

    def loss(self, x: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
        rows, workers = torch.nonzero(answers >= 0, as_tuple=True)
        probs = F.softmax(self.classifier(x), dim=-1)
        log_p = self.head.log_proba(probs, workers, x, rows)
        return masked_cross_entropy(log_p, answers[rows, workers]) + self.head.penalty()


def dense_answers(
    answers, n_tasks: int | None = None, n_classes: int | None = None
) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Answers as a (n_tasks, n_workers) matrix of class codes with ``-1`` for no answer.

    Parameters
    ----------
    answers : such a matrix already, or long answers (DataFrame with ``task``, ``worker``,
        ``label``, or a CrowdAnswers) whose task names are the row positions ``0..n-1`` of the
        features.
    n_tasks : number of rows (default: the largest task + 1).
    n_classes : number of classes; integer labels ``0..K-1`` are kept as they are.

    Returns
    -------
    matrix, workers, classes : the int64 matrix, the worker name of each column and the class of
        each code.
    """
    if isinstance(answers, np.ndarray) or isinstance(answers, torch.Tensor):
        matrix = np.asarray(answers).astype(np.int64)
        if matrix.ndim != 2:
            raise ValueError(f"an answer matrix must be 2-D (tasks x workers); got shape {matrix.shape}")
        if (matrix < -1).any():
            raise ValueError("answer matrix entries must be class codes >= 0, or -1 for no answer")
        k = int(matrix.max()) + 1 if n_classes is None else n_classes
        if matrix.max() >= k:
            raise ValueError(f"answer matrix has class code {matrix.max()} >= n_classes={k}")
        return matrix, pd.RangeIndex(matrix.shape[1], name="worker"), pd.RangeIndex(k, name="label")
    if isinstance(answers, pd.DataFrame) and "label" in answers and pd.api.types.is_integer_dtype(answers["label"]):
        labels = answers["label"]
        if (labels < 0).any():
            raise ValueError("integer labels must be class codes >= 0")
        k = int(labels.max()) + 1 if n_classes is None else n_classes
        data = encode_answers(answers, classes=range(k))
    else:
        data = encode_answers(answers)
        if n_classes is not None and n_classes != data.n_classes:
            raise ValueError(f"answers hold {data.n_classes} classes, not n_classes={n_classes}")
    names = data.tasks.to_numpy()
    if not pd.api.types.is_integer_dtype(data.tasks) or (names < 0).any():
        raise ValueError(
            "task names must be the row positions 0..n-1 of the features (non-negative integers); "
            f"got e.g. {names[:5].tolist()}"
        )
    n = int(names.max()) + 1 if n_tasks is None else n_tasks
    if names.max() >= n:
        raise ValueError(f"task {names.max()} is outside the {n} rows of the features")
    matrix = np.full((n, data.n_workers), -1, dtype=np.int64)
    matrix[names[data.task], data.worker] = data.label
    return matrix, data.workers, data.classes


def _crowd_answers(matrix: np.ndarray, n_classes: int) -> CrowdAnswers:
    """The integer codes that the Dawid-Skene helpers of :mod:`crowdtut.aggregation` take."""
    task, worker = np.nonzero(matrix >= 0)
    return CrowdAnswers(
        task.astype(np.int64), worker.astype(np.int64), matrix[task, worker],
        pd.RangeIndex(matrix.shape[0]), pd.RangeIndex(matrix.shape[1]), pd.RangeIndex(n_classes),
    )


def _features(X):
    """Features as an array or tensor with a shape (lists and pandas objects become arrays)."""
    if isinstance(X, torch.Tensor):
        return X
    return np.asarray(X, dtype=np.float32)


def _row_aligned(values, n: int, what: str) -> np.ndarray:
    """A pandas object indexed by task names 0..n-1 reordered to row positions; arrays as they are."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        index = values.index
        if not pd.api.types.is_integer_dtype(index) or not index.isin(range(n)).all() or len(index) != n:
            raise ValueError(f"{what} must be indexed by the row positions 0..{n - 1} of the features")
        values = values.sort_index()
    return np.asarray(values)


class _DeepEstimator:
    """Shared hyper-parameters and prediction of the deep estimators."""

    def __init__(
        self,
        *,
        hidden: int = 128,
        dropout: float = 0.5,
        epochs: int = 50,
        batch_size: int = 64,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int | None = None,
        seed: int | None = 0,
        progress: bool = False,
        base: Callable[[int, int], nn.Module] | None = None,
    ):
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.seed = seed
        self.progress = progress
        self.base = base

    def _classifier(self, in_features: int, n_classes: int) -> nn.Module:
        if self.base is not None:
            return self.base(in_features, n_classes)
        return mlp(in_features, n_classes, self.hidden, self.dropout)

    def _train(self, network, X, target, valid, epochs=None, seed=None) -> History:
        return train(
            network, X, target, valid=valid, epochs=self.epochs if epochs is None else epochs,
            batch_size=self.batch_size, lr=self.lr, weight_decay=self.weight_decay,
            patience=self.patience, seed=self.seed if seed is None else seed, progress=self.progress,
        )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, K) of the trained classifier."""
        return predict_proba(self.network_, X)

    def predict(self, X) -> np.ndarray:
        """Most probable class code per row."""
        return self.predict_proba(X).argmax(axis=1)

    def set_params(self, **params) -> "_DeepEstimator":
        for name, value in params.items():
            if name.endswith("_") or name not in vars(self):
                raise ValueError(f"{type(self).__name__} has no hyper-parameter {name!r}")
            setattr(self, name, value)
        return self

    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({inner})"

    def __getattr__(self, name: str):
        if name.endswith("_") and not name.startswith("__"):
            raise NotFittedError(f"{type(self).__name__} has no attribute {name!r} yet: call fit first")
        raise AttributeError(name)


class LabelClassifier(_DeepEstimator):
    """The base classifier trained on labels: the truth, or labels aggregated from the crowd.

    ``fit(X, y)`` takes hard labels (n,) or soft labels (n, K), e.g. an aggregator's
    ``labels_`` or ``probas_`` (pandas objects indexed by the row positions are put in row order).

    Parameters
    ----------
    hidden, dropout : the base :func:`mlp` (ignored when ``base`` is given).
    epochs, batch_size, lr, weight_decay, patience, seed, progress : see :func:`~crowdtut.deep.train`.
    base : ``base(in_features, n_classes) -> nn.Module`` returning logits, to replace the MLP.

    Attributes
    ----------
    network_ : the trained ``nn.Module``. history_ : :class:`~crowdtut.deep.History`.
    n_classes_ : number of classes.
    """

    def fit(self, X, y, *, valid=None, n_classes: int | None = None) -> "LabelClassifier":
        X = _features(X)
        n = len(X)
        target = _row_aligned(y, n, "y")
        if target.ndim == 2:
            target = target.astype(np.float32)
            if not np.allclose(target.sum(axis=1), 1.0, atol=1e-4) or (target < 0).any():
                raise ValueError("soft labels must be non-negative rows that sum to one")
            k = target.shape[1]
        else:
            target = target.astype(np.int64)
            k = int(target.max()) + 1 if n_classes is None else n_classes
        with seeded(self.seed):
            self.network_ = self._classifier(np.prod(X.shape[1:]).item(), k)
        self.n_classes_ = k
        self.history_ = self._train(self.network_, X, target, valid)
        return self


class _CrowdEstimator(_DeepEstimator):
    def _answers(self, X, answers, n_classes):
        matrix, workers, classes = dense_answers(answers, n_tasks=len(X), n_classes=n_classes)
        if matrix.shape[0] != len(X):
            raise ValueError(f"answers cover {matrix.shape[0]} tasks but X has {len(X)} rows")
        self.workers_, self.classes_ = workers, classes
        return matrix, len(classes)

    def _fit_head(self, X, answers, valid, n_classes, make_head):
        X = _features(X)
        matrix, k = self._answers(X, answers, n_classes)
        in_features = int(np.prod(X.shape[1:]))
        with seeded(self.seed):
            head = make_head(k, matrix.shape[1], in_features)
            self.network_ = CrowdNetwork(self._classifier(in_features, k), head, self.confusion_lr)
        self.n_classes_ = k
        self.history_ = self._train(self.network_, X, matrix, valid)
        with torch.no_grad():
            self.confusion_ = self.network_.head.confusion().numpy().astype(np.float64)
        return self


class CrowdLayerClassifier(_CrowdEstimator):
    """The base classifier with a CrowdLayer on top, trained end to end on the raw answers.

    Parameters
    ----------
    conn_type : ``"MW"``, ``"VW"``, ``"VB"`` or ``"VW+B"`` (see :class:`~crowdtut.deep.CrowdLayer`).
    trace_weight : trace penalty on the workers' confusion matrices (0 = none).
    confusion_lr : learning rate of the crowd layer (default: ``lr``). The layer starts at the
        identity and must grow its entries to express confident workers; with few optimisation
        steps (a small training set, early stopping) a larger rate lets it get there.
    Other parameters as in :class:`LabelClassifier`.

    Attributes
    ----------
    network_ : a :class:`CrowdNetwork`; ``network_.classifier`` is the classifier.
    confusion_ : ndarray (W, K, K), each worker's answer distribution ``[worker, true, answered]``
        when the classifier is sure of the true class (:meth:`CrowdLayer.confusion`).
    workers_, classes_ : names of the workers (columns) and of the classes.
    history_, n_classes_ : as in :class:`LabelClassifier`.
    """

    def __init__(
        self, conn_type: str = "MW", trace_weight: float = 0.0, confusion_lr: float | None = None, **params
    ):
        super().__init__(**params)
        self.conn_type = conn_type
        self.trace_weight = trace_weight
        self.confusion_lr = confusion_lr

    def fit(self, X, answers, *, valid=None, n_classes: int | None = None) -> "CrowdLayerClassifier":
        """``answers``: a (n, W) matrix with ``-1`` for no answer, or long answers whose tasks are
        the row positions of ``X``."""
        if self.conn_type not in CONN_TYPES:
            raise ValueError(f"conn_type={self.conn_type!r}; expected one of {CONN_TYPES}")
        return self._fit_head(
            X, answers, valid, n_classes,
            lambda k, w, d: CrowdLayer(k, w, self.conn_type, trace_weight=self.trace_weight),
        )


class CoNALClassifier(_CrowdEstimator):
    """The base classifier with CoNAL's common and individual noise adaptation layers.

    Parameters
    ----------
    scale : weight of the regulariser that pushes the worker matrices away from the common one.
    embed_dim, aux_hidden : sizes of the auxiliary network (see :class:`~crowdtut.deep.CoNAL`).
    confusion_lr : learning rate of the common and individual matrices (default: ``lr``); the
        auxiliary network trains at ``lr``.
    Other parameters as in :class:`LabelClassifier`.

    Attributes
    ----------
    confusion_ : ndarray (W, K, K), the individual confusion matrices.
    common_confusion_ : ndarray (K, K), the common confusion matrix.
    network_, history_, workers_, classes_, n_classes_ : as in :class:`CrowdLayerClassifier`.
    """

    def __init__(
        self,
        scale: float = 0.0,
        embed_dim: int = 20,
        aux_hidden: int = 128,
        confusion_lr: float | None = None,
        **params,
    ):
        super().__init__(**params)
        self.scale = scale
        self.embed_dim = embed_dim
        self.aux_hidden = aux_hidden
        self.confusion_lr = confusion_lr

    def fit(self, X, answers, *, valid=None, n_classes: int | None = None) -> "CoNALClassifier":
        """``answers`` as in :meth:`CrowdLayerClassifier.fit`."""
        self._fit_head(
            X, answers, valid, n_classes,
            lambda k, w, d: CoNAL(k, w, d, self.embed_dim, self.aux_hidden, scale=self.scale),
        )
        with torch.no_grad():
            self.common_confusion_ = self.network_.head.common_confusion().numpy().astype(np.float64)
        return self

    @torch.no_grad()
    def mixing_weights(self, X) -> np.ndarray:
        """(n, W): the weight ``w_i^(j)`` of the common confusion for every row and worker."""
        return self.network_.head.mixing_weight(as_tensor(X, dtype=torch.float32)).numpy()


class CrowdsEM(_DeepEstimator):
    """Deep EM: Dawid-Skene whose class prior for each task is the network's prediction.

    Starting from the vote shares (naive soft labels), each round

    1. trains the classifier on the current posterior (soft labels) for ``epochs`` epochs,
       continuing from the previous round's weights;
    2. M-step for the workers: confusion matrices from the posterior, as in
       :class:`~crowdtut.aggregation.DawidSkene`;
    3. E-step: ``T_ik ∝ p_net(k | x_i) * prod_j pi^(j)[k, y_i^(j)]``.

    Parameters
    ----------
    n_rounds : number of rounds (the network trains ``n_rounds * epochs`` epochs in all).
    epochs : epochs per round.
    pseudo_count : Dirichlet smoothing of the confusion counts (as in ``DawidSkene``). With K
        classes it adds ``K * pseudo_count`` to every row, which for workers with a few answers
        per class flattens their matrices (on LabelMe, 1.0 triples the confusion error).
    Other parameters as in :class:`LabelClassifier`; ``patience`` applies within each round.

    Attributes
    ----------
    posterior_ : ndarray (n, K), the last E-step's posterior of the true labels.
    confusion_ : ndarray (W, K, K), the workers' confusion matrices ``[worker, true, answered]``
        estimated from ``posterior_``.
    history_ : :class:`~crowdtut.deep.History` of all rounds, one after the other.
    network_, workers_, classes_, n_classes_ : as in :class:`CrowdLayerClassifier`.

    References
    ----------
    F. Rodrigues, M. Lourenco, B. Ribeiro and F. C. Pereira, "Learning supervised topic models for
    classification and regression from crowds", IEEE TPAMI 39(12), 2017 (the EM scheme), and
    Rodrigues and Pereira, AAAI 2018 (its deep version, "DL-EM" / deep EM, on LabelMe).
    """

    def __init__(self, n_rounds: int = 5, epochs: int = 10, pseudo_count: float = 0.0, **params):
        super().__init__(epochs=epochs, **params)
        self.n_rounds = n_rounds
        self.pseudo_count = pseudo_count

    def fit(self, X, answers, *, valid=None, n_classes: int | None = None) -> "CrowdsEM":
        """``answers`` as in :meth:`CrowdLayerClassifier.fit`."""
        if not isinstance(self.n_rounds, int) or self.n_rounds < 1:
            raise ValueError(f"n_rounds={self.n_rounds!r}; expected a positive integer")
        X = _features(X)
        matrix, workers, classes = dense_answers(answers, n_tasks=len(X), n_classes=n_classes)
        self.workers_, self.classes_, k = workers, classes, len(classes)
        data = _crowd_answers(matrix, k)
        posterior = vote_shares(data.vote_counts)
        with seeded(self.seed):
            self.network_ = self._classifier(int(np.prod(X.shape[1:])), k)
        self.n_classes_ = k
        history = History()
        for r in range(self.n_rounds):
            seed = None if self.seed is None else self.seed + 1000 * r
            part = self._train(self.network_, X, posterior.astype(np.float32), valid, seed=seed)
            for name in ("train_loss", "valid_loss", "valid_accuracy"):
                getattr(history, name).extend(getattr(part, name))
            history.seconds += part.seconds
            counts = confusion_from_posterior(data, posterior, self.pseudo_count)
            confusion = counts / counts.sum(axis=2, keepdims=True)
            prior = predict_proba(self.network_, X)
            posterior, _ = normalize_log(log_joint(data, np.log(confusion), safe_log(prior)))
        counts = confusion_from_posterior(data, posterior, self.pseudo_count)
        confusion = counts / counts.sum(axis=2, keepdims=True)
        history.best_epoch = history.epochs - 1
        self.history_, self.confusion_, self.posterior_ = history, confusion, posterior
        return self
