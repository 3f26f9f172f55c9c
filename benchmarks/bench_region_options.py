"""The region day table's layout, weighed: the shipped Parquet table (DuckDB) against a relational SQLite table.

    uv run python benchmarks/bench_region_options.py --store /tmp/c-bench-5000

On a store built (and migrated) by ``bench_region_dashboard.py``: the per-enterprise aggregate the region dashboard
runs (sum of tce and tCO₂ of the counted meters over the year of days, grouped by enterprise), median of 5 after a
warm-up, on

* (p) the region day table (``RegionDays.query``: 13 month files, DuckDB), as shipped;
* (s) the same 1.83 M rows loaded into a SQLite table ``region_day (day, meter_id, tce, tco2)``, primary key
  (day, meter_id), WITHOUT ROWID — the relational option, in a scratch database next to the store (deleted after),
  joined to the store's ``meter`` table by ATTACH. The load time is printed too;
* (k) what the page would add with costs (the benchmark store has no tariff, so no cost rows): the same rows as day
  cost rows in a scratch copy of ``monitoring_cost`` (same key and index), and the cost aggregate
  ``service_region.enterprise_totals`` runs on SQLite (counted meters, interval 'day', the year, by enterprise) —
  for the whole region (what a page sorted by cost, or the export, sums) and for a page of 20 enterprises (what
  the page sums otherwise, :func:`.service_region.enterprise_costs`).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa


def _median(run: object, repeat: int = 5) -> float:
    run()  # type: ignore[operator]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main() -> None:
    from dualcarbon.monitoring.store_region import RegionDays

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    args = parser.parse_args()
    facts = json.loads((args.store / "bench.json").read_text(encoding="utf-8"))
    last = date.fromisoformat(facts["last"])
    first = last - timedelta(days=364)
    start, end = datetime.combine(first, datetime.min.time()), datetime.combine(last, datetime.min.time())
    end += timedelta(days=1)
    region = RegionDays(args.store / "monitoring")
    if not region.ready():
        raise SystemExit("the store has no region day table: run bench_region_dashboard.py on it first")
    with sqlite3.connect(args.store / "dualcarbon.sqlite3") as db:
        pairs = db.execute("SELECT id, enterprise_id FROM meter WHERE counted").fetchall()
    counted = pa.table({"meter_id": pa.array([p[0] for p in pairs], pa.int32()),
                        "enterprise_id": pa.array([p[1] for p in pairs], pa.int64())})  # fmt: skip
    sql = "SELECT m.enterprise_id, sum(d.tce), sum(d.tco2) FROM {days} d JOIN counted_meters m USING (meter_id) "
    sql += "GROUP BY 1"
    parquet_s = _median(lambda: region.query(sql, start, end, {"counted_meters": counted}))

    scratch = args.store / "region_option.sqlite3"
    scratch.unlink(missing_ok=True)
    rows = region.query("SELECT CAST(start AS DATE)::VARCHAR, meter_id, tce, tco2 FROM {days}", start, end)
    con = sqlite3.connect(scratch)
    try:
        con.execute("CREATE TABLE region_day (day TEXT, meter_id INTEGER, tce REAL, tco2 REAL, "
                    "PRIMARY KEY (day, meter_id)) WITHOUT ROWID")  # fmt: skip
        started = time.perf_counter()
        con.executemany("INSERT INTO region_day VALUES (?, ?, ?, ?)", rows)
        con.commit()
        load_s = round(time.perf_counter() - started, 1)
        con.execute(f"ATTACH '{args.store / 'dualcarbon.sqlite3'}' AS s")
        query = ("SELECT m.enterprise_id, sum(r.tce), sum(r.tco2) FROM region_day r JOIN s.meter m "
                 "ON m.id = r.meter_id AND m.counted WHERE r.day >= ? AND r.day <= ? "
                 "GROUP BY m.enterprise_id")  # fmt: skip
        sqlite_s = _median(lambda: con.execute(query, (first.isoformat(), last.isoformat())).fetchall())
        con.execute("CREATE TABLE monitoring_cost (meter_id INTEGER, interval VARCHAR(8), start DATETIME, "
                    "cost_yuan FLOAT, PRIMARY KEY (meter_id, interval, start))")  # fmt: skip
        con.execute("CREATE INDEX ix_monitoring_cost_interval_start ON monitoring_cost (interval, start)")
        con.executemany(  # the UTC instant of the local day's start, as store_cost keeps it
            "INSERT INTO monitoring_cost VALUES (?, 'day', datetime(?, '-8 hours'), ?)",
            ((r[1], f"{r[0]} 00:00:00", r[2] * 8000.0) for r in rows),
        )
        con.commit()
        costs = ("SELECT m.enterprise_id, sum(c.cost_yuan) FROM monitoring_cost c JOIN s.meter m ON m.id = c.meter_id "
                 "WHERE c.meter_id IN (SELECT id FROM s.meter WHERE counted AND kind IN ('cumulative', 'interval') "
                 "AND measures = 'energy') AND c.interval = 'day' AND c.start >= datetime(?, '-8 hours') "
                 "AND c.start < datetime(?, '-8 hours') GROUP BY m.enterprise_id")  # fmt: skip
        bounds = (f"{first} 00:00:00", f"{last + timedelta(days=1)} 00:00:00")
        cost_s = _median(lambda: con.execute(costs, bounds).fetchall())
        page = costs.replace(
            "WHERE counted", "WHERE enterprise_id IN (SELECT id FROM s.enterprise ORDER BY id LIMIT 20) AND counted"
        )
        page_s = _median(lambda: con.execute(page, bounds).fetchall())
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
    print(json.dumps({"date": datetime.now().isoformat(timespec="seconds"), "loadavg": os.getloadavg(),
                      "rows": len(rows), "p_parquet_region_table_s": parquet_s, "s_sqlite_table_s": sqlite_s,
                      "s_sqlite_load_s": load_s, "ratio_s_p": round(sqlite_s / parquet_s, 1),
                      "k_cost_aggregate_s": cost_s, "k_cost_page_of_20_s": page_s,
                      "duckdb": duckdb.__version__}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
