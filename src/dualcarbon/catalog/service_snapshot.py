"""The frozen snapshot of a published efficiency catalog: what is hashed, and the hash.

``snapshot_hash`` = sha256 over the canonical JSON (sorted keys, no whitespace, UTF-8) of
``{"region_code", "edition", "half", "basis", "inputs": [[report_version_id, content_hash], …] (sorted),
"reference_versions": {table: version}, "entries": [entry, …]}``, where an entry is every stored column
except its id and catalog id (the evidence as stored), ordered by enterprise id, report version id, output
line id, benchmark row id and product — an order that does not depend on the ids given at insert.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas_evidence import Evidence
from dualcarbon.reports.models import PeriodReportVersion
from dualcarbon.store.audit import canonical_json

#: What an entry states about its product: the row it is judged against, the value, the tier and the gaps.
JUDGED_FIELDS = (
    "benchmark_row_id",
    "value",
    "unit",
    "tier",
    "gap_to_benchmark",
    "gap_to_baseline",
    "saving_to_benchmark_tce",
)
ENTRY_FIELDS = ("enterprise_id", "production_unit_id", "report_version_id", "product", *JUDGED_FIELDS, "evidence")


def entry_record(entry: CatalogEntry) -> dict[str, Any]:
    """The stored columns of an entry that the snapshot covers (and a re-issue carries over)."""
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}


def catalog_entries(session: Session, catalog_id: int) -> list[CatalogEntry]:
    """Every entry of a catalog, in id order."""
    return list(
        session.scalars(select(CatalogEntry).where(CatalogEntry.catalog_id == catalog_id).order_by(CatalogEntry.id))
    )


def _entry_order(entry: CatalogEntry) -> tuple[int, int, int, str, str]:
    # One entry per output line of a report version: this order does not depend on ids given at insert.
    line = Evidence.model_validate(entry.evidence or {}).output_line_id
    return (
        entry.enterprise_id,
        entry.report_version_id or -1,
        line if line is not None else -1,
        entry.benchmark_row_id,
        entry.product,
    )


def snapshot_payload(session: Session, catalog: Catalog) -> dict[str, Any]:
    """The hashed content of a catalog, read from the store as it is now."""
    entries = catalog_entries(session, catalog.id)
    version_ids = sorted({e.report_version_id for e in entries if e.report_version_id is not None})
    query = select(PeriodReportVersion.id, PeriodReportVersion.content_hash).where(
        PeriodReportVersion.id.in_(version_ids)
    )
    hashes = {version_id: content_hash for version_id, content_hash in session.execute(query)} if version_ids else {}
    records = [entry_record(e) for e in sorted(entries, key=_entry_order)]
    return {
        "region_code": catalog.region_code,
        "edition": catalog.edition,
        "half": catalog.half,
        "basis": catalog.basis,
        "inputs": [[version_id, hashes.get(version_id)] for version_id in version_ids],
        "reference_versions": catalog.reference_versions,
        "entries": records,
    }


def snapshot_hash(payload: dict[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``payload``."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
