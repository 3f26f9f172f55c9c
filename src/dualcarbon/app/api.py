"""The FastAPI application: storage, error mapping, and the routers of every subject.

``create_app(database_url)`` builds one app; the web UI (NiceGUI) mounts onto the same app in
``dualcarbon.app.web``. Errors are JSON ``{"error": <kind>, "message": ..., "field": ...}`` with
401 (no/invalid credentials), 403 (role does not allow), 404 (absent or out of scope), 409 (state
conflict), 422 (invalid input).

Every response carries ``X-Request-ID``: the caller's own when it sent a sane one (at most 64 characters
of ``A-Z a-z 0-9 . _ -``), else a new one. Each request under ``/api/`` and ``/public/`` is logged as one
access line (method, path, status, duration_ms, request_id) at INFO; records logged while it is served
carry its request_id too (:mod:`dualcarbon.core.logging`).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualcarbon.accounts import routes as accounts_routes
from dualcarbon.accounts import routes_admin as accounts_admin_routes
from dualcarbon.accounts.service_auth import authenticate_secret
from dualcarbon.app.admission import AdmissionLimit
from dualcarbon.calc import routes as calc_routes
from dualcarbon.catalog import routes as catalog_routes
from dualcarbon.catalog import routes_public as catalog_public_routes
from dualcarbon.core.errors import (
    AuthenticationFailed,
    Conflict,
    DualcarbonError,
    NotFound,
    PermissionDenied,
)
from dualcarbon.core.logging import configure_logging, request_id_var
from dualcarbon.core.settings import get_settings, server_settings
from dualcarbon.registry import routes as registry_routes
from dualcarbon.reports import routes as reports_routes
from dualcarbon.store.db import init_store, make_engine, resolve_database_url
from dualcarbon.ui.api import API_PREFIX

log = logging.getLogger(__name__)

# Every subject's routers, listed explicitly: a moved or missing module is an import error, never a skip.
ROUTERS: tuple[APIRouter, ...] = (
    accounts_routes.router,
    registry_routes.router,
    reports_routes.router,
    catalog_routes.router,
    accounts_admin_routes.router,
    catalog_public_routes.router,
    calc_routes.router,
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


REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
ACCESS_LOGGED_PREFIXES = ("/api/", "/public/")


def _incoming_request_id(scope: Scope) -> str | None:
    """The caller's ``X-Request-ID`` when it is a sane token; None when absent or not (it is then replaced)."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if _SANE_REQUEST_ID.fullmatch(text) else None
    return None


class RequestId:
    """ASGI middleware: give every HTTP request an id (``X-Request-ID`` in and out, and the context variable
    :data:`~dualcarbon.core.logging.request_id_var`) and log one access line per API request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500  # when the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = str(scope.get("path", ""))
            if path.startswith(ACCESS_LOGGED_PREFIXES):
                duration_ms = round((time.perf_counter() - started) * 1000, 1)
                method = str(scope.get("method", ""))
                log.info(
                    "%s %s %s %.1f ms",
                    method,
                    path,
                    status,
                    duration_ms,
                    extra={
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": duration_ms,
                        "request_id": request_id,
                    },
                )
            request_id_var.reset(token)


def create_app(database_url: str | None = None, *, data_dir: Path | None = None, migrate: bool = True) -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    url = database_url or resolve_database_url(data_dir)
    if migrate:
        init_store(url).dispose()
    server = server_settings(settings)
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
    app.state.resolve_caller = authenticate_secret
    app.add_middleware(AdmissionLimit, max_in_flight=server.max_in_flight)
    app.add_middleware(RequestId)  # added last, so outermost: the id exists before the admission wait

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

    for router in ROUTERS:
        app.include_router(router)
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
