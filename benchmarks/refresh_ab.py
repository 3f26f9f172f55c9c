"""A/B of the full rollup refresh between source trees, on the data of a kept benchmark directory.

    uv run python benchmarks/bench_monitoring.py --keep /tmp/bm        # once: the readings of 100 meters × a year
    git worktree add /tmp/before HEAD~1                                # the code to compare with
    uv run python benchmarks/refresh_ab.py /tmp/bm src /tmp/before/src --rounds 5 --per-round 3

Each round runs every tree in its own child process (``PYTHONPATH=<tree>``), one after the other, and each child
times ``--per-round`` full refreshes from scratch (the rollup folder removed before each; the region table reset to
an empty, ready one, so every refresh writes its deltas and none compacts). Rounds alternate the trees, so a drift
of the shared machine's load falls on both. Prints the median wall and CPU time per tree and the ratio to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, shutil, sys, time
from pathlib import Path
from dualcarbon.monitoring import service_refresh
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import init_store, session_scope

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

data, runs = Path(sys.argv[1]), int(sys.argv[2])
reference, engine = shipped_reference(), init_store(data)
out = []
for _ in range(runs):
    shutil.rmtree(data / "monitoring" / "rollups", ignore_errors=True)
    shutil.rmtree(data / "monitoring" / "region", ignore_errors=True)
    (data / "monitoring" / "region").mkdir()
    (data / "monitoring" / "region" / "READY").write_text("1\\n")
    wall, started = time.perf_counter(), cpu()
    with session_scope(engine) as session:
        service_refresh.refresh_rollups(session, reference)
    out.append((time.perf_counter() - wall, cpu() - started))
engine.dispose()
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="a directory kept by bench_monitoring.py --keep")
    parser.add_argument("trees", nargs="+", help="source folders holding the dualcarbon package (e.g. src)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {tree: [] for tree in args.trees}
    for _ in range(args.rounds):
        for tree in args.trees:
            env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(args.data_dir), str(args.per_round)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            times[tree] += [tuple(run) for run in json.loads(done.stdout.strip().splitlines()[-1])]
    first = None
    for tree, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        first = first or (wall, cpu)
        print(
            f"{tree}: {len(runs)} refreshes, median {wall:.3f} s wall / {cpu:.3f} s CPU; "
            f"÷ first {wall / first[0]:.2f} / {cpu / first[1]:.2f}"
        )


if __name__ == "__main__":
    main()
