"""Wall time of the ``crowdtut`` command, one fresh process per call (like ``/usr/bin/time``).

    python benchmarks/bench_cli.py                 # 7 runs per command
    python benchmarks/bench_cli.py --repeat 15 --peerannot

Simulates the three 200-task settings of the peerannot paper into a temporary directory, then
times ``crowdtut --help`` and ``crowdtut aggregate`` (MV, DS, and the slower GLAD and DSWC) on
each, as the shell sees them: process start, imports, reading answers.json, fitting, writing the
labels. Prints the median and the fastest run; the target is under 0.5 s for --help and for
MV/DS. With --peerannot and a ``peerannot`` command on the PATH, the same calls are timed with
peerannot (about 4 s each in the peerannot paper's setting: it imports torch for every command).
The load average is printed because other processes on the machine slow every number down.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTINGS = {
    "independent": ["--n-worker", "30", "--feedback", "10"],
    "imbalanced": ["--n-worker", "30", "--feedback", "30", "--imbalance-votes"],
    "difficulty": ["--n-worker", "100", "--feedback", "10", "-s", "discrete-difficulty",
                   "--ratio", "0.35", "--ratio-diff", "1"],
}


def crowdtut_command() -> list[str]:
    script = Path(sys.executable).with_name("crowdtut")
    if script.exists():
        return [str(script)]
    found = shutil.which("crowdtut")
    return [found] if found else [sys.executable, "-m", "crowdtut"]


def wall(argv: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command")
    parser.add_argument("--peerannot", action="store_true", help="also time peerannot")
    args = parser.parse_args()

    cmd = crowdtut_command()
    rows = []

    def record(label, argv, target=None):
        times = wall(argv, args.repeat)
        med, best = statistics.median(times), min(times)
        flag = "" if target is None else ("ok" if med < target else f"SLOW (> {target} s)")
        rows.append((label, med, best, flag))
        print(f"{label:<40} median {med:6.3f} s   min {best:6.3f} s   {flag}", flush=True)

    print(f"command: {' '.join(cmd)}; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs; {args.repeat} runs each")
    record("python -c pass (interpreter start)", [sys.executable, "-c", "pass"])
    record("python -c 'import crowdtut.aggregation'",
           [sys.executable, "-c", "import crowdtut.aggregation"])
    record("crowdtut --help", cmd + ["--help"], target=0.5)
    with tempfile.TemporaryDirectory() as tmp:
        for name, options in SETTINGS.items():
            folder = Path(tmp) / name
            sim = cmd + ["simulate", "--n-task", "200", "-K", "5", "--seed", "0", *options,
                         "--folder", str(folder)]
            subprocess.run(sim, check=True, stdout=subprocess.DEVNULL)
            for strategy, target in (("MV", 0.5), ("DS", 0.5), ("GLAD", None), ("DSWC[L=5]", None)):
                record(f"crowdtut aggregate {name} -s {strategy}",
                       cmd + ["aggregate", str(folder), "-s", strategy, "--overwrite"], target)
        record("crowdtut simulate (200 tasks)",
               cmd + ["simulate", "--n-task", "200", "--folder", str(Path(tmp) / "s"),
                      "--overwrite"])
        if args.peerannot:
            peerannot = shutil.which("peerannot")
            if peerannot is None:
                print("peerannot not found on the PATH: skipped (the paper reports about 4 s "
                      "per call, 23 s for GLAD on 200 tasks)")
            else:
                folder = Path(tmp) / "independent"
                for strategy in ("MV", "DS", "GLAD"):
                    record(f"peerannot aggregate independent -s {strategy}",
                           [peerannot, "aggregate", str(folder), "-s", strategy])
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
