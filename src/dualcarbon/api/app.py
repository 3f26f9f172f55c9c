"""The FastAPI application: storage, error mapping, and the routers of every subject.

``create_app(database_url)`` builds one app; the web UI (NiceGUI) mounts onto the same app in
``dualcarbon.web``. Errors are JSON ``{"error": <kind>, "message": ..., "field": ...}`` with
401 (no/invalid credentials), 403 (role does not allow), 404 (absent or out of scope), 409 (state
conflict), 422 (invalid input).
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import sessionmaker
from starlette.routing import Match

from dualcarbon.api.admission import AdmissionLimit
from dualcarbon.errors import (
    AuthenticationFailed,
    Conflict,
    DualcarbonError,
    NotFound,
    PermissionDenied,
)
from dualcarbon.settings import server_settings
from dualcarbon.store.db import init_store, make_engine, resolve_database_url

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

# Routers by subject; each module exposes ``router`` (an APIRouter with its own prefix).
ROUTER_MODULES: tuple[str, ...] = (
    "dualcarbon.api.routes_auth",
    "dualcarbon.api.routes_enterprises",
    "dualcarbon.api.routes_reports",
    "dualcarbon.api.routes_catalogs",
    "dualcarbon.api.routes_admin",
    "dualcarbon.api.routes_public",
    "dualcarbon.api.routes_calc",
)

_STATUS: list[tuple[type[DualcarbonError], int]] = [
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
]


def status_for(exc: DualcarbonError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 422


def create_app(database_url: str | None = None, *, data_dir: Path | None = None, migrate: bool = True) -> FastAPI:
    url = database_url or resolve_database_url(data_dir)
    if migrate:
        init_store(url).dispose()
    server = server_settings()
    engine = make_engine(url, pool_size=server.db_pool_size, max_overflow=server.db_max_overflow)
    app = FastAPI(
        title="dualcarbon 双碳 API",
        version="1",
        description="Enterprise registry, period energy reports, efficiency catalog (能效清单目录) and appeals.",
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    app.state.session_factory = sessionmaker(engine, expire_on_commit=False)
    app.state.data_dir = data_dir
    app.add_middleware(AdmissionLimit, max_in_flight=server.max_in_flight)

    @app.exception_handler(DualcarbonError)
    async def _domain_error(_: Request, exc: DualcarbonError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        body = {"error": type(exc).__name__, "message": exc.message, "field": exc.field}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        location = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return JSONResponse(
            {"error": "InvalidInput", "message": first.get("msg"), "field": location or None}, status_code=422
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for module_name in ROUTER_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            log.debug("router %s not present", module_name)
            continue
        app.include_router(module.router)
    _json_for_unknown_api_paths(app)
    return app


def _json_for_unknown_api_paths(app: FastAPI) -> None:
    """Unknown paths under /api/ answer JSON 404 (405 when the path exists with other methods), instead of
    falling through to the web UI mounted at / after this app is built."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    real_routes = list(app.router.routes)  # everything registered before the catch-all

    def allowed_methods(request: Request) -> list[str]:
        found = []
        for method in methods:
            scope = {**request.scope, "method": method}
            if any(route.matches(scope)[0] == Match.FULL for route in real_routes):
                found.append(method)
        return found

    @app.api_route(API_PREFIX + "/{path:path}", methods=methods, include_in_schema=False)
    def _unknown(request: Request, path: str) -> JSONResponse:
        allowed = allowed_methods(request)
        if allowed:
            return JSONResponse(
                {"error": "MethodNotAllowed", "message": f"{request.method} is not allowed here", "field": None},
                status_code=405,
                headers={"Allow": ", ".join(allowed)},
            )
        return JSONResponse(
            {"error": "NotFound", "message": f"no endpoint {request.url.path}", "field": None}, status_code=404
        )
