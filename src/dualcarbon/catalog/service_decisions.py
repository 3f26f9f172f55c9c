"""Decisions that outlive a generation: upheld appeals carried into later catalogs of the same key.

An upheld appeal (申辩成立) re-classifies one entry in a corrected re-issue
(:mod:`dualcarbon.catalog.service_publish`). Generating the catalog again rebuilds every entry from the
approved reports, which would quietly put the appealed figure back. This module stops that:

* the **fingerprint** of an entry is a sha256 over the inputs a decision on it judged — the annual report
  (its id and the content hash of the version), the benchmark row (id, edition, unit) and the reference
  values the basis uses (标杆/基准 or the GB grades). It does not cover the appealed figure itself: that is
  what the decision replaced;
* when a catalog of a region and basis is generated, the latest upheld appeal on each line of the same
  annual report (same report, production unit and product) is looked up. Same fingerprint → the entry takes
  the decided figures (``evidence.decision.state == "carried"``). Another fingerprint (the report was
  corrected and approved again, or the reference row changed) → the entry keeps what the new inputs give
  and shows the earlier decision for review (``"needs_review"``): never a silent revert. Once a catalog
  holding such a flagged entry has been published (the review screen and the publish dialog showed it), the
  same changed inputs are no longer flagged in later generations (``"reviewed"``, the decision still shown).

A decision reaches every half-year built from the same annual report (the schedule builds H1 and H2 of a
year from the same reports), not other report years.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.catalog.schemas_evidence import DecisionState, Evidence, EvidenceDecision
from dualcarbon.catalog.service_evidence import EntryDraft, extend
from dualcarbon.core.vocab import TIER_ZH
from dualcarbon.store.audit import canonical_json

#: What a decision is about: (annual report id, production unit id, product).
LineKey = tuple[int, int | None, str]
REFERENCE_VALUES = ("benchmark", "baseline", "grade_1", "grade_2", "grade_3")


def fingerprint_parts(evidence: Evidence, basis: str) -> dict[str, Any]:
    """The inputs a decision on an entry judged, by part (``report``, ``reference``)."""
    report = evidence.report
    row = evidence.row
    reference = evidence.reference
    return {
        "report": None
        if report is None
        else [report.id, report.content_hash if report.content_hash is not None else f"version:{report.version_id}"],
        "reference": {
            "basis": basis,
            "row": None if row is None else [row.id, row.edition, row.unit],
            "values": None if reference is None else {key: getattr(reference, key) for key in REFERENCE_VALUES},
        },
    }


def fingerprint(evidence: Evidence, basis: str) -> str:
    """sha256 (hex) of the canonical JSON of :func:`fingerprint_parts`."""
    return hashlib.sha256(canonical_json(fingerprint_parts(evidence, basis)).encode("utf-8")).hexdigest()


def line_key(report_id: int | None, production_unit_id: int | None, product: str) -> LineKey | None:
    return None if report_id is None else (report_id, production_unit_id, product)


@dataclass(frozen=True)
class Decision:
    """An upheld appeal and the entry of the corrected re-issue that holds its figures."""

    appeal_id: int
    corrected_catalog_id: int | None
    entry: CatalogEntry
    evidence: Evidence

    def marker(self, state: DecisionState, basis: str, current: Evidence | None = None) -> EvidenceDecision:
        """The ``evidence.decision`` of a generated entry; ``current``: the new inputs (needs_review only)."""
        decision = EvidenceDecision(
            state=state,
            appeal_id=self.appeal_id,
            corrected_catalog_id=self.corrected_catalog_id,
            decided_entry_id=self.entry.id,
            decided_value=self.entry.value,
            decided_unit=self.entry.unit,
            decided_tier=self.entry.tier,
            fingerprint=fingerprint(self.evidence, basis),
        )
        if current is None:
            return decision
        decided = fingerprint_parts(self.evidence, basis)
        changed = [part for part, value in fingerprint_parts(current, basis).items() if decided[part] != value]
        return decision.model_copy(update={"current_fingerprint": fingerprint(current, basis), "changed": changed})


def decisions_for(session: Session, region_code: str, basis: str) -> dict[LineKey, Decision]:
    """The latest upheld appeal per report line among the catalogs of ``region_code`` on ``basis``."""
    appealed = aliased(CatalogEntry)
    rows = session.execute(
        select(Appeal.id, Appeal.corrected_catalog_id, CatalogEntry)
        .join(appealed, appealed.id == Appeal.catalog_entry_id)
        .join(Catalog, Catalog.id == Appeal.corrected_catalog_id)
        .join(
            CatalogEntry,
            (CatalogEntry.catalog_id == Appeal.corrected_catalog_id)
            & (CatalogEntry.enterprise_id == appealed.enterprise_id),
        )
        .where(Appeal.state == "upheld", Catalog.region_code == region_code, Catalog.basis == basis)
        .order_by(Appeal.decided_at, Appeal.id)
    )
    found: dict[LineKey, Decision] = {}
    for appeal_id, corrected_catalog_id, entry in rows:
        evidence = Evidence.model_validate(entry.evidence or {})
        if evidence.appeal is None or evidence.appeal.id != appeal_id:
            continue  # another line of the same enterprise in the corrected issue
        key = line_key(evidence.report.id if evidence.report else None, entry.production_unit_id, entry.product)
        if key is not None:
            found[key] = Decision(appeal_id, corrected_catalog_id, entry, evidence)  # later decisions win
    return found


def reviewed_inputs(session: Session, region_code: str, basis: str) -> set[tuple[int, str]]:
    """(appeal id, fingerprint of the changed inputs) of the entries flagged "needs_review" in a catalog of
    ``region_code`` on ``basis`` that was published (in force or superseded since)."""
    flagged = session.scalars(
        select(CatalogEntry.evidence)
        .join(Catalog, Catalog.id == CatalogEntry.catalog_id)
        .where(
            Catalog.region_code == region_code,
            Catalog.basis == basis,
            Catalog.state != "draft",
            CatalogEntry.evidence["decision"]["state"].as_string() == "needs_review",
        )
    )
    seen: set[tuple[int, str]] = set()
    for evidence in flagged:
        decision = Evidence.model_validate(evidence or {}).decision
        if decision is not None and decision.current_fingerprint:
            seen.add((decision.appeal_id, decision.current_fingerprint))
    return seen


def _carried(draft: EntryDraft, decision: Decision, basis: str) -> EntryDraft:
    """The decided figures on the new draft's report line (report version and line ids of the new draft)."""
    decided = decision.entry
    given = {key: getattr(draft.evidence, key) for key in ("report", "output_line_id")}
    evidence = extend(
        decision.evidence,
        **{key: value for key, value in given.items() if value is not None},
        decision=decision.marker("carried", basis),
    )
    return replace(
        draft,
        benchmark_row_id=decided.benchmark_row_id,
        value=decided.value,
        unit=decided.unit,
        tier=decided.tier,
        gap_to_benchmark=decided.gap_to_benchmark,
        gap_to_baseline=decided.gap_to_baseline,
        saving_to_benchmark_tce=decided.saving_to_benchmark_tce,
        evidence=evidence,
    )


def apply_decisions(
    session: Session, drafts: Sequence[EntryDraft], *, region_code: str, basis: str
) -> tuple[list[EntryDraft], dict[str, int]]:
    """``drafts`` with the earlier decisions applied (carried or flagged), and how many of each."""
    decisions = decisions_for(session, region_code, basis)
    counts = {"carried": 0, "needs_review": 0, "reviewed": 0}
    if not decisions:
        return list(drafts), counts
    published_reviews = reviewed_inputs(session, region_code, basis)
    out: list[EntryDraft] = []
    for draft in drafts:
        report = draft.evidence.report
        key = line_key(report.id if report else None, draft.production_unit_id, draft.product)
        decision = decisions.get(key) if key is not None else None
        if decision is None:
            out.append(draft)
        elif fingerprint(draft.evidence, basis) == fingerprint(decision.evidence, basis):
            out.append(_carried(draft, decision, basis))
            counts["carried"] += 1
        else:
            seen = (decision.appeal_id, fingerprint(draft.evidence, basis)) in published_reviews
            state: DecisionState = "reviewed" if seen else "needs_review"
            marker = decision.marker(state, basis, draft.evidence)
            out.append(replace(draft, evidence=extend(draft.evidence, decision=marker)))
            counts[state] += 1
    return out, counts


DECISION_STATE_ZH = {"carried": "沿用申辩决定", "needs_review": "决定需复核", "reviewed": "已复核（按新数据）"}


def decision_note(evidence: Evidence) -> str | None:
    """The earlier decision behind an entry in one sentence (Chinese first), or None."""
    decision = evidence.decision
    if decision is None:
        return None
    tier = TIER_ZH.get(decision.decided_tier, decision.decided_tier)
    figure = f"{decision.decided_value:g} {decision.decided_unit}（{tier}）"
    if decision.state == "carried":
        return (
            f"沿用申辩 #{decision.appeal_id} 的决定：{figure}，所判定的输入未变 / upheld appeal "
            f"#{decision.appeal_id} carried: its inputs are unchanged"
        )
    changed = "、".join({"report": "年报", "reference": "参考数据行"}.get(part, part) for part in decision.changed)
    if decision.state == "reviewed":
        return (
            f"申辩 #{decision.appeal_id} 曾判定 {figure}；其判定的输入（{changed or '输入'}）变更后，按新输入计算的目录"
            f"已在复核提示下发布过，本条按新输入计算 / appeal #{decision.appeal_id} decided {figure}; the changed "
            "inputs were published once with that decision shown for review"
        )
    return (
        f"决定需复核：申辩 #{decision.appeal_id} 曾判定 {figure}，但其判定的输入（{changed or '输入'}）已变更，"
        f"本条按新输入计算 / decision needs review: appeal #{decision.appeal_id} decided {figure}, "
        "its inputs changed since"
    )
