"""Run crowd-kit's pairwise aggregators and choix on a comparisons CSV; print seconds and
Spearman correlation with the true scores as JSON.

Meant to run in a separate environment with crowd-kit 1.4.2 and choix (neither is a crowdtut
dependency); ``bench_pairwise.py`` calls it on the very same data as crowdtut:

    /work/venv-crowdkit/bin/python benchmarks/pairwise_reference.py answers.csv truth.csv
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from scipy.stats import spearmanr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("answers")
    parser.add_argument("truth")
    parser.add_argument("--methods", nargs="+",
                        default=["BT", "BT-converged", "NoisyBT", "choix-ilsr", "choix-mm"])
    args = parser.parse_args()
    answers = pd.read_csv(args.answers)
    truth = pd.read_csv(args.truth, index_col=0).iloc[:, 0]

    def spearman(scores) -> float:
        return float(spearmanr(pd.Series(scores).reindex(truth.index), truth).statistic)

    from crowdkit.aggregation import BradleyTerry, NoisyBradleyTerry

    winner = answers["label"].to_numpy()
    loser = np.where(answers["label"] == answers["left"], answers["right"], answers["left"])
    n_items = int(max(answers["left"].max(), answers["right"].max())) + 1
    pairs = list(zip(winner.tolist(), loser.tolist()))

    def run_choix(fn):
        return pd.Series(fn(n_items, pairs, alpha=0.01))

    import choix

    factories = {
        "BT": lambda: BradleyTerry(n_iter=100).fit_predict(answers),  # crowd-kit's tol=1e-5
        "BT-converged": lambda: BradleyTerry(n_iter=100, tol=0.0).fit_predict(answers),
        "NoisyBT": lambda: NoisyBradleyTerry().fit_predict(answers),
        "choix-ilsr": lambda: run_choix(choix.ilsr_pairwise),
        "choix-mm": lambda: run_choix(choix.mm_pairwise),
    }
    out = {}
    for name in args.methods:
        start = time.perf_counter()
        scores = factories[name]()
        out[name] = {"seconds": time.perf_counter() - start, "spearman": spearman(scores)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
