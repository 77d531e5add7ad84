"""How long `liaison` takes to start: `--help` and `staff --json` on the demo school,
against `python -c pass` (the interpreter alone) measured in the same run.

    python bench/startup.py            # 15 runs of each, the median
    python bench/startup.py --n 5

Each run is a fresh process (what a member of staff waits for at the prompt); the figures
are medians in milliseconds, and the ratio to the bare interpreter. Target (issue 8): both
commands under 300 ms here.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "liaison --help": [sys.executable, "-m", "engine.cli.main", "--help"],
    "liaison staff --json": [sys.executable, "-m", "engine.cli.main", "staff", "--json",
                             "--school", str(ROOT)],
}


def median_ms(argv: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=15)
    n = parser.parse_args().n
    # Interleaved rounds, so that a busy moment on a shared machine falls on all three.
    rounds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(3):
        for name, argv in COMMANDS.items():
            rounds[name].append(median_ms(argv, max(1, n // 3)))
    base = statistics.median(rounds["python -c pass"])
    for name, got in rounds.items():
        ms = statistics.median(got)
        print(f"{name:24} {ms:7.1f} ms  {ms / base:5.1f}x python -c pass")


if __name__ == "__main__":
    main()
