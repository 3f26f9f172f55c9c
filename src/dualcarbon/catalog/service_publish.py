"""Publishing an efficiency catalog, and the corrected re-issue an upheld appeal leads to.

Owns:

* ``publish_catalog`` — draft → published: an issue number per (region, half, basis), ``published_at``,
  the reference versions, and the ``snapshot_hash`` of :mod:`dualcarbon.catalog.service_snapshot`. **One
  catalog is in force per region × half-year × basis**: whatever was published for that key (any benchmark
  edition) becomes ``superseded`` in the same transaction, before the new one is published (a partial unique
  index, migration 0004, refuses a second one). After that nothing in the catalog changes
  (:mod:`dualcarbon.catalog.service_guard`). A draft with 无法判定 entries is published only when the caller
  confirms their number (``confirm_undetermined``).
* ``reissue_with_correction`` — a new issue of the catalog in force with one entry re-classified from a
  corrected value (never a silent edit); the others are carried over as stored.

Verification lives in :mod:`dualcarbon.catalog.service_verify`, diffs in :mod:`dualcarbon.catalog.service_diff`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas_evidence import Evidence, EvidenceAppeal, EvidenceInput, EvidenceOutput, OriginalFigure
from dualcarbon.catalog.service import require_catalog
from dualcarbon.catalog.service_evidence import classify_entry
from dualcarbon.catalog.service_generate import ConfirmationRequired, published_of, reference_versions_for
from dualcarbon.catalog.service_snapshot import catalog_entries, entry_record, snapshot_hash, snapshot_payload
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict
from dualcarbon.core.vocab import CATALOG_STATE_ZH, UNDETERMINED
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import lock_key
from dualcarbon.store.versioning import claim_row


# ---- publishing -------------------------------------------------------------------------------------------
def next_issue_no(session: Session, region_code: str, half: str, basis: str) -> int:
    """1 + the highest issue number given in ``region_code`` for ``half`` on ``basis`` (drafts hold 0)."""
    current = session.scalar(
        select(func.max(Catalog.issue_no)).where(
            Catalog.region_code == region_code, Catalog.half == half, Catalog.basis == basis
        )
    )
    return (current or 0) + 1


def in_force(session: Session, region_code: str, half: str, basis: str) -> list[Catalog]:
    """The published catalogs of the key (one, or none; older stores may hold one per edition), newest first."""
    return list(session.scalars(published_of(region_code, half, basis)))


def lock_catalog_key(session: Session, region_code: str, half: str, basis: str) -> None:
    """Serialise every publish and re-issue of one catalog key until the transaction ends: the next one
    reads what the first put in force (PostgreSQL advisory lock; SQLite's write lock does the same)."""
    lock_key(session, "catalog", region_code, half, basis)


def _check_what_it_supersedes(session: Session, catalog: Catalog) -> None:
    """A draft replaces only the issue that was in force when it was generated (``supersedes_id``, set by
    generation): when another issue of the key was published since — by a concurrent publish of another
    draft, or a corrected re-issue after an upheld appeal — publishing it would silently replace an issue
    its publisher never saw, so it is a Conflict (regenerate the draft, then publish)."""
    current = [c for c in in_force(session, catalog.region_code, catalog.half, catalog.basis) if c.id != catalog.id]
    current_id = current[0].id if current else None
    if current_id != catalog.supersedes_id:
        issue = current[0].issue_no if current else None
        raise Conflict(
            f"catalog {catalog.id} was generated when "
            f"{'catalog ' + str(catalog.supersedes_id) if catalog.supersedes_id else 'no catalog'} was in force for "
            f"{catalog.region_code} {catalog.half} ({catalog.basis}); "
            f"{'catalog ' + str(current_id) + ' is now' if current_id else 'none is now'}: regenerate it, then publish",
            field="state",
            zh=(
                f"此草稿生成后，同一地区、半年度、依据的第 {issue} 期目录已经发布"
                "（可能是他人刚刚发布，或申辩成立后的更正发布）；为免覆盖未见过的决定，请重新生成草稿并核对后再发布"
                if issue is not None
                else "此草稿生成时依据的现行目录已不再有效，请重新生成草稿并核对后再发布"
            ),
        )


def undetermined_count(session: Session, catalog_id: int) -> int:
    """How many entries of the catalog are 无法判定."""
    query = select(func.count(CatalogEntry.id)).where(
        CatalogEntry.catalog_id == catalog_id, CatalogEntry.tier == UNDETERMINED
    )
    return session.scalar(query) or 0


def _flush_or_conflict(session: Session, catalog: Catalog) -> None:
    """Flush; a unique index refusing it (issue number, ``uq_catalog_in_force``) means another issue of the
    same key was published by a concurrent transaction: a Conflict (409), not a database error."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"another catalog of {catalog.region_code} {catalog.half} ({catalog.basis}) was published at the same "
            "time; reload and retry",
            zh="目录未发布：同一地区、半年度、依据的另一期目录刚刚发布，请刷新后重试",
        ) from exc


def _freeze(
    session: Session, actor: Principal, catalog: Catalog, action: str, extra: dict[str, Any] | None = None
) -> None:
    """Turn a draft into the published issue, superseding what is in force for its key; audit both."""
    previous = [c for c in in_force(session, catalog.region_code, catalog.half, catalog.basis) if c.id != catalog.id]
    for changed in (catalog, *previous):  # one winner when two publications of the same key run at once
        claim_row(session, changed, what=f"catalog {changed.id}")
    if catalog.issue_no == 0:
        catalog.issue_no = next_issue_no(session, catalog.region_code, catalog.half, catalog.basis)
    if previous:
        catalog.supersedes_id = previous[0].id
    for old in previous:
        old.state = "superseded"
        append_audit(
            session,
            actor.username,
            "catalog.supersede",
            "catalog",
            old.id,
            {"state": "published"},
            {"state": "superseded", "superseded_by": catalog.id},
        )
    _flush_or_conflict(session, catalog)  # the old issue leaves force before the new one enters it
    catalog.snapshot_hash = snapshot_hash(snapshot_payload(session, catalog))
    catalog.published_at = utcnow()
    catalog.state = "published"
    _flush_or_conflict(session, catalog)
    after = {
        "state": "published",
        "issue_no": catalog.issue_no,
        "snapshot_hash": catalog.snapshot_hash,
        "published_at": catalog.published_at,
        "supersedes_id": catalog.supersedes_id,
        "reference_versions": catalog.reference_versions,
        **(extra or {}),
    }
    append_audit(session, actor.username, action, "catalog", catalog.id, {"state": "draft"}, after)


def publish_catalog(
    session: Session,
    actor: Principal,
    catalog_id: int,
    *,
    reference: ReferenceSet | None = None,
    confirm_undetermined: int | None = None,
) -> Catalog:
    """Publish a draft catalog (regulator in scope). Conflict when it is not a draft, has no entries, or the
    reference tables changed since it was generated (then regenerate first).

    When entries are 无法判定, ``confirm_undetermined`` must be their number (the count the caller was shown;
    a stale count is refused too): :class:`ConfirmationRequired` otherwise.
    """
    require_role(actor, "regulator")
    catalog = require_catalog(session, actor, catalog_id, write=True).catalog
    lock_catalog_key(session, catalog.region_code, catalog.half, catalog.basis)
    if catalog.state != "draft":
        raise Conflict(
            f"catalog {catalog_id} is {catalog.state}; only a draft can be published",
            field="state",
            zh=f"该目录已是「{CATALOG_STATE_ZH.get(catalog.state, catalog.state)}」状态，只有草稿可以发布",
        )
    _check_what_it_supersedes(session, catalog)
    if not session.scalar(select(CatalogEntry.id).where(CatalogEntry.catalog_id == catalog.id).limit(1)):
        raise Conflict(f"catalog {catalog_id} has no entries; nothing to publish", zh="该目录没有任何条目，无可发布")
    if reference is not None:
        current = reference_versions_for(reference, catalog.edition)
        if current != catalog.reference_versions:
            raise Conflict(
                f"the reference tables changed since catalog {catalog_id} was generated "
                f"({catalog.reference_versions} → {current}); regenerate it before publishing",
                zh="生成此草稿后参考数据表已更新，请重新生成草稿后再发布",
            )
    undetermined = undetermined_count(session, catalog.id)
    if undetermined and confirm_undetermined != undetermined:
        raise ConfirmationRequired(
            f"目录中有 {undetermined} 条「无法判定」条目（参考数据行缺值或数据有误，见各条目原因）；"
            f"确认后才能发布：confirm_undetermined={undetermined}"
            + (f"（收到的确认数 {confirm_undetermined} 不符）" if confirm_undetermined is not None else "")
            + f" / {undetermined} entries are undetermined (无法判定); publish them only by confirming that "
            f"count (confirm_undetermined={undetermined})",
            count=undetermined,
            confirm="confirm_undetermined",
            zh=f"目录中有 {undetermined} 条「无法判定」条目（参考数据行缺值或数据有误，见各条目原因）；"
            f"请确认这 {undetermined} 条后再发布"
            + ("（您确认的条数与当前不符，请刷新后重新确认）" if confirm_undetermined is not None else ""),
        )
    _freeze(
        session, actor, catalog, "catalog.publish", {"undetermined_confirmed": undetermined} if undetermined else None
    )
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
    lock_catalog_key(session, entry.catalog.region_code, entry.catalog.half, entry.catalog.basis)
    head = head_of_chain(session, entry.catalog)
    if head.state != "published":
        raise Conflict(
            f"catalog {head.id} is {head.state}; a correction needs the published catalog in force",
            zh="更正须基于已发布的现行目录",
        )
    if reference_versions_for(reference, head.edition) != head.reference_versions:
        raise Conflict(
            f"the reference tables changed since catalog {head.id} was published; generate and "
            "publish a new catalog instead of a correction",
            zh="现行目录发布后参考数据表已更新，不能再作更正发布；请重新生成并发布新一期目录",
        )
    old_entries = catalog_entries(session, head.id)
    target = next((e for e in old_entries if _identity(e) == _identity(entry)), None)
    if target is None:
        raise Conflict(
            f"catalog {head.id} in force has no entry matching entry {entry.id}",
            zh="现行目录中已没有与申辩条目对应的条目，无法更正",
        )
    corrected_catalog = Catalog(
        region_code=head.region_code,
        edition=head.edition,
        half=head.half,
        basis=head.basis,
        state="draft",
        reference_versions=dict(head.reference_versions),
        issue_no=next_issue_no(session, head.region_code, head.half, head.basis),
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
