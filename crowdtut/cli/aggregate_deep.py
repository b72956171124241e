"""``crowdtut aggregate-deep``: a classifier learned end to end from the answers (crowd layers)."""

from __future__ import annotations

import argparse

from ._common import (
    CLIError,
    add_command,
    add_overwrite,
    check_free,
    json_bytes,
    npy_bytes,
    show,
    task_order,
    write_outputs,
)
from ._strategies import DEEP_STRATEGIES, add_strategy, parse_strategy
from ._training import (
    add_training_args,
    estimator_params,
    fit_and_record,
    load_training_folder,
    splits,
)

_DESCRIPTION = """\
Learn a classifier (an MLP on FOLDER/features/train.npy, needs torch) directly from the answers
of FOLDER, with a crowd head that models each worker. Writes the classifier's probabilities on
the training tasks to FOLDER/labels/labels_<name>_<strategy>.npy, and the test accuracy and ECE
(with a test split), AccTrain (with ground_truth.npy) and the settings to
FOLDER/results/<name>_<strategy>.json (with --output-name OUT: labels_<name>_OUT.npy and
results/OUT.json). For DeepEM, --epochs is the total over its rounds.

Strategies and their bracket parameters with defaults, e.g. -s "CoNAL[scale=1e-4]":
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "aggregate-deep",
        help="learn a classifier end to end from the answers (CrowdLayer, CoNAL, deep EM)",
        description=_DESCRIPTION,
        epilog='example: crowdtut aggregate-deep data/labelme -s "CoNAL[scale=1e-4]"',
    )
    add_strategy(p, DEEP_STRATEGIES, "deep strategy", default="CoNAL")
    add_training_args(p)
    add_overwrite(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    strategy, options, slug = parse_strategy(args.strategy, DEEP_STRATEGIES, "deep strategy")
    folder = load_training_folder(args)
    name = folder.name
    labels_file = folder.labels_path(args.output_name or slug)
    results_file = folder.path / "results" / f"{args.output_name or f'{name}_{slug}'}.json"
    check_free([labels_file, results_file], args.overwrite)
    import pandas as pd

    order = task_order(folder)
    if not isinstance(order, pd.RangeIndex):
        raise CLIError("aggregate-deep needs task ids 0..n-1: row i of the inputs is task i")
    data = splits(folder.path, args.input, len(order), need_test=False)

    from ..metrics import accuracy

    params = estimator_params(args)
    if strategy.name == "DeepEM":
        rounds = options.get("n_rounds", strategy.defaults()["n_rounds"])
        params["epochs"] = max(1, args.epochs // max(rounds, 1))
    estimator = strategy.build({**params, **options})
    record, proba = fit_and_record(
        estimator, folder.answers, data, folder.n_classes, args, params, train_proba=True
    )
    result = {"strategy": args.strategy.strip(), **record, **options}
    history = estimator.history_
    if folder.truth is not None and len(folder.truth):
        rows = folder.truth.index.to_numpy()  # task ids 0..n-1 are the rows of proba
        result["acc_train"] = accuracy(proba[rows], folder.truth.to_numpy())
    write_outputs(
        {labels_file: npy_bytes(proba), results_file: json_bytes(result)}, args.overwrite
    )
    scores = [f"{key} {result[key]:.3f}" for key in ("acc_train", "test_accuracy", "test_ece")
              if key in result]
    print(
        f"{args.strategy.strip()}: {len(order)} tasks, {history.epochs} epochs, "
        f"{history.seconds:.1f} s; " + ", ".join(scores)
    )
    print(f"labels {proba.shape} -> {show(labels_file)}; results -> {show(results_file)}")
    return 0
