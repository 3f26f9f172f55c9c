"""The experts a regulator may hand an appeal to: active reviewers whose scope covers the catalog's region.

The same rule :func:`dualcarbon.catalog.service_appeals.assign_expert` enforces, as a list to choose from, so
the assign step of the appeal page is a choice, never a typed user name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import RoleAssignment, User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.service import require_catalog
from dualcarbon.catalog.service_appeals import get_appeal
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import NotFound
from dualcarbon.registry.service_access import region_in_scope


@dataclass(frozen=True)
class ExpertChoice:
    """One reviewer an appeal can be assigned to: the user name the service takes, and the name people read."""

    username: str
    display_name: str


def assignable_experts(session: Session, actor: Principal, appeal_id: int) -> list[ExpertChoice]:
    """Active reviewers covering the region of the appeal's catalog, by display name; only for a regulator who
    may assign it (``PermissionDenied``/``NotFound`` otherwise, as for the assignment itself)."""
    appeal = get_appeal(session, actor, appeal_id)
    require_role(actor, "regulator")
    entry = session.get(CatalogEntry, appeal.entry_id)
    if entry is None:
        raise NotFound(f"appeal {appeal_id} not found", zh="未找到该申辩，或您无权查看")
    require_catalog(session, actor, entry.catalog_id, write=True)
    catalog = session.get(Catalog, entry.catalog_id)
    if catalog is None:
        raise NotFound(f"appeal {appeal_id} not found", zh="未找到该申辩，或您无权查看")
    users = session.scalars(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == "reviewer", User.disabled.is_(False))
        .distinct()
        .order_by(User.display_name, User.username)
    ).all()
    choices = []
    for user in users:
        candidate = principal_for(session, user)
        if candidate.is_unscoped_reviewer() or region_in_scope(
            session, candidate, catalog.region_code, roles=("reviewer",)
        ):
            choices.append(ExpertChoice(user.username, user.display_name or user.username))
    return choices
