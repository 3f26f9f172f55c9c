"""Report prefill: monitoring totals per carrier for an enterprise's month or year, beside its report energy lines.

``monitoring_prefill(session, principal, credit_code, year, month=None, reference)`` sums the enterprise's
counted meters (:mod:`.service_tree`, monthly rollups) over the month, or the 12 months of the year when
``month`` is omitted, per (carrier, unit), and puts them beside the energy lines of the enterprise's report for
the same period (``period_report`` of kind ``month`` / ``year``, its current version; reports is a lower layer).

Per carrier: ``monitoring`` (energy in the meters' unit), ``monitoring_tce`` (当量值), ``completeness`` (mean
over the meters and months), ``flags``; ``reported`` = the sum of the report's lines of that carrier in the
unit of its first line; ``monitoring_in_reported_unit`` converts the monitored energy into that unit;
``deviation`` = monitoring − reported (in the reported unit) and ``deviation_pct`` = deviation ÷ reported ×
100 — null when either side is unknown, the report figure is 0, or the units measure different quantities
(``deviation_reason`` says which). Carriers only reported, or only monitored, are listed too.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError, InvalidInput, zh_en
from dualcarbon.core.units import convert
from dualcarbon.monitoring.service_rollups import finite_tree
from dualcarbon.monitoring.service_tree import counted_meters_query, tree_rollups
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion

#: The platform rule (reference data, PR-004) below whose completeness a monitored total is not compared.
COMPLETENESS_RULE = "quality_completeness_min_pct"


def _report_lines(session: Session, enterprise_id: int, year: int, month: int | None) -> tuple[Any, dict[str, Any]]:
    kind, period = ("month", month) if month else ("year", 0)
    report = session.scalar(
        select(PeriodReport).where(
            PeriodReport.enterprise_id == enterprise_id,
            PeriodReport.period_kind == kind,
            PeriodReport.year == year,
            PeriodReport.period == period,
        )
    )
    lines: dict[str, Any] = {}
    if report is None or report.current_version_id is None:
        return report, lines
    version = session.get(PeriodReportVersion, report.current_version_id)
    for line in version.energy_lines if version else []:
        entry = lines.setdefault(line.carrier_id, {"unit": line.unit, "quantity": 0.0, "problem": None})
        try:
            entry["quantity"] += convert(line.quantity, line.unit, entry["unit"])
        except DualcarbonError as exc:
            entry["problem"] = f"report lines of {line.carrier_id} in units that cannot be added: {exc}"
    return report, lines


def period_bounds(period_kind: str, year: int, period: int) -> tuple[date, date]:
    """First and last day (inclusive, Asia/Shanghai) of a report period: a year (0), quarter 1-4 or month 1-12."""
    first_month, months = {"year": (1, 12), "quarter": (3 * period - 2, 3), "month": (period, 1)}[period_kind]
    last_month = first_month + months - 1
    last = date(year + (last_month == 12), last_month % 12 + 1, 1) - timedelta(days=1)
    return date(year, first_month, 1), last


def monitored_totals(
    session: Session, principal: Principal, credit_code: str, first: date, last: date, reference: ReferenceSet
) -> dict[str, dict[str, dict[str, Any]]]:
    """Carrier → unit → the enterprise's counted meters summed over the months ``first`` … ``last``:
    ``energy`` (null when no meter has any), ``tce``, ``completeness`` (mean over meters and months),
    ``flags``, ``meters`` (how many) and ``meter_codes`` (the counted meters of that carrier and unit)."""
    totals = finite_tree(tree_rollups(session, principal, "enterprise", credit_code, "month", first, last, reference))
    codes: dict[tuple[str, str], list[str]] = {}
    enterprise = require_enterprise(session, principal, credit_code)
    for meter in session.scalars(counted_meters_query([enterprise.id])):
        codes.setdefault((meter.carrier, meter.unit), []).append(meter.code)
    monitored: dict[str, dict[str, dict[str, Any]]] = {}
    for group in totals["carriers"]:
        periods = group["periods"]
        energies = [p["energy"] for p in periods if p["energy"] is not None]
        flags: list[str] = []
        for p in periods:
            flags.extend(f for f in p["flags"] if f not in flags)
        monitored.setdefault(group["carrier"], {})[group["unit"]] = {
            "energy": sum(energies) if energies else None,
            "tce": sum(p["tce"] for p in periods if p["tce"] is not None) if energies else None,
            "completeness": sum(p["completeness"] for p in periods) / len(periods) if periods else 0.0,
            "flags": flags,
            "meters": group["meters"],
            "meter_codes": sorted(codes.get((group["carrier"], group["unit"]), [])),
        }
    return monitored


def monitoring_prefill(
    session: Session,
    principal: Principal,
    credit_code: str,
    year: int,
    month: int | None,
    reference: ReferenceSet,
) -> dict[str, Any]:
    """Monitoring totals beside the report's energy lines (see the module docstring); JSON-ready."""
    if not 1990 <= year <= 2199:
        zh = f"{year} 不是可预填的年份（1990–2199）"
        raise InvalidInput(zh_en(zh, f"{year} is not a plausible year (1990–2199)"), field="year", zh=zh)
    if month is not None and not 1 <= month <= 12:
        zh = "月份须为 1 至 12，或不填（全年）"
        raise InvalidInput(zh_en(zh, "must be 1 to 12, or omitted for the year"), field="month", zh=zh)
    min_pct = float(reference.platform_rule(COMPLETENESS_RULE).value)
    enterprise = require_enterprise(session, principal, credit_code)
    first, last = period_bounds("month" if month else "year", year, month or 0)
    monitored = monitored_totals(session, principal, enterprise.credit_code, first, last, reference)
    report, reported = _report_lines(session, enterprise.id, year, month)
    lines = []
    for carrier in sorted(set(monitored) | set(reported)):
        by_unit = monitored.get(carrier, {None: None})
        for unit, m in by_unit.items():
            lines.append(_line(carrier, unit, m, reported.get(carrier), min_pct))
    return {
        "credit_code": enterprise.credit_code,
        "year": year,
        "month": month,
        "period_kind": "month" if month else "year",
        "timezone": "Asia/Shanghai",
        "report": None
        if report is None
        else {"id": report.id, "state": report.state, "version": report.version, "period": report.period},
        "completeness_min_pct": min_pct,
        "lines": lines,
    }


def _line(
    carrier: str, unit: str | None, m: dict[str, Any] | None, r: dict[str, Any] | None, min_pct: float
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "carrier": carrier,
        "monitoring": m["energy"] if m else None,
        "monitoring_unit": unit,
        "monitoring_tce": m["tce"] if m else None,
        "completeness": m["completeness"] if m else None,
        "flags": m["flags"] if m else [],
        "meters": m["meters"] if m else 0,
        "reported": r["quantity"] if r else None,
        "reported_unit": r["unit"] if r else None,
        "monitoring_in_reported_unit": None,
        "deviation": None,
        "deviation_pct": None,
        "deviation_reason": None,
        "deviation_reason_zh": None,
    }

    def reason(en: str, zh: str) -> dict[str, Any]:
        out["deviation_reason"], out["deviation_reason_zh"] = en, zh
        return out

    if r is None:
        return reason("not in the report", "报告中没有该能源品种")
    if r["problem"]:
        return reason(r["problem"], f"报告中该品种的能源行计量单位无法相加（{r['problem']}）")
    if m is None or m["energy"] is None or unit is None:
        return reason("no monitoring data", "没有监测数据")
    try:
        value = convert(m["energy"], unit, r["unit"])
    except DualcarbonError as exc:
        return reason(str(exc), exc.message_in("zh"))
    out["monitoring_in_reported_unit"] = value
    if m["completeness"] * 100.0 < min_pct:
        # An incomplete total is short by the missing intervals, not by a difference from the report: no deviation.
        pct = f"{m['completeness'] * 100.0:.1f}"
        return reason(
            f"monitoring completeness {pct} % is below the {min_pct:g} % minimum ({COMPLETENESS_RULE}): "
            "the total is incomplete, no meaningful deviation",
            f"监测数据完整率 {pct}% 低于 {min_pct:g}% 的要求，监测合计不完整，偏差无意义",
        )
    out["deviation"] = value - r["quantity"]
    if not r["quantity"]:
        return reason("reported quantity is 0: no percentage", "报告数量为 0，无法计算偏差百分比")
    out["deviation_pct"] = (value - r["quantity"]) / r["quantity"] * 100.0
    return out
