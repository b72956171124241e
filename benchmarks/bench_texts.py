"""ROVER on CrowdSpeech dev-clean: crowdtut beside crowd-kit 1.4.2, same answers, same normalisation.

Both libraries get the very same texts, normalised once by :func:`crowdtut.answers.normalize`
(lower case, punctuation deleted, white space collapsed) and split on white space
(``str.split``), so that the only difference left is the aggregation code. crowd-kit runs in
its own environment: this script re-runs itself there (``--crowdkit-python``, default
``/work/venv-crowdkit/bin/python``) on a TSV it writes, and reads back its texts and time. Both
sides are scored with :func:`crowdtut.metrics.word_error_rate` (corpus WER, as ``jiwer``).

Run: ``python benchmarks/bench_texts.py [--repeats 3] [--crowdkit-python PATH | --no-crowdkit]``
Targets (issue 14): WER no worse than crowd-kit's ROVER, at least 10x faster. ``ROVER order=rows``
adds the answers in row order as crowd-kit does and must return the same texts; the default
order (most central answer first) makes the result independent of the rows' order.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
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
    table = {"single worker (all answers)": {"WER": single["errors"].sum() / single["words"].sum()}}

    ours, seconds = {}, {}
    for name, make in (("ROVER", ROVER), ("ROVER order=rows", lambda: ROVER(order="rows")),
                       ("TextMedoid", TextMedoid), ("ClosestToAverage", ClosestToAverage),
                       ("TextRASA", TextRASA)):
        times = []
        for _ in range(args.repeats if name.startswith("ROVER") else 1):
            start = time.perf_counter()
            ours[name] = make().fit_predict(answers, normalize=None)
            times.append(time.perf_counter() - start)
        seconds[name] = min(times)
        table[f"crowdtut {name}"] = {"seconds": seconds[name], "WER": word_error_rate(ours[name], truth)}

    speedup = None
    if not args.no_crowdkit and Path(args.crowdkit_python).exists():
        with tempfile.TemporaryDirectory() as tmp:
            tsv, out = str(Path(tmp, "answers.tsv")), str(Path(tmp, "out.json"))
            answers.to_csv(tsv, sep="\t", index=False, quoting=csv.QUOTE_NONE)
            subprocess.run([args.crowdkit_python, __file__, "--_crowdkit-worker", tsv, out], check=True)
            result = json.loads(Path(out).read_text())
        ck = pd.Series(result["texts"])
        ck.index = ck.index.map(str)
        truth_str = truth.copy()
        truth_str.index = truth_str.index.map(str)
        table["crowd-kit 1.4.2 ROVER"] = {"seconds": result["seconds"], "WER": word_error_rate(ck, truth_str)}
        speedup = {}
        for name in ("ROVER", "ROVER order=rows"):
            mine = ours[name].copy()
            mine.index = mine.index.map(str)
            table[f"crowdtut {name}"]["same texts"] = f"{int((mine.reindex(ck.index) == ck).sum())}/{len(ck)}"
            speedup[name] = result["seconds"] / seconds[name]
    else:
        print("(crowd-kit not run: its figures from the issue are 0.067 WER, 36 s)")

    pd.set_option("display.width", 120)
    frame = pd.DataFrame(table).T.rename_axis("method")
    frame["WER"] = frame["WER"].astype(float).round(4)
    frame["seconds"] = frame["seconds"].astype(float).round(2)
    print("\n" + frame.fillna("").to_string())
    if speedup is not None:
        print("\nspeed-up over crowd-kit's ROVER: " + ", ".join(f"{k} {v:.1f}x" for k, v in speedup.items())
              + f" (best of {args.repeats}; 2 shared cores, timings are upper bounds under load)")

if __name__ == "__main__":
    main()
