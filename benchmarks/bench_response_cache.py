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
from pathlib import Path
from typing import Any

import httpx
from bench_reads_cpu import Caller, _hops_inline, _paths


async def cpu(args: argparse.Namespace) -> None:
    info = json.loads((args.store / "info.json").read_text(encoding="utf-8"))
    _hops_inline()
    logging.disable(logging.INFO)
    from fastapi.responses import JSONResponse

    from dualcarbon.app.api import create_app
    from dualcarbon.ui.response_cache import ResponseCache

    app = create_app(f"sqlite+pysqlite:///{args.store / 'bench.sqlite3'}", data_dir=args.store)
    floors: dict[str, Any] = {}

    @app.get("/bench/floor/{name}", include_in_schema=False)
    async def floor(name: str) -> JSONResponse:
        return JSONResponse(floors[name])

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
    cache: ResponseCache = layer
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
            cache.answers.seen(object())  # forget every answer (not measured)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a folder made by bench_reads.py --build")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--json", type=Path, help="http: also write the figures as JSON")
    parser.add_argument("mode", choices=["cpu", "http"])
    parser.add_argument("reads", nargs="*", default=["ent", "detail", "entries", "public", "me"])
    args = parser.parse_args()
    if args.mode == "cpu":
        asyncio.run(cpu(args))
    else:
        http(args)


if __name__ == "__main__":
    main()
