"""MACE on D_Product: why the crowd-kit JOSS paper prints .929, crowd-kit 1.4.2 gives .695 and
crowdtut .818.

crowd-kit 1.4.2's MACE stores the strategy parameters of each worker in the order in which the
workers first appear in the data (``pd.factorize``), but computes their expected counts with
``groupby(["worker", "label"])``, which sorts the workers. Unless the workers appear in sorted
order, every worker then receives another worker's strategy, and the result depends on the row
order of the answers. This script runs crowd-kit's MACE on the same answers in several row
orders, beside crowdtut's MACE and majority vote. Its ten restarts also all start from the same
seed (``random_state`` is passed unchanged to each restart), so they are one restart run ten times.

Run: ``python benchmarks/bench_mace_order.py --crowdkit-python /work/venv-crowdkit/bin/python``
(about a minute per row order under load).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

from crowdtut.aggregation import MACE, MajorityVote
from crowdtut.datasets import load_dataset
from crowdtut.metrics import accuracy

_CROWDKIT = r'''
import json, sys, time
import pandas as pd
from crowdkit.aggregation import MACE
answers = pd.read_csv(sys.argv[1]); truth = pd.read_csv(sys.argv[2], index_col=0).iloc[:, 0]
start = time.perf_counter()
labels = MACE(method=sys.argv[3]).fit_predict(answers)
print(json.dumps({"accuracy": float((labels.reindex(truth.index) == truth).mean()),
                  "seconds": time.perf_counter() - start}))
'''


def orders(answers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "as in the mirror (by task, workers unsorted)": answers,
        "sorted by worker, then task": answers.sort_values(["worker", "task"], kind="stable"),
        "sorted by task, then worker": answers.sort_values(["task", "worker"], kind="stable"),
        "shuffled (seed 0)": answers.sample(frac=1.0, random_state=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crowdkit-python", required=True, help="a Python with crowd-kit 1.4.2")
    args = parser.parse_args()
    ds = load_dataset("d_product")
    rows = []
    for name, frame in orders(ds.answers).items():
        workers_sorted = bool((pd.unique(frame["worker"]) == sorted(pd.unique(frame["worker"]))).all())
        for method in ("vb", "em"):
            with tempfile.TemporaryDirectory() as tmp:
                frame.to_csv(Path(tmp) / "a.csv", index=False)
                ds.truth.to_csv(Path(tmp) / "t.csv")
                out = subprocess.run([args.crowdkit_python, "-c", _CROWDKIT, f"{tmp}/a.csv", f"{tmp}/t.csv",
                                      method], check=True, capture_output=True, text=True).stdout
            ck = json.loads(out.strip().splitlines()[-1])
            start = time.perf_counter()
            ours = MACE(method=method, random_state=0).fit(frame)
            seconds = time.perf_counter() - start
            rows.append({"row order": name, "workers in sorted order": workers_sorted, "method": method,
                         "crowd-kit acc": round(ck["accuracy"], 3), "crowd-kit s": round(ck["seconds"], 1),
                         "crowdtut acc": round(accuracy(ours.labels_, ds.truth), 3),
                         "crowdtut s": round(seconds, 2)})
            print(rows[-1], flush=True)
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"majority vote: {accuracy(MajorityVote().fit_predict(ds.answers), ds.truth):.3f}; "
          "JOSS paper (Ustalov et al. 2023, Table 2): MACE .929, MV .897")


if __name__ == "__main__":
    main()
