"""What ``train`` and ``aggregate-deep`` (the commands that use torch) share: options, data, fit."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import CLIError, count, file_name_part, load_folder, load_split, number, read_npy


def add_training_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--input", choices=("features", "images"), default="features",
        help="what the classifier reads: FOLDER/features/<split>.npy, or FOLDER/images/<split>.npy "
        "flattened and scaled to [0, 1]",
    )
    p.add_argument("--epochs", type=count(0), default=50, help="training epochs")
    p.add_argument("--lr", type=number(0, open_low=True), default=1e-3, help="Adam learning rate")
    p.add_argument("--batch-size", type=count(1), default=64, help="mini-batch size")
    p.add_argument("--weight-decay", type=number(0), default=0.0, help="Adam weight decay")
    p.add_argument("--hidden", type=count(1), default=128, help="hidden units of the MLP classifier")
    p.add_argument("--dropout", type=number(0, 1, open_high=True), default=0.5, help="dropout of the MLP classifier")
    p.add_argument(
        "--patience", type=count(1), default=None,
        help="stop when the validation loss has not improved for this many epochs and keep the "
        "best weights (needs the valid split)",
    )
    add_threads(p)
    p.add_argument("--seed", type=count(0), default=0, help="seed of the weights and the batch order")
    p.add_argument(
        "--output-name", "-o", default=None,
        help="name of the results file results/<name>.json (default: the labels file's name, or "
        "<dataset>_<strategy>)",
    )


def add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads", type=count(0), default=1,
        help="torch CPU threads; one is fastest for these small networks and does not stall when "
        "other processes share the CPU (0: torch's default)",
    )


def torch_threads(n: int):
    """:func:`crowdtut.deep.torch_threads`, imported only when a command trains."""
    from ..deep import torch_threads as threads

    return threads(n)


def estimator_params(args: argparse.Namespace) -> dict:
    """The deep estimators' hyper-parameters from the flags (``--seed`` is ``random_state``)."""
    return dict(
        hidden=args.hidden, dropout=args.dropout, epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, weight_decay=args.weight_decay, patience=args.patience,
        random_state=args.seed,
    )


def _truth(path: Path, n: int):
    y = read_npy(path)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise CLIError(f"{path} must hold {n} integer labels; got shape {y.shape}, {y.dtype}")
    return y.astype("int64")


def splits(folder_path: Path, source: str, n_train: int, *, need_test: bool):
    """Training inputs, and (X, y) of the valid and test splits when present (else None)."""
    x_train = load_split(folder_path, "train", source, n_rows=n_train)
    out = {"train": x_train}
    for split in ("valid", "test"):
        truth = folder_path / f"ground_truth_{split}.npy"
        if (folder_path / source / f"{split}.npy").is_file() and truth.is_file():
            x = load_split(folder_path, split, source)
            if x.shape[1:] != x_train.shape[1:]:
                raise CLIError(
                    f"{source}/{split}.npy rows have shape {x.shape[1:]}, the train rows "
                    f"{x_train.shape[1:]}"
                )
            out[split] = (x, _truth(truth, len(x)))
        else:
            out[split] = None
    if need_test and out["test"] is None:
        raise CLIError(
            f"no test split: {source}/test.npy and ground_truth_test.npy are needed in "
            f"{folder_path} to report test accuracy"
        )
    return out


def test_scores(estimator, test, n_classes: int) -> dict:
    """Test accuracy and ECE of a trained estimator (empty without a test split)."""
    if test is None:
        return {}
    from ..metrics import accuracy, expected_calibration_error

    x, y = test
    if y.max() >= n_classes:
        raise CLIError(f"ground_truth_test.npy has label {y.max()} >= n_classes={n_classes}")
    proba = estimator.predict_proba(x)
    return {
        "test_accuracy": accuracy(proba, y),
        "test_ece": expected_calibration_error(proba, y),
        "n_test": int(len(y)),
    }


def load_training_folder(args: argparse.Namespace):
    """The dataset folder of a training command, after checking ``--output-name`` (a usage
    error comes before anything is read)."""
    file_name_part(args.output_name, "--output-name")
    return load_folder(args.folder)


def fit_and_record(estimator, targets, data: dict, n_classes: int, args: argparse.Namespace,
                   params: dict, *, train_proba: bool = False):
    """Fit ``estimator`` on the train split (the valid split, when present, for early stopping)
    with ``--threads`` torch threads and score it on the test split.

    Returns what every results file records of the run (the input, the test scores, the epochs
    and seconds it took, and the hyper-parameters ``params`` under the flags' names: ``seed``,
    not ``random_state``) and, with ``train_proba``, the estimator's probabilities on the
    training inputs (else None).
    """
    with torch_threads(args.threads):
        estimator.fit(data["train"], targets, valid=data["valid"], n_classes=n_classes)
        proba = estimator.predict_proba(data["train"]) if train_proba else None
        scores = test_scores(estimator, data["test"], n_classes)
    history = estimator.history_
    record = {
        "input": args.input,
        "n_train": len(data["train"]),
        **scores,
        "epochs_run": history.epochs,
        "seconds": round(history.seconds, 3),
        **{("seed" if k == "random_state" else k): v for k, v in params.items()},
    }
    return record, proba
