"""Review of subsidy applications: submitted → in_review → approved → paid, or rejected.

* ``review`` (take it up), ``approve`` and ``reject``: a regulator of the application's region (or admin);
  ``approve`` needs an eligible application with an amount > 0 and draws the amount from the rule's budget
  pool for the year (:mod:`.service_pools`; refused with a message when there is no pool or it is exhausted),
  after counting the rule's caps again under a lock (:mod:`.service_caps`: the amount is reduced to what a cap
  leaves, with a trace line; refused when a cap is used up);
  ``reject`` needs a note and releases the evidence's claims (it may be applied for again).
* ``pay``: records the payment (拨付) of an approved application — amount, date, voucher.

Every decision claims the application's ``lock_version`` first (two simultaneous decisions: one wins, the other
gets 409) and is audited.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, PermissionDenied
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.registry.service_access import region_in_scope
from dualcarbon.store.audit import append_audit
from dualcarbon.store.base import utcnow
from dualcarbon.store.versioning import claim_row
from dualcarbon.subsidies.models import SubsidyApplication, SubsidyClaim, SubsidyPayment
from dualcarbon.subsidies.schemas import STATE_ZH, ApplicationOut, DecisionIn, PaymentIn
from dualcarbon.subsidies.service_applications import application_out, load_application
from dualcarbon.subsidies.service_caps import recheck_on_approval
from dualcarbon.subsidies.service_pools import draw, pool_for

#: action → (states it starts from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "review": (("submitted",), "in_review"),
    "approve": (("submitted", "in_review"), "approved"),
    "reject": (("submitted", "in_review"), "rejected"),
    "pay": (("approved",), "paid"),
}


def _prepare(
    session: Session, actor: Principal, application_id: int, action: str, seen: int | None
) -> SubsidyApplication:
    row = load_application(session, actor, application_id)
    if not region_in_scope(session, actor, row.region_code):
        raise PermissionDenied("this decision needs the regulator of the applicant's region")
    sources, _ = TRANSITIONS[action]
    if row.state not in sources:
        raise Conflict(
            f"申请当前状态为{STATE_ZH[row.state]}，不能执行该操作 / application {row.id} is {row.state}; "
            f"{action} needs {'/'.join(sources)}",
            field="state",
        )
    if seen is not None and seen != row.lock_version:
        raise Conflict(
            f"application {row.id} was changed by someone else meanwhile (version {row.lock_version}, you loaded "
            f"{seen}); reload it and try again"
        )
    claim_row(session, row, what=f"application {row.id}")
    return row


def decide(session: Session, actor: Principal, application_id: int, spec: DecisionIn) -> ApplicationOut:
    row = _prepare(session, actor, application_id, spec.action, spec.lock_version)
    before = {"state": row.state}
    after: dict[str, object] = {"state": TRANSITIONS[spec.action][1], "note": spec.note}
    if spec.action == "reject":
        if not spec.note:
            raise InvalidInput("a rejection needs its reason", field="note", zh="请填写不予支持的理由")
        session.execute(delete(SubsidyClaim).where(SubsidyClaim.application_id == row.id))
        after["released_claims"] = True
    if spec.action == "approve":
        if not row.eligible or row.amount_yuan <= 0:
            raise InvalidInput(
                f"application {row.id} is not eligible (amount {row.amount_yuan:g} 元)",
                field="eligible",
                zh="申请不符合条件或金额为零，不能批准",
            )
        requested = row.amount_yuan
        cap_lines = recheck_on_approval(session, resolve_pack(row.pack_id), row)
        if cap_lines:
            after.update(caps=[line["cap"] for line in cap_lines])
        if row.amount_yuan != requested:
            after.update(amount_before_caps_yuan=requested)
        pool = pool_for(session, row.pack_id, row.rule_key, row.year, row.region_code)
        if pool is None:
            raise Conflict(
                f"no budget pool for {row.pack_id}/{row.rule_key} {row.year} covering region {row.region_code}",
                field="pool",
                zh=f"{row.year} 年该补贴项目尚未设立预算资金池",
            )
        draw(session, pool, row.amount_yuan)
        row.pool_id = pool.id
        after.update(pool_id=pool.id, amount_yuan=row.amount_yuan, pool_committed_yuan=pool.committed_yuan)
    if spec.action != "review":
        row.decided_by = actor.username
        row.decided_at = utcnow()
        row.decision_note = spec.note
    row.state = TRANSITIONS[spec.action][1]
    session.flush()
    append_audit(session, actor.username, f"subsidy.{spec.action}", "subsidy_application", row.id, before, after)
    return application_out(session, row)


def pay(session: Session, actor: Principal, application_id: int, spec: PaymentIn) -> ApplicationOut:
    row = _prepare(session, actor, application_id, "pay", spec.lock_version)
    payment = SubsidyPayment(
        application_id=row.id,
        amount_yuan=row.amount_yuan,
        paid_on=spec.paid_on,
        voucher=spec.voucher,
        recorded_by=actor.username,
    )
    session.add(payment)
    row.state = "paid"
    session.flush()
    append_audit(
        session,
        actor.username,
        "subsidy.pay",
        "subsidy_application",
        row.id,
        {"state": "approved"},
        {"state": "paid", "amount_yuan": row.amount_yuan, "paid_on": spec.paid_on, "voucher": spec.voucher},
    )
    return application_out(session, row)
