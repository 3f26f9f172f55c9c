"""Users, passwords, lockout, bearer tokens and browser sessions.

* Passwords are hashed with argon2id (argon2-cffi); only the hash is stored.
* Bearer tokens and session ids are random 32-byte secrets shown once; only their SHA-256 is stored, with
  an 8-character prefix for display. Tokens are scoped (``read``/``write``), expire, and can be revoked.
* After ``max_failed_logins`` consecutive failures an account is locked for ``lockout_minutes``.
* A resolved secret is reused for ``principal_cache_seconds`` (default 5) by the process that resolved it
  (:class:`PrincipalCache`): the token, user and role lookups are a third of a cheap read's time.
Every change is audit-logged.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, event, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.accounts.service_principal_cache import database_of, principal_cache
from dualcarbon.accounts.service_principal_cache import hash_secret as hash_secret  # tokens are stored by this hash
from dualcarbon.core.access import Authenticated, Grant, Principal, require_role
from dualcarbon.core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from dualcarbon.core.settings import security_settings
from dualcarbon.core.vocab import ROLES
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import reading
from dualcarbon.store.versioning import claim_row

_hasher = PasswordHasher()
SESSION_SCOPE = "session"
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")
    return _hasher.hash(password)


# ---- principals -----------------------------------------------------------------------------------
def principal_for(session: Session, user: User) -> Principal:
    grants = tuple(
        Grant(a.role, a.region_code, a.enterprise_id)
        for a in session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
    )
    agency = frozenset(
        session.scalars(select(AgencyAssignment.enterprise_id).where(AgencyAssignment.user_id == user.id))
    )
    return Principal(user.id, user.username, grants, agency, user.language or "zh")


# ---- users ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    role: str
    display_name: str | None = None
    region_code: str | None = None
    enterprise_credit_code: str | None = None
    language: str = "zh"


def create_user(session: Session, actor: Principal, spec: NewUser) -> User:
    """Create a user with one role assignment. Admin only (the first admin is created by ``SYSTEM``)."""
    require_role(actor, "admin")
    username = spec.username.strip()
    if not username or len(username) > 64:
        raise InvalidInput("username must be 1–64 characters", field="username")
    if spec.role not in ROLES:
        raise InvalidInput(f"unknown role '{spec.role}' (one of {', '.join(ROLES)})", field="role")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' already exists", field="username")
    enterprise_id = None
    if spec.role in ("regulator",) and not spec.region_code:
        raise InvalidInput("a regulator needs --region", field="region_code")
    if spec.region_code and session.get(Region, spec.region_code) is None:
        raise InvalidInput(f"unknown region {spec.region_code}", field="region_code")
    if spec.role == "enterprise":
        if not spec.enterprise_credit_code:
            raise InvalidInput("an enterprise user needs --enterprise CREDIT_CODE", field="enterprise")
        enterprise = session.scalar(
            select(Enterprise).where(Enterprise.credit_code == spec.enterprise_credit_code.strip().upper())
        )
        if enterprise is None:
            raise InvalidInput(f"unknown enterprise {spec.enterprise_credit_code}", field="enterprise")
        enterprise_id = enterprise.id
    user = User(
        username=username,
        display_name=spec.display_name or username,
        password_hash=hash_password(spec.password),
        disabled=False,
        failed_logins=0,
        language=spec.language,
    )
    session.add(user)
    session.flush()
    session.add(
        RoleAssignment(user_id=user.id, role=spec.role, region_code=spec.region_code, enterprise_id=enterprise_id)
    )
    session.flush()
    append_audit(
        session,
        actor.username,
        "user.create",
        "user",
        str(user.id),
        None,
        {
            "username": username,
            "role": spec.role,
            "region_code": spec.region_code,
            "enterprise_id": enterprise_id,
        },
    )
    return user


def assign_agency(session: Session, actor: Principal, username: str, credit_code: str) -> None:
    """Let agency user ``username`` file for ``credit_code`` (admin, or a regulator over that enterprise).

    The enterprise must be in the actor's write scope (404 otherwise), the user must hold the agency role,
    and an existing assignment is a Conflict.
    """
    from dualcarbon.registry.service_access import require_enterprise

    require_role(actor, "regulator")
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    user = _user(session, username)
    roles = set(session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)))
    if "agency" not in roles:
        raise InvalidInput(f"user '{username}' is not a service agency (role agency)", field="username")
    taken = select(AgencyAssignment.id).where(
        AgencyAssignment.user_id == user.id, AgencyAssignment.enterprise_id == enterprise.id
    )
    if session.scalar(taken) is not None:
        raise Conflict(f"'{username}' is already assigned to {enterprise.credit_code}")
    session.add(AgencyAssignment(user_id=user.id, enterprise_id=enterprise.id))
    append_audit(session, actor.username, "agency.assign", "user", str(user.id), None, {"enterprise_id": enterprise.id})


def list_users(session: Session, actor: Principal) -> list[tuple[User, list[RoleAssignment]]]:
    require_role(actor, "admin")
    users = list(session.scalars(select(User).order_by(User.username)))
    return [(u, list(session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == u.id)))) for u in users]


def set_disabled(session: Session, actor: Principal, username: str, disabled: bool = True) -> None:
    """Disable (and revoke every token of) or enable a user; Conflict when it already is so, or when another
    transaction changed the user meanwhile (one winner: :func:`dualcarbon.store.versioning.claim_row`)."""
    require_role(actor, "admin")
    user = _user(session, username)
    if user.disabled == disabled:
        raise Conflict(f"user '{username}' is already {'disabled' if disabled else 'enabled'}", field="disabled")
    claim_row(session, user, what=f"user '{username}'")
    before = {"disabled": user.disabled}
    user.disabled = disabled
    if disabled:
        for token in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            token.revoked_at = utcnow()
    append_audit(
        session,
        actor.username,
        "user.disable" if disabled else "user.enable",
        "user",
        str(user.id),
        before,
        {"disabled": disabled},
    )


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user '{username}' not found")
    return user


# ---- login ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _LoginFacts:
    """What a login reads before the password check: the user as stored at that moment."""

    user_id: int
    password_hash: str | None
    disabled: bool
    locked_until: datetime | None


def _login_facts(session: Session, username: str) -> _LoginFacts | None:
    """The user's stored facts, read *outside* the login's write transaction when it has not begun yet.

    The argon2 check that follows is slow by design; on SQLite a writing session holds the database write
    lock from its first statement, so reading through it would keep every other writer waiting for the
    whole hash (simultaneous logins ran past the lock budget: 503). A short deferred read takes no lock.
    """
    query = select(User.id, User.password_hash, User.disabled, User.locked_until).where(
        User.username == username.strip()
    )
    if session.in_transaction():  # already inside a transaction (its own uncommitted rows count): read there
        row = session.execute(query).first()
    else:
        bind = session.get_bind()
        with Session(bind=reading(bind) if isinstance(bind, Engine) else bind) as reader:
            row = reader.execute(query).first()
    return None if row is None else _LoginFacts(row[0], row[1], bool(row[2]), row[3])


def _refuse_if_barred(user: User | _LoginFacts, now: datetime) -> None:
    if user.disabled:
        raise AuthenticationFailed("account disabled")
    if user.locked_until is not None and user.locked_until > now:
        raise AuthenticationFailed("account locked after repeated failed logins; try again later")


def _password_matches(password_hash: str | None, password: str) -> bool:
    try:
        if password_hash is None:
            return False
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str, *, now: datetime | None = None) -> User:
    """Check a password; count failures and lock the account after too many. Commit-safe: the caller's
    transaction must be committed even when this raises, so the failure counter persists.

    The password is checked before ``session`` writes anything (see :func:`_login_facts`); then the user
    row is locked (``FOR UPDATE`` on PostgreSQL, the write lock on SQLite) and the outcome recorded on the
    row as it is now, so simultaneous failures are each counted and a lock set meanwhile is honoured.
    """
    settings = security_settings()
    now = now or utcnow()
    facts = _login_facts(session, username)
    if facts is None:
        _hasher_dummy_verify(password)
        raise AuthenticationFailed("wrong username or password")
    _refuse_if_barred(facts, now)
    matches = _password_matches(facts.password_hash, password)
    user = session.scalars(
        select(User).where(User.id == facts.user_id).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if user is None:
        raise AuthenticationFailed("wrong username or password")
    if user.password_hash != facts.password_hash:  # changed while checking: check against the stored one
        matches = _password_matches(user.password_hash, password)
    _refuse_if_barred(user, now)
    if not matches:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= settings.max_failed_logins:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            append_audit(
                session,
                "system",
                "user.lock",
                "user",
                str(user.id),
                None,
                {"locked_until": user.locked_until.isoformat()},
            )
        session.flush()
        raise AuthenticationFailed("wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    if user.password_hash is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _hasher_dummy_verify(password: str) -> None:
    # Spend the same time for unknown users as for wrong passwords (no user enumeration by timing).
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        pass


_DUMMY_HASH = _hasher.hash("not-a-real-password")


# ---- tokens and sessions -------------------------------------------------------------------------
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
        raise AuthenticationFailed("invalid or expired token")
    if session_only and token.scopes != SESSION_SCOPE:
        raise AuthenticationFailed("not a browser session")
    user = session.get(User, token.user_id)
    if user is None or user.disabled:
        raise AuthenticationFailed("invalid or expired token")
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
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is not None:
        raise Conflict(f"token {token_id} is already revoked")
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


def authenticate_secret(session: Session, secret: str, session_only: bool = False) -> Authenticated:
    """The caller behind a bearer token or session secret (``app.state.resolve_caller``).

    AuthenticationFailed when the secret is unknown, revoked or expired. ``may_write`` is false for a
    read-only token (scopes without ``write``); browser sessions may write. Served from
    :data:`principal_cache` when this process resolved the same secret within ``principal_cache_seconds``
    and no user, role, agency or token row changed since (in this process).
    """
    database = database_of(session)
    found = principal_cache.get(database, secret, session_only)
    if found is not None:
        return found
    generation = principal_cache.generation
    user, token = resolve_token(session, secret, session_only=session_only)
    scopes = token.scopes.split()
    authenticated = Authenticated(
        principal=principal_for(session, user),
        may_write="write" in scopes or token.scopes == SESSION_SCOPE,
        display_name=user.display_name or user.username,
        language=user.language,
    )
    principal_cache.put(database, secret, session_only, authenticated, token.expires_at, generation)
    return authenticated
