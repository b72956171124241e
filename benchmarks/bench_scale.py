"""Dawid-Skene on 1M, 10M and 100M synthetic answers: in memory vs crowdtut.scale on dask.

The answers (K = 2, 5 answers per task from distinct workers, one-coin workers with accuracy in
[0.55, 0.95]) are generated chunk by chunk (1M answers per Parquet file, tasks in increasing
order, so that dask reads them partitioned by task with known divisions) and never held whole by
the generating process. Each run happens in its own subprocess so that its peak memory
(``ru_maxrss``) is its own:

- in memory: ``pandas.read_parquet`` + ``crowdtut.aggregation.DawidSkene``;
- dask: a ``LocalCluster`` of 2 worker processes (1 thread each, ``--memory-limit`` each),
  ``dask.dataframe.read_parquet`` + ``crowdtut.scale.DawidSkene``; the peak is measured in every
  worker process, and a worker that died or restarted is reported.

Both run ``--n-iter`` EM iterations with ``tol=0`` so that a time per iteration compares like
with like. spark-crowd's published figure (DawidSkene, 10M answers) is printed beside ours;
``--crowdkit`` also runs crowd-kit 1.4.2's DawidSkene (``/work/venv-crowdkit``) on the sizes up
to ``--crowdkit-max``.

Run: ``python benchmarks/bench_scale.py --sizes 1e6 1e7 [1e8] [--workdir DIR] [--n-iter 10]
[--memory-limit 1.5GB] [--skip-memory-above 2e7] [--storage]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ANSWERS_PER_TASK = 5
CHUNK = 1_000_000
# spark-crowd's documentation ("Comparison with other packages"), DawidSkene, as quoted in issue 16
SPARK_CROWD = {10_000_000: "703 s (1 node) / 426 s (3-node cluster)"}
CROWDKIT_PYTHON = "/work/venv-crowdkit/bin/python"


def generate(directory: Path, n_answers: int, seed: int = 0) -> None:
    """Write ``n_answers`` synthetic answers and the truth, chunk by chunk, as Parquet."""
    from crowdtut.scale import write_synthetic_answers

    write_synthetic_answers(directory, n_answers, answers_per_task=ANSWERS_PER_TASK,
                            chunk_size=CHUNK, seed=seed)


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_memory(directory: Path, n_iter: int) -> dict:
    from crowdtut.aggregation import DawidSkene

    base = _peak_bytes()
    start = time.perf_counter()
    answers = pd.read_parquet(directory / "answers")
    model = DawidSkene(n_iter=n_iter, tol=0).fit(answers, duplicates="keep")
    total = time.perf_counter() - start
    truth = pd.read_parquet(directory / "truth").set_index("task")["truth"]
    acc = float((model.labels_.reindex(truth.index) == truth).mean())
    return {"total_s": total, "per_iter_s": None, "peak_bytes": _peak_bytes(),
            "start_bytes": base, "accuracy": acc, "n_answers": len(answers)}


def _worker_state():
    import resource as r
    return os.getpid(), r.getrusage(r.RUSAGE_SELF).ru_maxrss * 1024


def run_dask(directory: Path, n_iter: int, memory_limit: str, storage: bool) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from crowdtut.scale import DawidSkene
    from crowdtut.scale._prepare import prepare

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        before = client.run(_worker_state)
        start = time.perf_counter()
        ddf = dd.read_parquet(directory / "answers", index="task", calculate_divisions=True)
        scratch = tempfile.mkdtemp(prefix="bench-scale-", dir=directory) if storage else None
        prepared = prepare(ddf, duplicates="keep", storage=scratch)
        prepared_s = time.perf_counter() - start
        model = DawidSkene(n_iter=n_iter, tol=0)
        model._validate_params()
        model._fit(prepared)
        em_s = time.perf_counter() - start - prepared_s
        labels = model.labels_.compute()
        total = time.perf_counter() - start
        after = client.run(_worker_state)
        truth = pd.read_parquet(directory / "truth").set_index("task")["truth"]
        acc = float((labels.reindex(truth.index) == truth).mean())
        pids_before = sorted(pid for pid, _ in before.values())
        pids_after = sorted(pid for pid, _ in after.values())
    return {
        "total_s": total, "prepare_s": prepared_s,
        "per_iter_s": em_s / (n_iter + 1),  # n_iter EM passes plus the initial one
        "worker_peak_bytes": [peak for _, peak in after.values()],
        "client_peak_bytes": _peak_bytes(), "accuracy": acc,
        "workers_restarted": pids_before != pids_after, "known_divisions": ddf.known_divisions,
        "n_answers": prepared.n_answers, "storage": bool(storage),
    }


def run_crowdkit(directory: Path, timeout: float) -> dict:
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        answers = pd.read_parquet(directory / "answers")
        answers.to_csv(Path(tmp) / "answers.csv", index=False)
        pd.read_parquet(directory / "truth").to_csv(Path(tmp) / "truth.csv", index=False)
        del answers
        try:
            out = subprocess.run(
                [CROWDKIT_PYTHON, str(here / "crowdkit_reference.py"), str(Path(tmp) / "answers.csv"),
                 str(Path(tmp) / "truth.csv"), "--methods", "DS"],
                capture_output=True, text=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish in {timeout:.0f} s"}
        except (subprocess.CalledProcessError, FileNotFoundError) as error:
            return {"error": str(error)[:200]}
        return json.loads(out.stdout.strip().splitlines()[-1])


def _child(kind: str, directory: Path, args) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(directory), "--n-iter", str(args.n_iter),
           "--memory-limit", args.memory_limit] + (["--storage"] if args.storage else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _gb(x) -> str:
    return "-" if x is None else f"{x / 1e9:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7])
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--n-iter", type=int, default=10)
    parser.add_argument("--memory-limit", default="1.5GB")
    parser.add_argument("--skip-memory-above", type=float, default=2e7)
    parser.add_argument("--storage", action="store_true",
                        help="keep the encoded answers in Parquet files instead of worker memory")
    parser.add_argument("--crowdkit", action="store_true")
    parser.add_argument("--crowdkit-max", type=float, default=1e6)
    parser.add_argument("--crowdkit-timeout", type=float, default=600)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, directory = args.child[0], Path(args.child[1])
        result = (run_memory(directory, args.n_iter) if kind == "memory"
                  else run_dask(directory, args.n_iter, args.memory_limit, args.storage))
        print(json.dumps(result))
        return

    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-scale-"))
    rows = []
    for size in (int(s) for s in args.sizes):
        directory = root / f"n{size}"
        if not (directory / "answers").is_dir():
            start = time.perf_counter()
            generate(directory, size)
            print(f"generated {size:,} answers in {time.perf_counter() - start:.0f} s", flush=True)
        mem = (_child("memory", directory, args) if size <= args.skip_memory_above
               else {"error": "skipped (see the memory model)"})
        print("in memory:", mem, flush=True)
        dsk = _child("dask", directory, args)
        print("dask:", dsk, flush=True)
        ck = (run_crowdkit(directory, args.crowdkit_timeout)
              if args.crowdkit and size <= args.crowdkit_max else None)
        if ck is not None:
            print("crowd-kit:", ck, flush=True)
        rows.append((size, mem, dsk, ck))
        if args.workdir is None:
            shutil.rmtree(directory, ignore_errors=True)

    print(f"\nDawidSkene, {args.n_iter} EM iterations (tol=0), K=2, {ANSWERS_PER_TASK} answers per "
          f"task; dask: LocalCluster 2 processes x 1 thread, {args.memory_limit} each"
          f"{', encoded answers on disk' if args.storage else ''}. Times are upper bounds on a "
          "shared 2-core machine.")
    head = ("answers", "mem s", "mem peak GB", "mem acc", "dask s", "dask s/iter",
            "dask peak/worker GB", "dask acc", "restarted", "crowd-kit DS", "spark-crowd DS")
    print(" | ".join(head))
    for size, mem, dsk, ck in rows:
        ck_text = "-" if ck is None else ck.get("error") or json.dumps(ck)
        print(" | ".join([
            f"{size:,}",
            f"{mem['total_s']:.1f}" if "total_s" in mem else mem.get("error", "-"),
            _gb(mem.get("peak_bytes")), f"{mem['accuracy']:.4f}" if "accuracy" in mem else "-",
            f"{dsk['total_s']:.1f}" if "total_s" in dsk else dsk.get("error", "-"),
            f"{dsk['per_iter_s']:.2f}" if "per_iter_s" in dsk else "-",
            "/".join(_gb(b) for b in dsk.get("worker_peak_bytes", [])) or "-",
            f"{dsk['accuracy']:.4f}" if "accuracy" in dsk else "-",
            str(dsk.get("workers_restarted", "-")), ck_text, SPARK_CROWD.get(size, "-"),
        ]))
    print("\nMemory model (bytes per answer, peak RSS minus the interpreter, from the rows above):")
    for size, mem, dsk, _ in rows:
        if "peak_bytes" in mem:
            per = (mem["peak_bytes"] - mem["start_bytes"]) / size
            print(f"  in memory, {size:,}: {per:.0f} B/answer -> 100M answers ~ {per * 1e8 / 1e9:.1f} GB")
        if "worker_peak_bytes" in dsk:
            print(f"  dask, {size:,}: peak per worker {max(dsk['worker_peak_bytes']) / 1e9:.2f} GB "
                  f"({'disk' if dsk['storage'] else 'memory'}-held blocks of 18 B/answer, "
                  f"{18 * size / 2 / 1e9:.2f} GB per worker when held in memory)")


if __name__ == "__main__":
    main()
