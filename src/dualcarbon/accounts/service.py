"""Self-service on top of ``auth``: who am I, my API tokens (list, create, revoke); agency assignment.

Owns the token scope vocabulary (``read``, ``write``) and the account summary the API's ``/auth/me`` and
the web UI show. Passwords, lockout and token storage stay in :mod:`dualcarbon.accounts.service_auth`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts import service_auth as auth
from dualcarbon.accounts.models import ApiToken, RoleAssignment, User
from dualcarbon.accounts.schemas import AccountSummary, AgencyEnterprise, RoleGrant, TokenItem, UserOut, UserRole
from dualcarbon.accounts.service_auth import SESSION_SCOPE, hash_secret, issue_token, revoke_token
from dualcarbon.core.access import ROLE_LABELS_ZH, Principal, require_role
from dualcarbon.core.errors import AuthenticationFailed, InvalidInput, NotFound
from dualcarbon.core.localtime import iso_or_none
from dualcarbon.registry.models import Enterprise, Region

TOKEN_SCOPES = ("read", "write")
MAX_TOKEN_DAYS = 3650


def normalise_scopes(scopes: str | list[str] | None) -> str:
    """``"write read"`` → ``"read write"``; refuses unknown or empty scopes."""
    words = scopes.split() if isinstance(scopes, str) else list(scopes or ["read", "write"])
    unknown = sorted(set(words) - set(TOKEN_SCOPES))
    if unknown or not words:
        raise InvalidInput(
            f"scopes must be a subset of: {' '.join(TOKEN_SCOPES)} (got '{' '.join(words)}')",
            field="scopes",
            zh="令牌权限范围只能是 read（读取）、write（修改）或两者",
        )
    return " ".join(scope for scope in TOKEN_SCOPES if scope in words)


def account_summary(session: Session, principal: Principal) -> AccountSummary:
    """Username, display name, language, roles with their scopes (names resolved), agency enterprises."""
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    region_codes = {g.region_code for g in principal.grants if g.region_code}
    enterprise_ids = {g.enterprise_id for g in principal.grants if g.enterprise_id is not None}
    enterprise_ids |= set(principal.agency_enterprise_ids)
    regions: dict[str, str] = {}
    if region_codes:
        query = select(Region.code, Region.name).where(Region.code.in_(sorted(region_codes)))
        regions = {code: name for code, name in session.execute(query).all()}
    enterprises = (
        {
            row.id: (row.credit_code, row.name)
            for row in session.execute(
                select(Enterprise.id, Enterprise.credit_code, Enterprise.name).where(
                    Enterprise.id.in_(sorted(enterprise_ids))
                )
            )
        }
        if enterprise_ids
        else {}
    )
    roles = []
    for grant in principal.grants:
        credit_code, name = enterprises.get(grant.enterprise_id, (None, None)) if grant.enterprise_id else (None, None)
        roles.append(
            RoleGrant(
                role=grant.role,
                role_label=ROLE_LABELS_ZH.get(grant.role, grant.role),
                region_code=grant.region_code,
                region_name=regions.get(grant.region_code or ""),
                enterprise_credit_code=credit_code,
                enterprise_name=name,
            )
        )
    agency = [
        AgencyEnterprise(credit_code=enterprises[i][0], name=enterprises[i][1])
        for i in sorted(principal.agency_enterprise_ids)
        if i in enterprises
    ]
    return AccountSummary(
        username=principal.username,
        display_name=user.display_name if user else principal.username,
        language=principal.language,
        roles=roles,
        agency_enterprises=agency,
    )


def token_item(token: ApiToken) -> TokenItem:
    """A token as shown to its owner: never the secret, only its first characters."""
    return TokenItem(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=token.scopes,
        created_at=iso_or_none(token.created_at),
        expires_at=iso_or_none(token.expires_at),
        revoked_at=iso_or_none(token.revoked_at),
        last_used_at=iso_or_none(token.last_used_at),
    )


def user_item(user: User, assignments: list[RoleAssignment]) -> UserOut:
    """A user account and its roles as the administrator sees them."""
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        disabled=user.disabled,
        language=user.language,
        locked_until=iso_or_none(user.locked_until),
        roles=[
            UserRole(
                role=a.role,
                role_label=ROLE_LABELS_ZH.get(a.role, a.role),
                region_code=a.region_code,
                enterprise_id=a.enterprise_id,
            )
            for a in assignments
        ],
    )


def list_tokens(session: Session, actor: Principal, *, username: str | None = None) -> list[ApiToken]:
    """The API tokens (not browser sessions) of the actor, or of ``username`` for an admin."""
    user = _target_user(session, actor, username)
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.scopes != SESSION_SCOPE).order_by(ApiToken.id)
        )
    )


def create_token(
    session: Session,
    actor: Principal,
    *,
    name: str,
    scopes: str | list[str] | None = None,
    username: str | None = None,
    lifetime_days: int | None = None,
) -> tuple[str, ApiToken]:
    """A new bearer token for the actor (or for ``username``, admin only): (secret shown once, token)."""
    label = (name or "").strip()
    if not label or len(label) > 100:
        raise InvalidInput("token name must have 1–100 characters", field="name", zh="令牌名称须为1–100个字符")
    if lifetime_days is not None and not 1 <= lifetime_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"lifetime must be 1–{MAX_TOKEN_DAYS} days", field="lifetime_days", zh=f"有效期须为1–{MAX_TOKEN_DAYS}天"
        )
    user = _target_user(session, actor, username)
    if user.disabled:
        raise InvalidInput(f"user '{user.username}' is disabled", field="username", zh=f"用户 {user.username} 已停用")
    lifetime = timedelta(days=lifetime_days) if lifetime_days else None
    secret = issue_token(session, user, name=label, scopes=normalise_scopes(scopes), lifetime=lifetime)
    return secret, _token_of(session, secret)


def start_browser_session(session: Session, user: User) -> tuple[str, ApiToken]:
    """A browser session for an authenticated user: (secret for the cookie, its token row)."""
    secret = issue_token(session, user, name="browser session", scopes=SESSION_SCOPE)
    return secret, _token_of(session, secret)


def _token_of(session: Session, secret: str) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None:  # issue_token flushed it in this transaction
        raise RuntimeError("issued token not found")
    return token


def revoke(session: Session, actor: Principal, token_id: int) -> None:
    """Revoke one of the actor's tokens (an admin may revoke anyone's)."""
    revoke_token(session, actor, token_id)


def assign_agency(session: Session, actor: Principal, username: str, credit_code: str) -> None:
    """Let agency user ``username`` file for ``credit_code`` (see ``service_auth.assign_agency``)."""
    auth.assign_agency(session, actor, username, credit_code)


def _target_user(session: Session, actor: Principal, username: str | None) -> User:
    if username is not None and username != actor.username:
        require_role(actor, "admin")
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"user '{username}' not found", zh=f"未找到用户 {username}")
        return user
    if actor.user_id is None:
        raise AuthenticationFailed(
            "this principal has no user account; name a user", zh="当前身份没有用户账号，请指定用户"
        )
    user = session.get(User, actor.user_id)
    if user is None:
        raise AuthenticationFailed("user account no longer exists", zh="该用户账号已不存在")
    return user
