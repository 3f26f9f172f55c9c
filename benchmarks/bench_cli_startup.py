"""Start-up cost of the command line, against a bare interpreter importing what `calc` truly needs.

Runs, interleaved so that the shared machine's noise falls on all of them alike:

* baseline — ``python -c "import pint, pydantic"`` (the floor: a contract needs pint and pydantic);
* ``dualcarbon --help`` — builds the whole command tree;
* ``dualcarbon calc energy`` — a one-line energy contract on stdin, end to end (reads the reference tables,
  builds the unit registry, prints JSON).

Prints the median wall time of each and the ratio to the baseline. Figures go to docs/benchmarks.md.

    uv run python benchmarks/bench_cli_startup.py --repeat 15
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

PAYLOAD = '{"basis":"equivalent","items":[{"carrier":"电力","quantity":10000,"unit":"MWh"}]}'


def _command_path() -> str:
    found = Path(sys.executable).with_name("dualcarbon")
    if not found.exists():
        raise SystemExit("the dualcarbon command is not installed beside this Python (run `uv sync`)")
    return str(found)


def _time(argv: list[str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[:400]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each command (interleaved)")
    args = parser.parse_args()
    command = _command_path()
    runs: dict[str, tuple[list[str], str | None]] = {
        "baseline: python -c 'import pint, pydantic'": ([sys.executable, "-c", "import pint, pydantic"], None),
        "dualcarbon --help": ([command, "--help"], None),
        "dualcarbon calc energy": ([command, "calc", "energy"], PAYLOAD),
    }
    for argv, stdin in runs.values():  # warm the file cache once
        _time(argv, stdin)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, (argv, stdin) in runs.items():
            times[name].append(_time(argv, stdin))
    base = statistics.median(next(iter(times.values())))
    print(f"{'command':48} {'median s':>9} {'min s':>7} {'ratio':>6}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:48} {median:9.3f} {min(values):7.3f} {median / base:6.2f}")


if __name__ == "__main__":
    main()
