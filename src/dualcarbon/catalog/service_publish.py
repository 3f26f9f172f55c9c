"""Publishing an efficiency catalog, and the corrected re-issue an upheld appeal leads to.

Owns:

* ``publish_catalog`` — draft → published: an issue number per (region, half), ``published_at``, the
  reference versions, and the ``snapshot_hash`` of :mod:`dualcarbon.catalog.service_snapshot`. A
  previously published catalog of the same region, edition, half and basis becomes ``superseded``. After
  that nothing in the catalog changes (:mod:`dualcarbon.catalog.service_guard`).
* ``reissue_with_correction`` — a new issue of the catalog in force with one entry re-classified from a
  corrected value (never a silent edit); the others are carried over as stored.

Verification lives in :mod:`dualcarbon.catalog.service_verify`, diffs in :mod:`dualcarbon.catalog.service_diff`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas_evidence import Evidence, EvidenceAppeal, EvidenceInput, EvidenceOutput, OriginalFigure
from dualcarbon.catalog.service import require_catalog
from dualcarbon.catalog.service_evidence import classify_entry
from dualcarbon.catalog.service_generate import reference_versions_for
from dualcarbon.catalog.service_snapshot import catalog_entries, entry_record, snapshot_hash, snapshot_payload
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow


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


def _freeze(session: Session, actor: Principal, catalog: Catalog, action: str) -> None:
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


# ---- corrected re-issue --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Correction:
    """The corrected figures of an upheld appeal: the unit consumption (in ``unit``, default the entry's)
    and optionally the annual output; ``appeal`` is recorded in the corrected entry's evidence."""

    value: float
    appeal: EvidenceAppeal
    unit: str | None = None
    output: float | None = None
    output_unit: str | None = None


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
        Evidence.model_validate(entry.evidence or {}).output_line_id,
        entry.production_unit_id,
        entry.product,
    )


def _corrected_evidence(target: CatalogEntry, evidence: Evidence, correction: Correction) -> Evidence:
    """The inputs of the corrected entry: the report and line as before, the corrected figures, the appeal."""
    original = OriginalFigure(
        entry_id=target.id, value=target.value, unit=target.unit, tier=target.tier, input=evidence.input
    )
    before = evidence.output or EvidenceOutput()
    given = {key: getattr(evidence, key) for key in ("report", "output_line_id") if key in evidence.model_fields_set}
    return Evidence(
        **given,
        output=EvidenceOutput(
            quantity=correction.output if correction.output is not None else before.quantity,
            unit=correction.output_unit if correction.output_unit is not None else before.unit,
        ),
        input=EvidenceInput(value=correction.value, unit=correction.unit or target.unit, source="appeal"),
        appeal=correction.appeal.model_copy(update={"original": original}),
    )


def reissue_with_correction(
    session: Session,
    actor: Principal,
    entry: CatalogEntry,
    correction: Correction,
    *,
    reference: ReferenceSet,
) -> Catalog:
    """Publish a corrected issue of the catalog in force for ``entry``: every entry carried over, the entry
    re-classified from the corrected figures.

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
    old_entries = catalog_entries(session, head.id)
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
    evidence = Evidence.model_validate(target.evidence or {})
    base = _corrected_evidence(target, evidence, correction)
    fixed = classify_entry(
        enterprise_id=target.enterprise_id,
        production_unit_id=target.production_unit_id,
        report_version_id=target.report_version_id,
        product=target.product,
        row_id=evidence.row.id if evidence.row else target.benchmark_row_id,
        value=correction.value,
        unit=correction.unit or target.unit,
        output=base.output.quantity if base.output else None,
        output_unit=base.output.unit if base.output else None,
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
