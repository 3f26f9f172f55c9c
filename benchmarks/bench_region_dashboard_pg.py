"""The region monitoring dashboard at the scale of a province on PostgreSQL (issue #10 §8).

    uv run python benchmarks/bench_region_dashboard_pg.py [--enterprises 5000] [--last YYYY-MM-DD] [--repeat 5]

**Database** (created once as ``dc_bench_region_<n>`` on 127.0.0.1:5432, the tests' server, reused when there):
the same province, enterprises, meters, regulator and synthetic year of DAILY rollups as
``bench_region_dashboard.py`` (same seed: pass that store's ``last`` day with ``--last`` for the same numbers),
stored through ``PostgresRollupStore.replace`` into ``monitoring_rollup``. The PostgreSQL store has no region
file table: its day rows already are one table, and the dashboard's totals are one SQL aggregate.

**Measured** in the same run, for the year of days:

* (a) ``service_region.region_dashboard`` in process as the regulator (page 1 of 20): wall and CPU, median of
  ``--repeat``; the statements it sends are counted, and those that read ``monitoring_rollup`` must be one;
* (c) the floor: one hand-written SQL aggregate of the same numbers (``monitoring_rollup`` ⋈ ``meter`` ⋈
  ``enterprise``, counted meters, sums of tce and tCO₂ by district, sector and month; no access checks, no
  paging, no costs, no status). Its sums per district are checked against (a)'s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).parent))
from bench_region_dashboard import seed, year_rows

ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)

FLOOR = """
SELECT substr(e.region_code, 1, 4) || '00', substr(e.industry_code, 1, 3),
  date_trunc('month', r.start AT TIME ZONE 'Asia/Shanghai'), sum(r.tce), sum(r.tco2)
FROM monitoring_rollup r JOIN meter m ON m.id = r.meter_id AND m.counted JOIN enterprise e ON e.id = m.enterprise_id
WHERE r.interval = 'day' AND r.start >= :a AND r.start < :b GROUP BY 1, 2, 3
"""


def _admin() -> str:
    for url in ADMIN_URLS:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return url
        except Exception:
            continue
        finally:
            engine.dispose()
    sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432 (users postgres, root)")


def build(admin_url: str, name: str, enterprises: int, last: date) -> tuple[str, dict[str, Any]]:
    """Create and fill the database unless it is there; its URL and facts (kept in a ``bench_facts`` table)."""
    from dualcarbon.monitoring.store_rollups_pg import PostgresRollupStore
    from dualcarbon.store.db import init_store, session_scope

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists:
            engine = create_engine(url)
            with engine.connect() as db:
                done = db.execute(text("SELECT to_regclass('bench_facts')")).scalar() is not None
                row = db.execute(text("SELECT facts FROM bench_facts")).first() if done else None
            engine.dispose()
            if row is not None:
                admin.dispose()
                return url, json.loads(row[0])
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))  # a build that did not finish
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    started = time.perf_counter()
    engine = init_store(url)
    work = Path(f"/tmp/{name}")
    work.mkdir(exist_ok=True)
    meter_of = seed(engine, work, enterprises)
    batch = 250
    rows = list(year_rows(meter_of, enterprises, last))
    for k in range(0, len(rows), batch):
        with session_scope(engine) as session:
            PostgresRollupStore(session).replace("*", "day", pa.concat_tables([t for _, t in rows[k : k + batch]]))
    facts = {"enterprises": enterprises, "first": (last - timedelta(days=365)).isoformat(), "last": last.isoformat(),
             "build_s": round(time.perf_counter() - started, 1)}  # fmt: skip
    with engine.begin() as db:
        db.execute(text("ANALYZE"))
        db.execute(text("CREATE TABLE bench_facts (facts text)"))
        db.execute(text("INSERT INTO bench_facts VALUES (:f)"), {"f": json.dumps(facts)})
    engine.dispose()
    return url, facts


def service_call(url: str, first: date, last: date, repeat: int) -> dict[str, Any]:
    from dualcarbon.accounts.models import User
    from dualcarbon.accounts.service_auth import principal_for
    from dualcarbon.monitoring.service_region import region_dashboard
    from dualcarbon.store.db import make_engine, session_scope

    engine = make_engine(url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    walls, cpus = [], []
    with session_scope(engine, write=False) as session:
        principal = principal_for(session, session.query(User).filter_by(username="prov").one())
        result = region_dashboard(session, principal, "330000", first, last)  # warm-up
        statements.clear()
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            result = region_dashboard(session, principal, "330000", first, last)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    engine.dispose()
    per_call = len(statements) // repeat
    rollup_reads = sum("monitoring_rollup" in s for s in statements) // repeat
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "statements": per_call,
            "statements_reading_monitoring_rollup": rollup_reads, "enterprises": result.enterprises,
            "by_district": {t.key: t.tce for t in result.by_district}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--last", type=date.fromisoformat, default=date.today() - timedelta(days=1))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    keys = Path(f"/tmp/dc_bench_region_{args.enterprises}")  # the audit key of a PostgreSQL store: not in the repo
    keys.mkdir(exist_ok=True)
    os.environ.setdefault("DUALCARBON_AUDIT_KEY_FILE", str(keys / "audit.key"))
    os.environ.setdefault("DUALCARBON_AUDIT_CHECKPOINT_FILE", str(keys / "audit-checkpoints.jsonl"))
    url, facts = build(_admin(), f"dc_bench_region_{args.enterprises}", args.enterprises, args.last)
    first, last = date.fromisoformat(facts["last"]) - timedelta(days=364), date.fromisoformat(facts["last"])
    report: dict[str, Any] = {"date": datetime.now().isoformat(timespec="seconds"),
                              "loadavg_start": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
                              "database": facts, "days": f"{first}..{last}"}  # fmt: skip
    a = service_call(url, first, last, args.repeat)
    c = floor(url, first, last, args.repeat)
    agree = all(abs(a["by_district"][k] - v) <= 1e-6 * max(1.0, abs(v)) for k, v in c["by_district"].items())
    report |= {
        "a_service": {k: v for k, v in a.items() if k != "by_district"},
        "c_plain_sql": {k: v for k, v in c.items() if k != "by_district"},
        "same_district_totals": agree,
        "ratio_a_c": round(a["wall_s"] / c["wall_s"], 2),
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


def floor(url: str, first: date, last: date, repeat: int) -> dict[str, Any]:
    """(c): one SQL aggregate by district, sector and month; local days as UTC bounds (Asia/Shanghai, UTC+8)."""
    engine = create_engine(url)
    bounds = {"a": f"{first.isoformat()} 00:00:00+08", "b": f"{(last + timedelta(days=1)).isoformat()} 00:00:00+08"}
    times = []
    with engine.connect() as db:
        db.execute(text(FLOOR), bounds).all()  # warm-up
        for _ in range(repeat):
            started = time.perf_counter()
            rows = db.execute(text(FLOOR), bounds).all()
            times.append(time.perf_counter() - started)
    engine.dispose()
    by_district: dict[str, float] = {}
    for district, _sector, _month, tce, _tco2 in rows:
        by_district[district] = by_district.get(district, 0.0) + tce
    return {"wall_s": statistics.median(times), "groups": len(rows), "by_district": by_district}


if __name__ == "__main__":
    main()
