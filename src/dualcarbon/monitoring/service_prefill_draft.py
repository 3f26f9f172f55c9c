"""预填: write the monitored energy of a report's period into the report's draft (a new content version).

``prefill_report_draft(session, principal, report_id, reference)`` takes the totals of the enterprise's counted
meters over the report's period (:func:`.service_prefill.monitored_totals`, monthly rollups; a year, quarter or
month report) and puts them into the energy lines of the report's current content, carrier by carrier:

* one report line of the carrier → its quantity is replaced by the monitored energy converted into the line's
  unit (``filled``); its use, NCV and the enterprise's own tce figure stay;
* no report line, but monitored energy → a new line in the meters' unit, use ``fuel`` (``added``);
* everything else stays as the enterprise entered it (``manual``, with the reason): carriers without counted
  meters or without data in the period, several report lines of one carrier (the meters cannot split them by
  use), units that cannot be converted, and — unless ``include_incomplete`` — monitored data whose completeness
  is below the quality rule's minimum (``quality_completeness_min_pct``, PR-004): an incomplete total would
  understate the consumption.

Only into a report the caller may write (``registry.service_access``; out of read scope → 404) and only while it
is editable (草稿 / 已退回; otherwise ``Conflict`` → 409 with a Chinese message). The new version is saved through
the reports workflow (:func:`dualcarbon.reports.service_workflow.update_draft`: its own checks, version and audit
row) and one ``report.prefill`` audit row names what came from which meters — all in the caller's transaction.
``dry_run`` answers the same plan without saving.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, DualcarbonError, PermissionDenied
from dualcarbon.core.units import convert
from dualcarbon.monitoring.service_prefill import monitored_totals, period_bounds
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.service_access import can_write_enterprise_data
from dualcarbon.reports.service_content import EnergyLineIn
from dualcarbon.reports.service_workflow import EDITABLE_STATES, current_content, load_report, state_label, update_draft
from dualcarbon.store.audit import append_audit

Action = Literal["filled", "added", "manual"]
#: Why a line stays as entered (``reason_code``; ``reason`` says it in English, the page translates the code).
ReasonCode = Literal["no_meter", "no_data", "several_lines", "incomplete", "unit"]


class PrefillDraftLine(BaseModel):
    """What the prefill did with one carrier: the quantity now in the draft and where it came from."""

    carrier: str
    action: Action
    quantity: float | None  # in ``unit``: the monitored energy written, or the manual figure that stays
    unit: str | None
    previous: float | None  # the draft's quantity before (same unit), None for an added line
    meters: list[str]  # codes of the counted meters summed (empty for a manual line)
    completeness: float | None
    flags: list[str]
    reason: str | None  # why a line stayed manual
    reason_code: ReasonCode | None = None


class PrefillDraftResult(BaseModel):
    """``POST /api/v1/reports/{id}/prefill``: the draft after (or, with ``dry_run``, before) the prefill."""

    report_id: int
    credit_code: str
    period_kind: str
    year: int
    period: int
    first_day: str
    last_day: str
    state: str
    version: int
    new_version: bool
    dry_run: bool
    completeness_min_pct: float
    lines: list[PrefillDraftLine]


def _tidy(value: float) -> float:
    return float(f"{value:.10g}")  # drop binary noise (2975.9999999997) before it reaches a report


def _monitored_in(unit: str, by_unit: dict[str, dict[str, Any]]) -> tuple[float | None, str | None]:
    """The carrier's monitored energy summed into ``unit`` over the meters' units, or the reason it cannot be."""
    total = 0.0
    for meter_unit, m in by_unit.items():
        if m["energy"] is None:
            continue
        try:
            total += convert(m["energy"], meter_unit, unit)
        except DualcarbonError as exc:
            return None, f"meters in {meter_unit} cannot be converted into {unit}: {exc}"
    return _tidy(total), None


def _plan(
    lines: list[EnergyLineIn],
    monitored: dict[str, dict[str, dict[str, Any]]],
    min_completeness: float,
    include_incomplete: bool,
) -> tuple[list[EnergyLineIn], list[PrefillDraftLine]]:
    new_lines = list(lines)
    plan: list[PrefillDraftLine] = []
    carriers = list(dict.fromkeys([line.carrier for line in lines] + sorted(monitored)))
    for carrier in carriers:
        at = [i for i, line in enumerate(lines) if line.carrier == carrier]
        by_unit = monitored.get(carrier, {})
        known = {u: m for u, m in by_unit.items() if m["energy"] is not None}
        codes = sorted({c for m in known.values() for c in m["meter_codes"]})
        flags = sorted({f for m in known.values() for f in m["flags"]})
        completeness = min((m["completeness"] for m in known.values()), default=None)
        current = lines[at[0]] if len(at) == 1 else None
        unit = current.unit if current else next(iter(known), None)
        code: ReasonCode | None = None
        quantity: float | None = None
        if not by_unit:
            code, reason = "no_meter", "no counted meter of this carrier"
        elif not known:
            code, reason = "no_data", "no monitoring data in the period"
        elif len(at) > 1:
            uses = ", ".join(lines[i].use for i in at)
            code = "several_lines"
            reason = f"{len(at)} report lines of this carrier (uses {uses}): the meters cannot split them"
        elif completeness is not None and completeness * 100.0 < min_completeness and not include_incomplete:
            code = "incomplete"
            reason = f"monitoring completeness {completeness * 100.0:.1f} % is below {min_completeness:g} %"
        else:
            quantity, problem = _monitored_in(unit or "", known)
            code, reason = ("unit", problem or "") if quantity is None else (None, "")
        if quantity is None:
            base = {"completeness": completeness, "flags": flags, "reason": reason, "reason_code": code}
            for i in at:  # the enterprise's own figures stay, line by line
                plan.append(_manual(lines[i].carrier, lines[i].quantity, lines[i].unit, base))
            if not at:
                plan.append(_manual(carrier, None, None, base))
            continue
        if current is not None:
            new_lines[at[0]] = current.model_copy(update={"quantity": quantity})
        else:
            new_lines.append(EnergyLineIn(carrier=carrier, quantity=quantity, unit=unit or ""))
        plan.append(
            PrefillDraftLine(
                carrier=carrier,
                action="filled" if current is not None else "added",
                quantity=quantity,
                unit=unit,
                previous=current.quantity if current is not None else None,
                meters=codes,
                completeness=completeness,
                flags=flags,
                reason=None,
            )
        )
    return new_lines, plan


def _manual(carrier: str, quantity: float | None, unit: str | None, base: dict[str, Any]) -> PrefillDraftLine:
    return PrefillDraftLine(
        carrier=carrier, action="manual", quantity=quantity, unit=unit, previous=quantity, meters=[], **base
    )


def prefill_report_draft(
    session: Session,
    principal: Principal,
    report_id: int,
    reference: ReferenceSet,
    *,
    include_incomplete: bool = False,
    dry_run: bool = False,
) -> PrefillDraftResult:
    """Fill the report's draft from the metered data (module docstring); the caller's transaction commits."""
    report = load_report(session, principal, report_id)
    if not can_write_enterprise_data(session, principal, report.enterprise):
        raise PermissionDenied(
            "only the enterprise, its agency or its regulator may fill this report",
            zh="只有报告企业本身、其代理机构或主管部门可以预填此报告",
        )
    if report.state not in EDITABLE_STATES:
        allowed = "或".join(f"「{state_label(s)}」" for s in EDITABLE_STATES)
        raise Conflict(
            f"report {report.id} is {report.state}; only a draft or returned report can be filled from monitoring",
            field="state",
            zh=f"该报告当前为「{state_label(report.state)}」，只能向{allowed}状态的报告预填监测数据",
        )
    first, last = period_bounds(report.period_kind, report.year, report.period)
    credit_code = report.enterprise.credit_code
    monitored = monitored_totals(session, principal, credit_code, first, last, reference)
    min_pct = reference.platform_rule("quality_completeness_min_pct").value
    content = current_content(report)
    new_lines, plan = _plan(list(content.energy_lines), monitored, min_pct, include_incomplete)
    added = False
    if not dry_run:
        before = {"version": report.version}
        report, added = update_draft(
            session, principal, report.id, content.model_copy(update={"energy_lines": new_lines}), reference=reference
        )
        after = {
            "version": report.version,
            "new_version": added,
            "period": f"{first.isoformat()}..{last.isoformat()}",
            "include_incomplete": include_incomplete,
            "lines": [
                line.model_dump(include={"carrier", "action", "quantity", "unit", "meters", "reason_code"})
                for line in plan
            ],
        }
        append_audit(session, principal.username, "report.prefill", "period_report", report.id, before, after)
    return PrefillDraftResult(
        report_id=report.id,
        credit_code=credit_code,
        period_kind=report.period_kind,
        year=report.year,
        period=report.period,
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        state=report.state,
        version=report.version,
        new_version=added,
        dry_run=dry_run,
        completeness_min_pct=min_pct,
        lines=plan,
    )
