"""Scratch timing and accuracy for GLAD and MACE (the lead may fold it into the main benchmark).

Run: python benchmarks/bench_glad_mace_scratch.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crowdtut.aggregation.glad import GLAD
from crowdtut.aggregation.mace import MACE

DATA = Path(
    os.environ.get("CROWDTUT_DATA", Path(__file__).resolve().parents[2] / "shared" / "datasets")
)
REAL = {
    "bluebird": "SpectralMethodsMeetEM/bluebird",
    "web": "SpectralMethodsMeetEM/web",
    "d_jn-product": "crowd_truth_inference/d_jn-product",
}


def synthetic(n_tasks=20_000, n_workers=200, n_classes=5, per_task=5, seed=0):
    """Diagonally dominant confusion matrices; each task answered by distinct random workers."""
    rng = np.random.default_rng(seed)
    diag = rng.uniform(0.5, 0.95, size=n_workers)
    off = rng.dirichlet(np.ones(n_classes - 1), size=(n_workers, n_classes))
    conf = np.empty((n_workers, n_classes, n_classes))
    for c in range(n_classes):
        others = [k for k in range(n_classes) if k != c]
        conf[:, c, c] = diag
        conf[:, c, others] = off[:, c] * (1 - diag)[:, None]
    truth = rng.integers(n_classes, size=n_tasks)
    workers = np.argpartition(rng.random((n_tasks, n_workers)), per_task, axis=1)[:, :per_task]
    task = np.repeat(np.arange(n_tasks), per_task)
    worker = workers.ravel()
    cum = conf[worker, truth[task]].cumsum(axis=1)
    label = (rng.random(task.size)[:, None] > cum).sum(axis=1)
    label = np.minimum(label, n_classes - 1)
    df = pd.DataFrame({"task": task, "worker": worker, "label": label})
    return df, pd.Series(truth, index=pd.RangeIndex(n_tasks, name="task"))


def load_real(name):
    folder = DATA / "truth_inference" / "data" / REAL[name]
    df = pd.read_csv(folder / "label.csv").rename(columns={"item": "task"})
    truth = pd.read_csv(folder / "truth.csv").set_index("item")["truth"]
    return df, truth


def accuracy(labels, truth):
    common = truth.index.intersection(labels.index)
    return float((labels.loc[common].to_numpy() == truth.loc[common].to_numpy()).mean())


def majority(df):
    counts = df.groupby(["task", "label"]).size().unstack(fill_value=0)
    return pd.Series(counts.columns[counts.to_numpy().argmax(axis=1)], index=counts.index)


def timed(model, df, repeat=3):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        model.fit(df)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    models = {
        "GLAD": lambda: GLAD(),
        "MACE em": lambda: MACE(method="em", random_state=0),
        "MACE vb": lambda: MACE(method="vb", random_state=0),
        "MACE vb 1 restart": lambda: MACE(method="vb", n_restarts=1, random_state=0),
    }
    df, truth = synthetic()
    print(f"synthetic: {len(df)} answers; majority vote {accuracy(majority(df), truth):.4f}")
    for name, make in models.items():
        model = make()
        seconds = timed(model, df)
        extra = f" iters {getattr(model, 'n_iter_', '')}"
        acc = accuracy(model.labels_, truth)
        print(f"  {name:18s} {seconds:6.3f} s  accuracy {acc:.4f}{extra}")
    if not DATA.exists():
        print(f"no data at {DATA}")
        return
    for name in REAL:
        df, truth = load_real(name)
        row = [f"{name:13s} MV {accuracy(majority(df), truth):.4f}"]
        for mname, make in models.items():
            row.append(f"{mname} {accuracy(make().fit(df).labels_, truth):.4f}")
        print("  ".join(row))


if __name__ == "__main__":
    sys.exit(main())
