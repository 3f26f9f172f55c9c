"""Users, passwords, lockout, and turning a presented secret into a principal.

* Passwords are hashed with argon2id (argon2-cffi); only the hash is stored.
* Bearer tokens and session ids (issue, resolve, revoke) live in :mod:`dualcarbon.accounts.service_tokens`;
  their names are re-exported here for the callers that import them from this module.
* After ``max_failed_logins`` consecutive failures an account is locked for ``lockout_minutes``.
* A resolved secret is reused for ``principal_cache_seconds`` (default 5) by the process that resolved it
  (:class:`PrincipalCache`): the token, user and role lookups are a third of a cheap read's time.
Every change is audit-logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.accounts.service_principal_cache import database_of, principal_cache
from dualcarbon.accounts.service_principal_cache import hash_secret as hash_secret  # tokens are stored by this hash
from dualcarbon.accounts.service_tokens import SESSION_SCOPE as SESSION_SCOPE
from dualcarbon.accounts.service_tokens import TOUCH_INTERVAL as TOUCH_INTERVAL
from dualcarbon.accounts.service_tokens import end_session as end_session
from dualcarbon.accounts.service_tokens import issue_token as issue_token
from dualcarbon.accounts.service_tokens import resolve_token as resolve_token
from dualcarbon.accounts.service_tokens import revoke_token as revoke_token
from dualcarbon.core.access import ROLE_LABELS_ZH, Authenticated, Grant, Principal, require_role
from dualcarbon.core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from dualcarbon.core.settings import security_settings
from dualcarbon.core.vocab import ROLES
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import reading
from dualcarbon.store.versioning import claim_row

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
WRONG_PASSWORD_ZH = "用户名或密码错误"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            field="password",
            zh=f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
        )
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
        raise InvalidInput("username must be 1–64 characters", field="username", zh="用户名须为1–64个字符")
    if spec.role not in ROLES:
        raise InvalidInput(
            f"unknown role '{spec.role}' (one of {', '.join(ROLES)})",
            field="role",
            zh="角色只能是" + "、".join(ROLE_LABELS_ZH[role] for role in ROLES),
        )
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' already exists", field="username", zh=f"用户名 {username} 已被使用")
    enterprise_id = None
    if spec.role in ("regulator",) and not spec.region_code:
        raise InvalidInput("a regulator needs --region", field="region_code", zh="监管部门用户须指定所辖地区")
    if spec.region_code and session.get(Region, spec.region_code) is None:
        raise InvalidInput(
            f"unknown region {spec.region_code}",
            field="region_code",
            zh=f"行政区划代码 {spec.region_code} 不在地区目录中",
        )
    if spec.role == "enterprise":
        if not spec.enterprise_credit_code:
            raise InvalidInput(
                "an enterprise user needs --enterprise CREDIT_CODE",
                field="enterprise",
                zh="企业用户须指定所属企业的统一社会信用代码",
            )
        enterprise = session.scalar(
            select(Enterprise).where(Enterprise.credit_code == spec.enterprise_credit_code.strip().upper())
        )
        if enterprise is None:
            raise InvalidInput(
                f"unknown enterprise {spec.enterprise_credit_code}",
                field="enterprise",
                zh=f"未找到统一社会信用代码为 {spec.enterprise_credit_code} 的企业",
            )
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
        raise InvalidInput(
            f"user '{username}' is not a service agency (role agency)",
            field="username",
            zh=f"用户 {username} 不是服务机构用户",
        )
    taken = select(AgencyAssignment.id).where(
        AgencyAssignment.user_id == user.id, AgencyAssignment.enterprise_id == enterprise.id
    )
    if session.scalar(taken) is not None:
        raise Conflict(
            f"'{username}' is already assigned to {enterprise.credit_code}",
            zh=f"{username} 已经是{enterprise.name}的服务机构",
        )
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
        raise Conflict(
            f"user '{username}' is already {'disabled' if disabled else 'enabled'}",
            field="disabled",
            zh=f"用户 {username} 已经{'停用' if disabled else '启用'}",
        )
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
        raise NotFound(f"user '{username}' not found", zh=f"未找到用户 {username}")
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
        raise AuthenticationFailed("account disabled", zh="该账号已停用，请联系管理员")
    if user.locked_until is not None and user.locked_until > now:
        raise AuthenticationFailed(
            "account locked after repeated failed logins; try again later",
            zh="多次登录失败，账号已暂时锁定，请稍后再试",
        )


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
        raise AuthenticationFailed("wrong username or password", zh=WRONG_PASSWORD_ZH)
    _refuse_if_barred(facts, now)
    matches = _password_matches(facts.password_hash, password)
    user = session.scalars(
        select(User).where(User.id == facts.user_id).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if user is None:
        raise AuthenticationFailed("wrong username or password", zh=WRONG_PASSWORD_ZH)
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
        raise AuthenticationFailed("wrong username or password", zh=WRONG_PASSWORD_ZH)
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
