"""How long loading the shipped school takes: what every command pays before it starts.

    python bench/load.py            # 30 runs of each, the median and the fastest
    python bench/load.py --n 100

- **yaml**: `engine.core.yamlfile.load` of school.yaml and every workflow file (the strict
  tree with lines, nothing checked);
- **open_school**: `engine.core.school.open_school`: school.yaml, the calendar, the clause
  register and every workflow parsed and validated (letter templates only looked for);
- **Liaison.at**: what a command builds: `open_school` and the case store opened.

Each in the same process, after one warm-up run (imports and the bank-holiday table are
paid once per process, as a command pays them once). No figure is asserted by a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core import yamlfile  # noqa: E402  (after the path is set)
from engine.core.school import open_school  # noqa: E402
from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school  # noqa: E402


def _times(run: Callable[[], object], n: int) -> tuple[float, float]:
    run()
    spent = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent), min(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=30)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "school"
        copy_school(root)
        files = [root / "school.yaml", *sorted((root / "workflows").glob("*.yaml"))]
        lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)
        print(f"{len(files)} files, {lines} lines of YAML; median and fastest of {n} runs, ms")
        runs = {
            "yaml": lambda: [yamlfile.load(p) for p in files],
            "open_school": lambda: open_school(root),
            "Liaison.at": lambda: Liaison.at(root).close(),
        }
        for label, run in runs.items():
            median, fastest = _times(run, n)
            print(f"{label:12} {median:8.1f} {fastest:8.1f}")


if __name__ == "__main__":
    main()
