"""GoldMajorityVote beside crowd-kit 1.4.2's, and dynamic overlap replayed on dense real sets.

(a) GoldMajorityVote: crowdtut and crowd-kit (run as a subprocess in the crowd-kit venv, on the
    very same CSV files) on bluebird, rte and a simulated hammer-spammer crowd, with every other
    task as a control task and only workers who saw gold (where crowd-kit's runs). Printed: the
    largest skill difference, the share of equal labels, accuracy on the non-gold tasks, seconds.
(b) dynamic overlap (one-coin posterior, skill 0.7, confidence 0.95, Toloka's rule) against
    majority vote on every answer: accuracy and share of answers bought, mean of 5 orders, and the
    replay time on the whole of CIFAR-10H (votes drawn from its counts).

Run: ``python benchmarks/bench_quality.py [--crowdkit-python /work/venv-crowdkit/bin/python]``.
Timings are wall-clock on a shared machine: upper bounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crowdtut.aggregation import GoldMajorityVote, MajorityVote
from crowdtut.datasets import load_dataset
from crowdtut.quality import dynamic_overlap, votes_from_counts
from crowdtut.simulate import hammer_spammer

CROWDKIT = """
import json, sys, time
import pandas as pd
from crowdkit.aggregation import GoldMajorityVote
answers = pd.read_csv(sys.argv[1])
gold = pd.read_csv(sys.argv[2], index_col=0).iloc[:, 0]
start = time.perf_counter()
model = GoldMajorityVote().fit(answers, gold)
labels = model.predict(answers)
seconds = time.perf_counter() - start
print(json.dumps({"skills": model.skills_.to_dict(), "labels": labels.to_dict(), "seconds": seconds}))
"""


def gold_sets():
    for name in ("bluebird", "rte"):
        data = load_dataset(name)
        yield name, data.answers, data.truth
    crowd = hammer_spammer(2000, 50, 4, ratio_spammers=0.3, feedback=5, seed=0)
    yield "hammer-spammer (sim.)", crowd.answers, crowd.truth


def compare_gold(python: str) -> pd.DataFrame:
    rows = []
    for name, answers, truth in gold_sets():
        gold = truth.iloc[::2]
        covered = answers[answers.task.isin(gold.index)].worker.unique()
        answers = answers[answers.worker.isin(covered)].reset_index(drop=True)
        rest = truth.index.difference(gold.index).intersection(answers.task.unique())
        start = time.perf_counter()
        ours = GoldMajorityVote().fit(answers, gold)
        ours_s = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            answers.to_csv(Path(tmp) / "a.csv", index=False)
            gold.rename("label").to_csv(Path(tmp) / "g.csv")
            out = subprocess.run([python, "-c", CROWDKIT, f"{tmp}/a.csv", f"{tmp}/g.csv"],
                                 capture_output=True, text=True, check=True)
        ck = json.loads(out.stdout.strip().splitlines()[-1])
        skills = pd.Series(ck["skills"]).rename(int)
        labels = pd.Series(ck["labels"]).rename(int)
        rows.append({
            "dataset": name, "workers": answers.worker.nunique(), "gold tasks": len(gold),
            "max |skill diff|": float(np.abs(ours.skills_[skills.index] - skills).max()),
            "same labels": float((ours.labels_[labels.index] == labels).mean()),
            "acc crowdtut": float((ours.labels_[rest] == truth[rest]).mean()),
            "acc crowd-kit": float((labels[rest] == truth[rest]).mean()),
            "s crowdtut": ours_s, "s crowd-kit": ck["seconds"],
        })
    return pd.DataFrame(rows)


def overlap_table(n_orders: int = 5) -> pd.DataFrame:
    rows = []
    cifar = load_dataset("cifar10h")
    sets = [(n, load_dataset(n).answers, load_dataset(n).truth) for n in ("bluebird", "rte")]
    answers = votes_from_counts(cifar.extras["counts"], random_state=0)
    sets.append(("cifar10h (votes from counts)", answers, cifar.truth))
    for name, answers, truth in sets:
        mv = float((MajorityVote().fit_predict(answers)[truth.index] == truth).mean())
        accs, fractions, seconds = [], [], []
        for seed in range(n_orders):
            start = time.perf_counter()
            r = dynamic_overlap(answers, confidence=0.95, aggregator="one_coin", skills=0.7,
                                random_state=seed)
            seconds.append(time.perf_counter() - start)
            accs.append(float((r.labels[truth.index] == truth).mean()))
            fractions.append(r.fraction_bought)
        rows.append({"dataset": name, "answers": len(answers), "MV all": mv,
                     "dynamic acc": np.mean(accs), "bought": np.mean(fractions),
                     "replay s (median)": float(np.median(seconds))})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crowdkit-python", default="/work/venv-crowdkit/bin/python")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    if Path(args.crowdkit_python).exists():
        print("GoldMajorityVote: crowdtut beside crowd-kit 1.4.2 (same CSV files)")
        print(compare_gold(args.crowdkit_python).round(4).to_string(index=False))
    else:
        print(f"crowd-kit python {args.crowdkit_python} not found: skipping the comparison")
    print("\nDynamic overlap (one-coin, skill 0.7, confidence 0.95) vs majority vote on all answers")
    print(overlap_table().round(4).to_string(index=False))


if __name__ == "__main__":
    main()
