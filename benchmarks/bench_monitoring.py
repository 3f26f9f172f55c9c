"""Benchmark of online monitoring: 100 meters × 1 year of 15-minute cumulative readings (≈3.5 M rows).

    uv run python benchmarks/bench_monitoring.py [--meters 100] [--days 365] [--repeat 3] [--keep DIR]

1. Sets up a SQLite store in a temporary data directory with one enterprise (浙江) and ``--meters``
   cumulative electricity meters (imported with ``service_meters.import_meters``), and writes a Parquet
   file of readings ``credit_code, meter_code, ts, value`` for 2023 (naive Asia/Shanghai times; each
   counter grows by a random 0–50 kWh per 15 minutes, multiplier 1; not timed).
2. **Ingest** (child process): ``read_readings_file`` + ``service_ingest.ingest_table`` — the path of
   ``dualcarbon ingest FILE``: parse, validate, classify against the store, write the Parquet dataset.
   Then the same file again (everything a duplicate). Both with ``refresh=False``: the rollup refresh that an
   ingest runs by default is what step 3 times.
3. **Stored rollups** (child process): ``service_refresh.refresh_rollups`` computing and storing hour, day and
   month for the whole year from scratch (median of ``--repeat``, the rollup folder removed before each),
   alternating with a **hand-written full recompute** in DuckDB as an expert would write it (one window pass to
   hours, days from hours, months from days, × constant factors, one ``COPY`` to Parquet per level; median), then
   **incremental**: for each of ``--repeat`` late days (meter M000's readings inside one day, held out of the
   main file), ingest them and refresh (only that day and its month are recomputed); ratio full / incremental.
4. **Rollups read** (child process, best of ``--repeat``): ``service_rollups.enterprise_rollups`` (now read from
   the stored rollups) and ``service_rollups.compute_rollups`` (computed on request from the readings) for hour,
   day and month over the whole year — counter differences, flags, completeness, the full period grid, tce
   (当量值, 等价值) and tCO₂ — against a **hand-written DuckDB query** over the same Parquet files that does
   only lag-difference × multiplier, ``date_trunc`` + ``GROUP BY`` and × constant factors (the floor).
   The totals of both are compared.
5. Peak RSS of each child process (``ru_maxrss``), and of one full refresh alone in a child; the 1-minute load
   average before each full refresh. Prints a Markdown table for docs/benchmarks.md.

MyEMS figures for the same data shape (100 meters × 365 days) are in ../shared/research/myems.md §6:
cleaning 31.8 s + normalisation 25.3 s = 57 s to hourly (peak RSS 1.7 GB), ≈90 s with carbon and billing.
They were measured on another run of the same machine type, not in this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

YEAR = 2023


def _setup(data_dir: Path, meters: int) -> str:
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.domain.identifiers import make_credit_code
    from dualcarbon.monitoring import service_meters
    from dualcarbon.reference import shipped_reference
    from dualcarbon.registry import service as registry
    from dualcarbon.registry.models import Region
    from dualcarbon.store.db import init_store, session_scope

    code = make_credit_code("91330302MA2AA0001")
    engine = init_store(data_dir)
    with session_scope(engine) as session:
        zj = Region.create("330000", "浙江省", "province")
        wz = Region.create("330300", "温州市", "city", zj)
        session.add_all([zj, wz, Region.create("330302", "鹿城区", "district", wz)])
        session.flush()
        registry.create_enterprise(
            session, SYSTEM, registry.EnterpriseSpec(code, "基准测试企业", "330302", "C3443", above_scale=True)
        )
    register = data_dir / "meters.csv"
    lines = ["credit_code,meter_code,carrier,unit,kind,multiplier"]
    lines += [f"{code},M{i:03d},electricity,kWh,cumulative,1" for i in range(meters)]
    register.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        service_meters.import_meters(session, SYSTEM, register, shipped_reference())
    engine.dispose()
    return code


def _late_rows(day: int) -> range:
    """Row numbers (of meter M000) of the readings inside local day ``day`` (00:15 … 23:45): the late data."""
    return range(day * 96 + 1, day * 96 + 96)


def _readings_file(path: Path, code: str, meters: int, days: int, late_days: list[int] | None = None) -> int:
    """Counters for ``days`` days of 15-min readings plus the reading that closes the last interval. The readings
    of M000 inside each of ``late_days`` go to ``late-<day>.parquet`` beside ``path`` instead."""
    rng = np.random.default_rng(7)
    steps = days * 96 + 1
    start = np.datetime64(f"{YEAR}-01-01T00:00", "us")
    times = start + np.arange(steps) * np.timedelta64(15, "m")
    writer = None
    for i in range(meters):
        values = np.cumsum(rng.uniform(0, 50, steps)) + 1000.0
        table = pa.table(
            {
                "credit_code": pa.array([code] * steps, pa.string()),
                "meter_code": pa.array([f"M{i:03d}"] * steps, pa.string()),
                "ts": pa.array(times, pa.timestamp("us")),
                "value": pa.array(values, pa.float64()),
            }
        )
        if i == 0 and late_days:
            held = np.zeros(steps, dtype=bool)
            for day in late_days:
                rows = np.array(_late_rows(day))
                held[rows] = True
                pq.write_table(table.take(pa.array(rows)), path.parent / f"late-{day}.parquet")
            table = table.filter(pa.array(~held))
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return meters * steps


def _cpu_s() -> float:
    """CPU time of this process so far, all threads (DuckDB's included), user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _ingest_child(data_dir: str, file: str, out: Any) -> None:
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_ingest
    from dualcarbon.monitoring.io.readings_file import read_readings_file
    from dualcarbon.store.db import init_store, session_scope

    engine = init_store(Path(data_dir))
    results = []
    for _ in range(2):
        started, cpu = time.perf_counter(), _cpu_s()
        table = read_readings_file(Path(file))
        with session_scope(engine) as session:
            # Without the rollup refresh that follows an ingest by default: that is timed in _refresh_child.
            receipt = service_ingest.ingest_table(session, SYSTEM, table, source="file", refresh=False)
        wall = time.perf_counter() - started
        results.append((wall, _cpu_s() - cpu, receipt.model_dump(exclude={"problems"})))
    engine.dispose()
    out.put({"runs": results, "peak_mb": _peak_mb()})


def _hand_full(con: Any, files: list[str], factors: Any, out: Path) -> None:
    """The hand-written full recompute, as an expert would write it in DuckDB: one window pass over the readings
    to hours, days from hours and months from days (no re-reading), × constant factors, each written with one
    COPY to Parquet. No flags, completeness, period grid, meter attributes or signatures."""
    con.execute(HAND_LEVELS_SQL.format(files=files, year=YEAR, next=YEAR + 1))
    for level in ("hour", "day", "month"):
        con.execute(
            f"COPY (SELECT meter_id, start, energy, energy * {factors.tce_per_unit} AS tce, "
            f"energy * {factors.tce_equal_per_unit} AS tce_equal, energy * {factors.tco2_per_unit} AS tco2, n "
            f"FROM hand_{level}) TO '{out / level}.parquet' (FORMAT parquet, COMPRESSION snappy)"
        )


def _refresh_child(data_dir: str, code: str, late_files: list[str], repeat: int, out: Any) -> None:
    """Full refresh from scratch and the hand-written full recompute (:func:`_hand_full`), alternating ``repeat``
    times (a shared machine's load drifts); then one late day per file: ingest + refresh."""
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_ingest, service_refresh
    from dualcarbon.monitoring.io.readings_file import read_readings_file
    from dualcarbon.monitoring.service_factors import factors_for
    from dualcarbon.reference import shipped_reference
    from dualcarbon.store.db import init_store, session_scope

    reference = shipped_reference()
    engine = init_store(Path(data_dir))
    factors = factors_for(reference, "electricity", "kWh", YEAR, "浙江省")
    files = sorted(str(p) for p in (Path(data_dir) / "monitoring" / "readings").rglob("*.parquet"))
    hand_out = Path(data_dir) / "hand"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    full: list[tuple[float, float]] = []
    hand: list[tuple[float, float]] = []
    loads: list[float] = []
    full_periods: dict[str, int] = {}
    hook = _time_region_hook()
    region: list[tuple[float, float]] = []
    for _ in range(repeat):
        loads.append(os.getloadavg()[0])
        shutil.rmtree(Path(data_dir) / "monitoring" / "rollups", ignore_errors=True)
        hook.clear()
        started, cpu = time.perf_counter(), _cpu_s()
        with session_scope(engine) as session:
            stats = service_refresh.refresh_rollups(session, reference, credit_code=code)
        full.append((time.perf_counter() - started, _cpu_s() - cpu))
        region.append((sum(w for w, _ in hook), sum(c for _, c in hook)))
        full_periods = stats.periods
        shutil.rmtree(hand_out, ignore_errors=True)
        hand_out.mkdir()
        started, cpu = time.perf_counter(), _cpu_s()
        _hand_full(con, files, factors, hand_out)
        hand.append((time.perf_counter() - started, _cpu_s() - cpu))
    hand_energy = con.sql("SELECT sum(energy), count(*) FROM hand_hour").fetchall()[0]
    con.close()
    shutil.rmtree(hand_out, ignore_errors=True)
    late = late_cpu = ingest_late = float("inf")
    late_periods: dict[str, int] = {}
    for file in late_files:
        started = time.perf_counter()
        with session_scope(engine) as session:
            table = read_readings_file(Path(file))
            service_ingest.ingest_table(session, SYSTEM, table, source="file", refresh=False)
        ingest_late = min(ingest_late, time.perf_counter() - started)
        started, cpu = time.perf_counter(), _cpu_s()
        with session_scope(engine) as session:
            stats = service_refresh.refresh_rollups(session, reference, credit_code=code)
        late, late_cpu = min(late, time.perf_counter() - started), min(late_cpu, _cpu_s() - cpu)
        late_periods = stats.periods
    engine.dispose()
    out.put(
        {
            "full": full,
            "region_hook": region,
            "hand_full": hand,
            "hand_energy": hand_energy,
            "loads": loads,
            "full_periods": full_periods,
            "late": (late, late_cpu, late_periods),
            "ingest_late": ingest_late,
            "peak_mb": _peak_mb(),
        }
    )


def _time_region_hook() -> list[tuple[float, float]]:
    """Wall and CPU of each call of the region day table's hook in the rollup writer (``store_region``, kept
    current by every day write), appended to the list returned; empty on a tree without that hook."""
    calls: list[tuple[float, float]] = []
    try:
        from dualcarbon.monitoring import store_region
    except ImportError:
        return calls
    original = store_region.RegionDays.append

    def timed(self: Any, con: Any, relation: str) -> None:
        started, cpu = time.perf_counter(), _cpu_s()
        try:
            original(self, con, relation)
        finally:
            calls.append((time.perf_counter() - started, _cpu_s() - cpu))

    store_region.RegionDays.append = timed  # type: ignore[method-assign]
    return calls


def _peak_child(data_dir: str, code: str, out: Any) -> None:
    """One full refresh from scratch alone in its process: its peak RSS (the other children mix in more work)."""
    from dualcarbon.monitoring import service_refresh
    from dualcarbon.reference import shipped_reference
    from dualcarbon.store.db import init_store, session_scope

    reference = shipped_reference()
    engine = init_store(Path(data_dir))
    shutil.rmtree(Path(data_dir) / "monitoring" / "rollups", ignore_errors=True)
    with session_scope(engine) as session:
        service_refresh.refresh_rollups(session, reference, credit_code=code)
    engine.dispose()
    out.put({"peak_mb": _peak_mb()})


def _median(runs: list[tuple[float, float]], which: int) -> float:
    return statistics.median(r[which] for r in runs)


HAND_LEVELS_SQL = """
CREATE OR REPLACE TEMP TABLE hand_hour AS
SELECT meter_id, date_trunc('hour', slot) AS start, sum(energy) AS energy, count(energy) AS n
FROM (SELECT meter_id, ts + INTERVAL 8 HOUR - INTERVAL 15 MINUTE AS slot,
             (value - lag(value) OVER (PARTITION BY meter_id ORDER BY ts)) * 1.0 AS energy
      FROM read_parquet({files}))
WHERE energy IS NOT NULL AND slot >= TIMESTAMP '{year}-01-01' AND slot < TIMESTAMP '{next}-01-01'
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE hand_day AS
SELECT meter_id, date_trunc('day', start) AS start, sum(energy) AS energy, sum(n) AS n FROM hand_hour GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE hand_month AS
SELECT meter_id, date_trunc('month', start) AS start, sum(energy) AS energy, sum(n) AS n FROM hand_day GROUP BY ALL;
"""


HAND_SQL = """
WITH d AS (
  SELECT meter_id, ts + INTERVAL 8 HOUR - INTERVAL 15 MINUTE AS slot,
         (value - lag(value) OVER (PARTITION BY meter_id ORDER BY ts)) * 1.0 AS energy
  FROM read_parquet({files})
)
SELECT meter_id, date_trunc('{interval}', slot) AS start, sum(energy) AS energy,
       sum(energy) * {tce} AS tce, sum(energy) * {tce_equal} AS tce_equal, sum(energy) * {tco2} AS tco2,
       count(energy) AS n
FROM d WHERE energy IS NOT NULL AND slot >= TIMESTAMP '{year}-01-01' AND slot < TIMESTAMP '{next}-01-01'
GROUP BY ALL ORDER BY meter_id, start
"""


def _rollup_child(data_dir: str, code: str, repeat: int, out: Any) -> None:
    """Ours and the hand-written query alternate within each repetition (a shared machine's load drifts);
    the best time of each is kept."""
    from sqlalchemy import select

    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_rollups
    from dualcarbon.monitoring.models import Meter
    from dualcarbon.monitoring.service_factors import factors_for
    from dualcarbon.reference import shipped_reference
    from dualcarbon.registry.models import Enterprise
    from dualcarbon.store.db import init_store, session_scope

    reference = shipped_reference()
    engine = init_store(Path(data_dir))
    factors = factors_for(reference, "electricity", "kWh", YEAR, "浙江省")
    files = sorted(str(p) for p in (Path(data_dir) / "monitoring" / "readings").rglob("*.parquet"))
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    ours: dict[str, float] = {}
    computed: dict[str, float] = {}
    hand: dict[str, float] = {}
    ours_cpu: dict[str, float] = {}
    hand_cpu: dict[str, float] = {}
    totals: dict[str, tuple[float, int]] = {}
    hand_totals: dict[str, tuple[float, int]] = {}
    for interval in ("hour", "day", "month"):
        sql = HAND_SQL.format(
            files=files,
            interval=interval,
            tce=factors.tce_per_unit,
            tce_equal=factors.tce_equal_per_unit,
            tco2=factors.tco2_per_unit,
            year=YEAR,
            next=YEAR + 1,
        )
        ours[interval] = hand[interval] = ours_cpu[interval] = hand_cpu[interval] = computed[interval] = float("inf")
        for _ in range(repeat):
            started, cpu = time.perf_counter(), _cpu_s()
            with session_scope(engine, write=False) as session:
                table = service_rollups.enterprise_rollups(
                    session, SYSTEM, code, interval, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), reference
                )
            ours[interval] = min(ours[interval], time.perf_counter() - started)
            ours_cpu[interval] = min(ours_cpu[interval], _cpu_s() - cpu)
            started = time.perf_counter()
            with session_scope(engine, write=False) as session:
                enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).one()
                meters = list(session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id)))
                service_rollups.compute_rollups(
                    session, enterprise, meters, interval, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), reference
                )
            computed[interval] = min(computed[interval], time.perf_counter() - started)
            started, cpu = time.perf_counter(), _cpu_s()
            floor = con.sql(sql).to_arrow_table()
            hand[interval] = min(hand[interval], time.perf_counter() - started)
            hand_cpu[interval] = min(hand_cpu[interval], _cpu_s() - cpu)
        energy = table.column("energy").to_numpy(zero_copy_only=False)
        tco2 = table.column("tco2").to_numpy(zero_copy_only=False)
        totals[interval] = (float(np.nansum(energy)), table.num_rows)
        totals[interval + "_tco2"] = (float(np.nansum(tco2)), 0)
        hand_totals[interval] = (float(np.nansum(floor.column("energy").to_numpy())), floor.num_rows)
    con.close()
    engine.dispose()
    out.put(
        {
            "ours": ours,
            "computed": computed,
            "hand": hand,
            "ours_cpu": ours_cpu,
            "hand_cpu": hand_cpu,
            "totals": totals,
            "hand_totals": hand_totals,
            "peak_mb": _peak_mb(),
        }
    )


def _run(target: Any, *args: Any) -> dict[str, Any]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="keep the data directory here")
    parser.add_argument("--late-days", type=str, default="100,150,200", help="days of M000 that arrive late")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-monitoring-"))
    data_dir = args.keep if args.keep is not None else root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        code = _setup(data_dir, args.meters)
        readings = root / "readings.parquet"
        late_days = [int(d) for d in args.late_days.split(",") if d.strip()]
        rows = _readings_file(readings, code, args.meters, args.days, late_days)
        print(f"# {rows:,} readings, {args.meters} meters × {args.days} days; {readings.stat().st_size / 1e6:.1f} MB")
        print(f"# {platform.node()} {platform.machine()} cpus={os.cpu_count()} load before={os.getloadavg()}")
        print(f"# python {sys.version.split()[0]} duckdb {duckdb.__version__} pyarrow {pa.__version__}")
        ingest = _run(_ingest_child, str(data_dir), str(readings))
        late_files = [str(root / f"late-{d}.parquet") for d in late_days]
        refresh = _run(_refresh_child, str(data_dir), code, late_files, args.repeat)
        peak = _run(_peak_child, str(data_dir), code)
        rollups = _run(_rollup_child, str(data_dir), code, args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)  # the readings file; --keep keeps the data directory
    print(f"# load after={os.getloadavg()}")
    (first_s, first_cpu, first), (again_s, again_cpu, again) = ingest["runs"]
    print()
    print("| step | ours: wall / CPU (s) | hand-written DuckDB: wall / CPU (s) | ratio wall / CPU | rows out |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| ingest {rows:,} readings (file → store) | {first_s:.2f} / {first_cpu:.2f} | – | – "
        f"| {first['accepted']:,} accepted |"
    )
    print(
        f"| ingest the same file again | {again_s:.2f} / {again_cpu:.2f} | – | – | {again['duplicate']:,} duplicate |"
    )
    sums = [0.0, 0.0, 0.0, 0.0]
    for interval in ("hour", "day", "month"):
        row = (
            rollups["ours"][interval],
            rollups["ours_cpu"][interval],
            rollups["hand"][interval],
            rollups["hand_cpu"][interval],
        )
        sums = [a + b for a, b in zip(sums, row, strict=True)]
        out_rows = rollups["totals"][interval][1]
        print(
            f"| rollup {interval} + tce/CO₂, read from stored | {row[0]:.3f} / {row[1]:.3f} "
            f"| {row[2]:.3f} / {row[3]:.3f} "
            f"| {row[0] / row[2]:.2f} / {row[1] / row[3]:.2f} | {out_rows:,} |"
        )
    print(
        f"| **hour + day + month** | **{sums[0]:.3f} / {sums[1]:.3f}** | **{sums[2]:.3f} / {sums[3]:.3f}** "
        f"| **{sums[0] / sums[2]:.2f} / {sums[1] / sums[3]:.2f}** | |"
    )
    full_s, full_cpu = _median(refresh["full"], 0), _median(refresh["full"], 1)
    hand_s, hand_cpu = _median(refresh["hand_full"], 0), _median(refresh["hand_full"], 1)
    full_periods = refresh["full_periods"]
    late_s, late_cpu, late_periods = refresh["late"]
    print(
        f"| **stored rollups, full refresh (hour + day + month written), median** | **{full_s:.3f} / {full_cpu:.3f}** "
        f"| one pass + COPY: {hand_s:.3f} / {hand_cpu:.3f} | {full_s / hand_s:.2f} / {full_cpu / hand_cpu:.2f} "
        f"| {sum(full_periods.values()):,} |"
    )
    print(
        f"| incremental refresh, one late day of one meter | {late_s:.3f} / {late_cpu:.3f} | – "
        f"| full ÷ incremental {full_s / late_s:.0f}× | {sum(late_periods.values()):,} |"
    )
    runs = ", ".join(f"{w:.2f}/{c:.2f}" for w, c in refresh["full"])
    hand_runs = ", ".join(f"{w:.2f}/{c:.2f}" for w, c in refresh["hand_full"])
    print()
    print(f"full refresh runs (wall/CPU s): {runs}; hand-written one pass + COPY: {hand_runs}")
    print(f"load average (1 min) before each full refresh: {', '.join(f'{x:.1f}' for x in refresh['loads'])}")
    hook_runs = ", ".join(f"{w:.3f}/{c:.3f}" for w, c in refresh["region_hook"])
    print(f"of each full refresh, the region day table hook (store_region; wall/CPU s): {hook_runs or '–'}")
    print(
        f"hand-written one pass: {refresh['hand_energy'][0]:,.1f} kWh in {refresh['hand_energy'][1]:,} hours; "
        f"peak RSS of one full refresh alone: {peak['peak_mb']:.0f} MB"
    )
    print()
    print(f"periods recomputed: full {full_periods}, late day {late_periods}")
    print(f"ingest of one late day (95 readings): {refresh['ingest_late']:.3f} s")
    computed = " / ".join(f"{rollups['computed'][i]:.3f}" for i in ("hour", "day", "month"))
    print(f"compute on request (no stored rollups), hour / day / month: {computed} s")
    print(
        f"peak RSS: ingest child {ingest['peak_mb']:.0f} MB, refresh child {refresh['peak_mb']:.0f} MB, "
        f"rollup child {rollups['peak_mb']:.0f} MB"
    )
    for interval in ("hour", "day", "month"):
        ours_total = rollups["totals"][interval][0]
        hand_total = rollups["hand_totals"][interval][0]
        print(f"energy total {interval}: ours {ours_total:,.1f} kWh, hand-written {hand_total:,.1f} kWh")
    print(f"tCO₂ total (hour): {rollups['totals']['hour_tco2'][0]:,.1f}")


if __name__ == "__main__":
    main()
