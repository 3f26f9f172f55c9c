"""Request plumbing shared by every route: the database session, the caller, pagination.

Authentication: ``Authorization: Bearer <token>`` for machine clients, or the ``dc_session`` cookie set
by the browser login (HttpOnly, SameSite=Strict, so other sites cannot ride on it — the CSRF defence;
state-changing browser requests must also carry the ``X-CSRF-Token`` header equal to the ``dc_csrf``
cookie when they come with the session cookie).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session

from dualcarbon.errors import AuthenticationFailed, PermissionDenied
from dualcarbon.services.access import PUBLIC, Principal
from dualcarbon.services.auth import SESSION_SCOPE, principal_for, resolve_token
from dualcarbon.settings import security_settings

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
    secret = _bearer(request)
    if secret:
        user, token = resolve_token(session, secret)
        if request.method not in SAFE_METHODS and "write" not in token.scopes.split() and token.scopes != SESSION_SCOPE:
            raise PermissionDenied("this token is read-only")
        return principal_for(session, user)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user, _ = resolve_token(session, cookie, session_only=True)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            expected = request.cookies.get(CSRF_COOKIE, "")
            if not expected or not hmac.compare_digest(sent, expected):
                raise PermissionDenied("missing or wrong CSRF token")
        return principal_for(session, user)
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
class Page:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> Page:
    return Page(limit, offset)


Paging = Annotated[Page, Depends(page_params)]


def page_response(items: list[dict[str, object]], total: int, page: Page) -> dict[str, object]:
    """The list envelope every list endpoint returns."""
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


def set_session_cookies(response: Response, secret: str) -> None:
    """Set the browser session cookie (HttpOnly) and the CSRF cookie (readable by the page), both SameSite=Strict."""
    settings = security_settings()
    max_age = settings.session_hours * 3600
    common = {"max_age": max_age, "path": "/", "samesite": "strict", "secure": settings.secure_cookies}
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), httponly=False, **common)  # type: ignore[arg-type]
