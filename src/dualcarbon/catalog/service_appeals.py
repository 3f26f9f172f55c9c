"""Appeals (申辩) against entries of a published catalog: filing, expert review, decision, re-issue.

Owns the appeal workflow of the 云南 plan (seeds/004 §二（二）: "经企业申辩和专家评审后…"):

    filed ──assign expert (regulator)──▶ under_review ──opinion (the expert)──▶ decide (regulator)
                                                                           ├─▶ upheld  → corrected re-issue
                                                                           └─▶ rejected

* an enterprise user files on its own entry of the catalog in force (published, not superseded); another
  enterprise's entry is *not found*; one open appeal per entry;
* a regulator whose subtree holds the catalog's region assigns a reviewer (expert) covering that region;
* only the assigned expert records the opinion; the regulator decides once an opinion exists;
* upheld: the corrected value (given with the decision, else the one in the appeal's evidence, in the
  entry's unit unless ``corrected_unit`` says otherwise) re-classifies the entry in a new issue of the
  catalog (``supersedes_id`` = old, next issue number, its own snapshot hash); the old issue becomes
  ``superseded`` and the appeal records ``corrected_catalog_id``. Nothing is edited in place.

Every step is audit-logged; a step out of order is a Conflict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.catalog.models import Appeal, Catalog, CatalogEntry
from dualcarbon.catalog.schemas import AppealOut
from dualcarbon.catalog.schemas_evidence import AppealEvidence, EvidenceAppeal
from dualcarbon.catalog.service import require_catalog
from dualcarbon.catalog.service_publish import Correction, reissue_with_correction
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.core.vocab import CATALOG_STATE_ZH, TIER_ZH
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter, region_in_scope
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row

APPEAL_STATE_ZH = {
    "filed": "已提交申辩",
    "under_review": "专家评审中",
    "upheld": "申辩成立（已更正）",
    "rejected": "申辩不成立",
}
DECISIONS = ("upheld", "rejected")
OPEN_STATES = ("filed", "under_review")
_MAX_TEXT = 10_000
_TEXT_ZH = {"reason": "申辩理由", "opinion": "评审意见", "text": "决定说明"}


def _text(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput("must not be empty", field=field, zh=f"请填写{_TEXT_ZH.get(field, '内容')}")
    if len(text) > _MAX_TEXT:
        raise InvalidInput(
            f"at most {_MAX_TEXT} characters",
            field=field,
            zh=f"{_TEXT_ZH.get(field, '内容')}最多 {_MAX_TEXT} 个字符",
        )
    return text


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(
            f"must be a finite number, got {value!r}", field=field, zh=f"更正值须为有效数字，收到「{value}」"
        )
    return float(value)


def check_evidence(evidence: AppealEvidence | Mapping[str, Any] | None) -> AppealEvidence:
    """The evidence of an appeal as typed data: corrected figures are finite numbers, documents names.

    A mapping (JSON sent by a form or a script) is validated; a wrong part is an InvalidInput naming
    ``evidence.<key>``. Keys the schema does not know are kept as sent.
    """
    if evidence is None:
        return AppealEvidence()
    if isinstance(evidence, AppealEvidence):
        return evidence
    if not isinstance(evidence, Mapping):
        raise InvalidInput("must be a JSON object", field="evidence", zh="申辩证据格式有误")
    try:
        return AppealEvidence.model_validate(dict(evidence))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(
            str(first["msg"]),
            field=f"evidence.{where}" if where else "evidence",
            zh="申辩证据中的更正数值或附件名称有误，请检查后重新提交",
        ) from None


# ---- reading -------------------------------------------------------------------------------------------
def appeal_filter(principal: Principal) -> ColumnElement[bool]:
    """SQL condition (over Appeal joined with Enterprise) of the appeals ``principal`` may read."""
    condition = enterprise_filter(principal)
    if principal.user_id is not None:
        condition = or_(condition, Appeal.expert_user_id == principal.user_id)
    return condition


def appeal_out(appeal: Appeal, entry: CatalogEntry, enterprise: Enterprise, expert: str | None) -> AppealOut:
    """An appeal with the entry it is against and where the workflow stands."""
    return AppealOut(
        id=appeal.id,
        catalog_id=entry.catalog_id,
        entry_id=entry.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        product=entry.product,
        benchmark_row_id=entry.benchmark_row_id,
        value=entry.value,
        unit=entry.unit,
        tier=entry.tier,
        tier_zh=TIER_ZH.get(entry.tier, entry.tier),
        state=appeal.state,
        state_zh=APPEAL_STATE_ZH.get(appeal.state, appeal.state),
        reason=appeal.reason,
        evidence=AppealEvidence.model_validate(appeal.evidence or {}),
        expert=expert,
        expert_opinion=appeal.expert_opinion,
        decision=appeal.decision,
        filed_at=appeal.filed_at.isoformat(),
        decided_at=appeal.decided_at.isoformat() if appeal.decided_at else None,
        corrected_catalog_id=appeal.corrected_catalog_id,
    )


def _row_query() -> Any:
    return (
        select(Appeal, CatalogEntry, Enterprise, User.username)
        .join(CatalogEntry, CatalogEntry.id == Appeal.catalog_entry_id)
        .join(Enterprise, Enterprise.id == Appeal.enterprise_id)
        .outerjoin(User, User.id == Appeal.expert_user_id)
    )


def list_appeals(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    catalog_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AppealOut], int]:
    """Appeals the caller may read (own enterprise, region subtree, or assigned to them as expert)."""
    conditions = [appeal_filter(principal)]
    if state:
        if state not in APPEAL_STATE_ZH:
            raise InvalidInput(
                f"unknown state '{state}' ({', '.join(APPEAL_STATE_ZH)})",
                field="state",
                zh="未知的申辩状态（可选：" + "、".join(APPEAL_STATE_ZH.values()) + "）",
            )
        conditions.append(Appeal.state == state)
    if catalog_id is not None:
        conditions.append(CatalogEntry.catalog_id == catalog_id)
    total = (
        session.scalar(
            select(func.count(Appeal.id))
            .join(CatalogEntry, CatalogEntry.id == Appeal.catalog_entry_id)
            .join(Enterprise, Enterprise.id == Appeal.enterprise_id)
            .where(*conditions)
        )
        or 0
    )
    rows = session.execute(_row_query().where(*conditions).order_by(Appeal.id.desc()).limit(limit).offset(offset))
    return [appeal_out(*row) for row in rows], total


def _load(session: Session, principal: Principal, appeal_id: int) -> tuple[Appeal, CatalogEntry, Enterprise]:
    row = session.execute(_row_query().where(Appeal.id == appeal_id, appeal_filter(principal))).first()
    if row is None:
        raise NotFound(f"appeal {appeal_id} not found", zh="未找到该申辩，或您无权查看")
    return row[0], row[1], row[2]


def get_appeal(session: Session, principal: Principal, appeal_id: int) -> AppealOut:
    """One appeal the caller may read; NotFound otherwise."""
    appeal, entry, enterprise = _load(session, principal, appeal_id)
    expert = session.get(User, appeal.expert_user_id) if appeal.expert_user_id else None
    return appeal_out(appeal, entry, enterprise, expert.username if expert else None)


def _snapshot(appeal: Appeal) -> dict[str, Any]:
    return {
        "state": appeal.state,
        "expert_user_id": appeal.expert_user_id,
        "expert_opinion": appeal.expert_opinion,
        "decision": appeal.decision,
        "corrected_catalog_id": appeal.corrected_catalog_id,
    }


# ---- the workflow -------------------------------------------------------------------------------------------
def file_appeal(
    session: Session,
    actor: Principal,
    catalog_id: int,
    entry_id: int,
    reason: str,
    evidence: AppealEvidence | Mapping[str, Any] | None = None,
) -> Appeal:
    """An enterprise user appeals its own entry of the catalog in force."""
    access = require_catalog(session, actor, catalog_id)
    entry = session.get(CatalogEntry, entry_id)
    visible = (
        entry is not None
        and entry.catalog_id == catalog_id
        and session.scalar(select(Enterprise.id).where(Enterprise.id == entry.enterprise_id, access.entry_condition))
    )
    if entry is None or not visible:
        raise NotFound(f"entry {entry_id} not found in catalog {catalog_id}", zh="该目录中没有这一条目，或您无权查看")
    own = any(g.role == "enterprise" and g.enterprise_id == entry.enterprise_id for g in actor.grants)
    if not (own or actor.is_admin):
        raise PermissionDenied(
            "only the enterprise itself may appeal its catalog entry", zh="只有企业本身可以对其目录条目提出申辩"
        )
    if access.catalog.state != "published":
        raise Conflict(
            f"catalog {catalog_id} is {access.catalog.state}; appeal against the catalog in force",
            zh=f"该目录为「{CATALOG_STATE_ZH.get(access.catalog.state, access.catalog.state)}」，请对现行目录提出申辩",
        )
    reason_text = _text(reason, "reason")
    checked = check_evidence(evidence).model_dump()
    # one open appeal per entry: lock the entry row (PostgreSQL; SQLite writers are serialised already) so
    # that of two filings at once the second waits, then sees the first one's appeal
    session.execute(select(CatalogEntry.id).where(CatalogEntry.id == entry.id).with_for_update())
    open_appeal = session.scalar(
        select(Appeal.id).where(Appeal.catalog_entry_id == entry.id, Appeal.state.in_(OPEN_STATES))
    )
    if open_appeal is not None:
        raise Conflict(
            f"entry {entry_id} already has an open appeal ({open_appeal})",
            zh="该条目已有一件尚未办结的申辩，请在其办结后再提出新的申辩",
        )
    appeal = Appeal(
        catalog_entry_id=entry.id,
        enterprise_id=entry.enterprise_id,
        state="filed",
        reason=reason_text,
        evidence=checked,
    )
    session.add(appeal)
    session.flush()
    append_audit(
        session,
        actor.username,
        "appeal.file",
        "appeal",
        appeal.id,
        None,
        {"catalog_id": catalog_id, "entry_id": entry.id, "reason": reason_text, "evidence": checked, "state": "filed"},
    )
    return appeal


def _require_regulator_of(session: Session, actor: Principal, appeal_id: int) -> tuple[Appeal, CatalogEntry]:
    appeal, entry, _ = _load(session, actor, appeal_id)
    require_role(actor, "regulator")
    require_catalog(session, actor, entry.catalog_id, write=True)
    return appeal, entry


def assign_expert(session: Session, actor: Principal, appeal_id: int, expert: str) -> Appeal:
    """A regulator in scope hands a filed appeal to a reviewer (expert) covering the catalog's region."""
    appeal, entry = _require_regulator_of(session, actor, appeal_id)
    user = session.scalar(select(User).where(User.username == (expert or "").strip()))
    catalog = session.get(Catalog, entry.catalog_id)
    assert catalog is not None
    if user is None or user.disabled:
        raise InvalidInput(
            f"no active user '{expert}'", field="expert", zh=f"没有可用的用户「{expert}」，请从列表中选择专家"
        )
    candidate = principal_for(session, user)
    if not candidate.has_role("reviewer") or not (
        candidate.is_unscoped_reviewer()
        or region_in_scope(session, candidate, catalog.region_code, roles=("reviewer",))
    ):
        raise InvalidInput(
            f"user '{expert}' is not a reviewer (expert) covering region {catalog.region_code}",
            field="expert",
            zh=f"「{expert}」不是负责本目录所在地区的评审专家，请从列表中选择",
        )
    if appeal.state != "filed":
        raise Conflict(
            f"appeal {appeal_id} is {appeal.state}; an expert is assigned to a filed appeal",
            field="state",
            zh=f"该申辩当前为「{APPEAL_STATE_ZH.get(appeal.state, appeal.state)}」，只有刚提交的申辩可以指派专家",
        )
    claim_row(session, appeal, what=f"appeal {appeal_id}")  # one winner per step (store.versioning)
    before = _snapshot(appeal)
    appeal.expert_user_id = user.id
    appeal.state = "under_review"
    session.flush()
    append_audit(
        session,
        actor.username,
        "appeal.assign",
        "appeal",
        appeal.id,
        before,
        {**_snapshot(appeal), "expert": user.username},
    )
    return appeal


def record_opinion(session: Session, actor: Principal, appeal_id: int, opinion: str) -> Appeal:
    """The assigned expert writes (or rewrites, until the decision) the review opinion."""
    appeal, _, _ = _load(session, actor, appeal_id)
    if not (actor.is_admin or (actor.user_id is not None and actor.user_id == appeal.expert_user_id)):
        raise PermissionDenied(
            "only the expert assigned to this appeal records its opinion", zh="只有被指派的评审专家可以填写评审意见"
        )
    if appeal.state != "under_review":
        raise Conflict(
            f"appeal {appeal_id} is {appeal.state}; an opinion is recorded while under review",
            field="state",
            zh=f"该申辩当前为「{APPEAL_STATE_ZH.get(appeal.state, appeal.state)}」，评审意见只能在专家评审中填写",
        )
    text = _text(opinion, "opinion")
    claim_row(session, appeal, what=f"appeal {appeal_id}")
    before = _snapshot(appeal)
    appeal.expert_opinion = text
    session.flush()
    append_audit(session, actor.username, "appeal.opinion", "appeal", appeal.id, before, _snapshot(appeal))
    return appeal


def decide_appeal(
    session: Session,
    actor: Principal,
    appeal_id: int,
    decision: str,
    text: str,
    corrected_value: float | None = None,
    *,
    reference: ReferenceSet,
) -> Appeal:
    """The regulator upholds (→ corrected re-issue) or rejects an appeal that has an expert opinion."""
    appeal, entry = _require_regulator_of(session, actor, appeal_id)
    if decision not in DECISIONS:
        raise InvalidInput(
            f"decision must be one of {', '.join(DECISIONS)}", field="decision", zh="决定只能是申辩成立或申辩不成立"
        )
    decision_text = _text(text, "text")
    if appeal.state != "under_review" or not appeal.expert_opinion:
        raise Conflict(
            f"appeal {appeal_id} is {appeal.state}"
            f"{'' if appeal.expert_opinion else ' without an expert opinion'}; "
            "it is decided after the expert review",
            field="state",
            zh=f"该申辩当前为「{APPEAL_STATE_ZH.get(appeal.state, appeal.state)}」"
            f"{'' if appeal.expert_opinion else '，尚无专家意见'}；须在专家评审后作出决定",
        )
    claim_row(session, appeal, what=f"appeal {appeal_id}")  # before the re-issue: a loser issues nothing
    before = _snapshot(appeal)
    if decision == "upheld":
        evidence = AppealEvidence.model_validate(appeal.evidence or {})
        value = corrected_value if corrected_value is not None else evidence.corrected_value
        if value is None:
            raise InvalidInput(
                "an upheld appeal needs the corrected value (or evidence.corrected_value)",
                field="corrected_value",
                zh="申辩成立时须填写更正后的单位产品能耗",
            )
        output = evidence.corrected_output
        correction = Correction(
            value=_number(value, "corrected_value"),
            appeal=EvidenceAppeal(
                id=appeal.id, reason=appeal.reason, decision=decision_text, documents=evidence.documents or []
            ),
            unit=evidence.corrected_unit or None,
            output=None if output is None else _number(output, "evidence.corrected_output"),
            output_unit=(evidence.corrected_output_unit or None) if output is not None else None,
        )
        corrected = reissue_with_correction(session, actor, entry, correction, reference=reference)
        appeal.corrected_catalog_id = corrected.id
    appeal.state = decision  # type: ignore[assignment]
    appeal.decision = decision_text
    appeal.decided_at = utcnow()
    session.flush()
    append_audit(
        session,
        actor.username,
        "appeal.decide",
        "appeal",
        appeal.id,
        before,
        {**_snapshot(appeal), "decided_at": appeal.decided_at},
    )
    return appeal
