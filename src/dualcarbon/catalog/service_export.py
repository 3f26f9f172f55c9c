"""Excel exports of a catalog and of an obligations list, scoped like the screens they mirror.

Owns gathering what the workbook writers need: every entry the caller may see (with region names) and the
reference rows used, as recorded in the entries' evidence at generation — so the 参考数据说明 sheet shows
the values and provenance the catalog was actually built with. The writers (:mod:`dualcarbon.workbooks`,
:mod:`dualcarbon.catalog.io`) take plain dicts: the typed results are dumped here, at that edge only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.io.obligations_workbook import write_obligations_workbook
from dualcarbon.catalog.models import CatalogEntry
from dualcarbon.catalog.schemas import CatalogEntryDetail, CatalogOut
from dualcarbon.catalog.service import catalog_out, entry_detail, require_catalog, tier_counts
from dualcarbon.catalog.service_obligations import list_obligations
from dualcarbon.core.access import Principal
from dualcarbon.reference.policy import PolicyPack
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.workbooks.catalog import write_catalog_workbook


def reference_rows_used(entries: list[CatalogEntryDetail]) -> list[dict[str, Any]]:
    """One row per benchmark row the entries used: the row, its values and provenance, and how often."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        row = entry.evidence.row
        if row is None:
            continue
        reference = entry.evidence.reference
        found = rows.setdefault(
            row.id,
            {
                "row_id": row.id,
                "edition": row.edition,
                "field": row.field,
                "product": row.product,
                "indicator": row.indicator,
                "unit": row.unit,
                **(reference.model_dump() if reference else {}),
                "entries": 0,
            },
        )
        found["entries"] += 1
    return [rows[key] for key in sorted(rows)]


def catalog_export_data(
    session: Session, actor: Principal, catalog_id: int
) -> tuple[CatalogOut, str | None, list[tuple[CatalogEntryDetail, str]]]:
    """The catalog, its region's name, and every entry the caller may see with its region's name, in
    region, credit-code and entry order."""
    access = require_catalog(session, actor, catalog_id)
    condition = access.entry_condition
    catalog = catalog_out(access.catalog, tier_counts(session, catalog_id, None if access.full_view else condition))
    region_name = session.scalar(select(Region.name).where(Region.code == access.catalog.region_code))
    rows = session.execute(
        select(CatalogEntry, Enterprise, Region.name)
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(CatalogEntry.catalog_id == catalog_id, condition)
        .order_by(Enterprise.region_code, Enterprise.credit_code, CatalogEntry.id)
    )
    entries = [(entry_detail(entry, enterprise), name) for entry, enterprise, name in rows]
    return catalog, region_name, entries


def export_catalog_xlsx(session: Session, actor: Principal, catalog_id: int) -> bytes:
    """The catalog workbook (one sheet per class, 汇总, 参考数据说明) of what the caller may see."""
    catalog, region_name, entries = catalog_export_data(session, actor, catalog_id)
    return write_catalog_workbook(
        {**catalog.model_dump(), "region_name": region_name},
        [{**entry.model_dump(), "region_name": name} for entry, name in entries],
        reference_rows_used([entry for entry, _ in entries]),
    )


def export_obligations_xlsx(
    session: Session,
    actor: Principal,
    region_code: str,
    year: int,
    pack: str | PolicyPack = "national",
    *,
    basis: str = "equivalent",
) -> bytes:
    """The obligations list of a region and year as a workbook."""
    listing = list_obligations(session, actor, region_code, year, pack, basis=basis)
    return write_obligations_workbook(listing.model_dump())
