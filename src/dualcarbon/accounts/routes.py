"""``/api/v1/auth``: bearer tokens for machine clients, cookie sessions for browsers, own-token management.

* ``POST /token`` (JSON or form: username, password[, scope/scopes, name]) → ``{"access_token",
  "token_type": "bearer", "expires_at", "scopes"}``. Form posts follow the OAuth2 password flow, so the
  OpenAPI "Authorize" button works.
* ``POST /login`` sets ``dc_session`` (HttpOnly, SameSite=Strict) and ``dc_csrf`` (readable by scripts; send
  it back as ``X-CSRF-Token`` on every state-changing request); ``POST /logout`` ends the session.
* ``GET /me``; ``GET/POST /tokens``, ``DELETE /tokens/{id}`` (own tokens).

Logins run in their own transaction, committed even when the password is wrong: the failure counter and
the lock must persist although the request fails with 401.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dualcarbon.accounts import service as accounts
from dualcarbon.accounts.schemas import AccountSummary, BrowserLogin, NewTokenItem, TokenList
from dualcarbon.accounts.service_auth import WRONG_PASSWORD_ZH, authenticate, end_session, principal_for
from dualcarbon.core.errors import AuthenticationFailed, InvalidInput, PermissionDenied, validation_message_zh
from dualcarbon.ui.api import (
    API_PREFIX,
    CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    DbSession,
    Id,
    new_transaction,
    resolve_principal,
    set_session_cookies,
)

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])

_CREDENTIALS_SCHEMA = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string"},
        "password": {"type": "string", "format": "password"},
        "scopes": {"type": "string", "description": "space-separated: read, write (default both)"},
        "scope": {"type": "string", "description": "OAuth2 spelling of scopes (form posts)"},
        "name": {"type": "string", "description": "label of the token (default 'api')"},
    },
}
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _CREDENTIALS_SCHEMA},
            "application/x-www-form-urlencoded": {"schema": _CREDENTIALS_SCHEMA},
        },
    }
}


_CREDENTIAL_FIELDS_ZH = {
    "username": "用户名",
    "password": "密码",
    "scopes": "权限范围",
    "scope": "权限范围",
    "name": "令牌名称",
}


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    scopes: str | None = None
    scope: str | None = None
    name: str | None = Field(default=None, max_length=100)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None
    scopes: str


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: str | list[str] = "read write"
    lifetime_days: int | None = Field(default=None, ge=1, le=accounts.MAX_TOKEN_DAYS)


async def _credentials(request: Request) -> Credentials:
    """The credentials of a JSON or form body, validated."""
    content_type = request.headers.get("content-type", "")
    try:
        if "application/json" in content_type:
            data: Any = await request.json()
        else:
            data = dict(await request.form())
        return Credentials.model_validate(data)
    except json.JSONDecodeError:
        raise InvalidInput("body is not valid JSON", field="body", zh="请求内容不是有效的 JSON") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        zh = validation_message_zh(first, _CREDENTIAL_FIELDS_ZH.get(where))
        raise InvalidInput(first["msg"], field=where or None, zh=zh) from None


@dataclass(frozen=True)
class _Login:
    secret: str
    expires_at: datetime | None
    scopes: str
    account: AccountSummary


def _login(factory: sessionmaker[Session], credentials: Credentials, *, browser: bool) -> _Login:
    """Check the password and issue a token (or a browser session) in one committed transaction."""
    failure: AuthenticationFailed | None = None
    result: _Login | None = None
    with new_transaction(factory) as session:
        try:
            user = authenticate(session, credentials.username, credentials.password)
        except AuthenticationFailed as exc:
            failure = exc  # leave the block normally: the failure counter and lock are committed
        else:
            principal = principal_for(session, user)
            if browser:
                secret, token = accounts.start_browser_session(session, user)
            else:
                secret, token = accounts.create_token(
                    session, principal, name=credentials.name or "api", scopes=credentials.scopes or credentials.scope
                )
            result = _Login(secret, token.expires_at, token.scopes, accounts.account_summary(session, principal))
    if result is None:
        raise failure or AuthenticationFailed("wrong username or password", zh=WRONG_PASSWORD_ZH)
    return result


@router.post("/token", response_model=TokenOut, openapi_extra=_BODY_DOC, summary="Username and password → bearer token")
async def issue_bearer_token(request: Request) -> TokenOut:
    credentials = await _credentials(request)
    accounts.normalise_scopes(credentials.scopes or credentials.scope)  # refuse bad scopes before the password
    login = await run_in_threadpool(_login, request.app.state.session_factory, credentials, browser=False)
    return TokenOut(access_token=login.secret, expires_at=login.expires_at, scopes=login.scopes)


def _same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site (login CSRF)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


@router.post(
    "/login",
    response_model=BrowserLogin,
    openapi_extra=_BODY_DOC,
    summary="Browser login: sets the session and CSRF cookies",
)
async def browser_login(request: Request, response: Response) -> BrowserLogin:
    if not _same_origin(request):
        raise PermissionDenied("login from another site refused", zh="拒绝来自其他网站的登录请求")
    credentials = await _credentials(request)
    login = await run_in_threadpool(_login, request.app.state.session_factory, credentials, browser=True)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(_end_session, request.app.state.session_factory, old)
    set_session_cookies(response, login.secret)
    return BrowserLogin(**login.account.model_dump(), expires_at=login.expires_at)


def _end_session(factory: sessionmaker[Session], secret: str) -> None:
    with new_transaction(factory) as session:
        end_session(session, secret)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the browser session")
def browser_logout(request: Request, session: DbSession) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if cookie:
        try:
            resolve_principal(request, session)  # a live session must come with its CSRF header
        except AuthenticationFailed:
            pass  # already ended or expired: just clear the cookies
        else:
            end_session(session, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=AccountSummary, summary="The caller: username, roles with their scopes, language")
def me(caller: Caller, session: DbSession) -> AccountSummary:
    return accounts.account_summary(session, caller)


@router.get("/tokens", response_model=TokenList, summary="My API tokens (never their secrets)")
def my_tokens(caller: Caller, session: DbSession) -> TokenList:
    items = [accounts.token_item(t) for t in accounts.list_tokens(session, caller)]
    return TokenList(items=items, total=len(items))


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=NewTokenItem,
    summary="Create an API token (secret shown once)",
)
def create_my_token(body: NewToken, caller: Caller, session: DbSession) -> NewTokenItem:
    secret, token = accounts.create_token(
        session, caller, name=body.name, scopes=body.scopes, lifetime_days=body.lifetime_days
    )
    return NewTokenItem(**accounts.token_item(token).model_dump(), token=secret)


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke one of my tokens (an admin: anyone's)"
)
def revoke_my_token(token_id: Id, caller: Caller, session: DbSession) -> Response:
    accounts.revoke(session, caller, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
