"""Server CPU per read request, in process: the steadier companion of ``bench_reads.py`` on a shared machine.

    uv run python benchmarks/bench_reads_cpu.py --store DIR [--requests 100] [--rounds 2] [ent detail entries …]

Builds the app as ``dualcarbon serve`` does on a store made by ``bench_reads.py --build DIR`` and calls it
directly over ASGI (no socket, no client), with FastAPI's worker-thread hops run inline, so that the CPU
time (``time.process_time``) around each call is the server's work for that request and nothing else. For
each read, request *i* of the endpoint alternates with a request to a floor route added to the same app: an
``async def`` answering a plain ``JSONResponse`` of that endpoint's first response (same bytes, no
authentication, no database). Printed: median CPU ms per request of both and their ratio (floor ÷ endpoint),
the figure the req/s ratio of ``bench_reads.py`` tends to on an idle machine with one server process.

To compare two versions of the code side by side, run it twice with ``PYTHONPATH`` pointing the second at a
copy of ``src/`` (docs/benchmarks.md, "Reads").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi.concurrency
import fastapi.dependencies.utils
import fastapi.routing
import starlette.concurrency
from fastapi.responses import JSONResponse


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _hops_inline() -> None:
    """Run FastAPI's and the plumbing's worker-thread hops in the calling thread (CPU time stays countable)."""
    for module in (starlette.concurrency, fastapi.routing, fastapi.dependencies.utils, fastapi.concurrency):
        if hasattr(module, "run_in_threadpool"):
            module.run_in_threadpool = _inline  # type: ignore[attr-defined]
    import dualcarbon.ui.api as plumbing

    plumbing.run_in_threadpool = _inline  # type: ignore[assignment]


def _paths(store: Path, info: dict[str, Any]) -> dict[str, tuple[Callable[[int], str], bool]]:
    """name → (path of request i, needs the token)."""
    with sqlite3.connect(store / "bench.sqlite3") as connection:
        codes = [row[0] for row in connection.execute("SELECT credit_code FROM enterprise ORDER BY id LIMIT 200")]
    n, catalog = int(info["enterprises"]), info["catalog_id"]
    entries = max(sum(info["counts"].values()), 1)
    advanced = max(sum(info["counts"].get(t, 0) for t in ("benchmark", "grade_1")), 1)
    return {
        "ent": (lambda i: f"/api/v1/enterprises?limit=50&offset={(i * 50) % n}", True),
        "detail": (lambda i: f"/api/v1/enterprises/{codes[i % len(codes)]}", True),
        "entries": (lambda i: f"/api/v1/catalogs/{catalog}/entries?limit=50&offset={(i * 50) % entries}", True),
        "public": (lambda i: f"/public/catalogs/{catalog}/advanced?limit=50&offset={(i * 50) % advanced}", False),
        "me": (lambda i: "/api/v1/auth/me", True),
    }


class Caller:
    """Calls the app over ASGI and measures the CPU of each call."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b""
    ) -> tuple[int, bytes, float]:
        path, _, query = target.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"bench"), *(headers or [])], "client": ("127.0.0.1", 1), "server": ("bench", 80),
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        started = time.process_time()
        await self.app(scope, receive, send)
        cpu = time.process_time() - started
        self.answered(sent[0])
        return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:]), cpu

    def answered(self, start: dict[str, Any]) -> None:
        """Sees the ``http.response.start`` message of each call (a subclass keeps cookies from it)."""


async def measure(args: argparse.Namespace) -> None:
    info = json.loads((args.store / "info.json").read_text(encoding="utf-8"))
    _hops_inline()
    logging.disable(logging.INFO)  # the request log line is not what is measured (it is the same for both)
    from dualcarbon.app.api import create_app

    app = create_app(f"sqlite+pysqlite:///{args.store / 'bench.sqlite3'}", data_dir=args.store)
    floors: dict[str, Any] = {}

    @app.get("/bench/floor/{name}", include_in_schema=False)
    async def floor(name: str) -> JSONResponse:
        return JSONResponse(floors[name])

    app.router.routes.insert(0, app.router.routes.pop())  # before the catch-all of unknown API paths
    call = Caller(app)
    login = json.dumps({"username": "city", "password": info["city_password"]}).encode()
    status, body, _ = await call("POST", "/api/v1/auth/token", [(b"content-type", b"application/json")], login)
    assert status == 200, body
    auth = [(b"authorization", f"Bearer {json.loads(body)['access_token']}".encode())]
    paths = _paths(args.store, info)
    for name in args.reads:
        path_for, needs_token = paths[name]
        headers = auth if needs_token else []
        status, body, _ = await call("GET", path_for(0), headers)
        assert status == 200, (name, status, body[:300])
        floors[name] = json.loads(body)
        for round_no in range(args.rounds):
            real, plain = [], []
            for i in range(args.requests):
                real.append((await call("GET", path_for(i), headers))[2])
                plain.append((await call("GET", f"/bench/floor/{name}"))[2])
            endpoint_ms, floor_ms = statistics.median(real) * 1000, statistics.median(plain) * 1000
            print(
                f"{name} ({len(body):,} bytes) round {round_no}: endpoint {endpoint_ms:.2f} ms CPU, "
                f"floor {floor_ms:.2f} ms, ratio {floor_ms / endpoint_ms:.2f} (medians of {args.requests})",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a folder made by bench_reads.py --build")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("reads", nargs="*", default=["ent", "detail", "entries", "public", "me"])
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
