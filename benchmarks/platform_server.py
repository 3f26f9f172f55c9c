"""The app under load for ``bench_platform.py``: the served app plus two framework-floor routes.

    uv run python benchmarks/platform_server.py --database-url URL --port PORT [--data-dir DIR] [--workers N]

Builds the app exactly as ``dualcarbon serve`` does (``dualcarbon.app.api.create_app`` with the web UI
mounted by ``dualcarbon.app.web.mount_web``) and, before mounting the UI, adds:

* ``GET /bench/floor/enterprises`` and ``GET /bench/floor/entries`` — plain sync FastAPI routes returning
  a constant body of the same shape and size as one page (``limit`` rows) of ``/api/v1/enterprises`` and
  ``/api/v1/catalogs/{id}/entries``, read once at start-up. No authentication, no database: what the
  framework, JSON encoding and the server cost by themselves on this machine, in the same run.
* ``PUT /bench/json-floor/{name}`` (a JSON body) then ``GET /bench/json-floor/{name}``: an ``async def`` route
  answering a plain ``JSONResponse`` of that body (encoded per request; no thread hop) — the floor
  ``bench_reads.py`` sets from one real response of each endpoint it measures; ``/bench/json-floor-sync/{name}``
  is the same as a plain ``def`` route (FastAPI runs it in a worker thread).

Benchmark variants (not settings of the product), to show where the limits are (docs/benchmarks.md,
"Platform"):

* ``--pool-size N``: after ``create_app`` builds the app, replace its engine by one whose connection pool
  holds N connections (no overflow);
* ``--admit N``: an ASGI wrapper lets at most N requests into the app at once; the others wait in the event
  loop (their wait counts in their latency). With N no larger than the pool, no request can hold a
  connection while waiting for a worker thread that is itself waiting for a connection.

Runs uvicorn on 127.0.0.1 only, without access log (the benchmark measures request handling).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

BENCH_ENV = "DUALCARBON_BENCH_SETTINGS"


def floor_bodies(database_url: str, limit: int, catalog_id: int | None) -> dict[str, dict[str, Any]]:
    """One page of each list, as the services return it to an administrator, in the list envelope."""
    from dualcarbon.catalog import service as catalog
    from dualcarbon.core.access import SYSTEM
    from dualcarbon.registry import service as registry
    from dualcarbon.store.db import make_engine, session_scope

    engine = make_engine(database_url)
    try:
        with session_scope(engine, write=False) as session:
            enterprises, total = registry.list_enterprises(session, SYSTEM, limit=limit)
            rows = [item.model_dump(mode="json") for item in enterprises]
            bodies = {"enterprises": {"items": rows, "total": total, "limit": limit, "offset": 0}}
            if catalog_id is not None:
                entries, count = catalog.list_entries(session, SYSTEM, catalog_id, limit=limit)
                items = [entry.model_dump(mode="json") for entry in entries]
                bodies["entries"] = {"items": items, "total": count, "limit": limit, "offset": 0}
    finally:
        engine.dispose()
    return bodies


def make_app() -> Any:
    """The app (a factory, so uvicorn can start several workers); settings come from the environment."""
    from fastapi import FastAPI

    from dualcarbon.app.api import create_app
    from dualcarbon.app.web import mount_web

    database_url, data_dir, limit, catalog, pool_size, admit = os.environ[BENCH_ENV].split("|")
    app: FastAPI = create_app(database_url, data_dir=Path(data_dir) if data_dir else None)
    if pool_size:
        from sqlalchemy.orm import sessionmaker

        from dualcarbon.store.db import make_engine

        app.state.engine.dispose()
        app.state.engine = make_engine(database_url, pool_size=int(pool_size), max_overflow=0)
        app.state.session_factory = sessionmaker(app.state.engine, expire_on_commit=False)
    bodies = floor_bodies(database_url, int(limit), int(catalog) if catalog else None)

    @app.get("/bench/floor/enterprises", include_in_schema=False)
    def floor_enterprises() -> dict[str, Any]:
        return bodies["enterprises"]

    @app.get("/bench/floor/entries", include_in_schema=False)
    def floor_entries() -> dict[str, Any]:
        return bodies.get("entries", bodies["enterprises"])

    json_floors: dict[str, Any] = {}

    @app.put("/bench/json-floor/{name}", include_in_schema=False)
    async def set_json_floor(name: str, request: Request) -> dict[str, int]:
        json_floors[name] = json.loads(await request.body())
        return {"bytes": len(JSONResponse(json_floors[name]).body)}

    @app.get("/bench/json-floor/{name}", include_in_schema=False)
    async def json_floor(name: str) -> JSONResponse:
        return JSONResponse(json_floors[name])

    @app.get("/bench/json-floor-sync/{name}", include_in_schema=False)
    def json_floor_sync(name: str) -> JSONResponse:  # the same, as a plain ``def`` route (one worker-thread hop)
        return JSONResponse(json_floors[name])

    mounted = mount_web(app)
    return AdmissionLimit(mounted, int(admit)) if admit else mounted


class AdmissionLimit:
    """ASGI wrapper: at most ``limit`` HTTP requests inside ``app`` at once; the rest wait their turn."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.semaphore: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.semaphore is None:
            import asyncio

            self.semaphore = asyncio.Semaphore(self.limit)
        async with self.semaphore:
            await self.app(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--catalog-id", default="")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pool-size", default="", help="replace the app's engine by one with this pool size")
    parser.add_argument("--admit", default="", help="at most this many requests inside the app at once")
    args = parser.parse_args()
    os.environ[BENCH_ENV] = "|".join(
        [args.database_url, args.data_dir, str(args.limit), args.catalog_id, str(args.pool_size), str(args.admit)]
    )

    import uvicorn

    if args.workers == 1:
        uvicorn.run(make_app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    else:
        uvicorn.run(
            "platform_server:make_app",
            factory=True,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            access_log=False,
            workers=args.workers,
            app_dir=str(Path(__file__).resolve().parent),
        )


if __name__ == "__main__":
    main()
