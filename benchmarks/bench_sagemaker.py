"""Speed and agreement of ModifiedDawidSkene (SageMaker's consolidation).

(a) the SageMaker bird job (302 images x 5 answers): fit time, epochs, accuracy and agreement
    with SageMaker's own labels, all at once and replayed in SageMaker's 13 batches;
(b) synthetic jobs of growing size (K=10, 5 answers per task, worker accuracies in [0.5, 0.95]):
    seconds per fit and per epoch, to check that the cost per epoch grows linearly with the
    number of answers; and the same answers fed to ``partial_fit`` in batches of 1,000 tasks.

Run: ``python benchmarks/bench_sagemaker.py [--repeats 3] [--sizes 10000 100000 1000000]``.
Needs the dataset mirror for (a) (``$CROWDTUT_DATA``); (a) is skipped without it.
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
import time
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from crowdtut import encode_answers, simulate
from crowdtut.aggregation import MajorityVote, ModifiedDawidSkene
from crowdtut.metrics import accuracy
from crowdtut.io.sagemaker import agreement, read_output_manifest


def best_of(repeats: int, func) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def birds(repeats: int) -> pd.DataFrame:
    from crowdtut.datasets import dataset_info, fetch_file, load_dataset

    ds = load_dataset("sagemaker-birds", download=False)
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(
        fetch_file(dataset_info("sagemaker-birds").files["archive"], download=False)
    ) as archive:
        archive.extract("ic_data/output.manifest", tmp, filter="data")
        manifest = read_output_manifest(Path(tmp) / "ic_data/output.manifest")
    manifest.index = manifest["source_ref"].map(lambda s: PurePosixPath(s).stem)
    batch_of = manifest["creation_date"].dt.floor("s")
    batches = [ds.answers[ds.answers["task"].isin(batch_of.index[batch_of == when])]
               for when in sorted(batch_of.unique())]

    def replay():
        model = ModifiedDawidSkene()
        for batch in batches:
            model.partial_fit(batch, classes=ds.classes)
        return model

    rows = []
    for name, make in {
        "MV (first class on ties)": lambda: MajorityVote().fit(ds.answers, classes=ds.classes),
        "MDS, all at once": lambda: ModifiedDawidSkene().fit(ds.answers, classes=ds.classes),
        "MDS, notebook's stop": lambda: ModifiedDawidSkene(stop_rule="notebook").fit(
            ds.answers, classes=ds.classes),
        "MDS, 13 batches": replay,
    }.items():
        model = make()
        rows.append({"method": name, "seconds": best_of(repeats, make),
                     "epochs": getattr(model, "n_iter_", None),
                     "accuracy": accuracy(model.labels_, ds.truth),
                     "agreement /302": agreement(model.labels_, manifest)})
    return pd.DataFrame(rows).set_index("method")


def synthetic(sizes: list[int], repeats: int) -> pd.DataFrame:
    rows = []
    for n_tasks in sizes:
        crowd = simulate.independent_confusion(
            n_tasks, max(100, n_tasks // 50), 10, feedback=5, diag_range=(0.5, 0.95), seed=0
        )
        data = encode_answers(crowd.answers)
        model = ModifiedDawidSkene(tol=0)  # always 20 epochs, for a per-epoch time
        seconds = best_of(repeats, lambda: model.fit(data))
        tasks = data.tasks.to_numpy()
        chunks = np.array_split(np.arange(data.n_tasks), max(1, data.n_tasks // 1000))

        def batches():
            inc = ModifiedDawidSkene()
            for chunk in chunks:
                inc.partial_fit(data.subset(np.isin(data.task, chunk)))
            return inc

        batch_seconds = best_of(1, batches)
        rows.append({"tasks": n_tasks, "answers": data.n_answers, "workers": data.n_workers,
                     "fit s (20 epochs)": seconds, "ms per epoch": 1000 * seconds / 20,
                     "us per answer-epoch": 1e6 * seconds / 20 / data.n_answers,
                     "accuracy": accuracy(model.labels_, crowd.truth.reindex(tasks)),
                     "batches": len(chunks), "partial_fit s (all batches)": batch_seconds})
    return pd.DataFrame(rows).set_index("tasks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    pd.set_option("display.width", 140)
    try:
        print(birds(args.repeats).round(4).to_string(), end="\n\n")
    except FileNotFoundError as err:
        print(f"(a) skipped: {err}\n")
    print(synthetic(args.sizes, args.repeats).round(4).to_string())


if __name__ == "__main__":
    main()
