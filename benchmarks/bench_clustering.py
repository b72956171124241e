"""Speed, memory and agreement with the true classes of the two crowd-clustering aggregators.

The issue's setting: 1,000 LabelMe images (the training set, 8 classes), HITs of 10 images built
as in the seed pipeline, each image in about 20 HITs (2,000 HITs, 90,000 pairwise labels), a
simulated crowd of 50 partitioning workers (faithful, lumpers, splitters, careless), one worker
per HIT. Targets: each method within 30 s on 2 cores and below 2 GB of memory.

Run: ``python benchmarks/bench_clustering.py [--images 1000] [--hits-per-image 20] [--repeats 3]``
(needs the dataset mirror: ``CROWDTUT_DATA``). Timings include encoding the DataFrame and
building the pairwise labels; memory is the peak traced by ``tracemalloc`` during one fit, and
the process's maximum resident set size is printed at the end.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")  # the budget is two cores

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from crowdtut.simulate import partitions as sc
from crowdtut.aggregation import CoAssociationClustering, CrowdClustering
from crowdtut.datasets import load_dataset
from crowdtut.metrics import adjusted_rand_index, normalized_mutual_info, worker_pairwise_ari

TARGET_SECONDS, TARGET_MB = 30.0, 2048.0


def measure(make, answers, repeats: int):
    """Median seconds per fit (from the DataFrame), peak traced MB and the last fitted model."""
    times, model = [], None
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(answers)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    make().fit(answers)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return float(np.median(times)), peak / 2**20, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--hits-per-image", type=int, default=20)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ds = load_dataset("labelme")
    rng = np.random.default_rng(args.seed)
    rows = np.sort(rng.choice(len(ds.truth), size=min(args.images, len(ds.truth)), replace=False))
    truth = ds.truth.iloc[rows]
    features = ds.extras["features_train"][rows]
    plan = sc.hit_arithmetic(len(truth), 10, args.hits_per_image)
    hits = sc.make_hits(truth.index, 10, args.hits_per_image, seed=args.seed)
    crowd = sc.simulate_partitions(hits, truth, features, n_workers=args.workers, seed=args.seed)
    appear = hits["item"].value_counts()
    print(f"{len(truth)} LabelMe images (8 classes), {plan['unique_hits']} HITs of 10, each image in "
          f"{appear.mean():.1f} HITs (min {appear.min()}, max {appear.max()}), "
          f"{plan['pairwise_labels']:,} pairwise labels, {args.workers} simulated workers "
          f"({crowd.worker_type.value_counts().to_dict()}); {cores} core(s) available, BLAS threads "
          f"{os.environ['OPENBLAS_NUM_THREADS']}")
    best_worker = worker_pairwise_ari(crowd.answers, truth).max()

    methods = {
        "CrowdClustering": lambda: CrowdClustering(random_state=0),
        "CoAssociationClustering": lambda: CoAssociationClustering(random_state=0),
    }
    table = []
    for name, make in methods.items():
        seconds, mb, model = measure(make, crowd.answers, args.repeats)
        extra = f"{model.n_iter_} VB iterations" if hasattr(model, "loss_history_") else ""
        table.append({
            "method": name,
            "clusters": model.n_clusters_,
            "ARI": adjusted_rand_index(model.labels_, truth),
            "NMI": normalized_mutual_info(model.labels_, truth),
            "seconds": seconds,
            "peak MB": mb,
            "within 30 s": seconds < TARGET_SECONDS,
            "below 2 GB": mb < TARGET_MB,
            "note": extra,
        })
    table = pd.DataFrame(table).set_index("method")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"best single worker's pairwise ARI: {best_worker:.3f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max resident memory: {rss:.0f} MB")


if __name__ == "__main__":
    main()
