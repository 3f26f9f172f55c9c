"""Publishing an efficiency catalog: the frozen snapshot, its verification, diffs, corrected re-issues.

Owns:

* ``publish_catalog`` — draft → published: an issue number per (region, half), ``published_at``, the
  reference versions, and ``snapshot_hash`` = sha256 over the canonical JSON (sorted keys, no
  whitespace, UTF-8) of ``{"region_code", "edition", "half", "basis", "inputs": [[report_version_id,
  content_hash], …] (sorted), "reference_versions": {table: version}, "entries": [entry, …]}`` where an
  entry is every stored column except its id and catalog id, ordered by enterprise id, report version id,
  output line id, benchmark row id and product. A previously published catalog of the
  same region, edition, half and basis becomes ``superseded``. After that nothing in the catalog changes
  (see the guard in :mod:`dualcarbon.catalog.service`).
* ``verify_snapshot`` — recompute that hash from what is stored now, check each input report version's
  content against its hash, and re-classify every entry from its report version (or the corrected value
  of an upheld appeal) with the reference tables when their versions are the recorded ones.
* ``diff_catalogs`` — entries added, removed and changed (tier or value, with before/after) against
  another catalog, by default the previous published issue of the same region and basis.
* ``reissue_with_correction`` — the corrected re-issue an upheld appeal leads to (never a silent edit).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.service import require_catalog
from dualcarbon.catalog.service_generate import (
    EntryDraft,
    classify_entry,
    line_value,
    reference_versions_for,
)
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict
from dualcarbon.core.vocab import TIER_ZH
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.reports.models import PeriodReportVersion, content_hash_of
from dualcarbon.store.audit import append_audit, canonical_json
from dualcarbon.store.base import utcnow

ENTRY_FIELDS = (
    "enterprise_id",
    "production_unit_id",
    "report_version_id",
    "product",
    "benchmark_row_id",
    "value",
    "unit",
    "tier",
    "gap_to_benchmark",
    "gap_to_baseline",
    "saving_to_benchmark_tce",
    "evidence",
)
_COMPARED = (
    "benchmark_row_id",
    "value",
    "unit",
    "tier",
    "gap_to_benchmark",
    "gap_to_baseline",
    "saving_to_benchmark_tce",
)


# ---- the snapshot ---------------------------------------------------------------------------------------
def entry_record(entry: CatalogEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}


def _entries(session: Session, catalog_id: int) -> list[CatalogEntry]:
    return list(
        session.scalars(select(CatalogEntry).where(CatalogEntry.catalog_id == catalog_id).order_by(CatalogEntry.id))
    )


def _entry_order(entry: CatalogEntry) -> tuple[int, int, int, str, str]:
    # One entry per output line of a report version: this order does not depend on ids given at insert.
    line = (entry.evidence or {}).get("output_line_id")
    return (
        entry.enterprise_id,
        entry.report_version_id or -1,
        line if isinstance(line, int) else -1,
        entry.benchmark_row_id,
        entry.product,
    )


def snapshot_payload(session: Session, catalog: Catalog) -> dict[str, Any]:
    """The hashed content of a catalog, read from the store as it is now."""
    entries = _entries(session, catalog.id)
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
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


# ---- publishing -------------------------------------------------------------------------------------------
def next_issue_no(session: Session, region_code: str, half: str) -> int:
    """1 + the highest issue number given in ``region_code`` for ``half`` (drafts hold 0)."""
    current = session.scalar(
        select(func.max(Catalog.issue_no)).where(Catalog.region_code == region_code, Catalog.half == half)
    )
    return (current or 0) + 1


def _current_published(session: Session, catalog: Catalog) -> Catalog | None:
    return session.scalar(
        select(Catalog).where(
            Catalog.region_code == catalog.region_code,
            Catalog.edition == catalog.edition,
            Catalog.half == catalog.half,
            Catalog.basis == catalog.basis,
            Catalog.state == "published",
            Catalog.id != catalog.id,
        )
    )


def _freeze(session: Session, actor: Principal, catalog: Catalog, action: str) -> dict[str, Any]:
    """Turn a draft into the published issue (superseding the current one of its key); audit both."""
    previous = _current_published(session, catalog)
    if catalog.issue_no == 0:
        catalog.issue_no = next_issue_no(session, catalog.region_code, catalog.half)
    if previous is not None:
        catalog.supersedes_id = previous.id
    session.flush()
    catalog.snapshot_hash = snapshot_hash(snapshot_payload(session, catalog))
    catalog.published_at = utcnow()
    catalog.state = "published"
    if previous is not None:
        previous.state = "superseded"
        append_audit(
            session,
            actor.username,
            "catalog.supersede",
            "catalog",
            previous.id,
            {"state": "published"},
            {"state": "superseded", "superseded_by": catalog.id},
        )
    session.flush()
    after = {
        "state": "published",
        "issue_no": catalog.issue_no,
        "snapshot_hash": catalog.snapshot_hash,
        "published_at": catalog.published_at,
        "supersedes_id": catalog.supersedes_id,
        "reference_versions": catalog.reference_versions,
    }
    append_audit(session, actor.username, action, "catalog", catalog.id, {"state": "draft"}, after)
    return after


def publish_catalog(
    session: Session, actor: Principal, catalog_id: int, *, reference: ReferenceSet | None = None
) -> Catalog:
    """Publish a draft catalog (regulator in scope). Conflict when it is not a draft, has no entries, or the
    reference tables changed since it was generated (then regenerate first)."""
    require_role(actor, "regulator")
    catalog = require_catalog(session, actor, catalog_id, write=True).catalog
    if catalog.state != "draft":
        raise Conflict(f"catalog {catalog_id} is {catalog.state}; only a draft can be published")
    if not session.scalar(select(CatalogEntry.id).where(CatalogEntry.catalog_id == catalog.id).limit(1)):
        raise Conflict(f"catalog {catalog_id} has no entries; nothing to publish")
    if reference is not None:
        current = reference_versions_for(reference, catalog.edition)
        if current != catalog.reference_versions:
            raise Conflict(
                f"the reference tables changed since catalog {catalog_id} was generated "
                f"({catalog.reference_versions} → {current}); regenerate it before publishing"
            )
    _freeze(session, actor, catalog, "catalog.publish")
    return catalog


# ---- verification -------------------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def reclassify(
    entry: CatalogEntry, version: PeriodReportVersion | None, catalog: Catalog, reference: ReferenceSet
) -> EntryDraft | str:
    """The entry computed again from its inputs, or a sentence saying why that is impossible."""
    evidence = dict(entry.evidence or {})
    source = evidence.get("input", {})
    base: dict[str, Any] = {
        key: evidence[key] for key in ("report", "output_line_id", "output", "input", "appeal") if key in evidence
    }
    output = evidence.get("output") or {}
    if source.get("source") == "appeal":
        value, unit = source.get("value"), source.get("unit")
    else:
        if version is None:
            return f"report version {entry.report_version_id} is missing"
        lines = {line.id: (index, line) for index, line in enumerate(version.output_lines)}
        found = lines.get(evidence.get("output_line_id", -1))
        if found is None:
            return f"output line {evidence.get('output_line_id')} is not in report version {version.id}"
        index, line = found
        current = line_value(line, version, index)
        value, unit = current.value, current.unit
        output = {"quantity": line.quantity, "unit": line.unit}
    if value is None:
        return "the input has no unit consumption"
    return classify_entry(
        enterprise_id=entry.enterprise_id,
        production_unit_id=entry.production_unit_id,
        report_version_id=entry.report_version_id,
        product=entry.product,
        row_id=str((evidence.get("row") or {}).get("id") or entry.benchmark_row_id),
        value=value,
        unit=unit,
        output=output.get("quantity"),
        output_unit=output.get("unit"),
        edition=catalog.edition,
        basis=catalog.basis,
        reference=reference,
        evidence=base,
    )


def verify_snapshot(session: Session, actor: Principal, catalog_id: int, *, reference: ReferenceSet) -> dict[str, Any]:
    """Recompute the snapshot hash and re-classify the entries; say whether everything matches."""
    catalog = require_catalog(session, actor, catalog_id).catalog
    if catalog.state == "draft":
        raise Conflict(f"catalog {catalog_id} is a draft; only a published catalog has a snapshot")
    recomputed = snapshot_hash(snapshot_payload(session, catalog))
    entries = _entries(session, catalog.id)
    version_ids = sorted({e.report_version_id for e in entries if e.report_version_id is not None})
    versions = (
        {
            v.id: v
            for v in session.scalars(
                select(PeriodReportVersion)
                .where(PeriodReportVersion.id.in_(version_ids))
                .options(
                    selectinload(PeriodReportVersion.energy_lines),
                    selectinload(PeriodReportVersion.output_lines),
                    selectinload(PeriodReportVersion.economics),
                )
            )
        }
        if version_ids
        else {}
    )
    input_problems = [
        {
            "report_version_id": v.id,
            "stored_hash": v.content_hash,
            "content_hash": content_hash_of(v.energy_lines, v.output_lines, v.economics),
        }
        for v in versions.values()
        if content_hash_of(v.energy_lines, v.output_lines, v.economics) != v.content_hash
    ]
    current_versions = reference_versions_for(reference, catalog.edition)
    versions_match = current_versions == catalog.reference_versions
    mismatches: list[dict[str, Any]] = []
    if versions_match:
        for entry in entries:
            again = reclassify(entry, versions.get(entry.report_version_id or -1), catalog, reference)
            if isinstance(again, str):
                mismatches.append({"entry_id": entry.id, "problem": again})
                continue
            for name in _COMPARED:
                if not _same(getattr(entry, name), getattr(again, name)):
                    mismatches.append(
                        {
                            "entry_id": entry.id,
                            "field": name,
                            "stored": getattr(entry, name),
                            "recomputed": getattr(again, name),
                        }
                    )
    hash_matches = recomputed == catalog.snapshot_hash
    return {
        "catalog_id": catalog.id,
        "matches": hash_matches and not input_problems and versions_match and not mismatches,
        "hash_matches": hash_matches,
        "stored_hash": catalog.snapshot_hash,
        "recomputed_hash": recomputed,
        "input_problems": input_problems,
        "reference_versions": catalog.reference_versions,
        "current_reference_versions": current_versions,
        "reference_versions_match": versions_match,
        "reclassified": len(entries) if versions_match else 0,
        "reclassification_mismatches": mismatches,
        "note": None
        if versions_match
        else (
            "the reference tables in use are not the versions recorded at publication; the entries were not "
            "re-classified (load the recorded versions to reproduce them)"
        ),
    }


# ---- diff -------------------------------------------------------------------------------------------------
def entry_key(entry: CatalogEntry) -> tuple[Any, ...]:
    """What makes two entries of two issues 'the same line': enterprise, unit, product and indicator."""
    row = (entry.evidence or {}).get("row") or {}
    return (
        entry.enterprise_id,
        entry.production_unit_id,
        entry.product,
        row.get("product", ""),
        row.get("indicator", entry.benchmark_row_id),
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


def _summary(entry: CatalogEntry, enterprise: Enterprise) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "credit_code": enterprise.credit_code,
        "enterprise_name": enterprise.name,
        "product": entry.product,
        "benchmark_row_id": entry.benchmark_row_id,
        "tier": entry.tier,
        "tier_zh": TIER_ZH.get(entry.tier, entry.tier),
        "value": entry.value,
        "unit": entry.unit,
    }


def diff_catalogs(session: Session, actor: Principal, catalog_id: int, against_id: int | None = None) -> dict[str, Any]:
    """Entries added, removed and changed in ``catalog_id`` relative to ``against_id`` (default: previous)."""
    access = require_catalog(session, actor, catalog_id)
    if against_id is None:
        other = previous_published(session, access.catalog)
        other_access = None if other is None else require_catalog(session, actor, other.id)
    else:
        other_access = require_catalog(session, actor, against_id)

    def load(catalog_id: int, condition: Any) -> dict[tuple[Any, ...], tuple[CatalogEntry, Enterprise]]:
        rows = session.execute(
            select(CatalogEntry, Enterprise)
            .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
            .where(CatalogEntry.catalog_id == catalog_id, condition)
            .order_by(CatalogEntry.id)
        )
        return {entry_key(entry): (entry, enterprise) for entry, enterprise in rows}

    now = load(catalog_id, access.entry_condition)
    before = {} if other_access is None else load(other_access.catalog.id, access.entry_condition)
    added = [_summary(*now[key]) for key in now if key not in before]
    removed = [_summary(*before[key]) for key in before if key not in now]
    changed = []
    unchanged = 0
    for key in now:
        if key not in before:
            continue
        (new, enterprise), (old, _) = now[key], before[key]
        if new.tier == old.tier and _same(new.value, old.value) and new.unit == old.unit:
            unchanged += 1
            continue
        summary = _summary(new, enterprise)
        changed.append(
            {
                **summary,
                "tier_changed": new.tier != old.tier,
                "before": {
                    "entry_id": old.id,
                    "tier": old.tier,
                    "tier_zh": TIER_ZH.get(old.tier, old.tier),
                    "value": old.value,
                    "unit": old.unit,
                },
                "after": {
                    "entry_id": new.id,
                    "tier": new.tier,
                    "tier_zh": summary["tier_zh"],
                    "value": new.value,
                    "unit": new.unit,
                },
            }
        )
    return {
        "catalog_id": catalog_id,
        "against_id": None if other_access is None else other_access.catalog.id,
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": unchanged,
    }


# ---- corrected re-issue --------------------------------------------------------------------------------------
def head_of_chain(session: Session, catalog: Catalog) -> Catalog:
    """The newest issue that (transitively) supersedes ``catalog`` — the one in force."""
    head = catalog
    while True:
        successor = session.scalar(
            select(Catalog).where(Catalog.supersedes_id == head.id).order_by(Catalog.id.desc()).limit(1)
        )
        if successor is None or successor.state == "draft":
            return head
        head = successor


def _identity(entry: CatalogEntry) -> tuple[Any, ...]:
    return (
        entry.enterprise_id,
        entry.report_version_id,
        (entry.evidence or {}).get("output_line_id"),
        entry.production_unit_id,
        entry.product,
    )


def reissue_with_correction(
    session: Session,
    actor: Principal,
    entry: CatalogEntry,
    correction: dict[str, Any],
    *,
    reference: ReferenceSet,
) -> Catalog:
    """Publish a corrected issue of the catalog in force for ``entry``: every entry carried over, the entry
    re-classified from the corrected value (``correction``: value, unit?, output?, output_unit?, appeal).

    Conflict when the catalog in force has no matching entry or the reference tables changed since it was
    published (a corrected entry must be judged with the same tables as the entries carried over).
    """
    head = head_of_chain(session, entry.catalog)
    if head.state != "published":
        raise Conflict(f"catalog {head.id} is {head.state}; a correction needs the published catalog in force")
    if reference_versions_for(reference, head.edition) != head.reference_versions:
        raise Conflict(
            f"the reference tables changed since catalog {head.id} was published; generate and "
            "publish a new catalog instead of a correction"
        )
    old_entries = _entries(session, head.id)
    target = next((e for e in old_entries if _identity(e) == _identity(entry)), None)
    if target is None:
        raise Conflict(f"catalog {head.id} in force has no entry matching entry {entry.id}")
    corrected_catalog = Catalog(
        region_code=head.region_code,
        edition=head.edition,
        half=head.half,
        basis=head.basis,
        state="draft",
        reference_versions=dict(head.reference_versions),
        issue_no=next_issue_no(session, head.region_code, head.half),
    )
    session.add(corrected_catalog)
    session.flush()
    evidence = dict(target.evidence or {})
    original = {
        "entry_id": target.id,
        "value": target.value,
        "unit": target.unit,
        "tier": target.tier,
        "input": evidence.get("input"),
    }
    output = evidence.get("output") or {}
    quantity = correction.get("output", output.get("quantity"))
    base: dict[str, Any] = {key: evidence[key] for key in ("report", "output_line_id") if key in evidence}
    base.update(
        {
            "output": {"quantity": quantity, "unit": correction.get("output_unit", output.get("unit"))},
            "input": {"value": correction["value"], "unit": correction.get("unit") or target.unit, "source": "appeal"},
            "appeal": {**correction.get("appeal", {}), "original": original},
        }
    )
    fixed = classify_entry(
        enterprise_id=target.enterprise_id,
        production_unit_id=target.production_unit_id,
        report_version_id=target.report_version_id,
        product=target.product,
        row_id=str((evidence.get("row") or {}).get("id") or target.benchmark_row_id),
        value=float(correction["value"]),
        unit=correction.get("unit") or target.unit,
        output=quantity,
        output_unit=base["output"]["unit"],
        edition=head.edition,
        basis=head.basis,
        reference=reference,
        evidence=base,
    )
    rows = [
        fixed.columns(corrected_catalog.id)
        if e.id == target.id
        else {"catalog_id": corrected_catalog.id, **entry_record(e)}
        for e in old_entries
    ]
    session.execute(insert(CatalogEntry), rows)
    _freeze(session, actor, corrected_catalog, "catalog.reissue")
    return corrected_catalog
