"""Read paths against their floors, side by side: API lists, details and public lists; the dashboard; web lists.

    uv run python benchmarks/bench_reads.py --build DIR [--enterprises 5000]   # once: a kept SQLite store
    uv run python benchmarks/bench_reads.py --store DIR [--requests 400] [--json FILE]

``--build`` registers N enterprises and takes one annual report each through the services, generates and
publishes the city's catalog (``bench_platform.run_services``), and keeps the SQLite store in DIR with
``info.json`` (catalog id, tier counts, the city regulator's password — a throwaway benchmark secret).

``--store`` serves that store (``platform_server``: the app as ``dualcarbon serve`` builds it, plus the floor
routes) and measures, at 1 and 10 concurrent clients (closed loop, ``platform_load.python_load``):

* ``GET /api/v1/enterprises`` (50 a page, offsets cycling), ``GET /api/v1/enterprises/{code}`` (codes
  cycling), ``GET /api/v1/catalogs/{id}/entries`` (50 a page, as served by default) and
  ``GET /public/v1/catalogs/{id}/advanced`` (anonymous), each against its **floor**: a route on the same
  server answering a plain FastAPI ``JSONResponse`` built from a constant body of the same size, read once
  at start-up (``/bench/floor/{name}``: no authentication, no database, no thread hop: an ``async def``).
  Ratio = the endpoint's requests/s ÷ its floor's requests/s in the same run.
* the regional dashboard (``GET /`` as the city regulator, browser session): time to first byte and to the
  last byte, against the plain SQL aggregate the dashboard figures come from (one GROUP BY over the
  approved annual-report versions, run in this process on the same store);
* the web list pages (``/enterprises``, ``/reports``, ``/catalogs/{id}``): bytes of the HTML the browser
  receives (rows are embedded in the page by NiceGUI), to compare across stores of different N.

On a shared machine the wall-clock figures here move more than the code does; ``bench_reads_cpu.py`` measures
the server's CPU per request of the same reads in process, against the same kind of floor, far more steadily.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from bench_platform import SERVER_PIDS, Clock, machine, run_services, server
from platform_load import python_load
from sqlalchemy import create_engine, text

PAGE = 50


def build(folder: Path, enterprises: int, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    args = argparse.Namespace(enterprises=enterprises, seed=seed)
    clock = Clock()
    url = f"sqlite+pysqlite:///{folder / 'bench.sqlite3'}"
    baseline = folder / "baseline.sqlite3"
    info = run_services(url, f"sqlite+pysqlite:///{baseline}", args, clock)
    baseline.unlink(missing_ok=True)
    info["enterprises"] = enterprises
    info["stages"] = clock.stages
    (folder / "info.json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    print(json.dumps({k: v for k, v in info.items() if k != "city_password"}, indent=2, default=str))


# ---- the API against its floors ------------------------------------------------------------------------
def _codes(url: str, count: int) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT credit_code FROM enterprise ORDER BY id LIMIT :n"), {"n": count})
        codes = [str(row[0]) for row in rows]
    engine.dispose()
    return codes


def _targets(info: dict[str, Any], codes: list[str]) -> list[tuple[str, Any, int, bool]]:
    """(name, path for request i, rows, needs a token) of every read measured."""
    catalog = info["catalog_id"]
    entries = sum(info["counts"].values())
    advanced = sum(info["counts"].get(t, 0) for t in ("benchmark", "grade_1"))
    n = int(info["enterprises"])
    return [
        ("GET /api/v1/enterprises", lambda i: f"/api/v1/enterprises?limit={PAGE}&offset={(i * PAGE) % n}", n, True),
        ("GET /api/v1/enterprises/{code}", lambda i: f"/api/v1/enterprises/{codes[i % len(codes)]}", 1, True),
        (
            f"GET /api/v1/catalogs/{catalog}/entries",
            lambda i: f"/api/v1/catalogs/{catalog}/entries?limit={PAGE}&offset={(i * PAGE) % max(entries, 1)}",
            entries,
            True,
        ),
        (
            f"GET /public/catalogs/{catalog}/advanced",
            lambda i: f"/public/catalogs/{catalog}/advanced?limit={PAGE}&offset={(i * PAGE) % max(advanced, 1)}",
            advanced,
            False,
        ),
    ]


def server_cpu() -> float:
    """CPU seconds (user + system) the newest benchmark server process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{SERVER_PIDS[-1]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(base: str, path_for: Any, headers: dict[str, str], requests: int, concurrency: int, name: str) -> dict:
    """One closed-loop run after a short warm-up; with the server's CPU milliseconds per request, which the
    load of a shared machine moves far less than the wall-clock figures."""
    python_load(base, path_for, headers, total=min(50, requests), concurrency=concurrency, name="warm-up")
    cpu = server_cpu()
    row = python_load(base, path_for, headers, total=requests, concurrency=concurrency, name=name).row()
    row["cpu_ms"] = (server_cpu() - cpu) * 1000 / max(int(row["requests"]), 1)
    return row


def api_reads(base: str, token: str, info: dict[str, Any], codes: list[str], args: argparse.Namespace) -> list[dict]:
    """Each read and its floor at each concurrency, one after the other (so both see the same load)."""
    auth = {"Authorization": f"Bearer {token}"}
    httpx.get(f"{base}/api/v1/auth/me", headers=auth, timeout=60).raise_for_status()  # last_used_at written now
    rows: list[dict] = []
    for index, (name, path_for, _total, needs_token) in enumerate(_targets(info, codes)):
        headers = auth if needs_token else {}
        sample = httpx.get(base + path_for(0), headers=headers, timeout=60)
        sample.raise_for_status()
        floor_name = f"f{index}"
        httpx.put(f"{base}/bench/json-floor/{floor_name}", content=sample.content, timeout=60).raise_for_status()
        floor_path = f"/bench/json-floor/{floor_name}"
        for concurrency in args.concurrency:
            real = _run(base, path_for, headers, args.requests, concurrency, name)
            floor = _run(base, lambda i, p=floor_path: p, {}, args.requests, concurrency, "floor")
            sync_path = floor_path.replace("json-floor", "json-floor-sync")
            sync = _run(base, lambda i, p=sync_path: p, {}, args.requests, concurrency, "floor (def)")
            real.update(bytes=len(sample.content), floor_rps=floor["rps"], floor_p50_ms=floor["p50_ms"])
            real.update(sync_floor_rps=sync["rps"], sync_ratio=real["rps"] / sync["rps"])
            real.update(floor_cpu_ms=floor["cpu_ms"], cpu_ratio=floor["cpu_ms"] / max(real["cpu_ms"], 1e-9))
            real["ratio"] = real["rps"] / floor["rps"]
            rows.append(real)
            print(
                f"  … {name} c={concurrency}: {real['rps']:.0f} req/s vs floor {floor['rps']:.0f} "
                f"(ratio {real['ratio']:.2f}), def floor {sync['rps']:.0f} (ratio {real['sync_ratio']:.2f}); "
                f"server CPU {real['cpu_ms']:.2f} vs {floor['cpu_ms']:.2f} ms/request (ratio {real['cpu_ratio']:.2f})",
                file=sys.stderr,
                flush=True,
            )
    return rows


# ---- the dashboard against the plain SQL aggregate --------------------------------------------------------
AGGREGATE_SQL = """
SELECT COUNT(*), SUM(json_extract(v.computed, '$.energy.equivalent.total_tce')),
       SUM(json_extract(v.computed, '$.carbon.total_tco2'))
FROM period_report r JOIN period_report_version v ON v.id = r.current_version_id
WHERE r.period_kind = 'year' AND r.year = :year AND r.state IN ('approved', 'locked')
"""


def sql_aggregate(url: str, repeat: int = 5) -> dict[str, Any]:
    """The region totals as one plain SQL GROUP-less aggregate over the approved annual reports (the city is
    the whole store, so no region filter); median seconds of ``repeat`` runs on a warm connection."""
    engine = create_engine(url)
    with engine.connect() as connection:
        year = connection.execute(
            text("SELECT MAX(year) FROM period_report WHERE period_kind = 'year' AND state IN ('approved','locked')")
        ).scalar_one()
        times, result = [], None
        for _ in range(repeat + 1):
            started = time.perf_counter()
            result = connection.execute(text(AGGREGATE_SQL), {"year": year}).one()
            times.append(time.perf_counter() - started)
    engine.dispose()
    assert result is not None
    return {
        "year": year,
        "reports": result[0],
        "tce": result[1],
        "tco2": result[2],
        "seconds": statistics.median(times[1:]),
    }


def totals_in_process(url: str, repeat: int = 3) -> dict[str, Any]:
    """The dashboard's region totals in this process, three ways, median seconds: the service it uses now
    (``region_totals``, one SQL aggregate), and the previous way — every approved and locked annual report
    of the year listed through ``list_reports`` (an ORM row and a parsed ``computed`` document each) and
    summed in Python. The city regulator's scope, the city's region code."""
    from dualcarbon.accounts.models import User
    from dualcarbon.accounts.service_auth import principal_for
    from dualcarbon.reports.service import ReportFilter, list_reports
    from dualcarbon.reports.service_totals import region_totals
    from dualcarbon.store.db import make_engine, session_scope

    engine = make_engine(url)
    found: dict[str, Any] = {}
    with session_scope(engine, write=False) as session:
        user = session.query(User).filter_by(username="city").one()
        principal = principal_for(session, user)
        region = principal.grants[0].region_code
        assert region is not None

        def listed() -> tuple[float, float, int]:
            year = region_totals(session, principal, region).year
            tce = tco2 = 0.0
            count = 0
            for state in ("approved", "locked"):
                flt = ReportFilter(region_code=region, state=state, period_kind="year", year=year)
                items, _ = list_reports(session, principal, flt, limit=100_000)
                for item in items:
                    tce += item.total_tce_equivalent or 0.0
                    tco2 += item.total_tco2 or 0.0
                    count += 1
            return tce, tco2, count

        for name, run in (("region_totals", lambda: region_totals(session, principal, region)), ("listed", listed)):
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                value = run()
                times.append(time.perf_counter() - started)
            found[name] = {"seconds": statistics.median(times), "value": str(value)}
    engine.dispose()
    return found


def _browser(base: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=300)
    response = client.post("/api/v1/auth/login", json={"username": "city", "password": password})
    response.raise_for_status()
    return client


def timed_page(client: httpx.Client, path: str) -> tuple[float, float, int, int]:
    """(seconds to the first body byte, seconds to the last, bytes on the wire (gzip), bytes decoded) of a GET."""
    started = time.perf_counter()
    with client.stream("GET", path) as response:
        response.raise_for_status()
        first = None
        size = 0
        for chunk in response.iter_bytes():
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
        wire = response.num_bytes_downloaded
    return first or 0.0, time.perf_counter() - started, wire, size


def dashboard(client: httpx.Client, repeat: int = 5) -> dict[str, float]:
    timed_page(client, "/")  # warm-up
    runs = [timed_page(client, "/") for _ in range(repeat)]
    return {
        "first_byte_s": statistics.median(r[0] for r in runs),
        "last_byte_s": statistics.median(r[1] for r in runs),
        "bytes": runs[-1][2],
        "decoded_bytes": runs[-1][3],
    }


def web_lists(client: httpx.Client, catalog_id: int) -> dict[str, dict[str, float]]:
    found = {}
    for path in ("/enterprises", "/reports", f"/catalogs/{catalog_id}"):
        try:
            timed_page(client, path)
            first, last, wire, size = timed_page(client, path)
        except httpx.HTTPStatusError as error:
            print(f"  … {path} failed: {error}", file=sys.stderr, flush=True)
            first, last, wire, size = float("nan"), float("nan"), 0, 0
        found[path] = {"bytes": wire, "decoded_bytes": size, "first_byte_s": first, "last_byte_s": last}
    return found


def measure(args: argparse.Namespace) -> None:
    info = json.loads((args.store / "info.json").read_text(encoding="utf-8"))
    url = f"sqlite+pysqlite:///{args.store / 'bench.sqlite3'}"
    before = machine()
    codes = _codes(url, 200)
    aggregate = sql_aggregate(url)
    aggregate["in_process"] = totals_in_process(url)
    print(f"  … totals: {aggregate}", file=sys.stderr, flush=True)
    with server(url, info["catalog_id"], 1) as base:
        client = _browser(base, info["city_password"])
        try:
            dash = dashboard(client)
        except httpx.HTTPStatusError as error:  # reported, not fatal: the API reads are still measured
            print(f"  … dashboard failed: {error}", file=sys.stderr, flush=True)
            dash = {"error": str(error)}
        print(f"  … dashboard: {dash}", file=sys.stderr, flush=True)
        pages = web_lists(client, info["catalog_id"])
        print(f"  … web lists: {pages}", file=sys.stderr, flush=True)
        token = client.post("/api/v1/auth/token", json={"username": "city", "password": info["city_password"]})
        token.raise_for_status()
        reads = api_reads(base, str(token.json()["access_token"]), info, codes, args)
    result = {
        "label": args.label,
        "machine": before,
        "load_average_end": os.getloadavg(),
        "enterprises": info["enterprises"],
        "reads": reads,
        "aggregate": aggregate,
        "dashboard": dash,
        "web_lists": pages,
    }
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    out = [
        f"Run {result['label']} {m['date']}, SQLite, {result['enterprises']:,} enterprises, {m['cpus']} CPUs, "
        f"load average {m['load_average'][0]:.1f} at start, {result['load_average_end'][0]:.1f} at end.",
        "",
        "| endpoint | bytes | c | req/s | p50 ms | p99 ms | floor req/s (async) | ratio | floor req/s (def) | ratio "
        "| server CPU ms/req | floor CPU ms/req | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["reads"]:
        out.append(
            f"| {r['name']} | {r['bytes']:,} | {r['concurrency']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['floor_rps']:,.0f} | {r['ratio']:.2f} | {r['sync_floor_rps']:,.0f} "
            f"| {r['sync_ratio']:.2f} | {r['cpu_ms']:.2f} | {r['floor_cpu_ms']:.2f} | {r['cpu_ratio']:.2f} |"
        )
    a, d = result["aggregate"], result["dashboard"]
    if "error" in d:
        d = {"first_byte_s": float("nan"), "last_byte_s": float("nan"), "bytes": 0}
    out += [
        "",
        f"Dashboard `/` first byte {d['first_byte_s'] * 1000:,.0f} ms (last byte {d['last_byte_s'] * 1000:,.0f} ms, "
        f"{d['bytes']:,} bytes); plain SQL aggregate of {a['reports']:,} approved {a['year']} reports "
        f"{a['seconds'] * 1000:,.1f} ms; ratio {d['first_byte_s'] / a['seconds']:,.1f}×. In process: "
        f"`region_totals` {a['in_process']['region_totals']['seconds'] * 1000:,.1f} ms, the previous way "
        f"(every report listed and summed) {a['in_process']['listed']['seconds'] * 1000:,.0f} ms.",
        "",
        "| web page | bytes on the wire (gzip) | bytes of HTML | first byte ms |",
        "|---|---:|---:|---:|",
    ]
    for path, page in result["web_lists"].items():
        out.append(f"| `{path}` | {page['bytes']:,} | {page['decoded_bytes']:,} | {page['first_byte_s'] * 1000:,.0f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, help="build a store of --enterprises into this folder")
    parser.add_argument("--store", type=Path, help="measure the store kept in this folder")
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--label", default="", help="a name for this run in the output")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    if args.build:
        build(args.build, args.enterprises, args.seed)
    if args.store:
        measure(args)


if __name__ == "__main__":
    main()
