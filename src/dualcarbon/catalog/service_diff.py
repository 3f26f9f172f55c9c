"""Differences between two issues of an efficiency catalog: entries added, removed and changed.

Two entries of two issues are "the same line" when enterprise, production unit, product and the benchmark
row's product and indicator agree (the row id may differ between editions). By default a catalog is
compared with the issue it supersedes, else the latest earlier published issue of its region and basis.
The caller sees only the entries of the newer catalog's view.

Two published issues never change (``service_guard``), so their diff never does either: for a caller who
sees every entry (``full_view``) it is computed once per pair of snapshots and kept (``_DIFFS``, a small
LRU per store), instead of loading both catalogs' entries on every view of the catalog page (~2 s at
5,000 enterprises). Access is still checked on every call; drafts and partial views are never kept. A kept
diff is shared by every caller that gets it: read it, never change it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas import CatalogDiff, ChangedEntry, EntrySide, EntrySummary
from dualcarbon.catalog.schemas_evidence import Evidence
from dualcarbon.catalog.service import CatalogAccess, require_catalog
from dualcarbon.catalog.service_verify import same_value
from dualcarbon.core.access import Principal
from dualcarbon.core.vocab import TIER_ZH
from dualcarbon.registry.models import Enterprise

EntryKey = tuple[int, int | None, str, str, str]
#: Diffs between two published snapshots, by (store, catalog id and hash, other id and hash); newest last.
_DIFFS: OrderedDict[tuple[object, ...], CatalogDiff] = OrderedDict()
_DIFFS_LOCK = threading.Lock()
DIFF_CACHE_SIZE = 32


def entry_key(entry: CatalogEntry) -> EntryKey:
    """What makes two entries of two issues 'the same line': enterprise, unit, product and indicator."""
    row = Evidence.model_validate(entry.evidence or {}).row
    return (
        entry.enterprise_id,
        entry.production_unit_id,
        entry.product,
        (row.product if row else None) or "",
        (row.indicator if row else None) or entry.benchmark_row_id,
    )


def previous_published(session: Session, catalog: Catalog) -> Catalog | None:
    """The issue a catalog is compared with by default: the one it supersedes, else the latest earlier
    published (or superseded) catalog of the same region and basis."""
    if catalog.supersedes_id is not None:
        return session.get(Catalog, catalog.supersedes_id)
    query = select(Catalog).where(
        Catalog.region_code == catalog.region_code,
        Catalog.basis == catalog.basis,
        Catalog.state != "draft",
        Catalog.id != catalog.id,
    )
    if catalog.published_at is not None:
        query = query.where(Catalog.published_at < catalog.published_at)
    return session.scalar(query.order_by(Catalog.published_at.desc(), Catalog.id.desc()).limit(1))


def _summary(entry: CatalogEntry, enterprise: Enterprise) -> EntrySummary:
    return EntrySummary(
        entry_id=entry.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        product=entry.product,
        benchmark_row_id=entry.benchmark_row_id,
        tier=entry.tier,
        tier_zh=TIER_ZH.get(entry.tier, entry.tier),
        value=entry.value,
        unit=entry.unit,
    )


def _side(entry: CatalogEntry) -> EntrySide:
    return EntrySide(
        entry_id=entry.id,
        tier=entry.tier,
        tier_zh=TIER_ZH.get(entry.tier, entry.tier),
        value=entry.value,
        unit=entry.unit,
    )


def _load(
    session: Session, catalog_id: int, condition: ColumnElement[bool]
) -> dict[EntryKey, tuple[CatalogEntry, Enterprise]]:
    rows = session.execute(
        select(CatalogEntry, Enterprise)
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .where(CatalogEntry.catalog_id == catalog_id, condition)
        .order_by(CatalogEntry.id)
    )
    return {entry_key(entry): (entry, enterprise) for entry, enterprise in rows}


def diff_catalogs(session: Session, actor: Principal, catalog_id: int, against_id: int | None = None) -> CatalogDiff:
    """Entries added, removed and changed in ``catalog_id`` relative to ``against_id`` (default: previous)."""
    access = require_catalog(session, actor, catalog_id)
    if against_id is None:
        other = previous_published(session, access.catalog)
        other_access = None if other is None else require_catalog(session, actor, other.id)
    else:
        other_access = require_catalog(session, actor, against_id)
    key = _cache_key(session, access.catalog, other_access.catalog if other_access else None, access.full_view)
    if key is not None:
        with _DIFFS_LOCK:
            cached = _DIFFS.get(key)
            if cached is not None:
                _DIFFS.move_to_end(key)
                return cached
    result = _compute(session, catalog_id, access, other_access)
    if key is not None:
        with _DIFFS_LOCK:
            _DIFFS[key] = result
            while len(_DIFFS) > DIFF_CACHE_SIZE:
                _DIFFS.popitem(last=False)
    return result


def _cache_key(session: Session, catalog: Catalog, other: Catalog | None, full_view: bool) -> tuple[object, ...] | None:
    """The key a diff is kept under, or None when it must be computed every time (a draft on either side,
    or a caller who sees only some entries)."""
    if not full_view or catalog.snapshot_hash is None or (other is not None and other.snapshot_hash is None):
        return None
    bind = session.get_bind()
    store = str(getattr(bind, "url", id(bind)))
    return (store, catalog.id, catalog.snapshot_hash, *((other.id, other.snapshot_hash) if other else (None, None)))


def _compute(
    session: Session, catalog_id: int, access: CatalogAccess, other_access: CatalogAccess | None
) -> CatalogDiff:
    now = _load(session, catalog_id, access.entry_condition)
    before = {} if other_access is None else _load(session, other_access.catalog.id, access.entry_condition)
    changed: list[ChangedEntry] = []
    unchanged = 0
    for key, (new, enterprise) in now.items():
        if key not in before:
            continue
        old = before[key][0]
        if new.tier == old.tier and same_value(new.value, old.value) and new.unit == old.unit:
            unchanged += 1
            continue
        changed.append(
            ChangedEntry(
                **_summary(new, enterprise).model_dump(),
                tier_changed=new.tier != old.tier,
                before=_side(old),
                after=_side(new),
            )
        )
    return CatalogDiff(
        catalog_id=catalog_id,
        against_id=None if other_access is None else other_access.catalog.id,
        added=[_summary(*now[key]) for key in now if key not in before],
        removed=[_summary(*before[key]) for key in before if key not in now],
        changed=changed,
        unchanged=unchanged,
    )
