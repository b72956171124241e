"""Networks and scikit-learn-style estimators that learn a classifier from crowd answers.

- :func:`mlp` is the base classifier of the LabelMe experiments (one hidden layer, dropout).
- :class:`CrowdNetwork` puts a crowd head (:class:`~crowdtut.deep.CrowdLayer` or
  :class:`~crowdtut.deep.CoNAL`) on top of any classifier and owns the masked loss.
- The estimators train one with :func:`~crowdtut.deep.train`: :class:`LabelClassifier` on
  aggregated labels (hard or soft), :class:`CrowdLayerClassifier`, :class:`CoNALClassifier`, and
  :class:`CrowdsEM` (deep EM). They follow crowdtut's estimator contract (the
  :class:`~crowdtut.aggregation._base.Estimator` base: ``get_params``/``set_params``, so
  ``sklearn.base.clone`` works; ``random_state``; learned state ends with ``_``) and
  scikit-learn's classifier API: ``fit(X, answers)``, ``predict``, ``predict_proba``, ``classes_``.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_choice, check_non_negative, check_positive_int
from ..aggregation._base import Estimator
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
        raw = np.asarray(answers)
        if raw.dtype.kind == "f":  # whole numbers only: 1.7 is not a class code (nor inf, NaN)
            ok = np.isfinite(raw) & (np.abs(raw) < 2.0**62)
            ok[ok] = raw[ok] == np.round(raw[ok])
            if not ok.all():
                row, col = (int(i[0]) for i in np.nonzero(~ok))
                raise ValueError(
                    f"answer matrix[{row}, {col}] = {raw[row, col]} is not an integer label "
                    "(class codes >= 0, or -1 for no answer)"
                )
        elif raw.dtype.kind not in "iub":
            raise ValueError(f"an answer matrix must hold integer labels; got dtype {raw.dtype}")
        matrix = raw.astype(np.int64)
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
        data = encode_answers(answers, classes=range(k), duplicates="keep")
    else:
        data = encode_answers(answers, duplicates="keep")
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
    key = data.task * data.n_workers + data.worker
    if len(np.unique(key)) != len(key):  # advice that applies here (no duplicates= keyword)
        raise ValueError(
            "answers repeat (task, worker) pairs; an answer matrix holds one answer per cell: "
            "keep one per pair first, e.g. encode_answers(answers, duplicates='first')"
        )
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


def _features(X, what: str = "X"):
    """Features as an array or tensor with a shape (lists and pandas objects become arrays);
    NaN or infinite values are a ValueError naming the first row and column (flattened)."""
    if not isinstance(X, torch.Tensor):
        X = np.asarray(X, dtype=np.float32)
    if X.ndim < 1 or len(X) == 0:
        raise ValueError(f"{what} must have one row per task; got shape {tuple(X.shape)}")
    finite = torch.isfinite(X) if isinstance(X, torch.Tensor) else np.isfinite(X)
    if not bool(finite.all()):
        flat = np.asarray(finite).reshape(len(X), -1)
        row, col = (int(i[0]) for i in np.nonzero(~flat))
        value = np.asarray(X).reshape(len(X), -1)[row, col]
        raise ValueError(
            f"{what} holds {value} at row {row}, column {col}: features must be finite (impute "
            "or drop such rows first)"
        )
    return X


def _valid(valid):
    """``(X_valid, y_valid)`` with finite features (or None, or a Dataset as it is)."""
    if isinstance(valid, tuple) and len(valid) == 2:
        return _features(valid[0], "valid X"), valid[1]
    return valid


def _torch_seed(random_state) -> int:
    """The integer seed of one fit: ``random_state`` itself, or drawn from a Generator (or from
    fresh entropy for None)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**62))
    if random_state is None:
        return int(np.random.default_rng().integers(2**62))
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)):
        raise ValueError(
            f"random_state={random_state!r}; expected None, a non-negative integer or a "
            "numpy Generator"
        )
    if random_state < 0:
        raise ValueError(f"random_state={random_state!r}; expected a non-negative integer")
    return int(random_state)


def _check_confusion_lr(value) -> None:
    if value is not None:
        check_non_negative("confusion_lr", value)


def _row_aligned(values, n: int, what: str) -> np.ndarray:
    """A pandas object indexed by task names 0..n-1 reordered to row positions; arrays as they are."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        index = values.index
        if not pd.api.types.is_integer_dtype(index) or not index.isin(range(n)).all() or len(index) != n:
            raise ValueError(f"{what} must be indexed by the row positions 0..{n - 1} of the features")
        values = values.sort_index()
    return np.asarray(values)


@dataclass(eq=False, repr=False)
class _DeepEstimator(Estimator):
    """Shared hyper-parameters, checks and prediction of the deep estimators (a scikit-learn
    classifier: ``fit(X, answers)``, ``predict``, ``predict_proba``, ``classes_``).

    The hyper-parameters are dataclass fields: the generated ``__init__`` only stores them (the
    contract), a subclass adds its own fields (positional, before these keyword-only ones), and
    ``get_params`` reads them from that signature as for every estimator.
    """

    _: KW_ONLY
    hidden: int = 128
    dropout: float = 0.5
    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int | None = None
    random_state: int | np.random.Generator | None = 0
    progress: bool = False
    base: Callable[[int, int], nn.Module] | None = None

    def _validate_params(self) -> int:
        """Check the hyper-parameters when ``fit`` starts; returns the seed of this fit."""
        check_positive_int("hidden", self.hidden)
        check_positive_int("epochs", self.epochs, allow_zero=True)
        check_positive_int("batch_size", self.batch_size)
        if self.patience is not None:
            check_positive_int("patience", self.patience)
        check_non_negative("weight_decay", self.weight_decay)
        check_non_negative("lr", self.lr)
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0):
            raise ValueError(f"dropout={self.dropout!r}; expected a number in [0, 1)")
        if self.base is not None and not callable(self.base):
            raise ValueError(f"base={self.base!r}; expected a callable (in_features, n_classes)")
        return _torch_seed(self.random_state)

    def _classifier(self, in_features: int, n_classes: int) -> nn.Module:
        if self.base is not None:
            return self.base(in_features, n_classes)
        return mlp(in_features, n_classes, self.hidden, self.dropout)

    def _new_network(
        self, X, k: int, seed: int, make_head=None, n_workers: int = 0, confusion_lr=None
    ) -> nn.Module:
        """``network_``: a fresh classifier of ``X``'s rows into ``k`` classes (in a
        :class:`CrowdNetwork` under the head ``make_head(k, n_workers, in_features)`` when
        given), its weights drawn under the fit's seed; sets ``n_classes_`` too."""
        in_features = int(np.prod(X.shape[1:]))
        with seeded(seed):  # the head draws first (the order fixes the initial weights)
            head = None if make_head is None else make_head(k, n_workers, in_features)
            network = self._classifier(in_features, k)
            if head is not None:
                network = CrowdNetwork(network, head, confusion_lr)
        self.network_, self.n_classes_ = network, k
        return network

    def _train(self, network, X, target, valid, seed: int, epochs=None) -> History:
        return train(
            network, X, target, valid=valid, epochs=self.epochs if epochs is None else epochs,
            batch_size=self.batch_size, lr=self.lr, weight_decay=self.weight_decay,
            patience=self.patience, seed=seed, progress=self.progress,
        )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, K) of the trained classifier; columns follow ``classes_``."""
        network = self.network_  # NotFittedError before fit
        return predict_proba(network, _features(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row (an entry of ``classes_``)."""
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


class LabelClassifier(_DeepEstimator):
    """The base classifier trained on labels: the truth, or labels aggregated from the crowd.

    ``fit(X, y)`` takes hard labels (n,) or soft labels (n, K), e.g. an aggregator's
    ``labels_`` or ``probas_`` (pandas objects indexed by the row positions are put in row order).

    Parameters
    ----------
    hidden, dropout : the base :func:`mlp` (ignored when ``base`` is given).
    epochs, batch_size, lr, weight_decay, patience, progress : see :func:`~crowdtut.deep.train`.
    random_state : None, an int or a numpy Generator (see Randomness below).
    base : ``base(in_features, n_classes) -> nn.Module`` returning logits, to replace the MLP.

    Attributes
    ----------
    network_ : the trained ``nn.Module``. history_ : :class:`~crowdtut.deep.History`.
    n_classes_ : number of classes. classes_ : the class codes ``0..K-1``.

    Notes
    -----
    ``fit`` turns ``random_state`` (None, an int or a numpy Generator) into one integer seed.
    The initial weights and dropout draw from torch's global CPU generator (torch modules offer
    no other), so ``fit`` forks it (``torch.random.fork_rng``), seeds it and restores it when
    done: the caller's torch and numpy random states are left as they were. The order of the
    mini-batches comes from a ``torch.Generator`` made from the same seed.

    Examples
    --------
    >>> import numpy as np
    >>> from crowdtut.deep import LabelClassifier
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]] * 8, dtype=np.float32)
    >>> y = np.array([0, 0, 1, 1] * 8)
    >>> model = LabelClassifier(hidden=8, epochs=40, lr=0.05, random_state=0).fit(X, y)
    >>> model.predict(X[:4]).tolist()
    [0, 0, 1, 1]
    """

    def fit(self, X, y, *, valid=None, n_classes: int | None = None) -> "LabelClassifier":
        seed = self._validate_params()
        X = _features(X)
        n = len(X)
        target = _row_aligned(y, n, "y")
        if target.ndim == 2:
            target = target.astype(np.float32)
            if (
                not np.isfinite(target).all()
                or not np.allclose(target.sum(axis=1), 1.0, atol=1e-4)
                or (target < 0).any()
            ):
                raise ValueError("soft labels must be non-negative rows that sum to one")
            k = target.shape[1]
        else:
            if target.dtype.kind == "f" and not np.all(target == np.round(target)):
                bad = int(np.flatnonzero(target != np.round(target))[0])
                raise ValueError(f"y[{bad}] = {target[bad]} is not an integer class code")
            target = target.astype(np.int64)
            if len(target) != n or (target < 0).any():
                raise ValueError(f"y must hold {n} class codes >= 0, one per row of X")
            k = int(target.max()) + 1 if n_classes is None else n_classes
        self._new_network(X, k, seed)
        self.classes_ = pd.RangeIndex(k, name="label")
        self.history_ = self._train(self.network_, X, target, _valid(valid), seed)
        return self


class _CrowdEstimator(_DeepEstimator):
    """A deep estimator fitted on raw crowd answers (``fit(X, answers)``)."""

    def _start(self, X, answers, n_classes):
        """What every ``fit`` on answers does first: check all hyper-parameters (subclasses extend
        ``_validate_params``), the features and
        the answers (a (n, W) matrix, or long answers whose tasks are the rows of ``X``); sets
        ``workers_`` and ``classes_``; returns the fit's seed, the features, the answer matrix and
        the number of classes."""
        seed = self._validate_params()
        X = _features(X)
        matrix, workers, classes = dense_answers(answers, n_tasks=len(X), n_classes=n_classes)
        if matrix.shape[0] != len(X):
            raise ValueError(f"answers cover {matrix.shape[0]} tasks but X has {len(X)} rows")
        self.workers_, self.classes_ = workers, classes
        return seed, X, matrix, len(classes)

    def _fit_head(self, X, answers, valid, n_classes, make_head):
        """Fit the classifier and a crowd head ``make_head(k, n_workers, in_features)`` end to end."""
        seed, X, matrix, k = self._start(X, answers, n_classes)
        self._new_network(X, k, seed, make_head, matrix.shape[1], self.confusion_lr)
        self.history_ = self._train(self.network_, X, matrix, _valid(valid), seed)
        with torch.no_grad():
            self.confusion_ = self.network_.head.confusion().numpy().astype(np.float64)
        return self


@dataclass(eq=False, repr=False)
class CrowdLayerClassifier(_CrowdEstimator):
    """The base classifier with a CrowdLayer on top, trained end to end on the raw answers.

    Parameters
    ----------
    conn_type : ``"MW"``, ``"VW"``, ``"VB"`` or ``"VW+B"`` (see :class:`~crowdtut.deep.CrowdLayer`).
    trace_weight : trace penalty on the workers' confusion matrices (0 = none).
    confusion_lr : learning rate of the crowd layer (default: ``lr``). The layer starts at the
        identity and must grow its entries to express confident workers; with few optimisation
        steps (a small training set, early stopping) a larger rate lets it get there.
    Other parameters (and the use of ``random_state``) as in :class:`LabelClassifier`.

    Attributes
    ----------
    network_ : a :class:`CrowdNetwork`; ``network_.classifier`` is the classifier.
    confusion_ : ndarray (W, K, K), each worker's answer distribution ``[worker, true, answered]``
        when the classifier is sure of the true class (:meth:`CrowdLayer.confusion`).
    workers_, classes_ : names of the workers (columns) and of the classes.
    history_, n_classes_ : as in :class:`LabelClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from crowdtut.deep import CrowdLayerClassifier
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]] * 8, dtype=np.float32)
    >>> answers = np.array([[0, 0], [0, -1], [1, 1], [1, 0]] * 8)  # tasks x workers, -1: none
    >>> model = CrowdLayerClassifier(epochs=20, hidden=8, lr=0.05, random_state=0).fit(X, answers)
    >>> model.confusion_.shape
    (2, 2, 2)
    """

    conn_type: str = "MW"
    trace_weight: float = 0.0
    confusion_lr: float | None = None

    def _validate_params(self) -> int:
        seed = super()._validate_params()
        check_choice("conn_type", self.conn_type, tuple(CONN_TYPES))
        check_non_negative("trace_weight", self.trace_weight)
        _check_confusion_lr(self.confusion_lr)
        return seed

    def fit(self, X, answers, *, valid=None, n_classes: int | None = None) -> "CrowdLayerClassifier":
        """``answers``: a (n, W) matrix with ``-1`` for no answer, or long answers whose tasks are
        the row positions of ``X``."""
        return self._fit_head(
            X, answers, valid, n_classes,
            lambda k, w, d: CrowdLayer(k, w, self.conn_type, trace_weight=self.trace_weight),
        )


@dataclass(eq=False, repr=False)
class CoNALClassifier(_CrowdEstimator):
    """The base classifier with CoNAL's common and individual noise adaptation layers.

    Parameters
    ----------
    scale : weight of the regulariser that pushes the worker matrices away from the common one.
    embed_dim, aux_hidden : sizes of the auxiliary network (see :class:`~crowdtut.deep.CoNAL`).
    confusion_lr : learning rate of the common and individual matrices (default: ``lr``); the
        auxiliary network trains at ``lr``.
    Other parameters (and the use of ``random_state``) as in :class:`LabelClassifier`.

    Attributes
    ----------
    confusion_ : ndarray (W, K, K), the individual confusion matrices.
    common_confusion_ : ndarray (K, K), the common confusion matrix.
    network_, history_, workers_, classes_, n_classes_ : as in :class:`CrowdLayerClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from crowdtut.deep import CoNALClassifier
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]] * 8, dtype=np.float32)
    >>> answers = np.array([[0, 0], [0, -1], [1, 1], [1, 0]] * 8)  # tasks x workers, -1: none
    >>> model = CoNALClassifier(epochs=20, hidden=8, lr=0.05, random_state=0).fit(X, answers)
    >>> model.common_confusion_.shape
    (2, 2)
    """

    scale: float = 0.0
    embed_dim: int = 20
    aux_hidden: int = 128
    confusion_lr: float | None = None

    def _validate_params(self) -> int:
        seed = super()._validate_params()
        check_non_negative("scale", self.scale)
        check_positive_int("embed_dim", self.embed_dim)
        check_positive_int("aux_hidden", self.aux_hidden)
        _check_confusion_lr(self.confusion_lr)
        return seed

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


@dataclass(eq=False, repr=False)
class CrowdsEM(_CrowdEstimator):
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
    Other parameters (and the use of ``random_state``) as in :class:`LabelClassifier`;
    ``patience`` applies within each round.

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

    Examples
    --------
    >>> import numpy as np
    >>> from crowdtut.deep import CrowdsEM
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]] * 8, dtype=np.float32)
    >>> answers = np.array([[0, 0], [0, -1], [1, 1], [1, 0]] * 8)  # tasks x workers, -1: none
    >>> model = CrowdsEM(n_rounds=2, epochs=5, hidden=8, lr=0.05, random_state=0).fit(X, answers)
    >>> model.posterior_.shape
    (32, 2)
    """

    n_rounds: int = 5
    pseudo_count: float = 0.0
    epochs: int = field(default=10, kw_only=True)  # per round

    def _validate_params(self) -> int:
        seed = super()._validate_params()
        check_positive_int("n_rounds", self.n_rounds)
        check_non_negative("pseudo_count", self.pseudo_count)
        return seed

    def fit(self, X, answers, *, valid=None, n_classes: int | None = None) -> "CrowdsEM":
        """``answers`` as in :meth:`CrowdLayerClassifier.fit`."""
        seed, X, matrix, k = self._start(X, answers, n_classes)
        valid = _valid(valid)
        data = _crowd_answers(matrix, k)
        posterior = vote_shares(data.vote_counts)
        self._new_network(X, k, seed)
        history = History()
        for r in range(self.n_rounds):
            part = self._train(self.network_, X, posterior.astype(np.float32), valid, seed + 1000 * r)
            for name in ("train_loss", "valid_loss", "valid_accuracy"):
                getattr(history, name).extend(getattr(part, name))
            history.seconds += part.seconds
            counts = confusion_from_posterior(data, posterior, self.pseudo_count)
            confusion = counts / counts.sum(axis=2, keepdims=True)
            prior = predict_proba(self.network_, X)
            # a worker who never gave label l under class k has pi_kl = 0: log 0 = -inf, floored as
            # in DawidSkene (the class keeps posterior ~0, no divide-by-zero warning)
            posterior, _ = normalize_log(log_joint(data, safe_log(confusion), safe_log(prior)))
        counts = confusion_from_posterior(data, posterior, self.pseudo_count)
        confusion = counts / counts.sum(axis=2, keepdims=True)
        history.best_epoch = history.epochs - 1
        self.history_, self.confusion_, self.posterior_ = history, confusion, posterior
        return self
