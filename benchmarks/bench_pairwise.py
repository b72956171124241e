"""Pairwise aggregators: time and Spearman correlation with the true scores, crowdtut beside
crowd-kit 1.4.2 and choix on the same 100k synthetic comparisons; Kendall's tau on readability.

(a) 100,000 comparisons of 1,000 items by 300 workers (20% random clickers, 5% adversarial),
    drawn by :func:`crowdtut.simulate.simulate_comparisons` (seed 0). crowd-kit's BradleyTerry,
    NoisyBradleyTerry and choix's ``ilsr_pairwise`` / ``mm_pairwise`` run on the same CSV in a
    separate Python (``--peer-python``, default /work/venv-crowdkit/bin/python) through
    ``pairwise_reference.py``. crowd-kit's BradleyTerry runs twice: with its default
    ``tol=1e-5`` (it stops after a few MM sweeps, before convergence) and with ``tol=0``
    (100 sweeps, converged).
(b) readability (Chen et al. 2013, Shejole et al.'s copy): Kendall's tau with the grade levels,
    beside Shejole et al.'s published figures.

Times are the best of ``--repeats`` runs for crowdtut and one run for the peers, wall-clock, on
whatever machine runs the script (upper bounds on a shared one).

Run: ``python benchmarks/bench_pairwise.py [--repeats 3] [--skip-peers]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from crowdtut.aggregation import BradleyTerry, CrowdBT, NoisyBradleyTerry
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
    ours = {}
    for name, make in [("BradleyTerry", BradleyTerry), ("NoisyBradleyTerry", NoisyBradleyTerry),
                       ("CrowdBT", CrowdBT)]:
        seconds, scores = best_time(make, crowd.answers, args.repeats)
        ours[name] = {"seconds": seconds, "spearman": spearman_rho(scores, crowd.scores)}

    peers = {}
    if not args.skip_peers:
        with tempfile.TemporaryDirectory() as tmp:
            crowd.answers.to_csv(f"{tmp}/answers.csv", index=False)
            crowd.scores.to_csv(f"{tmp}/truth.csv")
            script = Path(__file__).with_name("pairwise_reference.py")
            out = subprocess.run([args.peer_python, str(script), f"{tmp}/answers.csv", f"{tmp}/truth.csv"],
                                 capture_output=True, text=True, check=True)
            peers = json.loads(out.stdout.strip().splitlines()[-1])

    print("100,000 comparisons, 1,000 items, 300 workers (20% random, 5% adversarial)")
    print(f"{'method':<34}{'seconds':>10}{'Spearman':>10}{'speed-up':>10}")
    rows = [("crowdtut " + k, v) for k, v in ours.items()]
    rows += [(("crowd-kit " if not k.startswith("choix") else "") + k, v) for k, v in peers.items()]
    reference = {"crowdtut BradleyTerry": ["BT", "BT-converged", "choix-ilsr", "choix-mm"],
                 "crowdtut NoisyBradleyTerry": ["NoisyBT"]}
    for name, value in rows:
        print(f"{name:<34}{value['seconds']:>10.3f}{value['spearman']:>10.4f}")
    for ours_name, peer_names in reference.items():
        for peer in peer_names:
            if peer in peers:
                ratio = peers[peer]["seconds"] / ours[ours_name.split()[1]]["seconds"]
                print(f"  {ours_name} vs {peer}: {ratio:.1f}x faster, Spearman "
                      f"{ours[ours_name.split()[1]]['spearman']:.4f} vs {peers[peer]['spearman']:.4f}")

    from crowdtut.datasets import load_dataset

    data = load_dataset("readability")
    print("\nreadability: Kendall's tau with the grade levels (published: Shejole et al.'s copy)")
    for name, make in [("BradleyTerry", BradleyTerry), ("CrowdBT", CrowdBT), ("NoisyBradleyTerry", NoisyBradleyTerry)]:
        tau = kendall_tau(make().fit_predict(data.answers), data.truth)
        published = PUBLISHED_READABILITY.get(name)
        print(f"{name:<20}{tau:>8.3f}   published {published if published is not None else '-'}")


if __name__ == "__main__":
    main()
