"""Data quality of the monitored data items (数据质量), per meter and day, and the enterprise quality index.

Rules (thresholds from the ``platform_rules`` reference table, PR-004…PR-013; docs/monitoring.md "Data quality"):

* **expected** values of a meter on an Asia/Shanghai day: real-time items one per reading interval (96 at
  15 min); day statistics one; month statistics one, on the month's 1st only (no row on other days).
* A value belongs to the day it is labelled for: real-time by its local date; a daily value by the nearest
  midnight within the day tolerance; a monthly value by the month of its time plus the month tolerance.
  **completeness** = min(received, expected) / expected; the item **passes** at ≥ 90 % (PR-004).
* **timely** values lie within the statistic-time tolerance of their label: daily 00:00 ± 1 min (PR-006), monthly
  the 1st 00:00 ± 1 day (PR-007), real-time on the interval grid ± PR-008 — and their day arrived in time: a
  meter's day (a month, for monthly statistics) whose last value arrived (``reading_arrival``, recorded at
  ingest) more than PR-014 hours after the period ended is ``late`` and counts no timely value. Days ingested
  before arrivals were recorded are judged by the statistic time only.
* **flagged** values: a counter drop (rollover or reset), a rate above ``max_rate``, or a conflicting value
  offered for the same (meter, ts). Validity = unflagged share.
* **calibrated**: ``calibrated_until`` on or after the day. **stale**: a real-time meter whose last value is more
  than PR-009 intervals before the end of the day (or now), looking back 31 days.
* **consistency**: a day or month statistic (kind ``interval``) × multiplier against the day or month rollup of the
  real-time meter with the same ``data_item_code`` (complete periods only): more than ± 5 % (PR-005) apart is
  ``inconsistent``. Rollups come from :func:`.service_rollups.meter_rollups`.
* Enterprise per day: completeness Σreceived/Σexpected, accuracy = calibrated meters / meters, timeliness =
  timely / values, validity = unflagged / values; the **index** is their weighted mean (weights PR-010…PR-013)
  over the sub-indices that exist. A month sums the daily counts (meter-days for accuracy).

Results are persisted (``meter_quality_day``, ``enterprise_quality_day``); a row computed before its period
ended is ``final = false`` and is computed again when read. Reading, the month view and the regulators' table
are in :mod:`.service_quality_read`; the thresholds and the counting query in :mod:`.service_quality_measure`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.monitoring.models import (
    EnterpriseQualityDay,
    Meter,
    MeterQualityDay,
    ReadingArrival,
)
from dualcarbon.monitoring.service_arrivals import arrivals_of, late_arrival
from dualcarbon.monitoring.service_quality_measure import LOOKBACK as LOOKBACK
from dualcarbon.monitoring.service_quality_measure import SUB_INDICES as SUB_INDICES
from dualcarbon.monitoring.service_quality_measure import QualityRules as QualityRules
from dualcarbon.monitoring.service_quality_measure import local_now as local_now
from dualcarbon.monitoring.service_quality_measure import measure
from dualcarbon.monitoring.service_rollups import meter_rollups
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.audit import append_audit

# Arbitrary constant key of the advisory lock serialising quality writers of one enterprise on PostgreSQL.
QUALITY_LOCK_KEY = 0x6451  # "dQ"


def _month_end(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _realtime_sums(
    session: Session,
    principal: Principal,
    reference: ReferenceSet,
    meters: list[Meter],
    first: date,
    last: date,
) -> dict[tuple[int, str, date], float]:
    """Complete day and month rollup energy of the real-time meters that have a statistic partner."""
    by_item: dict[str, list[Meter]] = defaultdict(list)
    for meter in meters:
        if meter.data_item_code:
            by_item[meter.data_item_code].append(meter)
    sums: dict[tuple[int, str, date], float] = {}
    for group in by_item.values():
        kinds = {m.statistic_type for m in group}
        for meter in (m for m in group if m.statistic_type == "realtime"):
            for interval in ("day", "month"):
                if interval not in kinds:
                    continue
                result = meter_rollups(session, principal, interval, first, last, reference, meter_id=meter.id)
                for period in result.periods:
                    if period.energy is not None and period.completeness >= 1.0:
                        sums[(meter.id, interval, period.start.date())] = period.energy
    return sums


def _problem(code: str, detail: str, detail_zh: str) -> dict[str, str]:
    return {"code": code, "detail": detail, "detail_zh": detail_zh}


def _consistency(
    meter: Meter, row: dict[str, Any], partners: list[Meter], sums: dict[tuple[int, str, date], float], tol: float
) -> dict[str, str] | None:
    if meter.statistic_type == "realtime" or meter.kind != "interval" or row["stat_value"] is None:
        return None
    for partner in partners:
        total = sums.get((partner.id, meter.statistic_type, row["day"]))
        if not total:
            continue
        stated = row["stat_value"] * meter.multiplier
        deviation = (stated - total) / total * 100
        if abs(deviation) > tol:
            return _problem(
                "inconsistent",
                f"{stated:g} {meter.unit} vs real-time {partner.code} {total:g} {meter.unit}: "
                f"{deviation:+.1f} % (tolerance ±{tol:g} %)",
                f"{stated:g} {meter.unit}，实时 {partner.code} 累计 {total:g} {meter.unit}，偏差 {deviation:+.1f}%"
                f"（允许 ±{tol:g}%）",
            )
    return None


def _meter_row(
    meter: Meter,
    row: dict[str, Any],
    rules: QualityRules,
    inconsistent: dict[str, str] | None,
    now: datetime,
    arrival: ReadingArrival | None = None,
) -> MeterQualityDay:
    day: date = row["day"]
    expected, values = int(row["expected"]), int(row["value_count"])
    received = min(values, expected)
    passed = received * 100 >= rules.completeness_min_pct * expected
    calibrated = meter.calibrated_until is not None and meter.calibrated_until >= day
    problems: list[dict[str, str]] = []
    if values == 0:
        problems.append(_problem("no_data", f"0/{expected} values", f"应收 {expected} 条，实收 0 条"))
    elif not passed:
        share = received / expected * 100
        minimum = rules.completeness_min_pct
        problems.append(
            _problem(
                "incomplete",
                f"{received}/{expected} values ({share:.1f} % < {minimum:g} %)",
                f"应收 {expected} 条，实收 {received} 条（{share:.1f}% < {minimum:g}%）",
            )
        )
    late = values - int(row["timely"])
    if late:
        problems.append(
            _problem("off_schedule", f"{late} value(s) off the statistic time", f"{late} 条统计时间超出允许偏差")
        )
    if row["flagged"]:
        flagged = row["flagged"]
        problems.append(
            _problem(
                "flagged",
                f"{flagged} value(s) flagged (counter drop, rate, conflict)",
                f"{flagged} 条异常（计数回落、速率超限或冲突）",
            )
        )
    if meter.calibrated_until is None:
        problems.append(_problem("calibration_unknown", "no calibrated_until date", "未登记检定有效期"))
    elif not calibrated:
        until = meter.calibrated_until
        problems.append(_problem("calibration_expired", f"calibration valid until {until}", f"检定有效期至 {until}"))
    if row["stale"] and values:  # a day without values is already "no_data"
        last = f"{row['last_lt']:%Y-%m-%d %H:%M}"
        problems.append(_problem("stale", f"last value {last}", f"最后一条数据 {last}"))
    if inconsistent:
        problems.append(inconsistent)
    period_end = _month_end(day) if meter.statistic_type == "month" else day + timedelta(days=1)
    arrived_late = late_arrival(
        arrival, datetime(period_end.year, period_end.month, period_end.day), rules.arrival_deadline_hours
    )
    if arrived_late:
        problems.append(arrived_late)
    return MeterQualityDay(
        meter_id=meter.id,
        day=day,
        enterprise_id=meter.enterprise_id,
        expected=expected,
        received=received,
        value_count=values,
        timely=0 if arrived_late else int(row["timely"]),  # a day that arrived late has no timely value
        flagged=int(row["flagged"]),
        calibrated=calibrated,
        completeness=received / expected,
        passed=passed,
        problems=problems,
        final=now >= datetime(period_end.year, period_end.month, period_end.day),
    )


def sub_indices(
    meters: int, calibrated: int, expected: int, received: int, values: int, flagged: int, timely: int
) -> dict[str, float | None]:
    """The four sub-indices from the counts (None where there is nothing to measure)."""
    return {
        "completeness": received / expected if expected else None,
        "accuracy": calibrated / meters if meters else None,
        "timeliness": timely / values if values else None,
        "validity": (values - flagged) / values if values else None,
    }


def quality_index(subs: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Weighted mean of the sub-indices that exist; None when none does."""
    present = [(weights[name], value) for name, value in subs.items() if value is not None]
    total = sum(w for w, _ in present)
    return sum(w * v for w, v in present) / total if present and total else None


@dataclass
class QualityMeasured:
    """What :func:`measure_quality` found for one enterprise's days [first, last], for :func:`store_quality`."""

    enterprise_id: int
    credit_code: str
    meter_ids: list[int]
    first: date
    last: date
    meter_days: list[MeterQualityDay]
    enterprise_days: list[EnterpriseQualityDay]


def compute_quality(
    session: Session,
    principal: Principal,
    enterprise: Enterprise,
    first: date,
    last: date,
    reference: ReferenceSet,
    *,
    audit: bool = True,
) -> int:
    """Measure and store the quality of every meter of ``enterprise`` (scope is the caller's business) on the
    days [first, last] that have begun; returns the number of meter-day rows written. Audited, except when
    ``audit`` is false: the live alert loop re-measures derived rows every minute (the nightly job is audited).
    The two steps are :func:`measure_quality` (reads only) and :func:`store_quality` (writes only), which the live
    loop runs in two transactions so that SQLite's write lock is held for the writes alone."""
    measured = measure_quality(session, principal, enterprise, first, last, reference)
    return 0 if measured is None else store_quality(session, principal, measured, audit=audit)


def measure_quality(
    session: Session,
    principal: Principal,
    enterprise: Enterprise,
    first: date,
    last: date,
    reference: ReferenceSet,
) -> QualityMeasured | None:
    """The quality rows of [first, last] for ``enterprise``, computed and not stored; None without meters."""
    rules = QualityRules.of(reference)
    # A virtual meter is computed from its members and never receives values: it is no data item of its own
    # (counting it gave every enterprise with one a "no_data" item and an uncalibrated meter each day).
    meters = list(
        session.scalars(
            select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.kind != "virtual").order_by(Meter.id)
        )
    )
    if not meters or last < first:
        return None
    now = local_now()
    rows = measure(session, enterprise, meters, first, last, rules)
    sums = _realtime_sums(session, principal, reference, meters, first, last)
    by_id = {m.id: m for m in meters}
    arrivals = arrivals_of(session, list(by_id), first, last)
    partners: dict[str, list[Meter]] = defaultdict(list)
    for meter in meters:
        if meter.data_item_code and meter.statistic_type == "realtime":
            partners[meter.data_item_code].append(meter)
    results: list[MeterQualityDay] = []
    for row in rows:
        meter = by_id[row["meter_id"]]
        found = partners.get(meter.data_item_code or "", [])
        inconsistent = _consistency(meter, row, found, sums, rules.consistency_tolerance_pct)
        results.append(_meter_row(meter, row, rules, inconsistent, now, arrivals.get((meter.id, row["day"]))))
    return QualityMeasured(
        enterprise.id,
        enterprise.credit_code,
        list(by_id),
        first,
        last,
        results,
        _enterprise_rows(enterprise.id, results, rules),
    )


def store_quality(session: Session, principal: Principal, measured: QualityMeasured, *, audit: bool = True) -> int:
    """Replace the stored quality rows of the measured days with ``measured``; the number of meter-day rows."""
    first, last = measured.first, measured.last
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k, :e)"), {"k": QUALITY_LOCK_KEY, "e": measured.enterprise_id}
        )
    session.execute(
        delete(MeterQualityDay).where(
            MeterQualityDay.meter_id.in_(measured.meter_ids), MeterQualityDay.day >= first, MeterQualityDay.day <= last
        )
    )
    session.execute(
        delete(EnterpriseQualityDay).where(
            EnterpriseQualityDay.enterprise_id == measured.enterprise_id,
            EnterpriseQualityDay.day >= first,
            EnterpriseQualityDay.day <= last,
        )
    )
    session.add_all(measured.meter_days)
    session.add_all(measured.enterprise_days)
    if not audit:
        session.flush()
        return len(measured.meter_days)
    append_audit(
        session,
        principal.username,
        "quality.compute",
        "enterprise",
        measured.credit_code,
        after={"from": first.isoformat(), "to": last.isoformat(), "meter_days": len(measured.meter_days)},
    )
    session.flush()
    return len(measured.meter_days)


def _enterprise_rows(
    enterprise_id: int, results: list[MeterQualityDay], rules: QualityRules
) -> list[EnterpriseQualityDay]:
    by_day: dict[date, list[MeterQualityDay]] = defaultdict(list)
    for row in results:
        by_day[row.day].append(row)
    out = []
    for day, rows in sorted(by_day.items()):
        counts = {
            "meters": len(rows),
            "calibrated": sum(r.calibrated for r in rows),
            "expected": sum(r.expected for r in rows),
            "received": sum(r.received for r in rows),
            "values": sum(r.value_count for r in rows),
            "flagged": sum(r.flagged for r in rows),
            "timely": sum(r.timely for r in rows),
        }
        subs = sub_indices(**counts)
        out.append(
            EnterpriseQualityDay(
                enterprise_id=enterprise_id,
                day=day,
                meters=counts["meters"],
                calibrated_meters=counts["calibrated"],
                expected=counts["expected"],
                received=counts["received"],
                value_count=counts["values"],
                timely=counts["timely"],
                flagged=counts["flagged"],
                quality_index=quality_index(subs, rules.weights),
                final=all(r.final for r in rows),
                **subs,
            )
        )
    return out
