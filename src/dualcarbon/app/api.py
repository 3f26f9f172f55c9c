"""The FastAPI application: storage, error mapping, and the routers of every subject.

``create_app(database_url)`` builds one app; the web UI (NiceGUI) mounts onto the same app in
``dualcarbon.app.web``. Errors are JSON ``{"error": <kind>, "message": ..., "field": ...}`` with
401 (no/invalid credentials), 403 (role does not allow), 404 (absent or out of scope), 409 (state
conflict), 422 (invalid input), 503 with ``Retry-After`` (the store was busy: a lock not had within the lock
budget, a deadlock, a serialization failure — nothing changed, send it again). A PostgreSQL deadlock or
serialization failure is first retried here, at most twice within the lock budget (``ui.api.RetryTransaction``).
``message`` is in Chinese unless ``Accept-Language`` prefers English (:func:`reader_language`; an error without
a Chinese text keeps its one message).

Every response carries ``X-Request-ID``: the caller's own when it sent a sane one (at most 64 characters
of ``A-Z a-z 0-9 . _ -``), else a new one. Each request under ``/api/`` and ``/public/`` is logged as one
access line (method, path, status, duration_ms, request_id) at INFO; records logged while it is served
carry its request_id too (:mod:`dualcarbon.core.logging`).

A client that goes away mid-request (a browser leaving a page while its scripts load, a killed download, a caller
that gave up while the admission limit queued it) is a quiet, counted event: :class:`HttpLatency` recognises the
errors a disconnect causes below it (Starlette's "No response returned." when a file or streaming response was
cancelled before it started, ``ClientDisconnect`` reading a body) once the request has seen ``http.disconnect``,
answers nothing more, counts it (``dualcarbon_http_client_disconnects_total``) and the access line says 499
(nginx's "client closed request"; never sent) — no traceback, no 500. Any other error is raised as before.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from pathlib import Path

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualcarbon.accounts import routes as accounts_routes
from dualcarbon.accounts import routes_admin as accounts_admin_routes
from dualcarbon.accounts.service_auth import authenticate_secret
from dualcarbon.accounts.service_principal_cache import cached_caller, still_cached
from dualcarbon.alerts import routes as alerts_routes
from dualcarbon.alerts.service_metrics import Metrics
from dualcarbon.app.admission import CLIENT_GONE, GAVE_UP_QUEUED, AdmissionLimit
from dualcarbon.assets import routes as assets_routes
from dualcarbon.audits import routes as audits_routes
from dualcarbon.calc import routes as calc_routes
from dualcarbon.catalog import routes as catalog_routes
from dualcarbon.catalog import routes_public as catalog_public_routes
from dualcarbon.core.errors import (
    AuthenticationFailed,
    Conflict,
    DualcarbonError,
    NotFound,
    PermissionDenied,
    StoreBusy,
    validation_message_zh,
)
from dualcarbon.core.logging import configure_logging, request_id_var
from dualcarbon.core.settings import get_settings, server_settings
from dualcarbon.documents import routes as documents_routes
from dualcarbon.equipment import routes as equipment_routes
from dualcarbon.footprint import routes as footprint_routes
from dualcarbon.monitoring import routes as monitoring_routes
from dualcarbon.monitoring import routes_quality as monitoring_quality_routes
from dualcarbon.monitoring import routes_rollups as monitoring_rollups_routes
from dualcarbon.policy import routes as policy_routes
from dualcarbon.projects import routes as projects_routes
from dualcarbon.registry import routes as registry_routes
from dualcarbon.reports import routes as reports_routes
from dualcarbon.store.audit_files import AuditKeyError
from dualcarbon.store.db import (
    init_store,
    is_retryable_transaction_error,
    is_transient_lock_error,
    make_engine,
    resolve_database_url,
    writing,
)
from dualcarbon.store.generation import generation_for
from dualcarbon.subsidies import routes as subsidies_routes
from dualcarbon.targets import routes as targets_routes
from dualcarbon.ui.api import API_PREFIX, RETRY_MARK_HEADER, RetryTransaction
from dualcarbon.ui.response_cache import ResponseCache
from dualcarbon.ui.web.i18n import has_key, translate

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
    monitoring_routes.router,
    monitoring_quality_routes.router,
    monitoring_rollups_routes.router,
    policy_routes.router,
    audits_routes.router,
    equipment_routes.router,
    projects_routes.router,
    targets_routes.router,
    documents_routes.router,
    alerts_routes.router,
    alerts_routes.metrics_router,
    assets_routes.router,
    subsidies_routes.router,
    footprint_routes.router,
)

_STATUS: list[tuple[type[DualcarbonError], int]] = [
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (StoreBusy, 503),
    (AuditKeyError, 500),  # the server's audit key file is missing: an operator must act, not the caller
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
            if scope.get(CLIENT_GONE):
                status = CLIENT_CLOSED_REQUEST
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


#: The status logged and observed for a request whose client went away before its answer (never sent).
CLIENT_CLOSED_REQUEST = 499
#: Starlette's BaseHTTPMiddleware (NiceGUI's) raises this when the app below it returned no response — what a
#: file or streaming response does when the client disconnects before it starts.
_NO_RESPONSE = "No response returned."


def _caused_by_disconnect(exc: BaseException, disconnected: bool) -> bool:
    """True for an error that the client's going away explains (and that must not be logged as a failure)."""
    if isinstance(exc, ClientDisconnect):
        return True
    if not disconnected:
        return False
    if isinstance(exc, RuntimeError) and str(exc) == _NO_RESPONSE:
        return True
    return isinstance(exc, OSError | anyio.BrokenResourceError | anyio.ClosedResourceError)


class HttpLatency:
    """ASGI middleware: observe each HTTP request's duration in the app's Prometheus histogram (``/metrics``), and
    make a client's disconnect a counted event instead of an error (module docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = disconnected = False

        async def receive_watched() -> Message:
            nonlocal disconnected
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
            return message

        async def send_seen(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive_watched, send_seen)
            if not response_started and (disconnected or scope.get(GAVE_UP_QUEUED)):
                self._client_gone(scope, queued=bool(scope.get(GAVE_UP_QUEUED)))
                status = CLIENT_CLOSED_REQUEST
        except Exception as exc:
            if not _caused_by_disconnect(exc, disconnected):
                raise
            self._client_gone(scope, queued=False)
            status = CLIENT_CLOSED_REQUEST
        finally:
            self.metrics.observe_request(str(scope.get("method", "")), status, time.perf_counter() - started)

    def _client_gone(self, scope: Scope, *, queued: bool) -> None:
        scope[CLIENT_GONE] = True
        self.metrics.client_disconnected("queued" if queued else "in_flight")
        log.debug("client closed the request: %s %s", scope.get("method", ""), scope.get("path", ""))


def create_app(database_url: str | None = None, *, data_dir: Path | None = None, migrate: bool = True) -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    url = database_url or resolve_database_url(data_dir)
    if migrate:
        init_store(url).dispose()
    server = server_settings(settings)
    engine = make_engine(url, lock_budget=True, pool_size=server.db_pool_size, max_overflow=server.db_max_overflow)
    app = FastAPI(
        title="dualcarbon 双碳 API",
        version="1",
        description="Enterprise registry, period energy reports, efficiency catalog (能效清单目录) and appeals.",
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    app.state.session_factory = sessionmaker(engine, expire_on_commit=False)
    # requests that change things take SQLite's write lock at BEGIN (waiting within the lock budget), so a
    # read-then-write never fails half way with "database is locked" (ui.api.get_session); no-op elsewhere
    app.state.write_session_factory = sessionmaker(writing(engine), expire_on_commit=False)
    app.state.data_dir = data_dir
    app.state.resolve_caller = authenticate_secret
    app.state.cached_caller = cached_caller  # the same callers, from the principal cache only (no database)
    app.add_middleware(RetryTransaction)  # innermost: a rerun does not queue for admission again
    app.add_middleware(AdmissionLimit, max_in_flight=server.max_in_flight)
    # cached reads are answered before admission and routing; never stale (docs/decisions/0012)
    app.add_middleware(
        ResponseCache,
        generation=generation_for(engine),
        max_bytes=int(settings.response_cache_mb * 1024 * 1024),
        still_cached=lambda secret, session_only: still_cached(engine.url, secret, session_only),
    )
    app.state.metrics = Metrics(app.state.session_factory)
    app.add_middleware(HttpLatency, metrics=app.state.metrics)
    app.add_middleware(RequestId)  # added last, so outermost: the id exists before the admission wait

    @app.exception_handler(DualcarbonError)
    async def _domain_error(request: Request, exc: DualcarbonError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, StoreBusy):
            headers = {"Retry-After": str(exc.retry_after_s)}
        message = exc.message_in(reader_language(request.headers.get("accept-language")))
        body = {"error": type(exc).__name__, "message": message, "field": exc.field}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(DBAPIError)
    async def _store_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # A lock not had within the budget, a deadlock or a serialization failure: the transaction was rolled
        # back and the request may simply be sent again. Anything else stays a server error.
        if not is_transient_lock_error(exc):
            raise exc
        log.warning("store busy on %s %s: %s", request.method, request.url.path, exc.orig)
        response = await _domain_error(request, StoreBusy())
        if is_retryable_transaction_error(exc):  # a deadlock or serialization failure: RetryTransaction reruns it
            response.headers[RETRY_MARK_HEADER] = "1"
        return response

    @app.exception_handler(DataError)
    async def _unstorable_value(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the request brought (a NUL character in PostgreSQL text, a number
        # beyond its column): invalid input, not a server error. The transaction is rolled back.
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "value refused"
        log.info("value refused by the store on %s %s: %s", request.method, request.url.path, reason)
        body = {"error": "InvalidInput", "message": f"a value cannot be stored: {reason}", "field": None}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(UnicodeDecodeError)
    async def _not_utf8(_: Request, exc: UnicodeDecodeError) -> JSONResponse:
        return _unreadable_body(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers a body it cannot parse (not UTF-8, nested too deeply) with a bare 400 {"detail"};
        # it is invalid input like any other, in the same JSON shape
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError | RecursionError):
            return _unreadable_body(exc.__cause__)
        if exc.status_code == 400 and isinstance(exc.__context__, MultiPartException):
            return _unreadable_form(request, str(exc.detail))
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        location = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        english = reader_language(request.headers.get("accept-language")) == "en"
        label_key = f"field.{location.rsplit('.', 1)[-1]}"  # the field as a form labels it (ui/web/i18n)
        label = translate("zh", label_key) if has_key("zh", label_key) else None
        message = first.get("msg") if english else validation_message_zh(first, label)
        return JSONResponse({"error": "InvalidInput", "message": message, "field": location or None}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in ROUTERS:
        app.include_router(router)
    _json_for_unknown_api_paths(app)
    return app


def reader_language(accept_language: str | None) -> str:
    """ "zh" or "en" for an ``Accept-Language`` header: the first of the two the caller prefers (by q, then
    order); Chinese when it names neither, or sends none."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower()[:2]
        if language in ("zh", "en") and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else "zh"


def _unreadable_body(cause: BaseException) -> JSONResponse:
    """422 for a request body that cannot be read: not UTF-8 text, or JSON nested too deeply."""
    if isinstance(cause, UnicodeDecodeError):
        message = "the request body is not UTF-8 text"
    else:
        message = "the request body is nested too deeply"
    return JSONResponse({"error": "InvalidInput", "message": message, "field": "body"}, status_code=422)


def _unreadable_form(request: Request, reason: str) -> JSONResponse:
    """422 in the platform's error shape for a form body (multipart or url-encoded) that cannot be parsed:
    Starlette answers a bare 400 ``{"detail": "Invalid multipart data."}``."""
    message = f"the form data of the request cannot be read ({reason})"
    if reader_language(request.headers.get("accept-language")) == "zh":
        message = f"请求中的表单数据无法解析（格式有误或超出限制），请检查上传的内容后重试 / {message}"
    return JSONResponse({"error": "InvalidInput", "message": message, "field": "body"}, status_code=422)


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
