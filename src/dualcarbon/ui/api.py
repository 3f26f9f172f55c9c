"""Request plumbing shared by every route: the database session, the caller, pagination.

Authentication: ``Authorization: Bearer <token>`` for machine clients, or the ``dc_session`` cookie set
by the browser login (HttpOnly, SameSite=Strict, so other sites cannot ride on it — the CSRF defence;
state-changing browser requests must also carry the ``X-CSRF-Token`` header equal to the ``dc_csrf``
cookie when they come with the session cookie).

Thread hops: a read served by a plain ``def`` route costs one worker-thread hop, the route's own. The
session is made in the event loop (it connects on first use, inside the route's thread) and a read-only
transaction is ended there too; the caller comes from ``app.state.cached_caller`` (the accounts subject's
principal cache, no database) and only on a miss from ``app.state.resolve_caller`` in a worker thread.
Dependencies that only parse the request (``page_params``) are ``async def`` for the same reason:
FastAPI runs every plain ``def`` dependency in a worker thread of its own.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import anyio
from fastapi import Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualcarbon.core.access import PUBLIC, Authenticated, Principal
from dualcarbon.core.errors import AuthenticationFailed, PermissionDenied
from dualcarbon.core.settings import security_settings
from dualcarbon.reference import ReferenceSet, load_reference
from dualcarbon.store.db import LOCK_WAIT_BUDGET_MS, TRANSACTION_RETRIES, writing

API_PREFIX = "/api/v1"

#: ``app.state.resolve_caller(session, secret, session_only)``: installed by the app from the accounts subject.
CallerResolver = Callable[[Session, str, bool], Authenticated]
#: ``app.state.cached_caller(session, secret, session_only)``: the caller when cached, else None; never
#: touches the database (the session only names the store).
CachedCaller = Callable[[Session, str, bool], Authenticated | None]
SESSION_COOKIE = "dc_session"
CSRF_COOKIE = "dc_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


#: ``session.info`` flag: this transaction wrote (or will write after it commits), so ending it may block —
#: it is then ended in a worker thread. Set by the events below, and by code writing in ways they cannot see.
WRITES_KEY = "dualcarbon.writes"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[WRITES_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    locking = state.is_select and getattr(state.statement, "_for_update_arg", None) is not None
    if state.is_insert or state.is_update or state.is_delete or locking:
        state.session.info[WRITES_KEY] = True


def _end(session: Session, commit: bool, close: bool = True) -> None:
    try:
        if commit:
            session.commit()
            session.info.pop(WRITES_KEY, None)  # committed: what it wrote is done
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        if close:
            session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session, shared by the route and its dependencies (the caller's lookup); closed when the
    request ends. The route's transaction is committed by :func:`committed_session` before the response goes
    out; what is left here after that (reads made while the response was built, or the caller's lookup in a
    route that takes no session) is committed or, after an error, rolled back.

    Made and, after a read, ended in the event loop (a read transaction's COMMIT is quick and never waits
    for a lock); a transaction that wrote, locked rows or has unflushed changes, or any request with an
    unsafe method, is ended in a worker thread.
    """
    factory = request.app.state.session_factory
    if request.method not in SAFE_METHODS:  # a change: SQLite's write lock at BEGIN (app.api, store.db.writing)
        factory = getattr(request.app.state, "write_session_factory", factory)
    session: Session = factory()
    try:
        yield session
    except BaseException:
        await _finish(request, session, commit=False)
        raise
    if session.in_transaction():  # reads after the route's commit, or a route that only resolved its caller
        await _finish(request, session, commit=True)
    else:  # committed already (or never used): nothing to wait for
        session.close()


async def committed_session(
    request: Request, session: Annotated[Session, Depends(get_session)]
) -> AsyncIterator[Session]:
    """One transaction per route: committed when the route returns and *before* its response is sent
    (``scope="function"``), so a failed COMMIT is the request's answer (an error, or 503 when the store was
    busy), never a 200 for a write that was lost; rolled back when the route raises."""
    try:
        yield session
    except BaseException:
        await _finish(request, session, commit=False)
        raise
    await _finish(request, session, commit=True, close=False)


async def _finish(request: Request, session: Session, *, commit: bool, close: bool = True) -> None:
    quiet = not (session.info.get(WRITES_KEY) or session.new or session.dirty or session.deleted)
    if request.method in SAFE_METHODS and quiet:
        _end(session, commit, close)
    else:
        await run_in_threadpool(_end, session, commit, close)


DbSession = Annotated[Session, Depends(committed_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _presented(request: Request) -> tuple[str, bool] | None:
    """(secret, session_only) the caller presents: a bearer token first, else the session cookie."""
    secret = _bearer(request)
    if secret:
        return secret, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else None


def _checked(request: Request, found: Authenticated, session_only: bool) -> Principal:
    if not session_only:
        if request.method not in SAFE_METHODS and not found.may_write:
            raise PermissionDenied("this token is read-only", zh="此令牌为只读令牌，不能修改数据；请使用带写权限的令牌")
        return found.principal
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise PermissionDenied("missing or wrong CSRF token", zh="页面校验码（CSRF）缺失或不符，请刷新页面后重试")
    return found.principal


def resolve_principal(request: Request, session: Session) -> Principal | None:
    """The caller from a bearer token or session cookie; None when anonymous (blocking: use in a route)."""
    presented = _presented(request)
    if presented is None:
        return None
    secret, session_only = presented
    resolve: CallerResolver = request.app.state.resolve_caller
    return _checked(request, resolve(session, secret, session_only), session_only)


async def _principal(request: Request, session: Session) -> Principal | None:
    """:func:`resolve_principal` for dependencies: from the cache in the event loop, else in a worker thread."""
    presented = _presented(request)
    if presented is None:
        return None
    secret, session_only = presented
    cached: CachedCaller | None = getattr(request.app.state, "cached_caller", None)
    found = cached(session, secret, session_only) if cached is not None else None
    if found is None:
        resolve: CallerResolver = request.app.state.resolve_caller
        found = await run_in_threadpool(resolve, session, secret, session_only)
    return _checked(request, found, session_only)


RequestSession = Annotated[Session, Depends(get_session)]


async def current_principal(request: Request, session: RequestSession) -> Principal:
    principal = await _principal(request, session)
    if principal is None:
        raise AuthenticationFailed(
            "login required: send 'Authorization: Bearer <token>'",
            zh="请先登录：请求须带 Authorization: Bearer <令牌>",
        )
    return principal


async def optional_principal(request: Request, session: RequestSession) -> Principal:
    return await _principal(request, session) or PUBLIC


Caller = Annotated[Principal, Depends(current_principal)]
MaybeCaller = Annotated[Principal, Depends(optional_principal)]


#: The largest row id and offset a request may name: the store's ids are 32-bit integers (PostgreSQL
#: ``integer``), and a bigger number could only fail in the database (or overflow SQLite's 64 bits).
MAX_ID = 2**31 - 1
#: A row id in a path (``/reports/{report_id}``): 1 … MAX_ID, else 422 before any query runs.
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="row id")]
#: An optional row id in the query string (a filter such as ``?catalog_id=``).
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="row id")]
#: A calendar year in the query string (required, or an optional filter).
Year = Annotated[int, Query(ge=1, le=9999, description="year, e.g. 2024")]
YearFilter = Annotated[int | None, Query(ge=1, le=9999, description="year, e.g. 2024")]


@dataclass(frozen=True)
class PageRequest:
    """The page a list request asks for: ``limit`` rows after skipping ``offset``."""

    limit: int
    offset: int


async def page_params(  # async: it only parses the query, so no worker thread
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit, offset)


Paging = Annotated[PageRequest, Depends(page_params)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """The list envelope every list endpoint returns: one page of ``items`` and the ``total`` that match."""

    items: list[T]
    total: int = Field(description="rows matching the filters, over all pages")
    limit: int = Field(description="page size asked for")
    offset: int = Field(description="rows skipped")

    @classmethod
    def of(cls, items: Sequence[T], total: int, page: PageRequest) -> Page[T]:
        return cls(items=list(items), total=total, limit=page.limit, offset=page.offset)


def typed_json(result: BaseModel) -> Response:
    """A route's typed result serialised once, by pydantic, as the response: FastAPI does not validate and
    encode a returned ``Response`` again (keep ``response_model`` on the route for the OpenAPI schema), which
    for a plain ``def`` route also saves the second worker-thread hop that validation costs."""
    return Response(result.model_dump_json(), media_type="application/json")


def page_response(items: list[dict[str, object]], total: int, page: PageRequest) -> dict[str, object]:
    """The list envelope as a plain dict, for routes whose items are not typed yet."""
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


def set_session_cookies(response: Response, secret: str) -> None:
    """Set the browser session cookie (HttpOnly) and the CSRF cookie (readable by the page), both SameSite=Strict."""
    settings = security_settings()
    max_age = settings.session_hours * 3600
    common = {"max_age": max_age, "path": "/", "samesite": "strict", "secure": settings.secure_cookies}
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), httponly=False, **common)  # type: ignore[arg-type]


def reference_of(request: Request) -> ReferenceSet:
    """The reference tables of the app's data directory (shipped tables overlaid by imports)."""
    return load_reference(request.app.state.data_dir)


@contextmanager
def new_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction of its own, outside the request's (e.g. a failed login's counter must commit
    although the request answers 401): committed on leaving, rolled back on an exception.

    It writes, so on SQLite it takes the write lock at BEGIN (waiting within the lock budget): a login that
    read the user before another login committed could otherwise not write at all ("database is locked").
    """
    bind = factory.kw.get("bind")
    session = factory(bind=writing(bind)) if isinstance(bind, Engine) else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


#: Response header by which the app's error handler marks a 503 whose transaction lost a deadlock or a
#: serialization failure: :class:`RetryTransaction` runs such a request again; never sent to the client.
RETRY_MARK_HEADER = "x-dualcarbon-retry"


class RetryTransaction:
    """ASGI middleware: run a request again when its transaction lost a PostgreSQL deadlock or serialization
    failure (the error handler answered 503 with :data:`RETRY_MARK_HEADER`): at most
    ``TRANSACTION_RETRIES`` more times and within the lock budget, else the 503 (with Retry-After) goes out.

    The transaction was rolled back, so a second run starts from nothing; the request body read by the first
    run is replayed. Nothing of a marked response is sent before the decision, so the client sees one answer.
    """

    def __init__(self, app: ASGIApp, *, retries: int = TRANSACTION_RETRIES) -> None:
        self.app = app
        self.retries = retries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + LOCK_WAIT_BUDGET_MS / 1000
        received: list[Message] = []

        async def recording() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.append(message)
            return message

        for attempt in range(self.retries + 1):
            last = attempt == self.retries or time.monotonic() >= deadline
            replay = list(received) if attempt else None
            if not await self._attempt(scope, recording, send, replay=replay, last=last):
                return
            await anyio.sleep(0.02 * (attempt + 1) * (1 + secrets.randbelow(100) / 100))  # apart from the winner

    async def _attempt(
        self, scope: Scope, receive: Receive, send: Send, *, replay: list[Message] | None, last: bool
    ) -> bool:
        """Run the request once (the body replayed when ``replay`` is given); True when it must run again."""
        retry = False

        async def receive_again() -> Message:
            return replay.pop(0) if replay else await receive()

        async def send_or_hold(message: Message) -> None:
            nonlocal retry
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if RETRY_MARK_HEADER in headers:
                    del headers[RETRY_MARK_HEADER]
                    retry = not last
            if not retry:
                await send(message)

        await self.app(scope, receive_again if replay is not None else receive, send_or_hold)
        return retry
