"""Who may see and change what: the principal, its roles, and scope checks and filters.

Roles (a user may hold several assignments):

* ``admin``      — everything.
* ``regulator``  — read/write within a region subtree (province ⊃ city ⊃ district); reviews reports,
                   generates and publishes catalogs for regions inside that subtree.
* ``reviewer``   — expert: reads within a region subtree (or everywhere when no region), reviews appeals.
* ``enterprise`` — own enterprise only.
* ``agency``     — enterprises assigned to it (节能诊断/审计机构).
* ``public``     — published lists only.

Every service call passes a :class:`Principal` and uses :func:`enterprise_filter` for lists and
:func:`require_enterprise` / :func:`require_region` for single objects. Out-of-scope objects are reported
as *not found* (404), so probing ids reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import NotFound, PermissionDenied
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree


def enterprise_filter(principal: Principal, *, write: bool = False) -> ColumnElement[bool]:
    """SQL condition on ``Enterprise`` rows the principal may read (or write when ``write``).

    Built once per scope (grants and agency assignments) and reused: the condition is an immutable SQL
    expression, and building its subqueries on every request was a measurable part of a read."""
    return _scope_filter(tuple(principal.grants), frozenset(principal.agency_enterprise_ids), write)


@lru_cache(maxsize=1024)
def _scope_filter(grants: tuple[Grant, ...], agency_ids: frozenset[int], write: bool) -> ColumnElement[bool]:
    principal = Principal(user_id=None, username="", grants=grants, agency_enterprise_ids=agency_ids)
    if principal.is_admin:
        return true()
    roles = ("regulator",) if write else ("regulator", "reviewer")
    conditions: list[ColumnElement[bool]] = [
        in_region_subtree(Enterprise.region_code, root)  # type: ignore[arg-type]
        for root in principal.region_roots(*roles)
    ]
    if not write and principal.is_unscoped_reviewer():
        return true()
    ids = principal.enterprise_ids()
    if ids:
        conditions.append(Enterprise.id.in_(sorted(ids)))
    return or_(*conditions) if conditions else false()


def can_access_enterprise(
    session: Session, principal: Principal, enterprise: Enterprise, *, write: bool = False
) -> bool:
    if principal.is_admin:
        return True
    query = select(Enterprise.id).where(Enterprise.id == enterprise.id, enterprise_filter(principal, write=write))
    return session.scalar(query) is not None


def require_enterprise(session: Session, principal: Principal, credit_code: str, *, write: bool = False) -> Enterprise:
    """The enterprise with ``credit_code`` if the principal may read (write) it; else NotFound/Denied.

    Reading outside scope → NotFound (existence is not revealed). Writing to an enterprise the principal
    can read but not write (e.g. a reviewer) → PermissionDenied.
    """
    enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == credit_code.strip().upper()))
    if enterprise is None or not can_access_enterprise(session, principal, enterprise):
        raise NotFound(f"enterprise {credit_code} not found", zh="未找到该企业，或不在您的管辖范围内")
    if write and not can_write_enterprise_data(session, principal, enterprise):
        raise PermissionDenied(
            f"your role may not change enterprise {credit_code}", zh="您的角色只能查看该企业，不能修改其信息"
        )
    return enterprise


def can_write_enterprise_data(session: Session, principal: Principal, enterprise: Enterprise) -> bool:
    """Enterprise users and agencies write their own enterprises' data; regulators within their subtree."""
    if principal.is_admin or enterprise.id in principal.enterprise_ids():
        return True
    return can_access_enterprise(session, principal, enterprise, write=True)


def region_in_scope(
    session: Session, principal: Principal, region_code: str, *, roles: Iterable[str] = ("regulator",)
) -> bool:
    """True when ``region_code`` lies inside a subtree the principal's ``roles`` cover."""
    if principal.is_admin:
        return True
    region = session.get(Region, region_code)
    if region is None:
        return False
    for root in principal.region_roots(*roles):
        root_region = session.get(Region, root)
        if root_region and (region.path == root_region.path or region.path.startswith(root_region.path + "/")):
            return True
    return False


def require_region(
    session: Session, principal: Principal, region_code: str, *, roles: Iterable[str] = ("regulator",)
) -> Region:
    """The region if the principal's roles cover it; NotFound otherwise."""
    region = session.get(Region, region_code)
    if region is None or not region_in_scope(session, principal, region_code, roles=roles):
        raise NotFound(f"region {region_code} not found", zh="未找到该地区，或不在您的管辖范围内")
    return region
