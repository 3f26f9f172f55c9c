"""The guard that keeps a published efficiency catalog immutable.

A published (or superseded) catalog and its entries never change: the only move left is published →
superseded. Any other change — an edited or deleted entry, an added entry, a changed column of the
catalog — is refused with a Conflict when the session flushes, whichever code made it. A correction is
a new issue (see :mod:`dualcarbon.catalog.service_publish`), never an edit.

The listener is installed on import; :mod:`dualcarbon.catalog.service` imports this module, so every code
path that reads or writes catalogs through the services has it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.errors import Conflict


def _original(obj: object, attribute: str) -> Any:
    """The value of ``attribute`` as loaded from the database (before unflushed changes)."""
    history = inspect(obj).attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, attribute)


def _catalog_frozen(session: Session, catalog_id: int | None) -> bool:
    if catalog_id is None:
        return False
    catalog = session.get(Catalog, catalog_id)
    return catalog is not None and inspect(catalog).persistent and _original(catalog, "state") != "draft"


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """A published (or superseded) catalog and its entries never change; the only move is → superseded."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, CatalogEntry) and _catalog_frozen(session, _original(obj, "catalog_id")):
            changed = obj in session.deleted or any(
                inspect(obj).attrs[key].history.has_changes() for key in inspect(obj).mapper.column_attrs.keys()
            )
            if changed:
                raise Conflict(
                    f"catalog entry {obj.id} belongs to a published catalog, which cannot change; "
                    "an upheld appeal leads to a corrected re-issue",
                    zh="已发布目录的条目不能修改；申辩成立后会发布更正后的新一期目录",
                )
        if isinstance(obj, Catalog) and inspect(obj).persistent and _original(obj, "state") != "draft":
            if obj in session.deleted:
                raise Conflict(f"catalog {obj.id} is published and cannot be deleted", zh="已发布的目录不能删除")
            for key in inspect(obj).mapper.column_attrs.keys():
                if key != "state" and inspect(obj).attrs[key].history.has_changes():
                    raise Conflict(
                        f"catalog {obj.id} is published; its '{key}' cannot change", zh="已发布的目录不能修改"
                    )
            if obj.state not in ("published", "superseded") or (
                _original(obj, "state") == "superseded" and obj.state != "superseded"
            ):
                raise Conflict(
                    f"catalog {obj.id} cannot go from {_original(obj, 'state')} to {obj.state}",
                    zh="已发布的目录只能被更正版替代，不能改为其他状态",
                )
    for obj in session.new:
        if isinstance(obj, CatalogEntry) and _catalog_frozen(session, obj.catalog_id):
            raise Conflict(
                f"catalog {obj.catalog_id} is published; entries cannot be added", zh="已发布的目录不能添加条目"
            )
