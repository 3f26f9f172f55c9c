"""A region's catalog figures for the regional dashboard, counted without loading an entry's evidence.

Owns which catalog the dashboard shows for a region — the newest the caller may read (draft or published),
one of that region if there is one — and its entries per tier and per district, over the entries the caller
may see (the same scope as every catalog read, :func:`.service.require_catalog`) in the region's subtree.
Nothing here loads an entry's evidence; the review screen (:mod:`.service_review`), which needs a page of
entries and the evidence counts, stays separate.

A draft is counted by one GROUP BY. Its cost is reading the wide entry rows (their evidence JSON sits in the
same rows): 73–89 ms for 5,000 entries on SQLite. A published catalog's entries never change
(:mod:`.service_guard`), so its (enterprise, tier) pairs are kept per store, catalog and snapshot hash, and
only the live part — which enterprises of the subtree the caller sees, and their districts (an enterprise
can move) — is read, from the narrow enterprise index (docs/benchmarks.md, "Reads").
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas import CatalogView, DistrictCounts
from dualcarbon.catalog.service import catalog_view, readable_catalogs, require_catalog, tier_counts, tier_order
from dualcarbon.core.access import Principal
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree


@dataclass(frozen=True)
class RegionCatalogCounts:
    """The catalog shown (the caller's view, with its own counts per tier) and, for the region's subtree,
    the entries per district (region of the enterprise) and per tier."""

    catalog: CatalogView
    counts_by_district: list[DistrictCounts]
    counts_by_tier: dict[str, int]


def newest_catalog_id(session: Session, principal: Principal, region_code: str) -> int | None:
    """The newest catalog of ``region_code`` the caller may read; else the newest it may read at all."""
    readable = readable_catalogs(principal)
    newest = select(func.max(Catalog.id)).where(readable)
    return session.scalar(newest.where(Catalog.region_code == region_code)) or session.scalar(newest)


def region_catalog_counts(session: Session, principal: Principal, region_code: str) -> RegionCatalogCounts | None:
    """The dashboard's catalog figures for ``region_code`` (None when the caller may read no catalog)."""
    catalog_id = newest_catalog_id(session, principal, region_code)
    if catalog_id is None:
        return None
    access = require_catalog(session, principal, catalog_id)
    in_subtree = in_region_subtree(Enterprise.region_code.expression, region_code)
    tiers = _published_tiers(session, access.catalog)
    grouped: Sequence[tuple[str, str, str, int]]
    if tiers is None:  # a draft: counted by the database
        grouped = session.execute(
            select(Enterprise.region_code, Region.name, CatalogEntry.tier, func.count())
            .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
            .join(Region, Region.code == Enterprise.region_code)
            .where(CatalogEntry.catalog_id == catalog_id, access.entry_condition, in_subtree)
            .group_by(Enterprise.region_code, Region.name, CatalogEntry.tier)
        ).all()
    else:
        grouped = _grouped(session, tiers, access.entry_condition, in_subtree)
    districts: dict[str, DistrictCounts] = {}
    by_tier: dict[str, int] = {}
    for code, name, tier, count in grouped:  # one row per (district, tier): a few dozen at most
        district = districts.setdefault(code, DistrictCounts(region_code=code, region_name=name, counts={}, total=0))
        district.counts[tier] = count
        district.total += count
        by_tier[tier] = by_tier.get(tier, 0) + count
    counts = tier_counts(session, catalog_id, None if access.full_view else access.entry_condition)
    return RegionCatalogCounts(
        catalog=catalog_view(access.catalog, counts, access.full_view),
        counts_by_district=[districts[code] for code in sorted(districts)],
        counts_by_tier=dict(sorted(by_tier.items(), key=lambda kv: tier_order(kv[0]))),
    )


#: Published catalogs whose (enterprise id, tier) pairs are kept (5,000 entries: ~0.5 MB each).
TIERS_CACHE_SIZE = 16
_TIERS: OrderedDict[tuple[object, ...], list[tuple[int, str]]] = OrderedDict()
_TIERS_LOCK = threading.Lock()


def _published_tiers(session: Session, catalog: Catalog) -> list[tuple[int, str]] | None:
    """(enterprise id, tier) of every entry of a published (or superseded) catalog, kept; None for a draft."""
    if catalog.state == "draft" or catalog.snapshot_hash is None:
        return None
    bind = session.get_bind()
    key = (str(getattr(bind, "url", id(bind))), catalog.id, catalog.snapshot_hash)
    with _TIERS_LOCK:
        found = _TIERS.get(key)
        if found is not None:
            _TIERS.move_to_end(key)
            return found
    rows = session.execute(
        select(CatalogEntry.enterprise_id, CatalogEntry.tier).where(CatalogEntry.catalog_id == catalog.id)
    )
    pairs = [(int(enterprise_id), str(tier)) for enterprise_id, tier in rows]
    with _TIERS_LOCK:
        _TIERS[key] = pairs
        while len(_TIERS) > TIERS_CACHE_SIZE:
            _TIERS.popitem(last=False)
    return pairs


def _grouped(
    session: Session, tiers: list[tuple[int, str]], seen: ColumnElement[bool], in_subtree: ColumnElement[bool]
) -> list[tuple[str, str, str, int]]:
    """(district, its name, tier, entries) as the GROUP BY gives them, from the kept pairs and the live
    districts of the enterprises the caller sees in the subtree."""
    rows = session.execute(select(Enterprise.id, Enterprise.region_code).where(seen, in_subtree))
    district_of: dict[int, str] = {enterprise_id: code for enterprise_id, code in rows}
    counts: Counter[tuple[str, str]] = Counter(
        (district_of[enterprise_id], tier) for enterprise_id, tier in tiers if enterprise_id in district_of
    )
    found = session.execute(select(Region.code, Region.name).where(Region.code.in_({code for code, _ in counts})))
    names: dict[str, str] = {code: name for code, name in found}
    return [(code, names[code], tier, count) for (code, tier), count in sorted(counts.items())]
