"""Benchmark of the platform: reports and catalog for N enterprises through the services; API under load.

    uv run python benchmarks/bench_platform.py [--backend sqlite|postgresql] [--enterprises 5000]
                                               [--requests 2000] [--concurrency 100] [--no-wrk] [--json FILE]

(a) Registers N synthetic enterprises (the demo generator, ``dualcarbon.demo``) and takes one annual report
    each through the services — create (validated, figures computed), submit, approve — timing each
    stage (wall and CPU of this process) and giving reports/s. Baseline: the same rows written with raw
    SQLAlchemy Core ``executemany`` into an empty store of the same schema (``platform_baseline``).
(b) Generates the city's gb-basis catalog from those reports (``generate_catalog``) and publishes it.
    Baseline: one SELECT of the inputs and one INSERT of the same entry rows, rolled back.
(c) Serves the app (``platform_server``: built as ``dualcarbon serve`` builds it) with uvicorn in a
    separate process on 127.0.0.1, logs in as the city regulator, and drives ``GET /api/v1/enterprises``
    and ``GET /api/v1/catalogs/{id}/entries`` (50 rows a page, offsets cycling through every page) with
    a Python load generator (httpx, ``--requests`` per endpoint, ``--concurrency`` in flight) and, when
    installed, wrk. Floor: the same requests against constant responses of the same size from the same
    server (``/bench/floor/…``). Also one run at concurrency 1 (the unloaded service time).

The store is a fresh SQLite file in a temporary directory, or fresh PostgreSQL databases on 127.0.0.1:5432
(``--pg-admin-url``), dropped at the end unless ``--keep``. Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from platform_baseline import catalog_floor, copy_reports
from platform_load import LoadResult, python_load, wrk_available, wrk_load
from sqlalchemy import Engine, create_engine, make_url, text

from dualcarbon.catalog import service_generate as catalog_generate
from dualcarbon.catalog import service_publish as catalog_publish
from dualcarbon.demo.people import (
    CHUNK,
    NoProgress,
    register_enterprises,
    seed_enterprise_logins,
    seed_places_and_staff,
    set_deadlines,
)
from dualcarbon.demo.plan import DemoSpec, latest_complete_year, plan_city
from dualcarbon.demo.workflow import BASIS, EDITION, reviewer_for
from dualcarbon.reference import shipped_reference
from dualcarbon.reports import service as report_service
from dualcarbon.store.db import init_store, session_scope

HERE = Path(__file__).resolve().parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PAGE = 50
SERVER_PIDS: list[int] = []  # the uvicorn processes started by ``server`` (newest last)


class Clock:
    """Wall and CPU seconds (this process) of named stages."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}

    @contextmanager
    def stage(self, name: str, items: int = 0) -> Iterator[None]:
        print(f"  … {name}", file=sys.stderr, flush=True)
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.stages[name] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "items": items}


# ---- stores ---------------------------------------------------------------------------------------------
@contextmanager
def stores(backend: str, pg_admin: str, keep: Path | None) -> Iterator[tuple[str, str]]:
    """URLs of two fresh stores (the services' and the raw baseline's); removed afterwards unless kept."""
    if backend == "sqlite":
        folder = keep or Path(tempfile.mkdtemp(prefix="dc-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
        try:
            yield (
                f"sqlite+pysqlite:///{folder / 'bench.sqlite3'}",
                f"sqlite+pysqlite:///{folder / 'baseline.sqlite3'}",
            )
        finally:
            if keep is None:
                for path in folder.iterdir():
                    path.unlink()
                folder.rmdir()
        return
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    names = [f"dc_bench_{secrets.token_hex(4)}", f"dc_bench_base_{secrets.token_hex(4)}"]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(make_url(pg_admin).set(database=n).render_as_string(hide_password=False) for n in names)  # type: ignore[misc]
    finally:
        if keep is None:
            with admin.connect() as connection:
                for name in names:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---- (a) and (b) ----------------------------------------------------------------------------------------
def for_each(engine: Engine, items: list[Any], action: Callable[[Any, Any], None]) -> None:
    """``action(session, item)`` for every item, ``CHUNK`` items per transaction (as the demo build does)."""
    for start in range(0, len(items), CHUNK):
        with session_scope(engine) as session:
            for item in items[start : start + CHUNK]:
                action(session, item)


def run_services(url: str, baseline_url: str, args: argparse.Namespace, clock: Clock) -> dict[str, Any]:
    reference = shipped_reference()
    spec = DemoSpec(
        enterprises=args.enterprises,
        districts=6,
        seed=args.seed,
        latest_year=latest_complete_year(datetime.date.today()),
    )
    year, half = spec.latest_year, spec.halves[1]
    engine = init_store(url)
    passwords: list[str] = []

    def remember() -> str:
        passwords.append(secrets.token_urlsafe(12))
        return passwords[-1]

    with clock.stage("plan (pure, no database)", args.enterprises):
        plan = plan_city(spec, reference)
    with clock.stage("regions and staff users (argon2 hashing)", 5):
        actors, logins = seed_places_and_staff(engine, plan, remember)
    with clock.stage("register enterprises (+ site + production unit)", args.enterprises):
        register_enterprises(engine, actors["city"], plan.enterprises, reference, NoProgress(), actors)
    seed_enterprise_logins(engine, plan, actors, remember)
    set_deadlines(engine, plan, actors["city"])
    ids: dict[int, int] = {}

    def create(session: Any, enterprise: Any) -> None:
        report = enterprise.latest
        created = report_service.create_report(
            session,
            actors.filer(enterprise),
            enterprise.credit_code,
            "year",
            year,
            0,
            actors.content(enterprise, report.content),
            reference=reference,
        )
        ids[enterprise.index] = created.id

    with clock.stage("reports: create (validate + compute figures)", args.enterprises):
        for_each(engine, plan.enterprises, create)
    with clock.stage("reports: submit", args.enterprises):
        for_each(engine, plan.enterprises, lambda s, e: report_service.submit(s, actors.filer(e), ids[e.index]))
    with clock.stage("reports: approve", args.enterprises):
        for_each(
            engine,
            plan.enterprises,
            lambda s, e: report_service.approve(s, reviewer_for(e, plan, actors), ids[e.index]),
        )
    baseline_engine = init_store(baseline_url)
    copied = copy_reports(engine, baseline_engine, sorted(ids.values()))
    baseline_engine.dispose()
    clock.stages["baseline: same report rows, raw Core executemany"] = {
        "wall": copied["seconds"],
        "cpu": float("nan"),
        "items": int(copied["reports"]),
    }
    with clock.stage("catalog: generate (gb basis)", args.enterprises):
        with session_scope(engine) as session:
            generated = catalog_generate.generate_catalog(
                session, actors["city"], plan.city[0], EDITION, half, BASIS, reference=reference
            )
            catalog_id, counts = generated.catalog.id, generated.counts
    with clock.stage("catalog: publish (snapshot hash)", sum(counts.values())):
        with session_scope(engine) as session:
            catalog_publish.publish_catalog(  # confirms the 无法判定 entries it generated, as the demo does
                session,
                actors["city"],
                catalog_id,
                reference=reference,
                confirm_undetermined=counts.get("undetermined"),
            )
    floor = catalog_floor(engine, plan.city[0], year, catalog_id)
    clock.stages["baseline: catalog inputs SELECT + entries INSERT (rolled back)"] = {
        "wall": floor["select_seconds"] + floor["insert_seconds"],
        "cpu": float("nan"),
        "items": int(floor["entries"]),
    }
    engine.dispose()
    city_password = next(login.password for login in logins if login.username == "city")
    return {
        "catalog_id": catalog_id,
        "counts": counts,
        "city_password": city_password,
        "copied_rows": copied["rows"],
        "floor": floor,
    }


# ---- (c) ------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    url: str, catalog_id: int, workers: int, pool_size: int | None = None, admit: int | None = None
) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        str(HERE / "platform_server.py"),
        "--database-url",
        url,
        "--port",
        str(port),
        "--catalog-id",
        str(catalog_id),
        "--limit",
        str(PAGE),
        "--workers",
        str(workers),
    ]
    if pool_size:
        command += ["--pool-size", str(pool_size)]
    if admit:
        command += ["--admit", str(admit)]
    log = tempfile.NamedTemporaryFile(prefix="dc-bench-server-", suffix=".log", delete=False)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    SERVER_PIDS.append(process.pid)  # bench_reads reads the server's CPU time from /proc
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server exited: {Path(log.name).read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start within 180 s")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print(f"  … server log: {log.name}", file=sys.stderr, flush=True)


def _token(base: str, password: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/token", json={"username": "city", "password": password}, timeout=120)
    response.raise_for_status()
    return str(response.json()["access_token"])


def _endpoint_runs(
    base: str, headers: dict[str, str], targets: list[tuple[str, str, int]], args: argparse.Namespace, label: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, path_format, total in targets:

        def path_for(i: int, fmt: str = path_format, total: int = total) -> str:
            return fmt % ((i * PAGE) % max(total, 1))

        def refresh() -> None:  # one sequential request: the token's last_used_at is fresh for 5 minutes
            httpx.get(base + path_for(0), headers=headers, timeout=120).raise_for_status()

        refresh()
        python_load(
            base, path_for, headers, total=min(200, args.requests), concurrency=args.concurrency, name="warm-up"
        )
        refresh()
        rows.append(python_load(base, path_for, headers, total=200, concurrency=1, name=name).row())
        refresh()
        rows.append(
            python_load(base, path_for, headers, total=args.requests, concurrency=args.concurrency, name=name).row()
        )
        if wrk_available() and not args.no_wrk:
            refresh()
            result: LoadResult = wrk_load(
                base,
                path_format,
                PAGE,
                total,
                headers["Authorization"],
                seconds=args.wrk_seconds,
                concurrency=args.concurrency,
                threads=2,
                name=name,
            )
            rows.append(result.row())
        print(f"  … {label} {name}: done", file=sys.stderr, flush=True)
    for row in rows:
        row["app"] = label
    return rows


def run_load(url: str, info: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Latency of the two list endpoints and of the floor routes; see the module docstring.

    1. The app as served (``create_app`` with its pool and admission limit from ``dualcarbon.core.settings``):
       a burst of ``concurrency`` requests with a fresh token, then the full matrix (concurrency 1 and
       ``concurrency``; Python generator and wrk) for the two endpoints and the two floor routes.
    2. Only with ``--pool-size`` / ``--admit``: the same matrix with the app's engine replaced by one with
       that pool and at most that many requests let in (``platform_server``), to compare.

    A token's ``last_used_at`` is written at most every 5 minutes (``services.auth.resolve_token``), so the
    first burst with a fresh token makes every request try to write; before every other run one sequential
    request refreshes the token and the runs measure reading.
    """
    catalog = info["catalog_id"]
    entries_total = sum(info["counts"].values())
    enterprises_path = "/api/v1/enterprises?limit=50&offset=%d"
    targets = [
        ("GET /api/v1/enterprises", enterprises_path, args.enterprises),
        (
            f"GET /api/v1/catalogs/{catalog}/entries",
            f"/api/v1/catalogs/{catalog}/entries?limit=50&offset=%d",
            entries_total,
        ),
        ("floor: constant page of enterprises", "/bench/floor/enterprises?offset=%d", args.enterprises),
        ("floor: constant page of entries", "/bench/floor/entries?offset=%d", entries_total),
    ]
    rows: list[dict[str, Any]] = []
    with server(url, catalog, args.workers) as base:
        headers = {"Authorization": f"Bearer {_token(base, info['city_password'])}"}
        burst = python_load(
            base,
            lambda i: enterprises_path % 0,
            headers,
            total=args.concurrency,
            concurrency=args.concurrency,
            name="GET /api/v1/enterprises, fresh-token burst",
        )
        rows.append(burst.row() | {"app": "as served"})
        rows += _endpoint_runs(base, headers, targets, args, "as served")
    if args.pool_size or args.admit:
        pool = args.pool_size or args.concurrency + 10
        label = f"pool {pool}" + (f", admit {args.admit}" if args.admit else "")
        with server(url, catalog, args.workers, pool_size=pool, admit=args.admit) as base:
            headers = {"Authorization": f"Bearer {_token(base, info['city_password'])}"}
            rows += _endpoint_runs(base, headers, targets, args, label)
    return rows


# ---- report ----------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def markdown(
    args: argparse.Namespace, before: dict[str, Any], clock: Clock, info: dict[str, Any], load: list[dict[str, Any]]
) -> str:
    out = [
        f"Run {before['date']}, backend **{args.backend}**, {args.enterprises} enterprises, "
        f"{before['cpus']} CPUs ({before['cpu']}), Python {before['python']}, load average at start "
        f"{before['load_average'][0]:.1f}, at end {os.getloadavg()[0]:.1f}.",
        "",
        f"Command: `uv run python benchmarks/bench_platform.py --backend {args.backend} --enterprises "
        f"{args.enterprises} --requests {args.requests} --concurrency {args.concurrency}`",
        "",
        "| stage | items | wall s | CPU s (this process) | items/s (wall) | ms/item (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, stage in clock.stages.items():
        items = stage["items"]
        rate = f"{items / stage['wall']:,.0f}" if items and stage["wall"] else ""
        per = f"{stage['cpu'] / items * 1000:.2f}" if items and stage["cpu"] == stage["cpu"] else ""
        cpu = f"{stage['cpu']:.2f}" if stage["cpu"] == stage["cpu"] else "–"
        out.append(f"| {name} | {items:,} | {stage['wall']:.2f} | {cpu} | {rate} | {per} |")
    out += ["", f"Catalog tiers: {info['counts']}; baseline copied {info['copied_rows']:,.0f} rows.", ""]
    if load:
        out += [
            "| app | endpoint | tool | concurrency | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in load:
            out.append(
                f"| {row['app']} | {row['name']} | {row['tool']} | {row['concurrency']} | {row['requests']:,} "
                f"| {row['errors']} "
                f"| {row['rps']:,.0f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} "
                f"| {row['max_ms']:.1f} |"
            )
    return "\n".join(out)


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the context managers: the server is stopped, stores dropped


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint (Python generator)")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--pool-size", type=int, default=0, help="also a variant run with this pool size")
    parser.add_argument("--admit", type=int, default=0, help="also a variant run letting in at most this many requests")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--no-wrk", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    parser.add_argument("--keep", type=Path, help="keep the stores (SQLite: in this folder)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    before = machine()
    clock = Clock()
    with stores(args.backend, args.pg_admin_url, args.keep) as (url, baseline_url):
        info = run_services(url, baseline_url, args, clock)
        load = [] if args.skip_load else run_load(url, info, args)
    text_out = markdown(args, before, clock, info, load)
    print(text_out)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": before,
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "stages": clock.stages,
                    "catalog": {k: v for k, v in info.items() if k != "city_password"},
                    "load": load,
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
