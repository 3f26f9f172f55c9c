"""Benchmark of the alerts: nightly evaluation for many enterprises, webhook and e-mail throughput, and the
back-test of the forecast on the demo's load shape.

    uv run python benchmarks/bench_alerts.py [--enterprises 5000] [--deliveries 500] [--keep DIR]

1. **Evaluation** — a SQLite store in a temporary data directory with ``--enterprises`` enterprises, each with one
   hourly electricity meter (``interval``, 60 min) and 9 weeks of hourly readings (1 % of them with a spike on
   the last day), ingested and rolled up first (``service_refresh.refresh_rollups``: the nightly rollup, not
   timed). Timed: ``service_alerts.evaluate`` for the last day (every source: quality, conflicts, imbalance,
   anomalies from the stored hourly rollups, budgets), one transaction. Baseline: the anomaly rule alone in
   NumPy over the same hourly values read once from the stored rollup files with DuckDB (no access checks,
   no other sources, no writes) — the floor of the work.
2. **Webhooks** — ``--deliveries`` queued deliveries sent by ``service_channels.deliver_due`` (HMAC-signed JSON,
   one HTTP POST each, outcome written) to a local threaded HTTP server; baseline: the same bodies POSTed with
   one ``httpx.Client`` and nothing else.
3. **E-mail** — the same number of deliveries over SMTP to an aiosmtpd sink (one SMTP connection per message, as
   the service does); baseline: the same messages sent over one ``smtplib`` connection.
4. **Forecast back-test** — ``seasonal.backtest_mape`` on 3 years of monthly totals made with the demo's load
   shape generator (``demo.monitoring_readings._shape``: day/night, weekday, season, noise, maintenance stops) for 30
   enterprises (seeds 0–29); the demo database itself holds one year, too short for a year-on-year test.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import smtplib
import socket
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

DAY = date(2024, 3, 29)
WEEKS = 9  # 8 weeks of profile (PR-A02) and the day judged


def _code(i: int) -> str:
    from dualcarbon.domain.identifiers import make_credit_code

    return make_credit_code(f"91330302MA{i:07d}")


def _setup(data_dir: Path, enterprises: int) -> None:
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.monitoring import service_ingest, service_meters, service_refresh
    from dualcarbon.reference import shipped_reference
    from dualcarbon.registry import service as registry
    from dualcarbon.registry.models import Region
    from dualcarbon.store.db import init_store, session_scope

    engine = init_store(data_dir)
    reference = shipped_reference()
    with session_scope(engine) as session:
        zj = Region.create("330000", "浙江省", "province")
        wz = Region.create("330300", "温州市", "city", zj)
        session.add_all([zj, wz, Region.create("330302", "鹿城区", "district", wz)])
        session.flush()
        for i in range(enterprises):
            registry.create_enterprise(
                session, SYSTEM, registry.EnterpriseSpec(_code(i), f"基准企业{i}", "330302", "C3443", above_scale=True)
            )
    register = data_dir / "meters.csv"
    lines = ["credit_code,meter_code,carrier,unit,kind,multiplier,interval_minutes"]
    lines += [f"{_code(i)},E1,electricity,kWh,interval,1,60" for i in range(enterprises)]
    register.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        service_meters.import_meters(session, SYSTEM, register, reference)
    rng = np.random.default_rng(7)
    hours = WEEKS * 7 * 24
    start = datetime.combine(DAY - timedelta(days=7 * WEEKS - 1), datetime.min.time())
    stamps = np.datetime64(start, "us") + np.arange(hours) * np.timedelta64(1, "h")
    hour_of_day = np.arange(hours) % 24
    for first in range(0, enterprises, 500):
        batch = range(first, min(first + 500, enterprises))
        values = []
        for i in batch:
            series = 100 + 40 * np.cos(2 * np.pi * (hour_of_day - 14) / 24) + rng.normal(0, 3, hours)
            if i % 100 == 0:
                series[-10] *= 3  # a spike at 14:00 on the last day
            values.append(np.round(series, 2))
        n = len(batch)
        table = pa.table(
            {
                "credit_code": pa.array(np.repeat([_code(i) for i in batch], hours), pa.string()),
                "meter_code": pa.array(np.full(n * hours, "E1"), pa.string()),
                "ts": pa.array(np.tile(stamps, n), pa.timestamp("us")),
                "value": pa.array(np.concatenate(values), pa.float64()),
            }
        )
        with session_scope(engine) as session:
            service_ingest.ingest_table(session, SYSTEM, table, source="file")
    with session_scope(engine) as session:
        service_refresh.refresh_rollups(session, reference)
    engine.dispose()


def _evaluate(data_dir: Path) -> tuple[float, Any]:
    from dualcarbon.alerts import service_alerts
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.reference import shipped_reference
    from dualcarbon.store.db import init_store, session_scope

    engine = init_store(data_dir)
    reference = shipped_reference()
    started = time.perf_counter()
    with session_scope(engine) as session:
        summary = service_alerts.evaluate(session, SYSTEM, DAY, reference)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, summary


def _baseline_anomalies(data_dir: Path) -> tuple[float, int]:
    """The anomaly rule alone over the stored hourly rollups (k = 3, b = 1.4826, 8 weeks, MAD > 0, ≥ 20 %)."""
    started = time.perf_counter()
    files = str(data_dir / "monitoring" / "rollups" / "**" / "interval=hour" / "*.parquet")
    first = datetime.combine(DAY - timedelta(days=7 * WEEKS - 1), datetime.min.time())
    end = datetime.combine(DAY + timedelta(days=1), datetime.min.time())
    table = duckdb.sql(
        f"SELECT meter_id, start, energy FROM read_parquet('{files}', hive_partitioning = false) "
        f"WHERE start >= TIMESTAMP '{first}' AND start < TIMESTAMP '{end}' ORDER BY meter_id, start"
    ).to_arrow_table()
    ids = table.column("meter_id").to_numpy()
    energy = table.column("energy").to_numpy(zero_copy_only=False).astype(float)
    found = 0
    for meter in np.unique(ids):
        series = energy[ids == meter][-WEEKS * 7 * 24 :].reshape(WEEKS, 7 * 24)[:, -24:]
        history, today = series[:-1], series[-1]
        median = np.median(history, axis=0)
        mad = np.median(np.abs(history - median), axis=0)
        deviation = np.abs(today - median)
        found += int(np.any((mad > 0) & (deviation > 3 * 1.4826 * mad) & (deviation >= 0.2 * np.abs(median))))
    return time.perf_counter() - started, found


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _channels(data_dir: Path, deliveries: int) -> dict[str, float]:
    import httpx
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink
    from sqlalchemy import select, update

    from dualcarbon.accounts import service_auth
    from dualcarbon.alerts import service_channels
    from dualcarbon.alerts.models import Alert, AlertDelivery
    from dualcarbon.alerts.service_rules import AlertRules
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.reference import shipped_reference
    from dualcarbon.store.base import utcnow
    from dualcarbon.store.db import init_store, session_scope

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    smtp_port = _free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    engine = init_store(data_dir)
    rules = AlertRules.of(shipped_reference())
    figures: dict[str, float] = {}
    try:
        with session_scope(engine) as session:
            user = service_auth.create_user(
                session, SYSTEM, service_auth.NewUser("bench", "bench-password-123", "admin")
            )
            principal = service_auth.principal_for(session, user)
            alerts = list(session.scalars(select(Alert.id).order_by(Alert.id)))
            # one delivery per (alert, subscription): enough subscriptions for --deliveries
            per_channel = -(-deliveries // len(alerts))
            subs = {
                "webhook": [
                    service_channels.create_subscription(session, principal, "webhook", target=url).id
                    for _ in range(per_channel)
                ],
                "email": [
                    service_channels.create_subscription(session, principal, "email", target="ops@example.com").id
                    for _ in range(per_channel)
                ],
            }
        for channel, sub_ids in subs.items():
            pairs = [(a, s) for s in sub_ids for a in alerts][:deliveries]
            with session_scope(engine) as session:
                session.execute(update(AlertDelivery).where(AlertDelivery.state == "pending").values(state="sent"))
                now = utcnow()
                session.add_all(
                    AlertDelivery(alert_id=a, subscription_id=s, state="pending", attempts=0, next_attempt_at=now)
                    for a, s in pairs
                )
            started = time.perf_counter()
            run = service_channels.deliver_due(
                engine, rules, smtp=service_channels.SmtpConfig(host="127.0.0.1", port=smtp_port)
            )
            elapsed = time.perf_counter() - started
            assert run.sent == len(pairs), run
            figures[f"{channel}_n"] = len(pairs)
            figures[f"{channel}_s"] = elapsed
        bodies = [b'{"id": %d, "level": "yellow"}' % n for n in range(int(figures["webhook_n"]))]
        started = time.perf_counter()
        with httpx.Client() as client:
            for body in bodies:
                client.post(url, content=body, headers={"Content-Type": "application/json"})
        figures["webhook_baseline_s"] = time.perf_counter() - started
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
            for n in range(int(figures["email_n"])):
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = "a@localhost", "ops@example.com", f"告警 {n}"
                message.set_content("告警")
                smtp.send_message(message)
        figures["email_baseline_s"] = time.perf_counter() - started
    finally:
        controller.stop()
        server.shutdown()
        engine.dispose()
    return figures


def _backtest() -> dict[str, Any]:
    from dualcarbon.alerts.seasonal import backtest_mape
    from dualcarbon.demo.monitoring_meters import STEPS_PER_DAY
    from dualcarbon.demo.monitoring_readings import _shape

    start = datetime(2022, 1, 1)
    steps = (date(2025, 1, 1) - start.date()).days * STEPS_PER_DAY
    months = []
    for seed in range(30):
        shape = _shape(steps, start, np.random.default_rng(seed))
        day_totals = shape.reshape(-1, STEPS_PER_DAY).sum(axis=1)
        days = [start.date() + timedelta(days=d) for d in range(len(day_totals))]
        monthly: dict[tuple[int, int], float] = {}
        for day, total in zip(days, day_totals, strict=True):
            monthly[(day.year, day.month)] = monthly.get((day.year, day.month), 0.0) + float(total)
        months.append(backtest_mape([monthly[k] for k in sorted(monthly)]))
    month = [m["month_mape_pct"] for m in months if m["month_mape_pct"] is not None]
    year = [m["year_end_mape_pct"] for m in months if m["year_end_mape_pct"] is not None]
    return {"series": len(months), "month_mape_pct": float(np.mean(month)), "year_end_mape_pct": float(np.mean(year))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--keep", type=Path, default=None, help="keep the data directory here")
    args = parser.parse_args()
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DUALCARBON_DATA_DIR"] = str(data_dir)
    try:
        started = time.perf_counter()
        _setup(data_dir, args.enterprises)
        setup_s = time.perf_counter() - started
        evaluate_s, summary = _evaluate(data_dir)
        baseline_s, baseline_found = _baseline_anomalies(data_dir)
        channels = _channels(data_dir, args.deliveries)
        backtest = _backtest()
    finally:
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {date.today()}")
    print(f"setup (ingest + nightly rollup, not timed as part of evaluation): {setup_s:.1f} s")
    print()
    print("| step | platform | baseline | ratio |")
    print("|---|---|---|---|")
    print(
        f"| evaluate {args.enterprises} enterprises (opened {summary.opened}: {summary.by_source}) | "
        f"{evaluate_s:.1f} s ({evaluate_s / args.enterprises * 1000:.1f} ms each) | "
        f"{baseline_s:.2f} s (anomaly rule only, {baseline_found} found) | {evaluate_s / baseline_s:.0f}× |"
    )
    for channel in ("webhook", "email"):
        n, s, b = channels[f"{channel}_n"], channels[f"{channel}_s"], channels[f"{channel}_baseline_s"]
        print(f"| {channel} × {n:.0f} | {s:.2f} s ({n / s:.0f}/s) | {b:.2f} s ({n / b:.0f}/s) | {s / b:.1f}× |")
    print()
    print(
        f"forecast back-test on {backtest['series']} demo-shaped series (2022–2024, years 2–3 forecast): "
        f"month-ahead MAPE {backtest['month_mape_pct']:.1f} %, year-end MAPE {backtest['year_end_mape_pct']:.1f} %"
    )


if __name__ == "__main__":
    main()
