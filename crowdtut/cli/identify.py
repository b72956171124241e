"""``crowdtut identify``: scores of tasks (ambiguity) and workers (reliability) of a folder."""

from __future__ import annotations

import argparse

from ._common import (
    USAGE,
    CLIError,
    add_check_labels,
    add_command,
    add_overwrite,
    check_free,
    count,
    json_bytes,
    load_folder,
    load_split,
    npy_bytes,
    number,
    show,
    task_order,
    write_outputs,
)
from ._training import add_threads, torch_threads
from ._strategies import IDENTIFICATION_METHODS, describe, parse_strategy

_DESCRIPTION = """\
Score the tasks or the workers of FOLDER and write FOLDER/identification/<score>.npy (row i =
task or worker i) and <score>.csv (id, value). Krippendorff's alpha is one number, written to
krippendorff_alpha.json. AUM and WAUM train a classifier (crowdtut.deep, needs torch) on
FOLDER/features/train.npy (or images/ with --input images), one row per task.

Methods:
"""

_CONFUSION = ("spam-score", "trace")
_FILES = {
    "entropy": "entropy",
    "GLAD": "glad_difficulty",
    "AUM": "aum",
    "WAUM": "waum",
    "spam-score": "spam_score",
    "trace": "trace_confusion",
    "agreement": "agreement",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "identify",
        help="score ambiguous tasks and poor workers",
        description=_DESCRIPTION + describe(IDENTIFICATION_METHODS),
        epilog="example: crowdtut identify data/labelme -s WAUM --epochs 30 --alpha 0.05",
    )
    p.add_argument("--method", "-s", default="entropy", metavar="METHOD", help="what to compute")
    p.add_argument(
        "--aggregator", "-a", default=None, metavar="STRATEGY",
        help="aggregation strategy behind the score (bracket form allowed): the labels of "
        "agreement and AUM (default MV), the confusion matrices of spam-score and trace "
        "(default DS; DS or DSWC)",
    )
    p.add_argument("--normalize", action="store_true", help="entropy: divide by log K")
    p.add_argument("--alpha", type=number(0, 1), default=0.01, help="WAUM: quantile of flagged tasks")
    p.add_argument(
        "--margin", choices=("yang", "pleiss"), default="yang",
        help="WAUM: margin against the second largest probability (yang, peerannot's "
        "default) or the largest other one (pleiss)",
    )
    p.add_argument(
        "--input", choices=("features", "images"), default="features",
        help="AUM, WAUM: what the classifier reads (FOLDER/<input>/train.npy)",
    )
    p.add_argument("--epochs", type=count(0), default=50, help="AUM, WAUM: training epochs")
    p.add_argument("--lr", type=number(0, open_low=True), default=1e-3, help="AUM, WAUM: Adam learning rate")
    p.add_argument("--batch-size", type=count(1), default=64, help="AUM, WAUM: mini-batch size")
    p.add_argument("--hidden", type=count(1), default=128, help="AUM, WAUM: hidden units of the MLP")
    p.add_argument("--dropout", type=number(0, 1, open_high=True), default=0.5, help="AUM, WAUM: dropout of the MLP")
    p.add_argument("--seed", type=count(0), default=0, help="AUM, WAUM: seed of the training")
    add_threads(p)
    add_check_labels(p)
    add_overwrite(p)
    p.set_defaults(run=run)


def _method(text: str):
    method, _, _ = parse_strategy(text, IDENTIFICATION_METHODS, "identification method")
    return method.name


def _aggregator(text: str | None, default: str, method: str):
    from .aggregate import strategy_of

    strategy, options, slug = strategy_of(text or default)
    if method in _CONFUSION and strategy.name not in ("DS", "DSWC"):
        raise CLIError(
            f"{method} needs confusion matrices: --aggregator must be DS or DSWC, not "
            f"{strategy.name}", USAGE,
        )
    return strategy, options, slug


def _targets(folder_path, method: str, slug: str | None):
    base = folder_path / "identification"
    if method == "krippendorff":
        return [base / "krippendorff_alpha.json"]
    stem = _FILES[method] + (f"_{slug}" if method == "agreement" else "")
    files = [base / f"{stem}.npy", base / f"{stem}.csv"]
    if method == "WAUM":
        files.append(base / "waum_per_answer.csv")
    return files


def _series_files(series, order, targets, flagged=None) -> dict:
    """``.npy`` in ``order`` (NaN where no value) and ``.csv`` with the ids (and the flags)."""
    series = series.reindex(order) + 0.0  # -0.0 (an entropy of 0) written as 0.0
    values = series.to_numpy(dtype="float64")
    frame = series.rename_axis(order.name).reset_index()
    if flagged is not None:
        frame["flagged"] = frame[order.name].isin(flagged)
    return {targets[0]: npy_bytes(values), targets[1]: frame.to_csv(index=False)}


def _worker_order(folder, data):
    import pandas as pd

    workers = data.workers
    n = folder.metadata.get("n_workers")
    if workers.dtype.kind in "iu" and isinstance(n, int) and n >= len(workers):
        return pd.RangeIndex(n, name="worker")
    return workers.rename("worker")


def run(args: argparse.Namespace) -> int:
    method = _method(args.method)
    aggregator = None
    if method in ("agreement", "AUM"):
        aggregator = _aggregator(args.aggregator, "MV", method)
    elif method in _CONFUSION:
        aggregator = _aggregator(args.aggregator, "DS", method)
    elif args.aggregator is not None:
        raise CLIError(f"--aggregator does not apply to {method}", USAGE)
    folder = load_folder(args.folder, args.check_labels)
    targets = _targets(folder.path, method, aggregator[2] if aggregator else None)
    check_free(targets, args.overwrite)

    from .. import identification as idf

    data = folder.encode()
    order = task_order(folder)
    summary = ""
    if method == "krippendorff":
        alpha = idf.krippendorff_alpha(data)
        write_outputs(
            {targets[0]: json_bytes({"krippendorff_alpha": alpha, "n_tasks": data.n_tasks,
                                     "n_answers": data.n_answers})},
            args.overwrite,
        )
        print(f"Krippendorff's alpha {alpha:.3f} ({data.n_tasks} tasks, {data.n_answers} answers)")
        print(f"-> {show(targets[0])}")
        return 0

    extra = None
    if method == "entropy":
        scores = idf.vote_entropy(data, normalize=args.normalize)
    elif method == "GLAD":
        scores = idf.glad_difficulty(data)
    elif method in ("AUM", "WAUM"):
        scores, extra, summary = _margins(method, args, folder, data, order, aggregator, idf)
    else:
        strategy, options, _ = aggregator
        model = strategy.build(options).fit(data)
        if method == "agreement":
            scores = idf.worker_agreement(data, model.labels_)
        elif method == "spam-score":
            scores = idf.spam_score(model.confusion_, workers=data.workers)
        else:
            scores = idf.confusion_trace(model.confusion_, workers=data.workers)

    is_worker = method in ("spam-score", "trace", "agreement")
    index = _worker_order(folder, data) if is_worker else order
    files = _series_files(scores, index, targets, extra.flagged if method == "WAUM" else None)
    if method == "WAUM":
        files[targets[2]] = extra.per_answer.to_csv(index=False)
    write_outputs(files, args.overwrite)

    what = "workers" if is_worker else "tasks"
    worst = scores.sort_values(ascending=method in ("AUM", "WAUM", "spam-score", "trace",
                                                    "agreement"))
    shown = ", ".join(f"{i}: {v + 0.0:.3f}" for i, v in worst.head(5).items())  # no -0.000
    print(f"{method} of {len(scores)} {what}: mean {scores.mean():.3f}; most suspect {shown}")
    if summary:
        print(summary)
    print(f"-> {show(targets[0])}, {show(targets[1])}")
    return 0


def _margins(method, args, folder, data, order, aggregator, idf):
    import pandas as pd

    if not isinstance(order, pd.RangeIndex):
        raise CLIError(
            f"{method} needs task ids 0..n-1 in answers.json: row i of "
            f"{args.input}/train.npy is task i"
        )
    x = load_split(folder.path, "train", args.input, n_rows=len(order))
    training = dict(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                    hidden=args.hidden, dropout=args.dropout, seed=args.seed)
    if method == "AUM":
        strategy, options, _ = aggregator
        labels = strategy.build(options).fit(data).labels_.reindex(order)
        with torch_threads(args.threads):
            scores = idf.aum(x, labels.astype("int64"), n_classes=data.n_classes, **training)
        return scores, None, ""
    with torch_threads(args.threads):
        result = idf.waum(x, data.to_frame(), alpha=args.alpha, margin=args.margin,
                          n_classes=data.n_classes, **training)
    flagged = ", ".join(map(str, result.flagged[:10]))
    summary = (
        f"{len(result.flagged)} tasks at or below the {args.alpha} quantile "
        f"({result.threshold:.3f}): {flagged}{', ...' if len(result.flagged) > 10 else ''}"
    )
    return result.waum, result, summary
