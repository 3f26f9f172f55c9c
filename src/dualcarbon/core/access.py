"""Who is acting and which roles they hold: the principal, its grants and the role rules.

Roles (a user may hold several assignments):

* ``admin``      — everything.
* ``regulator``  — read/write within a region subtree (province ⊃ city ⊃ district); reviews reports,
                   generates and publishes catalogs for regions inside that subtree.
* ``reviewer``   — expert: reads within a region subtree (or everywhere when no region), reviews appeals.
* ``enterprise`` — own enterprise only.
* ``agency``     — enterprises assigned to it (节能诊断/审计机构).
* ``public``     — published lists only.

The scope checks that apply these rules to enterprises and regions live in
:mod:`dualcarbon.registry.service_access`; users, tokens and logins in :mod:`dualcarbon.accounts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dualcarbon.core.errors import PermissionDenied

ROLE_LABELS_ZH = {
    "admin": "系统管理员",
    "regulator": "监管部门",
    "reviewer": "评审专家",
    "enterprise": "企业用户",
    "agency": "服务机构",
    "public": "公众",
}


@dataclass(frozen=True)
class Grant:
    """One role assignment: the role and its scope (a region subtree or one enterprise)."""

    role: str
    region_code: str | None = None
    enterprise_id: int | None = None


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a service."""

    user_id: int | None
    username: str
    grants: tuple[Grant, ...] = ()
    agency_enterprise_ids: frozenset[int] = field(default_factory=frozenset)
    language: str = "zh"

    # ---- role predicates --------------------------------------------------------------------------
    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")

    def region_roots(self, *roles: str) -> list[str]:
        """Region codes whose subtrees the given roles cover."""
        return [g.region_code for g in self.grants if g.role in roles and g.region_code]

    def enterprise_ids(self) -> set[int]:
        """Enterprises covered one by one (enterprise role and agency assignments)."""
        own = {g.enterprise_id for g in self.grants if g.role == "enterprise" and g.enterprise_id is not None}
        return own | set(self.agency_enterprise_ids)

    def is_unscoped_reviewer(self) -> bool:
        return any(g.role == "reviewer" and not g.region_code for g in self.grants)


SYSTEM = Principal(user_id=None, username="system", grants=(Grant("admin"),))
PUBLIC = Principal(user_id=None, username="public", grants=(Grant("public"),))


def require_role(principal: Principal, *roles: str) -> None:
    """PermissionDenied unless the principal holds one of ``roles`` (admin always passes)."""
    if principal.is_admin or principal.has_role(*roles):
        return
    names = "/".join(roles)
    names_zh = "或".join(ROLE_LABELS_ZH.get(role, role) for role in roles)
    raise PermissionDenied(f"this action needs the role {names}", zh=f"此操作需要{names_zh}权限")


@dataclass(frozen=True)
class Authenticated:
    """What a presented secret (bearer token or browser session) resolves to.

    Produced by :func:`dualcarbon.accounts.service_auth.authenticate_secret`, which the app installs as
    ``app.state.resolve_caller`` so that the request plumbing in :mod:`dualcarbon.ui` needs no import of
    the accounts subject.
    """

    principal: Principal
    may_write: bool
    display_name: str
    language: str | None = None
