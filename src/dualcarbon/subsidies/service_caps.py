"""Caps across applications (封顶): what was already granted in a cap's scope, and what is left of it.

A pack rule's cap (:class:`dualcarbon.reference.policy_incentives.Cap`) bounds grants in a scope:

* ``project`` — the same applicant and the same thing funded (``project:<id>``, ``pv:<asset>``,
  ``storage:<asset>``, ``designation:<id>``), every year; diagnosis reports have no such subject, so there the
  cap bounds the one grant;
* ``enterprise`` — the same applicant (enterprise or agency), every year (累计);
* ``enterprise_year`` — the same applicant in the application's year;
* ``year`` — every applicant in the application's year (the rule's yearly total);
* ``cumulative`` — every applicant, every year (the rule's total).

"Granted" counts approved and paid applications under the rule — or, when the cap names a ``group``, under
every rule of the pack with a cap of that group (a prepayment and its settlement share one cap).

On applying, :func:`granted_facts` gives the evaluation the ``granted_<per>_yuan`` facts it subtracts
(``project``: :func:`project_cap_lines` does it here, the evaluation bounds only the one grant). On approving,
:func:`recheck_on_approval` counts again under a lock — PostgreSQL: a transaction advisory lock per cap
ledger; SQLite: the write lock every writing transaction takes at BEGIN — so two approvals at once cannot
both use the same room: the second sees the first's grant, and its amount is reduced to what is left, or it
is refused (409) when nothing is left. Each step is a trace line naming the cap, its clause, the amount used
and what remains.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dualcarbon.core.errors import Conflict
from dualcarbon.domain.rules_zh import CAP_SCOPE_ZH, cap_zh, money_zh, subject_zh
from dualcarbon.reference.policy import PolicyPack
from dualcarbon.reference.policy_incentives import Cap, IncentiveRule, fmt
from dualcarbon.subsidies.models import SubsidyApplication

GRANTED_STATES = ("approved", "paid")
#: the fact the evaluation subtracts for a cap (domain.rules.GRANTED)
GRANTED_FACT = "granted_{}_yuan"
#: arbitrary constant first key of the advisory locks serialising approvals under one cap ledger (PostgreSQL)
CAPS_LOCK_KEY = 7311
SCOPE_ZH = CAP_SCOPE_ZH
#: evidence kind → the key of the thing funded, from the evidence summary stored with the application
SUBJECT_OF = {
    "project": ("project", "project_id"),
    "pv_generation": ("pv", "asset_id"),
    "storage_discharge": ("storage", "asset_id"),
    "designation": ("designation", "designation_id"),
}


@dataclass(frozen=True)
class CapHolder:
    """Whose grants an applicant-scoped cap counts: an enterprise or an agency (one of the two is set)."""

    enterprise_id: int | None
    agency_id: int | None


@dataclass(frozen=True)
class CapUse:
    cap: Cap
    rule_keys: tuple[str, ...]
    used_yuan: float
    application_ids: tuple[int, ...]

    @property
    def remaining_yuan(self) -> float:
        return max(self.cap.max_yuan - self.used_yuan, 0.0)


def subject_of(evidence_kind: str, evidence: dict[str, Any]) -> str | None:
    """``project:12``, ``pv:3`` … — the thing an application funds, or None (diagnosis reports)."""
    found = SUBJECT_OF.get(evidence_kind)
    if found is None or evidence.get(found[1]) is None:
        return None
    return f"{found[0]}:{evidence[found[1]]}"


def ledger_rules(pack: PolicyPack, rule: IncentiveRule, cap: Cap) -> tuple[str, ...]:
    """The rule keys whose grants count against ``cap``: its group's rules, else the rule itself."""
    if not cap.group:
        return (rule.key,)
    return tuple(r.key for r in pack.rules if any(c.group == cap.group for c in r.caps))


def cap_use(
    session: Session,
    pack: PolicyPack,
    rule: IncentiveRule,
    cap: Cap,
    *,
    applicant: CapHolder,
    year: int,
    subject: str | None,
    exclude_id: int | None = None,
) -> CapUse:
    """What approved and paid applications already used of ``cap`` in its scope (columns read afresh)."""
    keys = ledger_rules(pack, rule, cap)
    query = select(
        SubsidyApplication.id,
        SubsidyApplication.amount_yuan,
        SubsidyApplication.evidence_kind,
        SubsidyApplication.evidence,
    ).where(
        SubsidyApplication.pack_id == pack.id,
        SubsidyApplication.rule_key.in_(keys),
        SubsidyApplication.state.in_(GRANTED_STATES),
    )
    if exclude_id is not None:
        query = query.where(SubsidyApplication.id != exclude_id)
    if cap.per in ("project", "enterprise", "enterprise_year"):
        if applicant.enterprise_id is not None:
            query = query.where(SubsidyApplication.enterprise_id == applicant.enterprise_id)
        else:
            query = query.where(SubsidyApplication.agency_id == applicant.agency_id)
    if cap.per in ("enterprise_year", "year"):
        query = query.where(SubsidyApplication.year == year)
    rows = session.execute(query.order_by(SubsidyApplication.id)).all()
    if cap.per == "project":
        rows = [r for r in rows if subject is not None and subject_of(r.evidence_kind, r.evidence) == subject]
    return CapUse(cap, keys, sum(float(r.amount_yuan) for r in rows), tuple(int(r.id) for r in rows))


def _counted(use: CapUse, subject: str | None) -> str:
    rules = "/".join(use.rule_keys) + (f" (cap group {use.cap.group})" if use.cap.group else "")
    where = f" on {subject}" if use.cap.per == "project" and subject else ""
    ids = ", ".join(f"#{i}" for i in use.application_ids) or "none"
    return f"counted: approved and paid applications under {rules}{where}: {ids}"


def _counted_zh(use: CapUse, subject: str | None) -> str:
    """Without a cap group the ledger is the rule itself (本项补助); a group names its rules' keys."""
    rules = f"上限组 {use.cap.group}（{'/'.join(use.rule_keys)}）" if use.cap.group else "本项补助"
    where = f"，对象 {subject_zh(subject)}" if use.cap.per == "project" and subject else ""
    ids = "、".join(f"#{i}" for i in use.application_ids) or "无"
    return f"已计入{rules}下已批准及已拨付的申请{where}：{ids}"


def granted_facts(
    session: Session, pack: PolicyPack, rule: IncentiveRule, applicant: CapHolder, year: int, subject: str | None
) -> tuple[dict[str, float], dict[str, CapUse]]:
    """The ``granted_<per>_yuan`` facts of the rule's caps other than ``project``, and the use behind each."""
    facts: dict[str, float] = {}
    uses: dict[str, CapUse] = {}
    for cap in rule.caps:
        if cap.per == "project":
            continue
        use = cap_use(session, pack, rule, cap, applicant=applicant, year=year, subject=subject)
        name = GRANTED_FACT.format(cap.per)
        facts[name] = use.used_yuan
        uses[name] = use
    return facts, uses


def _cap_info(use: CapUse) -> dict[str, Any]:
    cap = use.cap
    return {
        "per": cap.per,
        "per_zh": SCOPE_ZH[cap.per],
        "group": cap.group or None,
        "max_yuan": cap.max_yuan,
        "used_yuan": round(use.used_yuan, 6),
        "remaining_yuan": round(use.remaining_yuan, 6),
    }


def _line(rule: IncentiveRule, use: CapUse, condition: tuple[str, str], value: float, passed: bool) -> dict[str, Any]:
    """A cap's trace line; ``condition`` is the (English, Chinese) pair."""
    cap = use.cap
    return {
        "rule": rule.id,
        "clause": cap.source.clause if cap.source else rule.source.clause,
        "condition": condition[0],
        "condition_zh": condition[1],
        "value": round(value, 6),
        "passed": passed,
        "cap": _cap_info(use),
    }


def project_cap_lines(
    session: Session,
    pack: PolicyPack,
    rule: IncentiveRule,
    applicant: CapHolder,
    year: int,
    subject: str | None,
    amount_yuan: float,
) -> tuple[float, list[dict[str, Any]]]:
    """``project`` caps across earlier grants on the same subject: the amount left and one trace line each."""
    lines: list[dict[str, Any]] = []
    for cap in rule.caps:
        if cap.per != "project" or subject is None or amount_yuan <= 0:
            continue
        use = cap_use(session, pack, rule, cap, applicant=applicant, year=year, subject=subject)
        passed = amount_yuan <= use.remaining_yuan
        condition = (
            f"amount ≤ cap {fmt(cap.max_yuan)} 元 per project less {fmt(use.used_yuan)} 元 granted before on "
            f"{subject} (room {fmt(use.remaining_yuan)} 元)"
        )
        zh = f"{cap_zh(cap.max_yuan, 'project', use.used_yuan, use.remaining_yuan)}（对象 {subject_zh(subject)}）"
        line = _line(rule, use, (condition, zh), amount_yuan, passed)
        lines.append({**line, "note": _counted(use, subject), "note_zh": _counted_zh(use, subject)})
        amount_yuan = min(amount_yuan, use.remaining_yuan)
    return amount_yuan, lines


def annotate(trace: list[dict[str, Any]], uses: dict[str, CapUse], subject: str | None) -> None:
    """Add to the evaluation's cap lines (they name ``per <scope>``) the cap's use: what was counted, what is left."""
    for line in trace:
        condition = str(line.get("condition", ""))
        for use in uses.values():
            if condition.startswith("amount ≤ cap") and condition.split(" less ")[0].endswith(f"per {use.cap.per}"):
                line["note"] = _counted(use, subject)
                line["note_zh"] = _counted_zh(use, subject)
                line["cap"] = _cap_info(use)


def _lock(session: Session, pack_id: str, ledgers: Iterable[str]) -> None:
    """Serialise approvals under the same cap ledgers (PostgreSQL; SQLite writers are serialised already)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for ledger in sorted(set(ledgers)):  # one order everywhere: no deadlock between two ledgers
        key = zlib.crc32(f"{pack_id}/{ledger}".encode()) - 2**31  # a signed 32-bit key
        session.execute(text("SELECT pg_advisory_xact_lock(:k, :l)"), {"k": CAPS_LOCK_KEY, "l": key})


def recheck_on_approval(session: Session, pack: PolicyPack, row: SubsidyApplication) -> list[dict[str, Any]]:
    """Count every cap of the application's rule again under a lock; reduce its amount to what is left.

    Returns the trace lines added (one per cap); raises ``Conflict`` when a cap has nothing left.
    Changes ``row.amount_yuan`` (and ``row.result``) when a cap leaves less than the amount applied for.
    """
    rule = pack.incentive(row.rule_key)
    if not rule.caps:
        return []
    _lock(session, pack.id, (cap.group or f"rule:{rule.key}" for cap in rule.caps))
    applicant = CapHolder(row.enterprise_id, row.agency_id)
    subject = subject_of(row.evidence_kind, row.evidence)
    lines: list[dict[str, Any]] = []
    amount = row.amount_yuan
    for cap in rule.caps:
        if cap.per == "project" and subject is None:
            continue  # the evaluation bounded the one grant
        use = cap_use(session, pack, rule, cap, applicant=applicant, year=row.year, subject=subject, exclude_id=row.id)
        if use.remaining_yuan <= 0:
            raise Conflict(
                f"cap {fmt(cap.max_yuan)} 元 per {cap.per} of {rule.id} is used up "
                f"({fmt(use.used_yuan)} 元 granted: {', '.join(f'#{i}' for i in use.application_ids)})",
                field="amount_yuan",
                zh=f"{SCOPE_ZH[cap.per]}补助上限 {fmt(cap.max_yuan)} 元已用完"
                f"（已批准 {fmt(use.used_yuan)} 元），不能批准",
            )
        passed = amount <= use.remaining_yuan
        condition = (
            f"at approval: amount ≤ cap {fmt(cap.max_yuan)} 元 per {cap.per} less {fmt(use.used_yuan)} 元 granted "
            f"(room {fmt(use.remaining_yuan)} 元)"
        )
        zh = "批准时核对：" + cap_zh(cap.max_yuan, cap.per, use.used_yuan, use.remaining_yuan)
        line = _line(rule, use, (condition, zh), amount, passed)
        line["note"] = _counted(use, subject) + ("" if passed else f"; amount reduced to {fmt(use.remaining_yuan)} 元")
        line["note_zh"] = _counted_zh(use, subject) + ("" if passed else f"；金额核减为 {money_zh(use.remaining_yuan)}")
        lines.append(line)
        amount = min(amount, use.remaining_yuan)
    if amount != row.amount_yuan:
        row.amount_yuan = amount
    result = dict(row.result)
    result["trace"] = [*result.get("trace", []), *lines]
    result["amount_yuan"] = round(amount, 6)
    row.result = result
    return lines
