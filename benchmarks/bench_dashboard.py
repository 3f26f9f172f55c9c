"""The city dashboard (``GET /`` as the city regulator) against the plain SQL aggregate, side by side.

    uv run python benchmarks/bench_dashboard.py --store DIR [--rounds 9]            # over HTTP
    uv run python benchmarks/bench_dashboard.py --store DIR --in-process [--profile FILE] [--sql]

``DIR`` is a store made by ``bench_reads.py --build DIR``. Over HTTP the app is served as ``dualcarbon serve``
serves it (``bench_platform.server``); the browser session logs in as the city regulator, and each round times
the first and the last byte of ``GET /`` and, right after it in this process, the plain SQL aggregate the
dashboard's totals come from (``bench_reads.AGGREGATE_SQL`` on a warm connection), so both see the same load.
Printed: medians, the ratio first byte ÷ plain SQL per round and its median, the server's CPU ms per page.

``--in-process`` calls the web app over ASGI in this process (lifespan run, FastAPI's thread hops inline as in
``bench_reads_cpu.py``), alternating the page with the aggregate: wall and CPU ms per page; ``--profile FILE``
writes a cProfile of the page requests (``python -m pstats FILE``), ``--sql`` prints the SQL statements of one
page view (to spot repeats), ``--forget-figures`` drops the report versions' figures the process keeps
(``reports.service_totals``) before each view: the first view of a freshly started server.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from bench_platform import SERVER_PIDS, server
from bench_reads import AGGREGATE_SQL, timed_page
from bench_reads_cpu import Caller as CpuCaller
from sqlalchemy import create_engine, event, text

AGGREGATE_CPU: list[float] = []  # CPU seconds of each run of the aggregate in this process


def _aggregate(url: str) -> Any:
    """A function timing one run of the plain SQL aggregate on a warm connection (seconds)."""
    engine = create_engine(url)
    connection = engine.connect()
    year = connection.execute(
        text("SELECT MAX(year) FROM period_report WHERE period_kind = 'year' AND state IN ('approved','locked')")
    ).scalar_one()
    connection.execute(text(AGGREGATE_SQL), {"year": year}).one()  # warm

    def once() -> float:
        started, cpu = time.perf_counter(), time.process_time()
        connection.execute(text(AGGREGATE_SQL), {"year": year}).one()
        AGGREGATE_CPU.append(time.process_time() - cpu)
        return time.perf_counter() - started

    return once


class Caller(CpuCaller):
    """Calls an ASGI app in this process: (status, body, CPU seconds); keeps the cookies it is given."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.cookies: dict[str, str] = {}

    def answered(self, start: dict[str, Any]) -> None:
        for name, value in start.get("headers", []):
            if name.lower() == b"set-cookie":
                key, _, rest = value.decode().partition("=")
                self.cookies[key] = rest.split(";", 1)[0]


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def over_http(args: argparse.Namespace, info: dict[str, Any], url: str) -> dict[str, Any]:
    aggregate = _aggregate(url)
    with server(url, info["catalog_id"], 1) as base:
        client = httpx.Client(base_url=base, timeout=300)
        client.post("/api/v1/auth/login", json={"username": "city", "password": info["city_password"]})
        for _ in range(2):
            timed_page(client, "/")  # warm-up
        pid = SERVER_PIDS[-1]
        firsts, lasts, sqls, cpus, ratios, size = [], [], [], [], [], 0
        for _ in range(args.rounds):
            cpu = _cpu(pid)
            first, last, _wire, size = timed_page(client, "/")
            cpus.append(_cpu(pid) - cpu)
            sql = aggregate()
            firsts.append(first)
            lasts.append(last)
            sqls.append(sql)
            ratios.append(first / sql)
    return {
        "first_byte_ms": statistics.median(firsts) * 1000,
        "last_byte_ms": statistics.median(lasts) * 1000,
        "sql_ms": statistics.median(sqls) * 1000,
        "ratio_of_medians": statistics.median(firsts) / statistics.median(sqls),
        "median_ratio": statistics.median(ratios),
        "server_cpu_ms": statistics.median(cpus) * 1000,
        "html_bytes": size,
        "firsts_ms": [round(x * 1000, 1) for x in firsts],
        "sqls_ms": [round(x * 1000, 1) for x in sqls],
    }


#: (module, function) pairs timed by ``--split``: where a page's time goes, without a profiler's overhead.
SPLIT = (
    ("dualcarbon.ui.web.layout", "context_for"),
    ("dualcarbon.ui.web.layout", "header"),
    ("dualcarbon.ui.web.layout", "web_page"),
    ("dualcarbon.app.pages_dashboard", "region_options"),
    ("dualcarbon.app.pages_dashboard", "dashboard_data"),
    ("dualcarbon.app.pages_dashboard", "list_enterprises"),
    ("dualcarbon.app.pages_dashboard", "region_catalog_counts"),
    ("dualcarbon.app.pages_dashboard", "region_totals"),
    ("dualcarbon.app.pages_dashboard", "review_count"),
    ("dualcarbon.app.pages_dashboard", "_fresh_data"),
    ("dualcarbon.app.pages_dashboard", "kept_until_change"),
    ("dualcarbon.app.pages_dashboard", "overdue_page"),
    ("dualcarbon.app.pages_dashboard", "library_totals"),
    ("dualcarbon.app.pages_dashboard", "_figures"),
    ("dualcarbon.app.pages_dashboard", "_charts"),
    ("dualcarbon.app.pages_dashboard", "_retrofit"),
    ("dualcarbon.app.pages_dashboard", "paged_table"),
)
SPLIT_TIMES: dict[str, list[float]] = {}


def _split() -> None:
    for module_name, name in SPLIT:
        module = importlib.import_module(module_name)
        original = getattr(module, name, None)
        if original is None:
            continue

        def timed(*args: Any, _f: Any = original, _n: str = name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                SPLIT_TIMES.setdefault(_n, []).append(time.perf_counter() - started)

        setattr(module, name, timed)


async def in_process(args: argparse.Namespace, info: dict[str, Any], url: str) -> dict[str, Any]:
    from bench_reads_cpu import _hops_inline

    _hops_inline()
    logging.disable(logging.INFO)
    from dualcarbon.app.web import create_web_app

    if args.split:
        _split()
    app = create_web_app(url, data_dir=args.store)
    statements: list[str] = []
    recording: list[bool] = [False]

    timings: list[tuple[float, str, Any]] = []

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def _log(conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if recording[0]:
            statements.append(" ".join(statement.split()))
            conn.info["dc_started"] = time.perf_counter()

    @event.listens_for(app.state.engine, "after_cursor_execute")
    def _done(conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if recording[0]:
            timings.append((time.perf_counter() - conn.info["dc_started"], " ".join(statement.split()), parameters))

    aggregate = _aggregate(url)
    call = Caller(app)
    async with app.router.lifespan_context(app):
        login = json.dumps({"username": "city", "password": info["city_password"]}).encode()
        status, _, _ = await call("POST", "/api/v1/auth/login", [(b"content-type", b"application/json")], login)
        assert status == 200, status
        cookies = "; ".join(f"{k}={v}" for k, v in call.cookies.items())
        headers = [(b"cookie", cookies.encode())]
        for _ in range(2):
            status, body, _ = await call("GET", "/", headers)
            assert status == 200 and b"fig-enterprises" in body, (status, body[:300])
        SPLIT_TIMES.clear()
        recording[0] = True
        await call("GET", "/", headers)
        recording[0] = False
        profile = cProfile.Profile() if args.profile else None
        walls, cpus, sqls = [], [], []
        forget = getattr(importlib.import_module("dualcarbon.reports.service_totals"), "forget_version_figures", None)
        for _ in range(args.rounds):
            if args.forget_figures and forget is not None:
                forget()
            if profile:
                profile.enable()
            started = time.perf_counter()
            _, body, cpu = await call("GET", "/", headers)
            walls.append(time.perf_counter() - started)
            if profile:
                profile.disable()
            cpus.append(cpu)
            sqls.append(aggregate())
    if profile:
        profile.dump_stats(args.profile)
    if args.sql:
        for number, (seconds, statement, parameters) in enumerate(timings, 1):
            print(f"{number:3d} {seconds * 1000:6.1f} ms {statement[: args.sql_width]} {parameters}", file=sys.stderr)
    if args.split:
        for name, times in SPLIT_TIMES.items():
            print(f"  {name}: {statistics.median(times) * 1000:.1f} ms median of {len(times)}", file=sys.stderr)
    return {
        "page_wall_ms": statistics.median(walls) * 1000,
        "page_cpu_ms": statistics.median(cpus) * 1000,
        "sql_ms": statistics.median(sqls) * 1000,
        "ratio_wall": statistics.median(walls) / statistics.median(sqls),
        "sql_cpu_ms": statistics.median(AGGREGATE_CPU[-len(sqls) :]) * 1000,
        "ratio_cpu": statistics.median(cpus) / statistics.median(AGGREGATE_CPU[-len(sqls) :]),
        "statements": len(statements),
        "distinct_statements": len(set(statements)),
        "html_bytes": len(body),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a folder made by bench_reads.py --build")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--profile", type=Path, help="with --in-process: write a cProfile of the page requests")
    parser.add_argument("--sql", action="store_true", help="with --in-process: print one page view's SQL")
    parser.add_argument("--sql-width", type=int, default=300, help="characters of each statement printed")
    parser.add_argument("--split", action="store_true", help="with --in-process: time the parts of the page")
    parser.add_argument(
        "--forget-figures", action="store_true", help="with --in-process: no kept version figures (a fresh server)"
    )
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    info = json.loads((args.store / "info.json").read_text(encoding="utf-8"))
    url = f"sqlite+pysqlite:///{args.store / 'bench.sqlite3'}"
    load = os.getloadavg()[0]
    if args.in_process:
        found = asyncio.run(in_process(args, info, url))
    else:
        found = over_http(args, info, url)
    found.update(label=args.label, enterprises=info["enterprises"], load_start=load, load_end=os.getloadavg()[0])
    found["at"] = time.strftime("%H:%M:%S", time.gmtime())
    print(json.dumps(found))


if __name__ == "__main__":
    main()
