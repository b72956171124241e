"""ROVER on CrowdSpeech dev-clean: crowdtut beside crowd-kit 1.4.2, same answers, same normalisation.

Both libraries get the very same texts, normalised once by :func:`crowdtut.answers.normalize`
(lower case, punctuation deleted, white space collapsed) and split on white space
(``str.split``), so that the only difference left is the aggregation code. crowd-kit runs in
its own environment: this script re-runs itself there (``--crowdkit-python``, default
``/work/venv-crowdkit/bin/python``) on a TSV it writes, and reads back its texts and time. Both
sides are scored with :func:`crowdtut.metrics.word_error_rate` (corpus WER, as ``jiwer``).

Run: ``python benchmarks/bench_texts.py [--repeats 3] [--crowdkit-python PATH | --no-crowdkit]``
Targets (issue 14): WER no worse than crowd-kit's ROVER, at least 10x faster.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

DEFAULT_CROWDKIT = "/work/venv-crowdkit/bin/python"


def load_dev_clean() -> tuple[pd.DataFrame, pd.Series]:
    """CrowdSpeech dev-clean answers (task, worker, text) and references, from the registry."""
    from crowdtut.datasets import load_dataset

    data = load_dataset("crowdspeech", split="dev-clean")
    return data.answers[["task", "worker", "text"]], data.truth


def run_crowdkit(tsv: str, out: str) -> None:
    """(in crowd-kit's environment) ROVER on the normalised answers; texts and seconds to JSON."""
    from crowdkit.aggregation import ROVER

    answers = pd.read_csv(tsv, sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False, dtype=str)
    start = time.perf_counter()
    texts = ROVER(tokenizer=lambda s: s.split(), detokenizer=" ".join).fit_predict(answers)
    seconds = time.perf_counter() - start
    Path(out).write_text(json.dumps({"seconds": seconds, "texts": {str(k): v for k, v in texts.items()}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--crowdkit-python", default=DEFAULT_CROWDKIT)
    parser.add_argument("--no-crowdkit", action="store_true")
    parser.add_argument("--_crowdkit-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._crowdkit_worker:
        run_crowdkit(*args._crowdkit_worker)
        return

    from crowdtut.aggregation import ROVER, ClosestToAverage, TextMedoid, TextRASA
    from crowdtut.answers import normalize
    from crowdtut.metrics import answer_word_errors, word_error_rate

    answers, truth = load_dev_clean()
    answers = answers.assign(text=answers["text"].map(normalize))  # once, for both libraries
    print(f"CrowdSpeech dev-clean: {len(answers)} answers, {answers['task'].nunique()} tasks, "
          f"{answers['worker'].nunique()} workers")
    single = answer_word_errors(answers, truth)
    rows = [("single worker (all answers)", None, single["errors"].sum() / single["words"].sum(), None, None)]

    ours = {}
    for name, make in (("ROVER", ROVER), ("TextMedoid", TextMedoid),
                       ("ClosestToAverage", ClosestToAverage), ("TextRASA", TextRASA)):
        times = []
        for _ in range(args.repeats if name == "ROVER" else 1):
            start = time.perf_counter()
            texts = make().fit_predict(answers, normalize=None)
            times.append(time.perf_counter() - start)
        ours[name] = texts
        rows.append((f"crowdtut {name}", min(times), word_error_rate(texts, truth), None, None))

    if not args.no_crowdkit and Path(args.crowdkit_python).exists():
        with tempfile.TemporaryDirectory() as tmp:
            tsv, out = str(Path(tmp, "answers.tsv")), str(Path(tmp, "out.json"))
            answers.to_csv(tsv, sep="\t", index=False, quoting=csv.QUOTE_NONE)
            subprocess.run([args.crowdkit_python, __file__, "--_crowdkit-worker", tsv, out], check=True)
            result = json.loads(Path(out).read_text())
        ck = pd.Series(result["texts"])
        ck.index = ck.index.map(str)
        mine = ours["ROVER"].copy()
        mine.index = mine.index.map(str)
        same = int((mine.reindex(ck.index) == ck).sum())
        truth_str = truth.copy()
        truth_str.index = truth_str.index.map(str)
        rows.append(("crowd-kit 1.4.2 ROVER", result["seconds"], word_error_rate(ck, truth_str), same, len(ck)))
        speedup = result["seconds"] / rows[1][1]
    else:
        speedup = None
        print("(crowd-kit not run: its figures from the issue are 0.067 WER, 36 s)")

    print(f"\n{'method':32s} {'seconds':>8s} {'WER':>7s}  texts identical to crowd-kit")
    for name, seconds, wer, same, n in rows:
        s = f"{seconds:8.2f}" if seconds is not None else f"{'':8s}"
        agree = f"  {same}/{n}" if same is not None else ""
        print(f"{name:32s} {s} {wer:7.4f}{agree}")
    if speedup is not None:
        print(f"\nROVER speed-up over crowd-kit: {speedup:.1f}x (best of {args.repeats}; "
              "2 shared cores, timings are upper bounds under load)")


if __name__ == "__main__":
    main()
