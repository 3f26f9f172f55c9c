"""Benchmark of the region monitoring dashboard (区域能耗监测看板) at the scale of a province (issue #10 §8).

    uv run python benchmarks/bench_region_dashboard.py [--enterprises 5000] [--store DIR] [--repeat 5]

**Store** (built once into ``--store``, reused when it is there): a SQLite store with a province (330000) of four
cities, one district each, ``--enterprises`` enterprises spread over the four districts and four sectors (GB/T
4754 大类 C30, C26, C31, C34), one counted electricity meter each (imported through ``service_meters``), and a
year (366 days up to the day before the build) of DAILY stored rollups per meter, written through the rollup
store's own writer (``ParquetRollupStore.replace``: one file per enterprise and month, and — since the region day
table — a delta per month in ``monitoring/region``, compacted as it goes). The energy values are synthetic (a
seasonal shape plus noise, seed 7); tce and tCO₂ are the energy times fixed synthetic factors — the benchmark
measures aggregation, not coefficients. No tariff covers the province, so no cost rows exist (the cost query
runs, on an empty table). A regulator ``prov`` for 330000 is created (password below).

**Measured** in the same run, for the year of days:

* (m) a store built before the region day table has none: its migration (``RegionDays.build``, what
  ``dualcarbon store build-region-days`` and the first refresh do) is timed once;
* (a) ``service_region.region_dashboard`` in process (page 1 of 20): wall and CPU, median of ``--repeat``;
* (b) the first byte of ``GET /monitoring/region/330000?start=…&end=…`` from ``dualcarbon serve`` on the store,
  logged in as the regulator (httpx, one warm-up), median of ``--repeat``;
* (c) the floor: the best hand-written aggregate of the same numbers over the same layout — one SQLite query
  for meter → district and sector, and one DuckDB query over the region day table's files (the month bases, and
  the deltas after them, newest per meter and day) summing tce and tCO₂ by district, sector and month (no access
  checks, no paging, no status). Its sums per district are checked against (a)'s;
* (c0) with ``--old-floor``: the previous floor, the same aggregate over the enterprise day files (one per
  enterprise and month), once;
* (d) the cost the table adds to a rollup write: one enterprise's last day rewritten with its stored values
  (``ParquetRollupStore.replace`` under the lock, as a refresh of a late day does), with and without the
  region hook, alternating, median of 20 each.

Ratios (a)/(c) and (b)/(c) are printed with the load average; the aim is within 2× (docs/benchmarks.md).
PostgreSQL: ``benchmarks/bench_region_dashboard_pg.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

PASSWORD = "bench-Region-2024!"
CITIES = [("330100", "杭州市", "330102", "上城区"), ("330200", "宁波市", "330203", "海曙区"),
          ("330300", "温州市", "330302", "鹿城区"), ("330400", "嘉兴市", "330402", "南湖区")]  # fmt: skip
SECTORS = ["C3011", "C2614", "C3120", "C3443"]
#: Synthetic factors (kgce/kWh, kgCO₂/kWh) for the stored rows: benchmark data, not reference values.
TCE_PER_KWH, TCO2_PER_KWH = 0.1229e-3, 0.5e-3


def _code(i: int) -> str:
    from dualcarbon.domain.identifiers import make_credit_code

    return make_credit_code(f"91330000MA{i:07d}")


def seed(engine: Any, work_dir: Path, enterprises: int) -> dict[str, int]:
    """Regions, enterprises, the regulator and one meter per enterprise (any database); credit code → meter id."""
    from dualcarbon.accounts import service_auth
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_meters
    from dualcarbon.monitoring.models import Meter
    from dualcarbon.reference import shipped_reference
    from dualcarbon.registry import service as registry
    from dualcarbon.registry.models import Enterprise, Region
    from dualcarbon.store.db import session_scope

    with session_scope(engine) as session:
        province = Region.create("330000", "浙江省", "province")
        session.add(province)
        for city_code, city_name, district_code, district_name in CITIES:
            city = Region.create(city_code, city_name, "city", province)
            session.add_all([city, Region.create(district_code, district_name, "district", city)])
        session.flush()
        for i in range(enterprises):
            spec = registry.EnterpriseSpec(
                _code(i), f"基准企业{i}", CITIES[i % 4][2], SECTORS[(i // 4) % 4], above_scale=True
            )
            registry.create_enterprise(session, SYSTEM, spec)
        service_auth.create_user(
            session, SYSTEM, service_auth.NewUser(username="prov", password=PASSWORD, role="regulator",
                                                  region_code="330000")
        )  # fmt: skip
    register = work_dir / "meters.csv"
    lines = ["credit_code,meter_code,carrier,unit,kind,multiplier,interval_minutes"]
    lines += [f"{_code(i)},E1,electricity,kWh,interval,1,60" for i in range(enterprises)]
    register.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        service_meters.import_meters(session, SYSTEM, register, shipped_reference())
    with session_scope(engine, write=False) as session:
        return dict(session.execute(
            Meter.__table__.select().with_only_columns(Enterprise.credit_code, Meter.id).join_from(Meter, Enterprise)
        ).all())  # fmt: skip


def year_rows(meter_of: dict[str, int], enterprises: int, last: date) -> Iterator[tuple[str, pa.Table]]:
    """(credit code, its 366 day rows up to ``last``) per enterprise: the same synthetic numbers for a given
    ``last`` on every store (seed 7)."""
    from dualcarbon.monitoring.store_rollups import ROLLUP_SCHEMA

    first = last - timedelta(days=365)
    days = (last - first).days + 1
    starts = np.datetime64(first, "us") + np.arange(days) * np.timedelta64(1, "D")
    season = 1 + 0.25 * np.cos(2 * np.pi * (np.arange(days) - 200) / 365)
    rng = np.random.default_rng(7)
    for i in range(enterprises):
        energy = np.round(2400 * season * rng.uniform(0.5, 2.0) + rng.normal(0, 50, days), 2)
        yield (
            _code(i),
            pa.table(
                {
                    "meter_id": pa.array(np.full(days, meter_of[_code(i)]), pa.int32()),
                    "start": pa.array(starts, pa.timestamp("us")),
                    "energy": energy,
                    "tce": energy * TCE_PER_KWH,
                    "tce_equal": energy * TCE_PER_KWH,
                    "tco2": energy * TCO2_PER_KWH,
                    "completeness": np.ones(days),
                    "flags": pa.array([""] * days, pa.string()),
                    "sig": pa.array(["bench"] * days, pa.string()),
                },
                schema=ROLLUP_SCHEMA,
            ),
        )


def build(store: Path, enterprises: int) -> dict[str, Any]:
    """Build the store (see the module docstring); returns its facts, also kept in ``bench.json``."""
    from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore
    from dualcarbon.store.db import init_store

    started = time.perf_counter()
    store.mkdir(parents=True, exist_ok=True)
    engine = init_store(store)
    meter_of = seed(engine, store, enterprises)
    engine.dispose()
    last = date.today() - timedelta(days=1)
    rollups = ParquetRollupStore(store / "monitoring")
    with rollups.locked():
        for code, rows in year_rows(meter_of, enterprises, last):
            rollups.replace(code, "day", rows)
    facts = {"enterprises": enterprises, "first": (last - timedelta(days=365)).isoformat(), "last": last.isoformat(),
             "build_s": round(time.perf_counter() - started, 1)}  # fmt: skip
    (store / "bench.json").write_text(json.dumps(facts), encoding="utf-8")
    return facts


def service_call(store: Path, first: date, last: date, repeat: int) -> dict[str, Any]:
    """(a): the dashboard data service in process, as the regulator."""
    from dualcarbon.accounts.models import User
    from dualcarbon.accounts.service_auth import principal_for
    from dualcarbon.monitoring.service_region import region_dashboard
    from dualcarbon.store.db import init_store, session_scope

    engine = init_store(store)
    walls, cpus = [], []
    with session_scope(engine, write=False) as session:
        principal = principal_for(session, session.query(User).filter_by(username="prov").one())
        result = region_dashboard(session, principal, "330000", first, last)  # warm-up
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            result = region_dashboard(session, principal, "330000", first, last)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    engine.dispose()
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
            "by_district": {t.key: t.tce for t in result.by_district}, "enterprises": result.enterprises}  # fmt: skip


def _owners(store: Path) -> pa.Table:
    with sqlite3.connect(store / "dualcarbon.sqlite3") as db:
        pairs = db.execute(
            "SELECT m.id, substr(e.region_code, 1, 4) || '00', substr(e.industry_code, 1, 3) "
            "FROM meter m JOIN enterprise e ON e.id = m.enterprise_id WHERE m.counted"
        ).fetchall()
    return pa.table({"meter_id": pa.array([p[0] for p in pairs], pa.int32()),
                     "district": [p[1] for p in pairs], "sector": [p[2] for p in pairs]})  # fmt: skip


def _region_files(store: Path, first: date, last: date) -> tuple[list[str], list[str], list[str]]:
    """The region day table's live files of the months of [first, last]: the newest base of each month without
    deltas, those of the months with deltas, and the deltas written after their month's base (the file names
    carry the sequence number: ``base-<seq>-<rows>.parquet``)."""
    clean, dirty, deltas = [], [], []
    month = date(first.year, first.month, 1)
    while month <= last:
        folder = store / "monitoring" / "region" / "interval=day" / f"month={month:%Y-%m}"
        found = [(f.name.split("-")[0], int(f.name.split("-")[1]), str(f)) for f in folder.glob("[bd]*-*.parquet")]
        base = max((x for x in found if x[0] == "base"), default=None, key=lambda x: x[1])
        newer = [x[2] for x in found if x[0] == "delta" and (base is None or x[1] > base[1])]
        if base:
            (dirty if newer else clean).append(base[2])
        deltas += newer
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return clean, dirty, deltas


def plain_sql(store: Path, first: date, last: date, repeat: int, old: bool = False) -> dict[str, Any]:
    """(c): meter → district and sector from SQLite, then one DuckDB aggregate over the region day table's files
    (``old``: (c0), over every enterprise day file instead)."""

    con = duckdb.connect()  # opened once, outside the timing (as the app's shared DuckDB database is)
    bounds = {"a": datetime.combine(first, datetime.min.time()),
              "b": datetime.combine(last + timedelta(days=1), datetime.min.time())}  # fmt: skip

    def once() -> list[tuple[Any, ...]]:
        con.register("owners", _owners(store))
        if old:
            days = f"read_parquet('{store}/monitoring/rollups/enterprise=*/interval=day/*.parquet')"
        else:  # bases of months without deltas as they are; the others' rows no delta replaces; newest deltas
            clean, dirty, deltas = _region_files(store, first, last)
            cols = "meter_id, start, tce, tco2"
            parts = [f"SELECT {cols} FROM read_parquet({clean!r})"] if clean else []
            if dirty:
                keys = f"(SELECT DISTINCT meter_id, start FROM read_parquet({deltas!r}))"
                parts.append(f"SELECT b.meter_id, b.start, b.tce, b.tco2 FROM read_parquet({dirty!r}) b "
                             f"ANTI JOIN {keys} d USING (meter_id, start)")  # fmt: skip
            if deltas:
                parts.append(f"SELECT {cols} FROM read_parquet({deltas!r}) QUALIFY row_number() OVER "
                             "(PARTITION BY meter_id, start ORDER BY seq DESC) = 1")  # fmt: skip
            days = "(" + " UNION ALL ".join(f"({p})" for p in parts) + ")"
        rows = con.execute(
            "SELECT o.district, o.sector, date_trunc('month', r.start) AS month, sum(r.tce), sum(r.tco2) "
            f"FROM {days} r JOIN owners o USING (meter_id) WHERE r.start >= $a AND r.start < $b GROUP BY ALL",
            bounds,
        ).fetchall()
        con.unregister("owners")
        return rows

    once()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = once()
        times.append(time.perf_counter() - started)
    by_district: dict[str, float] = {}
    for district, _sector, _month, tce, _tco2 in rows:
        by_district[district] = by_district.get(district, 0.0) + tce
    return {"wall_s": statistics.median(times), "groups": len(rows), "by_district": by_district}


def migrate(store: Path) -> dict[str, Any]:
    """(m): build the region day table of a store that predates it (nothing when it is there)."""
    from dualcarbon.monitoring.store_region import RegionDays
    from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore

    rollups = ParquetRollupStore(store / "monitoring")
    region = RegionDays(rollups.root)
    if region.ready():
        return {"migrated": False}
    wall, cpu = time.perf_counter(), time.process_time()
    with rollups.locked():
        counts = region.build()
    return {"migrated": True, "wall_s": round(time.perf_counter() - wall, 2),
            "cpu_s": round(time.process_time() - cpu, 2), **counts}  # fmt: skip


def write_cost(store: Path, last: date, runs: int = 20) -> dict[str, Any]:
    """(d): one enterprise's day in a full month (``last`` − 180 days) rewritten with its stored values, with and
    without the region hook, alternating; then one compaction of that month's region folder, timed."""
    from dualcarbon.monitoring.store_region import RegionDays
    from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore

    rollups = ParquetRollupStore(store / "monitoring")
    day = datetime.combine(last - timedelta(days=180), datetime.min.time())
    meter_id = int(duckdb.sql(
        f"SELECT meter_id FROM read_parquet('{rollups.rollups}/enterprise={_code(0)}/interval=day/*.parquet') LIMIT 1"
    ).fetchall()[0][0])  # fmt: skip
    row = rollups.read(_code(0), [meter_id], "day", day, day + timedelta(days=1))
    append = RegionDays.append
    times: dict[str, list[float]] = {"with_hook": [], "without": []}
    try:
        for i in range(2 * runs):
            key = "with_hook" if i % 2 == 0 else "without"
            RegionDays.append = append if key == "with_hook" else (lambda self, con, relation: None)  # type: ignore[method-assign]
            started = time.perf_counter()
            with rollups.locked():
                rollups.replace(_code(0), "day", row)
            times[key].append(time.perf_counter() - started)
    finally:
        RegionDays.append = append  # type: ignore[method-assign]
    region = RegionDays(rollups.root)
    started = time.perf_counter()
    with rollups.locked():
        region.compact(duckdb.connect(), region.folder / f"month={day:%Y-%m}")
    compact_s = time.perf_counter() - started
    with_hook, without = statistics.median(times["with_hook"]), statistics.median(times["without"])
    return {"day": day.date().isoformat(), "with_hook_ms": round(1000 * with_hook, 1),
            "without_ms": round(1000 * without, 1), "max_with_hook_ms": round(1000 * max(times["with_hook"]), 1),
            "ratio": round(with_hook / without, 2), "compact_month_ms": round(1000 * compact_s, 1)}  # fmt: skip


def first_byte(store: Path, first: date, last: date, repeat: int) -> dict[str, Any]:
    """(b): ``dualcarbon serve`` on the store; the regulator logs in and GETs the page."""
    import httpx

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_reads import timed_page

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cli = Path(sys.executable).parent / "dualcarbon"
    server = subprocess.Popen(
        [str(cli), "serve", "--data-dir", str(store), "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, env={**os.environ, "DUALCARBON_DATABASE_URL": ""},
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        client = httpx.Client(base_url=base, timeout=300)
        client.post("/api/v1/auth/login", json={"username": "prov", "password": PASSWORD}).raise_for_status()
        path = f"/monitoring/region/330000?start={first}&end={last}"
        timed_page(client, path)  # warm-up
        runs = [timed_page(client, path) for _ in range(repeat)]
        body = client.get(path).text
        return {"first_byte_s": statistics.median(r[0] for r in runs),
                "last_byte_s": statistics.median(r[1] for r in runs), "shows_region": "浙江省" in body}  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--store", type=Path, default=Path("/tmp/dualcarbon-bench-region"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old-floor", action="store_true", help="also time (c0), the aggregate over the day files")
    args = parser.parse_args()
    facts_file = args.store / "bench.json"
    if facts_file.exists():
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
        if facts["enterprises"] != args.enterprises:
            sys.exit(f"{args.store} holds {facts['enterprises']} enterprises; pass another --store")
    else:
        facts = build(args.store, args.enterprises)
    first, last = date.fromisoformat(facts["last"]) - timedelta(days=364), date.fromisoformat(facts["last"])
    report: dict[str, Any] = {"date": datetime.now().isoformat(timespec="seconds"),
                              "loadavg_start": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
                              "store": facts, "days": f"{first}..{last}"}  # fmt: skip
    report["m_migration"] = migrate(args.store)
    a = service_call(args.store, first, last, args.repeat)
    c = plain_sql(args.store, first, last, args.repeat)
    b = first_byte(args.store, first, last, args.repeat)
    agree = all(abs(a["by_district"][k] - v) <= 1e-6 * max(1.0, abs(v)) for k, v in c["by_district"].items())
    report |= {
        "a_service": {k: v for k, v in a.items() if k != "by_district"},
        "b_page": b,
        "c_plain_sql": {k: v for k, v in c.items() if k != "by_district"},
        "same_district_totals": agree,
        "ratio_a_c": round(a["wall_s"] / c["wall_s"], 2),
        "ratio_b_c": round(b["first_byte_s"] / c["wall_s"], 2),
    }
    if args.old_floor:
        c0 = plain_sql(args.store, first, last, 1, old=True)
        report["c0_old_floor"] = {k: v for k, v in c0.items() if k != "by_district"}
    report["d_write_cost"] = write_cost(args.store, last)
    report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
