"""``crowdtut train``: a classifier trained on aggregated labels, scored on the test split."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    CLIError,
    add_command,
    add_overwrite,
    check_free,
    json_bytes,
    read_npy,
    show,
    task_order,
    write_outputs,
)
from ._training import (
    add_training_args,
    estimator_params,
    fit_and_record,
    load_training_folder,
    splits,
)

_DESCRIPTION = """\
Train a classifier (crowdtut.deep.LabelClassifier: an MLP, needs torch) on the training tasks
of FOLDER with the labels of --labels: hard labels (n_tasks,) or soft labels (n_tasks, K), as
written by 'crowdtut aggregate'. Inputs are FOLDER/features/train.npy (or images/ with --input
images), row i = task i. The test split (features/test.npy, ground_truth_test.npy) gives the
test accuracy and expected calibration error (15 bins), written with the settings to
FOLDER/results/<name>.json. With a valid split, its accuracy is tracked and --patience stops
early on its loss."""


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "train",
        help="train a classifier on aggregated labels and report test accuracy and ECE",
        description=_DESCRIPTION,
        epilog="example: crowdtut train data/labelme --labels labels_labelme_ds.npy --epochs 50",
    )
    p.add_argument(
        "--labels", required=True, type=Path,
        help="labels .npy file (a path, or a file name in FOLDER/labels/)",
    )
    add_training_args(p)
    add_overwrite(p)
    p.set_defaults(run=run)


def _labels_path(folder_path: Path, given: Path) -> Path:
    if given.is_file():
        return given
    inside = folder_path / "labels" / given
    if inside.is_file():
        return inside
    raise CLIError(f"labels file {given} not found (nor {inside})")


def _read_labels(path: Path, n_tasks: int, n_classes: int):
    import numpy as np

    y = read_npy(path)
    if y.ndim == 1 and y.dtype.kind in "iu":
        if len(y) != n_tasks:
            raise CLIError(f"{path} has {len(y)} labels for {n_tasks} tasks")
        if y.min() < 0 or y.max() >= n_classes:
            raise CLIError(f"{path} has labels outside 0..{n_classes - 1}")
        return y.astype(np.int64)
    if y.ndim == 2 and y.dtype.kind == "f":
        if y.shape != (n_tasks, n_classes):
            raise CLIError(f"{path} has shape {y.shape}; expected ({n_tasks}, {n_classes})")
        bad = ~np.isfinite(y).all(axis=1) | (y < 0).any(axis=1) | (np.abs(y.sum(axis=1) - 1) > 1e-4)
        if bad.any():
            raise CLIError(
                f"{path}: {int(bad.sum())} rows are not probability vectors (first row "
                f"{int(np.flatnonzero(bad)[0])})"
            )
        return y.astype(np.float32)
    raise CLIError(
        f"{path} must hold hard labels (n_tasks,) of integers or soft labels (n_tasks, K); got "
        f"shape {y.shape}, {y.dtype}"
    )


def run(args: argparse.Namespace) -> int:
    folder = load_training_folder(args)
    labels_path = _labels_path(folder.path, args.labels)
    name = args.output_name or labels_path.stem.removeprefix("labels_")
    target = folder.path / "results" / f"{name}.json"
    check_free([target], args.overwrite)
    order = task_order(folder)
    n_classes = folder.n_classes
    y = _read_labels(labels_path, len(order), n_classes)
    data = splits(folder.path, args.input, len(order), need_test=True)

    from ..deep import LabelClassifier

    params = estimator_params(args)
    model = LabelClassifier(**params)
    record, _ = fit_and_record(model, y, data, n_classes, args, params)
    result = {"labels": str(labels_path), "kind": "soft" if y.ndim == 2 else "hard", **record}
    history = model.history_
    if history.valid_accuracy:
        kept = history.best_epoch if args.patience is not None else -1  # the weights kept
        result["valid_accuracy"] = history.valid_accuracy[kept]
    write_outputs({target: json_bytes(result)}, args.overwrite)
    print(
        f"trained on {labels_path.name} ({result['kind']}, {len(y)} tasks, {history.epochs} "
        f"epochs, {history.seconds:.1f} s): test accuracy {result['test_accuracy']:.3f}, "
        f"ECE {result['test_ece']:.3f} on {result['n_test']} items"
    )
    print(f"-> {show(target)}")
    return 0
