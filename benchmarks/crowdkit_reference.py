"""Run crowd-kit's aggregators on an answers CSV and print accuracy and seconds as JSON.

Meant to run in a separate environment that has crowd-kit (it is not a crowdtut dependency):

    python -m venv /tmp/ck && /tmp/ck/bin/pip install crowd-kit==1.4.2 "scikit-learn<1.6"
    /tmp/ck/bin/python benchmarks/crowdkit_reference.py answers.csv truth.csv [--methods MV DS]

``bench_aggregators.py --crowdkit-python /tmp/ck/bin/python`` calls it on the same data as
crowdtut, so the two libraries are compared on identical answers.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("answers")
    parser.add_argument("truth")
    parser.add_argument("--methods", nargs="+", default=["MV", "Wawa", "ZBS", "DS", "OneCoinDS", "GLAD", "MACE"])
    parser.add_argument("--repeats", type=int, default=1, help="fits per method; the median time is reported")
    args = parser.parse_args()

    from crowdkit import aggregation as ck

    factories = {
        "MV": ck.MajorityVote, "Wawa": ck.Wawa, "ZBS": ck.ZeroBasedSkill, "DS": ck.DawidSkene,
        "OneCoinDS": ck.OneCoinDawidSkene, "GLAD": ck.GLAD,
        "MACE": lambda: ck.MACE(random_state=0),  # its default: 10 restarts, like ours
    }
    answers = pd.read_csv(args.answers)
    truth = pd.read_csv(args.truth, index_col=0).iloc[:, 0]
    out = {}
    for name in args.methods:
        times = []
        for _ in range(max(args.repeats, 1)):
            start = time.perf_counter()
            labels = factories[name]().fit_predict(answers)
            times.append(time.perf_counter() - start)
        out[name] = {"seconds": float(np.median(times)),
                     "accuracy": float((labels.reindex(truth.index) == truth).mean())}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
