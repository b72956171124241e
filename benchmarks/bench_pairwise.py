"""Pairwise aggregators: time, Bradley-Terry log-likelihood, Spearman and Kendall correlation
with the true scores, crowdtut beside crowd-kit 1.4.2 and choix on the same 100k synthetic
comparisons; Kendall's tau on readability.

(a) 100,000 comparisons of 1,000 items by 300 workers (20% random clickers, 5% adversarial),
    drawn by :func:`crowdtut.simulate.simulate_comparisons` (seed 0). crowd-kit's BradleyTerry,
    NoisyBradleyTerry and choix's ``ilsr_pairwise`` / ``mm_pairwise`` run on the same CSV in a
    separate Python (``--peer-python``, default /work/venv-crowdkit/bin/python) through
    ``pairwise_reference.py``. crowd-kit's BradleyTerry runs twice: with its default
    ``tol=1e-5`` (it stops after a few MM sweeps, before convergence) and with ``tol=0``
    (100 sweeps). The log-likelihood column is the plain Bradley-Terry log-likelihood (no
    prior) of each method's log-scores over the 100k comparisons, in nats, and the gap is its
    distance to the maximum (a Newton fit with a negligible prior, ``alpha=1e-9``); crowdtut's
    BradleyTerry maximises it plus its anchor prior (``alpha=0.1``), so its gap is the price of
    the prior. The worker models (CrowdBT, NoisyBT) maximise other likelihoods: no column.
(b) readability (Chen et al. 2013, Shejole et al.'s copy): Kendall's tau with the grade levels,
    beside Shejole et al.'s published figures.

Times are the best of ``--repeats`` runs (one run for crowd-kit's NoisyBT and choix-mm),
wall-clock, on whatever machine runs the script (upper bounds on a shared one).

Run: ``python benchmarks/bench_pairwise.py [--repeats 3] [--skip-peers]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

from crowdtut.aggregation import BradleyTerry, CrowdBT, NoisyBradleyTerry
from crowdtut.aggregation.pairwise._core import bt_newton, log_sigmoid
from crowdtut.answers.comparisons import encode_comparisons
from crowdtut.metrics import kendall_tau, spearman_rho
from crowdtut.simulate import simulate_comparisons

PUBLISHED_READABILITY = {"BradleyTerry": 0.341, "CrowdBT": 0.378}  # Shejole et al., baselines.txt


def best_time(make, answers, repeats: int):
    best, scores = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        scores = make().fit_predict(answers)
        best = min(best, time.perf_counter() - start)
    return best, scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-python", default="/work/venv-crowdkit/bin/python")
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()

    crowd = simulate_comparisons(1000, 300, 100_000, random_fraction=0.2, adversarial_fraction=0.05, seed=0)
    data = encode_comparisons(crowd.answers)

    def log_likelihood(scores: pd.Series) -> float:
        s = scores.reindex(data.items).to_numpy(dtype=float)
        return float(log_sigmoid(s[data.winner] - s[data.loser]).sum())

    optimum = log_likelihood(pd.Series(
        bt_newton(data.winner, data.loser, data.n_items, alpha=1e-9, tol=1e-12)[0], index=data.items))
    ours = {}
    for name, make in [("BradleyTerry", BradleyTerry), ("NoisyBradleyTerry", NoisyBradleyTerry),
                       ("CrowdBT", CrowdBT)]:
        seconds, scores = best_time(make, crowd.answers, args.repeats)
        ours[name] = {"seconds": seconds, "scores": scores}

    peers = {}
    if not args.skip_peers:
        with tempfile.TemporaryDirectory() as tmp:
            crowd.answers.to_csv(f"{tmp}/answers.csv", index=False)
            crowd.scores.to_csv(f"{tmp}/truth.csv")
            script = Path(__file__).with_name("pairwise_reference.py")
            out = subprocess.run([args.peer_python, str(script), f"{tmp}/answers.csv", f"{tmp}/truth.csv",
                                  "--repeats", str(args.repeats)],
                                 capture_output=True, text=True, check=True)
            peers = json.loads(out.stdout.strip().splitlines()[-1])
        for value in peers.values():
            value["scores"] = pd.Series(value.pop("log_scores"), index=value.pop("items"))

    bt_like = {"crowdtut BradleyTerry", "crowd-kit BT", "crowd-kit BT-converged", "choix-ilsr", "choix-mm"}
    rows = [("crowdtut " + k, v) for k, v in ours.items()]
    rows += [(("crowd-kit " if not k.startswith("choix") else "") + k, v) for k, v in peers.items()]
    print("100,000 comparisons, 1,000 items, 300 workers (20% random, 5% adversarial); "
          f"maximum BT log-likelihood {optimum:.2f}")
    print(f"{'method':<28}{'seconds':>9}{'BT log-lik':>13}{'gap':>8}{'Spearman':>10}{'Kendall':>9}")
    for name, value in rows:
        value["spearman"] = spearman_rho(value["scores"], crowd.scores)
        value["kendall"] = kendall_tau(value["scores"], crowd.scores)
        if name in bt_like:
            value["loglik"] = log_likelihood(value["scores"])
            fit = f"{value['loglik']:>13.2f}{optimum - value['loglik']:>8.2f}"
        else:
            fit = f"{'-':>13}{'-':>8}"
        print(f"{name:<28}{value['seconds']:>9.3f}{fit}{value['spearman']:>10.4f}{value['kendall']:>9.4f}")
    reference = {"BradleyTerry": ["BT", "BT-converged", "choix-ilsr", "choix-mm"],
                 "NoisyBradleyTerry": ["NoisyBT"]}
    for ours_name, peer_names in reference.items():
        mine = ours[ours_name]
        for peer in peer_names:
            if peer in peers:
                ratio = peers[peer]["seconds"] / mine["seconds"]
                line = (f"  crowdtut {ours_name} vs {peer}: {ratio:.1f}x faster, Spearman "
                        f"{mine['spearman']:.4f} vs {peers[peer]['spearman']:.4f}")
                if "loglik" in mine and "loglik" in peers[peer]:
                    line += f", log-likelihood {mine['loglik'] - peers[peer]['loglik']:+.2f} nats"
                print(line)

    from crowdtut.datasets import load_dataset

    data = load_dataset("readability")
    print("\nreadability: Kendall's tau with the grade levels (published: Shejole et al.'s copy)")
    for name, make in [("BradleyTerry", BradleyTerry), ("CrowdBT", CrowdBT), ("NoisyBradleyTerry", NoisyBradleyTerry)]:
        tau = kendall_tau(make().fit_predict(data.answers), data.truth)
        published = PUBLISHED_READABILITY.get(name)
        print(f"{name:<20}{tau:>8.3f}   published {published if published is not None else '-'}")


if __name__ == "__main__":
    main()
