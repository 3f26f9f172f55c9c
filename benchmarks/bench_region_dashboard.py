"""Benchmark of the region monitoring dashboard (区域能耗监测看板) at the scale of a province (issue #10 §8).

    uv run python benchmarks/bench_region_dashboard.py [--enterprises 5000] [--store DIR] [--repeat 5]

**Store** (built once into ``--store``, reused when it is there): a SQLite store with a province (330000) of four
cities, one district each, ``--enterprises`` enterprises spread over the four districts and four sectors (GB/T
4754 大类 C30, C26, C31, C34), one counted electricity meter each (imported through ``service_meters``), and a
year (366 days up to the day before the build) of DAILY stored rollups per meter, written through the rollup
store's own writer (``ParquetRollupStore.replace``: one file per enterprise and month). The energy values are
synthetic (a seasonal shape plus noise, seed 7); tce and tCO₂ are the energy times fixed synthetic factors —
the benchmark measures aggregation, not coefficients. No tariff covers the province, so no cost rows exist
(the cost query runs, on an empty table). A regulator ``prov`` for 330000 is created (password below).

**Measured** in the same run, for the year of days:

* (a) ``service_dashboard.region_dashboard`` in process (page 1 of 20): wall and CPU, median of ``--repeat``;
* (b) the first byte of ``GET /monitoring/region/330000?start=…&end=…`` from ``dualcarbon serve`` on the store,
  logged in as the regulator (httpx, one warm-up), median of ``--repeat``;
* (c) a plain hand-written aggregate of the same numbers: one SQLite query for meter → district and sector, and
  one DuckDB query over every day rollup file summing tce and tCO₂ by district, sector and month (no access
  checks, no paging, no status) — the floor. Its sums per district are checked against (a)'s.

Ratios (a)/(c) and (b)/(c) are printed with the load average; the aim is within 2× (docs/benchmarks.md).
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


def build(store: Path, enterprises: int) -> dict[str, Any]:
    """Build the store (see the module docstring); returns its facts, also kept in ``bench.json``."""
    from dualcarbon.accounts import service_auth
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_meters
    from dualcarbon.monitoring.models import Meter
    from dualcarbon.monitoring.store_rollups import ROLLUP_SCHEMA, ParquetRollupStore
    from dualcarbon.reference import shipped_reference
    from dualcarbon.registry import service as registry
    from dualcarbon.registry.models import Enterprise, Region
    from dualcarbon.store.db import init_store, session_scope

    started = time.perf_counter()
    store.mkdir(parents=True, exist_ok=True)
    engine = init_store(store)
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
    register = store / "meters.csv"
    lines = ["credit_code,meter_code,carrier,unit,kind,multiplier,interval_minutes"]
    lines += [f"{_code(i)},E1,electricity,kWh,interval,1,60" for i in range(enterprises)]
    register.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        service_meters.import_meters(session, SYSTEM, register, shipped_reference())
    with session_scope(engine, write=False) as session:
        meter_of = dict(session.execute(
            Meter.__table__.select().with_only_columns(Enterprise.credit_code, Meter.id).join_from(Meter, Enterprise)
        ).all())  # fmt: skip
    engine.dispose()
    last = date.today() - timedelta(days=1)
    first = last - timedelta(days=365)
    days = (last - first).days + 1
    starts = np.datetime64(first, "us") + np.arange(days) * np.timedelta64(1, "D")
    season = 1 + 0.25 * np.cos(2 * np.pi * (np.arange(days) - 200) / 365)
    rng = np.random.default_rng(7)
    rollups = ParquetRollupStore(store / "monitoring")
    with rollups.locked():
        for i in range(enterprises):
            energy = np.round(2400 * season * rng.uniform(0.5, 2.0) + rng.normal(0, 50, days), 2)
            rows = pa.table(
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
            )
            rollups.replace(_code(i), "day", rows)
    facts = {"enterprises": enterprises, "first": first.isoformat(), "last": last.isoformat(),
             "build_s": round(time.perf_counter() - started, 1)}  # fmt: skip
    (store / "bench.json").write_text(json.dumps(facts), encoding="utf-8")
    return facts


def service_call(store: Path, first: date, last: date, repeat: int) -> dict[str, Any]:
    """(a): the dashboard data service in process, as the regulator."""
    from dualcarbon.accounts.models import User
    from dualcarbon.accounts.service_auth import principal_for
    from dualcarbon.monitoring.service_dashboard import region_dashboard
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


def plain_sql(store: Path, first: date, last: date, repeat: int) -> dict[str, Any]:
    """(c): meter → district and sector from SQLite, then one DuckDB aggregate over all the day files."""

    con = duckdb.connect()  # opened once, outside the timing (as the app's shared DuckDB database is)

    def once() -> list[tuple[Any, ...]]:
        with sqlite3.connect(store / "dualcarbon.sqlite3") as db:
            pairs = db.execute(
                "SELECT m.id, substr(e.region_code, 1, 4) || '00', substr(e.industry_code, 1, 3) "
                "FROM meter m JOIN enterprise e ON e.id = m.enterprise_id WHERE m.counted"
            ).fetchall()
        owners = pa.table({"meter_id": pa.array([p[0] for p in pairs], pa.int32()),
                           "district": [p[1] for p in pairs], "sector": [p[2] for p in pairs]})  # fmt: skip
        con.register("owners", owners)
        rows = con.execute(
            "SELECT o.district, o.sector, date_trunc('month', r.start) AS month, sum(r.tce), sum(r.tco2) "
            f"FROM read_parquet('{store}/monitoring/rollups/enterprise=*/interval=day/*.parquet') r "
            "JOIN owners o USING (meter_id) WHERE r.start >= $a AND r.start < $b GROUP BY ALL",
            {"a": datetime.combine(first, datetime.min.time()), "b": datetime.combine(last + timedelta(days=1),
                                                                                      datetime.min.time())},
        ).fetchall()  # fmt: skip
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
    args = parser.parse_args()
    facts_file = args.store / "bench.json"
    if facts_file.exists():
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
        if facts["enterprises"] != args.enterprises:
            sys.exit(f"{args.store} holds {facts['enterprises']} enterprises; pass another --store")
    else:
        facts = build(args.store, args.enterprises)
    first, last = date.fromisoformat(facts["last"]) - timedelta(days=364), date.fromisoformat(facts["last"])
    a = service_call(args.store, first, last, args.repeat)
    c = plain_sql(args.store, first, last, args.repeat)
    b = first_byte(args.store, first, last, args.repeat)
    agree = all(abs(a["by_district"][k] - v) <= 1e-6 * max(1.0, abs(v)) for k, v in c["by_district"].items())
    report = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "store": facts,
        "days": f"{first}..{last}",
        "a_service": {k: v for k, v in a.items() if k != "by_district"},
        "b_page": b,
        "c_plain_sql": {k: v for k, v in c.items() if k != "by_district"},
        "same_district_totals": agree,
        "ratio_a_c": round(a["wall_s"] / c["wall_s"], 2),
        "ratio_b_c": round(b["first_byte_s"] / c["wall_s"], 2),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
