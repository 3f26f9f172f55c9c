"""Back-test of the platform's month forecast on the demo's own stored data (issue #10 §7).

    .venv/bin/python benchmarks/bench_forecast_demo.py [--enterprises 20] [--meter-enterprises 6]
        [--data-dir DIR] [--reuse]

1. **Build** — ``dualcarbon demo --no-serve --enterprises 20 --meter-days 731 --meter-enterprises 6`` into a new
   data directory (timed): two years of 15-min readings up to now, so every complete month of this year has last
   year's month stored beside it (the seasonal model's input). ``--reuse`` takes an existing demo at ``--data-dir``.
   (With 731 days, 8 or 6 metered enterprises among 300 — and 8 among 20 — the demo stops at its targets step,
   "achieved: must be ≥ 0", on 2026-12-05; 6 among 20 builds.)
2. **Actuals** — the stored monthly totals (tce, 当量值) of each metered enterprise, of each district holding one
   and of the city, read through the platform (:func:`dualcarbon.alerts.service_forecast.monthly_totals`: the
   stored rollups through the meter tree, counted meters only).
3. **Platform** — for each complete month m of this year, :func:`service_forecast.forecast` made *as of the first
   day of m* (so only the months before m count as complete; m itself and later are forecast): its value for m
   against the stored actual. Enterprises with production meters use the production regression where it fits
   (``method`` says which).
4. **Baselines, side by side in the same run, from the same stored totals** — (a) persistence: the month before
   (for January, last December); (b) seasonal naive: last year's same month, not scaled.

MAPE = mean |F − A| ÷ A × 100 over the months where A > 0 and a forecast exists. Nothing is tuned to the data:
the script replays the service as it is. Printed: the build time, per scope the months and MAPE of the platform
and both baselines, the platform's method, and the CPU and wall time of the forecasts.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _build(data_dir: Path, enterprises: int, meter_enterprises: int) -> float:
    exe = Path(sys.executable).with_name("dualcarbon")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "dualcarbon"]
    started = time.perf_counter()
    subprocess.run(
        [
            *command,
            "demo",
            "--data-dir",
            str(data_dir),
            "--no-serve",
            "--enterprises",
            str(enterprises),
            "--meter-days",
            "731",
            "--meter-enterprises",
            str(meter_enterprises),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def mape(pairs: list[tuple[float | None, float | None]]) -> tuple[float | None, int]:
    """Mean absolute percentage error over the (forecast, actual) pairs with actual > 0 and a forecast."""
    errors = [abs(f - a) / a * 100.0 for f, a in pairs if f is not None and a is not None and a > 0]
    return (sum(errors) / len(errors) if errors else None), len(errors)


def backtest_scope(session: Any, principal: Any, scope: str, ident: str, today: date, reference: Any) -> dict[str, Any]:
    """Platform and baselines month by month over this year's complete months of one enterprise or region."""
    from dualcarbon.alerts import service_forecast

    year = today.year
    last, this, name = service_forecast.monthly_totals(session, principal, scope, ident, year, reference)
    actual, last_year, december = this["tce"], last["tce"], last["tce"][11]
    platform_pairs: list[tuple[float | None, float | None]] = []
    persistence: list[tuple[float | None, float | None]] = []
    seasonal_naive: list[tuple[float | None, float | None]] = []
    methods: set[str] = set()
    cpu = wall = 0.0
    for month in range(1, service_forecast.complete_months(year, today) + 1):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = service_forecast.forecast(session, principal, scope, ident, year, date(year, month, 1), reference)
        cpu += time.process_time() - cpu0
        wall += time.perf_counter() - wall0
        methods.add(result.tce.method)
        platform_pairs.append((result.tce.months[month - 1], actual[month - 1]))
        previous = actual[month - 2] if month > 1 else december
        persistence.append((previous, actual[month - 1]))
        seasonal_naive.append((last_year[month - 1], actual[month - 1]))
    return {
        "scope": scope,
        "id": ident,
        "name": name,
        "pairs": {"platform": platform_pairs, "persistence": persistence, "seasonal_naive": seasonal_naive},
        "methods": sorted(methods),
        "cpu_s": cpu,
        "wall_s": wall,
    }


def _fmt(value: tuple[float | None, int]) -> str:
    return "—" if value[0] is None else f"{value[0]:.1f} % (n={value[1]})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20)
    parser.add_argument("--meter-enterprises", type=int, default=6)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="use the demo already built at --data-dir")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, load average {os.getloadavg()}")
    temporary = args.data_dir is None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="dc-forecast-")) / "demo"
    try:
        if not args.reuse:
            print(f"demo built in {_build(data_dir, args.enterprises, args.meter_enterprises):.1f} s at {data_dir}")
        _run(data_dir)
    finally:
        if temporary:
            shutil.rmtree(data_dir.parent, ignore_errors=True)
    print(f"load average after: {os.getloadavg()}")


def _run(data_dir: Path) -> None:
    from sqlalchemy import select

    from dualcarbon.alerts import service_forecast
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring.models import Meter
    from dualcarbon.reference import load_reference
    from dualcarbon.registry.models import Enterprise
    from dualcarbon.store.db import init_store, session_scope

    engine = init_store(data_dir)
    reference = load_reference(data_dir)
    today = service_forecast.local_today()
    with session_scope(engine) as session:
        rows = session.execute(
            select(Enterprise.credit_code, Enterprise.region_code).where(
                Enterprise.id.in_(select(Meter.enterprise_id).distinct())
            )
        ).all()
        scopes = [("enterprise", code) for code, _ in sorted(rows)]
        districts = sorted({region for _, region in rows})
        cities = sorted({region[:4] + "00" for region in districts})
        scopes += [("region", code) for code in districts + cities]
        results = [backtest_scope(session, SYSTEM, s, i, today, reference) for s, i in scopes]
    engine.dispose()
    print(f"as of {today}: one-month-ahead forecasts of {today.year}'s complete months (tce)")
    print("| scope | name | platform MAPE | method | persistence MAPE | last year's month MAPE | CPU s | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['scope']} {r['id']} | {r['name']} | {_fmt(mape(r['pairs']['platform']))} | "
            f"{', '.join(r['methods'])} | {_fmt(mape(r['pairs']['persistence']))} | "
            f"{_fmt(mape(r['pairs']['seasonal_naive']))} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} |"
        )
    for kind in ("enterprise", "region"):
        chosen = [r for r in results if r["scope"] == kind]
        pooled = {key: _fmt(mape([p for r in chosen for p in r["pairs"][key]])) for key in PAIRS}
        print(f"{kind} ({len(chosen)}), pooled MAPE: " + ", ".join(f"{k} {v}" for k, v in pooled.items()))
    for r in results:  # the months themselves, to read the errors behind a MAPE
        shown = ", ".join(
            "—" if f is None or a is None else f"{m}: {f:,.0f}/{a:,.0f}"
            for m, (f, a) in enumerate(r["pairs"]["platform"], start=1)
        )
        print(f"  {r['scope']} {r['id']} forecast/actual tce — {shown}")


PAIRS = ("platform", "persistence", "seasonal_naive")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
