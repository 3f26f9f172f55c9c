"""Rows an enterprise owns in this subject (register lines, waste-heat points): load in scope, delete audited.

Both kinds hang off an enterprise by ``enterprise_id``; reading one follows ``registry.service_access``
(outside the caller's scope → 404, as if absent), changing one needs write access to the enterprise, and a
removal claims the row's ``lock_version`` first (a concurrent change → 409) and is audited with its last state.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import NotFound
from dualcarbon.equipment.models import EquipmentItem, WasteHeatPoint
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise
from dualcarbon.store.audit import append_audit
from dualcarbon.store.versioning import claim_row

Owned = TypeVar("Owned", EquipmentItem, WasteHeatPoint)


def load_owned(
    session: Session, principal: Principal, model: type[Owned], row_id: int, what: str, *, write: bool = False
) -> tuple[Owned, Enterprise]:
    """The row ``row_id`` of ``model`` with its enterprise; ``NotFound`` naming ``what`` when out of scope."""
    row = session.execute(
        select(model, Enterprise)
        .join(Enterprise, Enterprise.id == model.enterprise_id)
        .where(model.id == row_id, enterprise_filter(principal))
    ).first()
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    owned, enterprise = row
    if write:
        require_enterprise(session, principal, enterprise.credit_code, write=True)
    return owned, enterprise


def delete_audited(
    session: Session, actor: Principal, owned: Owned, before: dict[str, object], *, action: str, what: str
) -> None:
    """Remove ``owned`` once its version is claimed; one audit row ``action`` with ``before`` and nothing after."""
    row_id = owned.id
    claim_row(session, owned, what=what)
    session.delete(owned)
    session.flush()
    append_audit(session, actor.username, action, owned.__tablename__, row_id, before, None)
