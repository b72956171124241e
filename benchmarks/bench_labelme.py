"""Deep learning from crowds on LabelMe: test accuracy and ECE (mean, std over seeds) and seconds
per model, for every method of the book's LabelMe chapter, beside the published numbers.

The base model is the seed's: Linear(512, 128), ReLU, Dropout(0.5), Linear(128, 8) on the
average-pooled VGG16 features; Adam (lr 1e-3), batch 64, up to 50 epochs; the crowd layers'
weights and CoNAL's matrices at ``--confusion-lr`` (3e-2, as in the chapter). By default training
stops when the validation loss (500 images with true labels) has not improved for 10 epochs and
the best epoch is kept, as in the chapter; ``--fixed-epochs`` trains all 50 epochs instead (the
seed's protocol).

Run: ``CROWDTUT_DATA=... python benchmarks/bench_labelme.py [--seeds 5] [--threads 1]
[--confusion-lr 3e-2] [--fixed-epochs] [--hard]``.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from crowdtut import deep
from crowdtut.datasets import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (0..n-1)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=10, help="early-stopping patience")
    parser.add_argument("--confusion-lr", type=float, default=3e-2,
                        help="learning rate of the crowd layers' weights and CoNAL's matrices")
    parser.add_argument("--fixed-epochs", action="store_true", help="no early stopping")
    parser.add_argument("--hard", action="store_true", help="train on hard DS / GLAD labels")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    ds = load_dataset("labelme")
    X = ds.extras["features_train"]
    valid = (ds.extras["features_valid"], ds.extras["y_valid"])
    test = (ds.extras["features_test"], ds.extras["y_test"])
    patience = None if args.fixed_epochs else args.patience
    methods = deep.standard_methods(
        ds.answers, len(X), truth=ds.truth.to_numpy(), n_classes=8, soft=not args.hard,
        epochs=args.epochs, patience=patience, confusion_lr=args.confusion_lr,
    )
    start = time.perf_counter()
    results = deep.compare(methods, X, test=test, valid=valid, seeds=range(args.seeds), n_classes=8)
    total = time.perf_counter() - start

    table = deep.summarize(results)
    published = deep.labelme_published().reindex(table.index)
    out = pd.DataFrame(
        {
            "accuracy": [f"{m:.3f} ± {s:.3f}" for m, s in zip(table["accuracy"], table["accuracy_std"])],
            "ECE": [f"{m:.3f} ± {s:.3f}" for m, s in zip(table["ece"], table["ece_std"])],
            "epochs": results.groupby("method", sort=False)["epochs"].mean().round(1),
            "s/model": table["seconds"].round(2),
        },
        index=table.index,
    ).join(published.map(lambda v: "" if pd.isna(v) else f"{v:.3f}"))
    protocol = "fixed epochs" if args.fixed_epochs else f"early stopping (patience {args.patience})"
    print(f"LabelMe test set (1,188 images), {args.seeds} seeds, up to {args.epochs} epochs, "
          f"{protocol}, confusion_lr {args.confusion_lr:g}, {'hard' if args.hard else 'soft'} "
          f"DS/GLAD labels, {args.threads} torch thread(s)")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(out.to_string())
    print(f"total {total:.1f} s for {len(results)} fits ({total / len(results):.2f} s per fit)")


if __name__ == "__main__":
    main()
