"""Excel exports of a catalog and of an obligations list, scoped like the screens they mirror.

Owns gathering what the workbook writers of :mod:`dualcarbon.exports` need: every entry the caller may
see (with region names) and the reference rows used, as recorded in the entries' evidence at generation —
so the 参考数据说明 sheet shows the values and provenance the catalog was actually built with.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.io.obligations_workbook import write_obligations_workbook
from dualcarbon.catalog.models import CatalogEntry
from dualcarbon.catalog.service import catalog_dict, entry_dict, require_catalog, tier_counts
from dualcarbon.catalog.service_obligations import list_obligations
from dualcarbon.core.access import Principal
from dualcarbon.reference.policy import PolicyPack
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.workbooks.catalog import write_catalog_workbook


def reference_rows_used(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per benchmark row the entries used: the row, its values and provenance, and how often."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        evidence = entry.get("evidence") or {}
        row = evidence.get("row")
        if not row:
            continue
        found = rows.setdefault(
            row["id"],
            {
                "row_id": row["id"],
                "edition": row.get("edition"),
                "field": row.get("field"),
                "product": row.get("product"),
                "indicator": row.get("indicator"),
                "unit": row.get("unit"),
                **(evidence.get("reference") or {}),
                "entries": 0,
            },
        )
        found["entries"] += 1
    return [rows[key] for key in sorted(rows)]


def catalog_export_data(
    session: Session, actor: Principal, catalog_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The catalog dict (with region name) and every entry the caller may see, in entry order."""
    access = require_catalog(session, actor, catalog_id)
    condition = access.entry_condition
    catalog = catalog_dict(access.catalog, tier_counts(session, catalog_id, None if access.full_view else condition))
    catalog["region_name"] = session.scalar(select(Region.name).where(Region.code == access.catalog.region_code))
    rows = session.execute(
        select(CatalogEntry, Enterprise, Region.name)
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .join(Region, Region.code == Enterprise.region_code)
        .where(CatalogEntry.catalog_id == catalog_id, condition)
        .order_by(Enterprise.region_code, Enterprise.credit_code, CatalogEntry.id)
    )
    entries = [{**entry_dict(entry, enterprise), "region_name": region_name} for entry, enterprise, region_name in rows]
    return catalog, entries


def export_catalog_xlsx(session: Session, actor: Principal, catalog_id: int) -> bytes:
    """The catalog workbook (one sheet per class, 汇总, 参考数据说明) of what the caller may see."""
    catalog, entries = catalog_export_data(session, actor, catalog_id)
    return write_catalog_workbook(catalog, entries, reference_rows_used(entries))


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
    return write_obligations_workbook(list_obligations(session, actor, region_code, year, pack, basis=basis))
