"""Request plumbing shared by every route: the database session, the caller, pagination.

Authentication: ``Authorization: Bearer <token>`` for machine clients, or the ``dc_session`` cookie set
by the browser login (HttpOnly, SameSite=Strict, so other sites cannot ride on it — the CSRF defence;
state-changing browser requests must also carry the ``X-CSRF-Token`` header equal to the ``dc_csrf``
cookie when they come with the session cookie).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.core.access import PUBLIC, Authenticated, Principal
from dualcarbon.core.errors import AuthenticationFailed, PermissionDenied
from dualcarbon.core.settings import security_settings
from dualcarbon.reference import ReferenceSet, load_reference

API_PREFIX = "/api/v1"

#: ``app.state.resolve_caller(session, secret, session_only)``: installed by the app from the accounts subject.
CallerResolver = Callable[[Session, str, bool], Authenticated]
SESSION_COOKIE = "dc_session"
CSRF_COOKIE = "dc_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back when it raises."""
    factory = request.app.state.session_factory
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def resolve_principal(request: Request, session: Session) -> Principal | None:
    """The caller from a bearer token or session cookie; None when anonymous."""
    resolve: CallerResolver = request.app.state.resolve_caller
    secret = _bearer(request)
    if secret:
        found = resolve(session, secret, False)
        if request.method not in SAFE_METHODS and not found.may_write:
            raise PermissionDenied("this token is read-only")
        return found.principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = resolve(session, cookie, True)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            expected = request.cookies.get(CSRF_COOKIE, "")
            if not expected or not hmac.compare_digest(sent, expected):
                raise PermissionDenied("missing or wrong CSRF token")
        return found.principal
    return None


def current_principal(request: Request, session: DbSession) -> Principal:
    principal = resolve_principal(request, session)
    if principal is None:
        raise AuthenticationFailed("login required: send 'Authorization: Bearer <token>'")
    return principal


def optional_principal(request: Request, session: DbSession) -> Principal:
    return resolve_principal(request, session) or PUBLIC


Caller = Annotated[Principal, Depends(current_principal)]
MaybeCaller = Annotated[Principal, Depends(optional_principal)]


@dataclass(frozen=True)
class PageRequest:
    """The page a list request asks for: ``limit`` rows after skipping ``offset``."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
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
    although the request answers 401): committed on leaving, rolled back on an exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
