"""The review screen of an efficiency catalog: one page of filtered entries with the counts around it.

Owns what a reviewer sees at once: the catalog (the caller's view of it), a page of entries with their
evidence, the counts per tier and per district (region of the enterprise), how many entries rest on
unverified reference values (those entries carry ``uses_unverified``) and how many carry an earlier decision
(upheld appeal) that met changed inputs (``evidence.decision.state == "needs_review"``).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import CatalogEntry
from dualcarbon.catalog.schemas import CatalogReview, DistrictCounts
from dualcarbon.catalog.service import (
    EntryFilter,
    catalog_view,
    entry_detail,
    entry_rows,
    require_catalog,
    tier_counts,
)
from dualcarbon.core.access import Principal
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.models import Enterprise, Region


def review_catalog(
    session: Session,
    principal: Principal,
    catalog_id: int,
    filters: EntryFilter = EntryFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
    reference: ReferenceSet | None = None,
) -> CatalogReview:
    """Review-screen data: the catalog, one page of filtered entries, counts per tier and per district,
    and how many entries rest on unverified reference values. The counts cover what the caller may see,
    not only the filtered page."""
    access = require_catalog(session, principal, catalog_id)
    rows, total = entry_rows(session, access, filters, limit=limit, offset=offset, reference=reference)
    seen = access.entry_condition
    by_district = session.execute(
        select(Enterprise.region_code, Region.name, CatalogEntry.tier, func.count())
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(CatalogEntry.catalog_id == catalog_id, seen)
        .group_by(Enterprise.region_code, Region.name, CatalogEntry.tier)
    )
    districts: dict[str, DistrictCounts] = {}
    for code, name, tier, count in by_district:
        district = districts.setdefault(code, DistrictCounts(region_code=code, region_name=name, counts={}, total=0))
        district.counts[tier] = count
        district.total += count
    unverified = (
        session.scalar(
            select(func.count(CatalogEntry.id))
            .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
            .where(CatalogEntry.catalog_id == catalog_id, seen, CatalogEntry.evidence["uses_unverified"].as_boolean())
        )
        or 0
    )
    needs_review = (
        session.scalar(
            select(func.count(CatalogEntry.id))
            .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
            .where(
                CatalogEntry.catalog_id == catalog_id,
                seen,
                CatalogEntry.evidence["decision"]["state"].as_string() == "needs_review",
            )
        )
        or 0
    )
    counts = tier_counts(session, catalog_id, None if access.full_view else seen)
    return CatalogReview(
        catalog=catalog_view(access.catalog, counts, access.full_view),
        counts_by_tier=counts,
        counts_by_district=[districts[code] for code in sorted(districts)],
        unverified_entries=unverified,
        decisions_needing_review=needs_review,
        items=[entry_detail(entry, enterprise) for entry, enterprise in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
