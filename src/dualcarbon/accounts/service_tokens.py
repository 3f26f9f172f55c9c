"""Bearer tokens and browser sessions: issue, resolve, touch, revoke, end.

Secrets are random 32 bytes shown once; only their SHA-256 is stored, with an 8-character prefix for display.
Tokens are scoped (``read``/``write``) and expire; a browser session is a token with the ``session`` scope.
``last_used_at`` is written at most once per interval, after the request's own transaction (:func:`_touch_token`).
Creating and revoking a token is audit-logged. Turning a secret into a principal is
:func:`dualcarbon.accounts.service_auth.authenticate_secret`.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, event, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import ApiToken, User
from dualcarbon.accounts.service_principal_cache import hash_secret
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import AuthenticationFailed, Conflict, NotFound
from dualcarbon.core.settings import security_settings
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

SESSION_SCOPE = "session"
_INVALID_TOKEN_ZH = "登录凭据无效或已过期，请重新登录"


def issue_token(
    session: Session, user: User, *, name: str, scopes: str = "read write", lifetime: timedelta | None = None
) -> str:
    """A new random secret for ``user``; stored hashed. Returns the secret (shown once)."""
    secret = "dc_" + secrets.token_urlsafe(32)
    settings = security_settings()
    if lifetime is None:
        lifetime = (
            timedelta(hours=settings.session_hours) if scopes == SESSION_SCOPE else timedelta(days=settings.token_days)
        )
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:8],
        scopes=scopes,
        expires_at=utcnow() + lifetime,
    )
    session.add(token)
    session.flush()
    if scopes != SESSION_SCOPE:
        append_audit(
            session,
            user.username,
            "token.create",
            "api_token",
            str(token.id),
            None,
            {"name": name, "scopes": scopes, "prefix": token.prefix},
        )
    return secret


def resolve_token(session: Session, secret: str, *, session_only: bool = False) -> tuple[User, ApiToken]:
    """The user and token for a presented secret; AuthenticationFailed when unknown/revoked/expired."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret.strip())))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        raise AuthenticationFailed("invalid or expired token", zh=_INVALID_TOKEN_ZH)
    if session_only and token.scopes != SESSION_SCOPE:
        raise AuthenticationFailed("not a browser session", zh="这不是浏览器登录会话，请重新登录")
    user = session.get(User, token.user_id)
    if user is None or user.disabled:
        raise AuthenticationFailed("invalid or expired token", zh=_INVALID_TOKEN_ZH)
    if token.last_used_at is None or (now - token.last_used_at) > TOUCH_INTERVAL:
        _touch_token(session, token.id, now)
    return user, token


TOUCH_INTERVAL = timedelta(minutes=5)
_touched: dict[int, float] = {}
_touch_lock = threading.Lock()


def _touch_token(session: Session, token_id: int, now: datetime) -> None:
    """Record ``last_used_at`` at most once per interval per token and process, after the request's
    transaction commits, best effort. Writing it inside every request made a burst of requests with one token all
    write the same row: on SQLite most failed with "database is locked", on PostgreSQL they queued on the
    row lock while holding pool connections (docs/benchmarks.md, Platform)."""
    with _touch_lock:
        last = _touched.get(token_id)
        if last is not None and time.monotonic() - last < TOUCH_INTERVAL.total_seconds():
            return
        _touched[token_id] = time.monotonic()
    bind = session.get_bind()
    statement = (
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_INTERVAL))
        .values(last_used_at=now)
    )
    if not isinstance(bind, Engine):  # a session bound to one connection (tests): stay in its transaction
        session.execute(statement)
        return
    engine = bind
    session.info["dualcarbon.writes"] = True  # ui.api.WRITES_KEY: end this request's transaction off the event loop

    def write_after_commit(_: Session) -> None:
        # After the request's own transaction: writing earlier would, on SQLite, stop that transaction from
        # upgrading to a write (its snapshot would be older than this commit).
        try:
            with engine.begin() as connection:
                connection.execute(statement)
        except DBAPIError:
            pass  # the next use retries; a missed timestamp is harmless

    event.listen(session, "after_commit", write_after_commit, once=True)


def revoke_token(session: Session, actor: Principal, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"token {token_id} not found", zh="未找到该令牌，或您无权管理")
    if token.revoked_at is not None:
        raise Conflict(f"token {token_id} is already revoked", zh="该令牌已经撤销")
    claim_row(session, token, what=f"token {token_id}")  # one winner when two revocations run at once
    token.revoked_at = utcnow()
    append_audit(
        session,
        actor.username,
        "token.revoke",
        "api_token",
        str(token.id),
        None,
        {"revoked_at": token.revoked_at.isoformat()},
    )


def end_session(session: Session, secret: str) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret.strip())))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
