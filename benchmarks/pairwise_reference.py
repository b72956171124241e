"""Run crowd-kit's pairwise aggregators and choix on a comparisons CSV; print, as JSON, the
seconds (best of ``--repeats`` runs; one run for the slow NoisyBT and choix-mm), the Spearman
correlation with the true scores and the log-scores by item (``bench_pairwise.py`` computes the
log-likelihood and Kendall's tau from them).

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
    parser.add_argument("--repeats", type=int, default=1)
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
    # the log-scores of each method: crowd-kit's BT reports pi normalised to sum 1 (log pi is
    # the BT log-score), its NoisyBT sigmoid(s) (logit gives s back), choix log-scores already
    to_log = {"BT": np.log, "BT-converged": np.log, "NoisyBT": lambda p: np.log(p) - np.log1p(-p)}
    slow = {"NoisyBT", "choix-mm"}
    out = {}
    for name in args.methods:
        best = float("inf")
        for _ in range(1 if name in slow else args.repeats):
            start = time.perf_counter()
            scores = factories[name]()
            best = min(best, time.perf_counter() - start)
        series = pd.Series(scores).astype(float)
        log_scores = to_log[name](series.clip(1e-300, 1.0 - 1e-16)) if name in to_log else series
        out[name] = {"seconds": best, "spearman": spearman(scores),
                     "items": [int(i) for i in log_scores.index], "log_scores": log_scores.tolist()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
