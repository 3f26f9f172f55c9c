"""The response cache against the floor, side by side: a hit, a miss, and the cache off (docs/benchmarks.md, Reads).

    uv run python benchmarks/bench_response_cache.py --store DIR cpu  [--requests 200] [ent detail entries public me]
    uv run python benchmarks/bench_response_cache.py --store DIR http [--requests 400] [--concurrency 1 10]

DIR is a store made by ``bench_reads.py --build DIR``.

``cpu``: the app in process over ASGI as ``bench_reads_cpu.py`` does (worker-thread hops inline, CPU time
around each call). For each read, request *i* is made four ways in turn: the **floor** (an ``async def``
returning a plain ``JSONResponse`` of the same bytes), a **hit** (the same request, answered from the
cache), a **miss** (the cache emptied first, outside the measured time: generation read, route, answer
kept) and **off** (the middleware switched off: the app as it was before the cache). Printed: median CPU
ms of each and floor ÷ each.

``http``: one server (``bench_platform.server``, the app as ``dualcarbon serve`` builds it, cache on) and
closed-loop clients at each concurrency (``platform_load.python_load``): the floor, hits (one request
repeated), misses (each request made unique by a query parameter the route ignores, ``_=<a counter>``, so
nothing is ever answered from the cache) — requests/s and the server's CPU ms per request, and the ratios.

``mixed``: live traffic. One reader (in process, as ``cpu``) cycles through a working set of 27 requests (4 list
pages, 16 details, 2 entries pages, 4 public pages, ``me``) for ``--seconds``, while another OS process commits
*unrelated* writes at each of ``--rates`` per second (raw SQL on its own connection, alternately a token's
``last_used_at`` touch and a ``job`` row). The same run is made for each code variant in a child process of its
own: ``new`` (this tree) and ``old`` (``--old DIR``: a copy of ``src/`` with the global-marker cache, put first
on ``PYTHONPATH``). Printed per rate and variant: the hit rate, the median and mean CPU ms per request (the
reader's process; the writer's CPU is not in it), and the floor's median CPU (a plain ``JSONResponse`` of the
list page's bytes, interleaved every tenth request).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from bench_reads_cpu import Caller, _hops_inline, _paths


async def _app_in_process(
    store: Path, info: dict[str, Any], floor_path: str, floor: Callable[..., Any]
) -> tuple[Caller, list[tuple[bytes, bytes]], Any]:
    """The app in process as ``cpu`` and ``mixed`` measure it (worker-thread hops inline, the request log off), with
    ``floor`` answering GET ``floor_path`` ahead of the catch-all of unknown API paths, logged in as ``city``:
    (the caller, the Bearer header, the app's ``ResponseCache`` layer)."""
    _hops_inline()
    logging.disable(logging.INFO)
    from dualcarbon.app.api import create_app
    from dualcarbon.ui.response_cache import ResponseCache

    app = create_app(f"sqlite+pysqlite:///{store / 'bench.sqlite3'}", data_dir=store, migrate=False)
    app.add_api_route(floor_path, floor, methods=["GET"], include_in_schema=False)
    app.router.routes.insert(0, app.router.routes.pop())
    call = Caller(app)
    login = json.dumps({"username": "city", "password": info["city_password"]}).encode()
    status, body, _ = await call("POST", "/api/v1/auth/token", [(b"content-type", b"application/json")], login)
    assert status == 200, body
    auth = [(b"authorization", f"Bearer {json.loads(body)['access_token']}".encode())]
    await call("GET", "/api/v1/auth/me", auth)  # the token's last_used_at is written now, not while measured
    layer: Any = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return call, auth, layer


async def cpu(args: argparse.Namespace) -> None:
    from fastapi.responses import JSONResponse

    info = json.loads((args.store / "info.json").read_text(encoding="utf-8"))
    floors: dict[str, Any] = {}

    async def floor(name: str) -> JSONResponse:
        return JSONResponse(floors[name])

    call, auth, cache = await _app_in_process(args.store, info, "/bench/floor/{name}", floor)
    # the code before decision 0013 (PYTHONPATH=<old src>) had no clear(): a new generation emptied it
    answers: Any = cache.answers
    forget = getattr(answers, "clear", None) or (lambda: answers.seen(object()))
    for name in args.reads:
        path_for, needs_token = _paths(args.store, info)[name]
        headers = auth if needs_token else []
        status, body, _ = await call("GET", path_for(0), headers)
        assert status == 200, (name, status, body[:300])
        floors[name] = json.loads(body)
        times: dict[str, list[float]] = {"floor": [], "hit": [], "miss": [], "off": []}
        for i in range(args.requests):
            path = path_for(i)
            times["floor"].append((await call("GET", f"/bench/floor/{name}"))[2])
            await call("GET", path, headers)  # makes the next one a hit
            status, hit_body, hit_cpu = await call("GET", path, headers)
            assert status == 200
            times["hit"].append(hit_cpu)
            forget()  # forget every answer (not measured)
            times["miss"].append((await call("GET", path, headers))[2])
            cache.enabled = False
            status, off_body, off_cpu = await call("GET", path, headers)
            cache.enabled = True
            assert off_body == hit_body, (name, path)  # the cache answers exactly what the route does
            times["off"].append(off_cpu)
        medians = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
        ratios = ", ".join(f"{kind} {medians[kind]:.3f} ms (×{medians['floor'] / medians[kind]:.2f})" for kind in times)
        print(f"{name} ({len(body):,} bytes), medians of {args.requests}: {ratios}", flush=True)


def http(args: argparse.Namespace) -> None:
    from bench_platform import server
    from bench_reads import _codes, _run, _targets

    info = json.loads((args.store / "info.json").read_text(encoding="utf-8"))
    url = f"sqlite+pysqlite:///{args.store / 'bench.sqlite3'}"
    codes = _codes(url, 200)
    print(f"load average before: {os.getloadavg()}", file=sys.stderr, flush=True)
    with server(url, info["catalog_id"], workers=1) as base:
        login = {"username": "city", "password": info["city_password"]}
        token = httpx.post(f"{base}/api/v1/auth/token", json=login, timeout=60).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        httpx.get(f"{base}/api/v1/auth/me", headers=auth, timeout=60).raise_for_status()
        rows = []
        for index, (name, path_for, _total, needs_token) in enumerate(_targets(info, codes)):
            headers = auth if needs_token else {}
            sample = httpx.get(base + path_for(0), headers=headers, timeout=60)
            sample.raise_for_status()
            floor_path = f"/bench/json-floor/f{index}"
            httpx.put(base + floor_path, content=sample.content, timeout=60).raise_for_status()
            joiner = "&" if "?" in path_for(0) else "?"
            unique = itertools.count(index * 1_000_000)  # never the same request twice, in any run
            for concurrency in args.concurrency:
                floor = _run(base, lambda i, p=floor_path: p, {}, args.requests, concurrency, "floor")
                hit = _run(base, lambda i, p=path_for(0): p, headers, args.requests, concurrency, "hit")
                miss = _run(
                    base,
                    lambda i, f=path_for, j=joiner, n=unique: f"{f(i)}{j}_={next(n)}",
                    headers,
                    args.requests,
                    concurrency,
                    "miss",
                )
                row = {"read": name, "concurrency": concurrency, "bytes": len(sample.content)}
                for kind, found in (("floor", floor), ("hit", hit), ("miss", miss)):
                    row[f"{kind}_rps"] = found["rps"]
                    row[f"{kind}_cpu_ms"] = found["cpu_ms"]
                    row[f"{kind}_errors"] = found.get("errors", 0)
                rows.append(row)
                print(
                    f"{name} c={concurrency}: floor {floor['rps']:.0f} req/s, hit {hit['rps']:.0f} "
                    f"(×{hit['rps'] / floor['rps']:.2f}), miss {miss['rps']:.0f} (×{miss['rps'] / floor['rps']:.2f}); "
                    f"server CPU ms floor {floor['cpu_ms']:.2f}, hit {hit['cpu_ms']:.2f} "
                    f"(×{floor['cpu_ms'] / hit['cpu_ms']:.2f}), miss {miss['cpu_ms']:.2f} "
                    f"(×{floor['cpu_ms'] / miss['cpu_ms']:.2f})",
                    flush=True,
                )
    print(f"load average after: {os.getloadavg()}", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


_WRITER = """
import signal, sqlite3, sys, time
from datetime import datetime, timezone
path, rate = sys.argv[1], float(sys.argv[2])
connection = sqlite3.connect(path, isolation_level=None, timeout=30)
(token,) = connection.execute("SELECT min(id) FROM api_token").fetchone()
done = 0
def stop(*_):
    print(done, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
start = time.monotonic()
while True:
    due = start + done / rate
    if time.monotonic() < due:
        time.sleep(due - time.monotonic())
    stamp = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    if done % 2 == 0:
        connection.execute("UPDATE api_token SET last_used_at = ? WHERE id = ?", (stamp, token))
    else:
        connection.execute("INSERT INTO job (kind, state, created_at, progress) VALUES ('bench', 'queued', ?, 0)",
                           (stamp,))
    done += 1
"""


def _start_writer(path: Path, rate: float) -> Any:
    """Another OS process committing one unrelated write every 1/rate s (raw SQL on a connection of its own:
    alternately a token's last_used_at touch and a job row) until it is sent SIGTERM; returns once it writes."""
    import subprocess

    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(rate)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    return writer


def _stop_writer(writer: Any) -> int:
    writer.terminate()
    out, _ = writer.communicate(timeout=60)
    return int(out.strip().splitlines()[-1])


async def mixed_child(args: argparse.Namespace) -> None:
    import time

    from fastapi.responses import JSONResponse

    info = json.loads((args.store / "info.json").read_text(encoding="utf-8"))
    floor_body: dict[str, Any] = {}

    async def floor() -> JSONResponse:
        return JSONResponse(floor_body)

    call, auth, cache = await _app_in_process(args.store, info, "/bench/floor", floor)
    paths = _paths(args.store, info)
    working = [(paths["ent"][0](i), True) for i in range(4)]
    working += [(paths["detail"][0](i), True) for i in range(16)]
    working += [(paths["entries"][0](i), True) for i in range(2)]
    working += [(paths["public"][0](i), False) for i in range(4)]
    working += [("/api/v1/auth/me", True)]
    status, body, _ = await call("GET", working[0][0], auth)
    floor_body.update(json.loads(body))
    for path, needs in working:  # warm: every answer made once before the clock starts
        await call("GET", path, auth if needs else [])
    writer = _start_writer(args.store / "bench.sqlite3", args.rate) if args.rate > 0 else None
    hits, misses = cache.answers.hits, cache.answers.misses
    cpu: list[float] = []
    floors: list[float] = []
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < args.seconds:
        path, needs = working[i % len(working)]
        status, _, spent = await call("GET", path, auth if needs else [])
        assert status == 200, (path, status)
        cpu.append(spent)
        if i % 10 == 0:
            floors.append((await call("GET", "/bench/floor"))[2])
        i += 1
    writes = _stop_writer(writer) if writer is not None else 0
    hit = cache.answers.hits - hits
    miss = cache.answers.misses - misses
    row = {
        "rate": args.rate,
        "writes": writes,
        "requests": len(cpu),
        "hit_rate": hit / max(hit + miss, 1),
        "cpu_ms_median": statistics.median(cpu) * 1000,
        "cpu_ms_mean": statistics.fmean(cpu) * 1000,
        "floor_ms_median": statistics.median(floors) * 1000,
    }
    print(json.dumps(row), flush=True)


def mixed(args: argparse.Namespace) -> None:
    import subprocess

    here = Path(__file__).parent
    rows = []
    print(f"load average before: {os.getloadavg()}", flush=True)
    for rate in args.rates:
        for variant in args.variants:
            env = dict(os.environ)
            source = str(args.old) if variant == "old" else str(here.parent / "src")
            env["PYTHONPATH"] = os.pathsep.join([source, str(here)])
            command = [sys.executable, __file__, "--store", str(args.store), "--rate", str(rate)]
            command += ["--seconds", str(args.seconds), "mixed-child"]
            found = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if found.returncode != 0:
                raise SystemExit(found.stderr[-3000:])
            row = {"variant": variant, **json.loads(found.stdout.strip().splitlines()[-1])}
            rows.append(row)
            print(
                f"{variant} at {rate:g} writes/s ({row['writes']} writes): {row['requests']} requests, "
                f"hit rate {row['hit_rate']:.2f}, CPU ms per request median {row['cpu_ms_median']:.3f} "
                f"mean {row['cpu_ms_mean']:.3f}; floor median {row['floor_ms_median']:.3f} "
                f"(floor ÷ mean ×{row['floor_ms_median'] / row['cpu_ms_mean']:.2f}); load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a folder made by bench_reads.py --build")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--json", type=Path, help="http: also write the figures as JSON")
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 5, 50], help="mixed: writes per second")
    parser.add_argument("--rate", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=20, help="mixed: seconds of reading per run")
    parser.add_argument("--old", type=Path, help="mixed: a copy of src/ with the old code (variant old)")
    parser.add_argument("--variants", nargs="+", default=["old", "new"], choices=["old", "new"])
    parser.add_argument("mode", choices=["cpu", "http", "mixed", "mixed-child"])
    parser.add_argument("reads", nargs="*", default=["ent", "detail", "entries", "public", "me"])
    args = parser.parse_args()
    if args.mode == "cpu":
        asyncio.run(cpu(args))
    elif args.mode == "mixed":
        mixed(args)
    elif args.mode == "mixed-child":
        asyncio.run(mixed_child(args))
    else:
        http(args)


if __name__ == "__main__":
    main()
