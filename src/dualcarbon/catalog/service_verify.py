"""Verifying the snapshot of a published efficiency catalog: does it still reproduce?

``verify_snapshot`` recomputes the snapshot hash from what is stored now, checks each input report
version's content against its stored hash, and — when the reference tables in use are the versions recorded
at publication — re-classifies every entry from its report version (or from the corrected value of an upheld
appeal) and compares the columns. The answer is a :class:`~dualcarbon.catalog.schemas.SnapshotCheck`.
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas import ColumnValue, EntryProblem, FieldMismatch, InputProblem, SnapshotCheck
from dualcarbon.catalog.schemas_evidence import Evidence
from dualcarbon.catalog.service import require_catalog
from dualcarbon.catalog.service_evidence import EntryDraft, classify_entry, line_value
from dualcarbon.catalog.service_generate import reference_versions_for
from dualcarbon.catalog.service_snapshot import JUDGED_FIELDS, catalog_entries, snapshot_hash, snapshot_payload
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict
from dualcarbon.reference import ReferenceSet
from dualcarbon.reports.models import PeriodReportVersion, content_hash_of

#: The columns compared between a stored entry and the same entry computed again.
COMPARED = JUDGED_FIELDS
#: The parts of the evidence that are inputs (the rest is recomputed).
INPUT_KEYS = ("report", "output_line_id", "output", "input", "appeal")


def same_value(a: object, b: object) -> bool:
    """Equal, with floats compared to 1e-12 (what a JSON round trip may change)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def reclassify(
    entry: CatalogEntry, version: PeriodReportVersion | None, catalog: Catalog, reference: ReferenceSet
) -> EntryDraft | str:
    """The entry computed again from its inputs, or a sentence saying why that is impossible."""
    evidence = Evidence.model_validate(entry.evidence or {})
    base = Evidence(**{key: getattr(evidence, key) for key in INPUT_KEYS if key in evidence.model_fields_set})
    quantity = evidence.output.quantity if evidence.output else None
    output_unit = evidence.output.unit if evidence.output else None
    if evidence.input is not None and evidence.input.source == "appeal":
        value, unit = evidence.input.value, evidence.input.unit
    else:
        if version is None:
            return f"report version {entry.report_version_id} is missing"
        lines = {line.id: (index, line) for index, line in enumerate(version.output_lines)}
        found = lines.get(evidence.output_line_id if evidence.output_line_id is not None else -1)
        if found is None:
            return f"output line {evidence.output_line_id} is not in report version {version.id}"
        index, line = found
        current = line_value(line, version, index)
        if current.value is None:
            return "the input has no unit consumption"
        value, unit = current.value, current.unit
        quantity, output_unit = line.quantity, line.unit
    return classify_entry(
        enterprise_id=entry.enterprise_id,
        production_unit_id=entry.production_unit_id,
        report_version_id=entry.report_version_id,
        product=entry.product,
        row_id=evidence.row.id if evidence.row else entry.benchmark_row_id,
        value=value,
        unit=unit,
        output=quantity,
        output_unit=output_unit,
        edition=catalog.edition,
        basis=catalog.basis,
        reference=reference,
        evidence=base,
    )


def _versions(session: Session, version_ids: list[int]) -> dict[int, PeriodReportVersion]:
    if not version_ids:
        return {}
    query = (
        select(PeriodReportVersion)
        .where(PeriodReportVersion.id.in_(version_ids))
        .options(
            selectinload(PeriodReportVersion.energy_lines),
            selectinload(PeriodReportVersion.output_lines),
            selectinload(PeriodReportVersion.economics),
        )
    )
    return {version.id: version for version in session.scalars(query)}


def _mismatches(
    entries: list[CatalogEntry], versions: dict[int, PeriodReportVersion], catalog: Catalog, reference: ReferenceSet
) -> list[FieldMismatch | EntryProblem]:
    found: list[FieldMismatch | EntryProblem] = []
    for entry in entries:
        again = reclassify(entry, versions.get(entry.report_version_id or -1), catalog, reference)
        if isinstance(again, str):
            found.append(EntryProblem(entry_id=entry.id, problem=again))
            continue
        for name in COMPARED:
            stored: ColumnValue = getattr(entry, name)
            recomputed: ColumnValue = getattr(again, name)
            if not same_value(stored, recomputed):
                found.append(FieldMismatch(entry_id=entry.id, field=name, stored=stored, recomputed=recomputed))
    return found


def verify_snapshot(session: Session, actor: Principal, catalog_id: int, *, reference: ReferenceSet) -> SnapshotCheck:
    """Recompute the snapshot hash and re-classify the entries; say whether everything matches."""
    catalog = require_catalog(session, actor, catalog_id).catalog
    if catalog.state == "draft":
        raise Conflict(
            f"catalog {catalog_id} is a draft; only a published catalog has a snapshot",
            zh="草稿目录尚无发布快照，发布后才能核验",
        )
    recomputed = snapshot_hash(snapshot_payload(session, catalog))
    entries = catalog_entries(session, catalog.id)
    versions = _versions(session, sorted({e.report_version_id for e in entries if e.report_version_id is not None}))
    input_problems = []
    for version in versions.values():
        content_hash = content_hash_of(version.energy_lines, version.output_lines, version.economics)
        if content_hash != version.content_hash:
            input_problems.append(
                InputProblem(report_version_id=version.id, stored_hash=version.content_hash, content_hash=content_hash)
            )
    current_versions = reference_versions_for(reference, catalog.edition)
    versions_match = current_versions == catalog.reference_versions
    mismatches = _mismatches(entries, versions, catalog, reference) if versions_match else []
    hash_matches = recomputed == catalog.snapshot_hash
    return SnapshotCheck(
        catalog_id=catalog.id,
        matches=hash_matches and not input_problems and versions_match and not mismatches,
        hash_matches=hash_matches,
        stored_hash=catalog.snapshot_hash,
        recomputed_hash=recomputed,
        input_problems=input_problems,
        reference_versions=catalog.reference_versions,
        current_reference_versions=current_versions,
        reference_versions_match=versions_match,
        reclassified=len(entries) if versions_match else 0,
        reclassification_mismatches=mismatches,
        note=None
        if versions_match
        else (
            "the reference tables in use are not the versions recorded at publication; the entries were not "
            "re-classified (load the recorded versions to reproduce them)"
        ),
    )
