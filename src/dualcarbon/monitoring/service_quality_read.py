"""Reading data quality: one enterprise's day or month (``dualcarbon quality show``, ``GET /api/v1/quality``),
the regulators' table of enterprises worst first (``GET /api/v1/quality/enterprises``), a meter's last days and
the paged meter register with each meter's latest quality (the web pages).

Days not measured yet, or measured before they ended, are measured first (:func:`.service_quality.compute_quality`);
the regulators' table only reads what is stored (the nightly ``dualcarbon quality compute`` fills it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound, zh_en
from dualcarbon.monitoring.models import EnterpriseQualityDay, Meter, MeterQualityDay
from dualcarbon.monitoring.schemas import MeterOut
from dualcarbon.monitoring.service_meters import FIELDS, get_meter
from dualcarbon.monitoring.service_quality import (
    QualityRules,
    compute_quality,
    local_now,
    quality_index,
    sub_indices,
)
from dualcarbon.monitoring.service_rollups import check_days
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise

DIGITS = 4


class QualityProblem(BaseModel):
    """A problem of a data item: its code (``incomplete``, ``no_data``, ``off_schedule``, ``late``, ``flagged``,
    ``calibration_expired``, ``calibration_unknown``, ``stale``, ``inconsistent``), a detail in English and in
    Chinese."""

    code: str
    detail: str
    detail_zh: str | None = None


class QualityItem(BaseModel):
    """The quality of one data item (meter) over the day or month asked for."""

    meter: str
    meter_id: int
    statistic_type: str
    expected: int
    received: int
    completeness: float | None
    passed: bool
    problems: list[QualityProblem]
    late_days: int = 0  # days whose data arrived after the deadline (``late``)


class QualityResult(BaseModel):
    """``dualcarbon quality show`` / ``GET /api/v1/quality``: the index, its sub-indices and the items."""

    enterprise: str
    name: str
    date: str  # YYYY-MM-DD, or YYYY-MM for a month
    period: Literal["day", "month"]
    index: float | None
    completeness: float | None
    accuracy: float | None
    timeliness: float | None
    validity: float | None
    meters: int
    items: list[QualityItem]
    late_items: int = 0  # items with at least one late day
    arrival_deadline_hours: float | None = None  # PR-014: hours after the period's end the data must arrive by


class EnterpriseQuality(BaseModel):
    """One row of the regulators' table."""

    enterprise: str
    name: str
    region_code: str
    date: date
    index: float | None
    completeness: float | None
    accuracy: float | None
    timeliness: float | None
    validity: float | None
    meters: int
    final: bool


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def period_days(day: date | None, month: str | None) -> tuple[date, date, str, Literal["day", "month"]]:
    """First and last day, label and kind of the period asked for (exactly one of a day or a month)."""
    if (day is None) == (month is None):
        zh = "请给出日期或月份（二者选一）"
        raise InvalidInput(zh_en(zh, "give either a date or a month"), field="date", zh=zh)
    if day is not None:
        return day, day, day.isoformat(), "day"
    try:
        year, number = (int(part) for part in str(month).split("-"))
        first = date(year, number, 1)
    except ValueError:
        zh = f"「{month}」不是月份（格式 YYYY-MM，如 2026-01）"
        raise InvalidInput(zh_en(zh, f"'{month}' is not a month YYYY-MM"), field="month", zh=zh) from None
    check_days(first, first, from_field="month", to_field="month")  # before the month end: 9999-12 overflowed
    last = date(year + (number == 12), number % 12 + 1, 1) - timedelta(days=1)
    return first, last, f"{year:04d}-{number:02d}", "month"


def ensure_quality(
    session: Session,
    principal: Principal,
    enterprise: Enterprise,
    first: date,
    last: date,
    reference: ReferenceSet,
    *,
    refresh: bool = False,
) -> None:
    """Measure the days of [first, last] that have begun and have no final stored result (all when ``refresh``)."""
    today = local_now().date()
    if first > today:
        zh = f"{first} 尚未开始（北京时间）"
        raise InvalidInput(zh_en(zh, f"{first} has not begun yet (Asia/Shanghai)"), field="date", zh=zh)
    check_days(first, first, from_field="date", to_field="date")  # 0001-01-01 overflowed in the measuring
    last = min(last, today)
    days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    if not refresh:
        final = session.scalars(
            select(EnterpriseQualityDay.day).where(
                EnterpriseQualityDay.enterprise_id == enterprise.id,
                EnterpriseQualityDay.day >= first,
                EnterpriseQualityDay.day <= last,
                EnterpriseQualityDay.final,
            )
        )
        days -= set(final)
    if days:
        compute_quality(session, principal, enterprise, min(days), max(days), reference)


def _items(rows: list[tuple[MeterQualityDay, str, str]], rules: QualityRules) -> list[QualityItem]:
    grouped: dict[int, list[tuple[MeterQualityDay, str, str]]] = defaultdict(list)
    for row in rows:
        grouped[row[0].meter_id].append(row)
    items = []
    for meter_id, group in grouped.items():
        expected = sum(r.expected for r, _, _ in group)
        received = sum(r.received for r, _, _ in group)
        if len(group) == 1:
            problems = [QualityProblem(**p) for p in group[0][0].problems]
        else:
            codes = Counter(p["code"] for r, _, _ in group for p in r.problems)
            problems = [
                QualityProblem(code=c, detail=f"{n} day(s)", detail_zh=f"{n} 天") for c, n in sorted(codes.items())
            ]
        items.append(
            QualityItem(
                meter=group[0][1],
                meter_id=meter_id,
                statistic_type=group[0][2],
                expected=expected,
                received=received,
                completeness=_round(received / expected) if expected else None,
                passed=received * 100 >= rules.completeness_min_pct * expected,
                problems=problems,
                late_days=sum(any(p["code"] == "late" for p in r.problems) for r, _, _ in group),
            )
        )
    return sorted(items, key=lambda i: i.meter)


def quality_show(
    session: Session,
    principal: Principal,
    credit_code: str,
    reference: ReferenceSet,
    *,
    day: date | None = None,
    month: str | None = None,
    refresh: bool = False,
) -> QualityResult:
    """The quality of an enterprise the caller may read on a day or in a month (measured first when needed)."""
    first, last, label, kind = period_days(day, month)
    enterprise = require_enterprise(session, principal, credit_code)
    ensure_quality(session, principal, enterprise, first, last, reference, refresh=refresh)
    rules = QualityRules.of(reference)
    rows = session.execute(
        select(MeterQualityDay, Meter.code, Meter.statistic_type)
        .join(Meter, Meter.id == MeterQualityDay.meter_id)
        .where(
            MeterQualityDay.enterprise_id == enterprise.id, MeterQualityDay.day >= first, MeterQualityDay.day <= last
        )
        .order_by(Meter.code, MeterQualityDay.day)
    ).all()
    days = list(
        session.scalars(
            select(EnterpriseQualityDay).where(
                EnterpriseQualityDay.enterprise_id == enterprise.id,
                EnterpriseQualityDay.day >= first,
                EnterpriseQualityDay.day <= last,
            )
        )
    )
    subs = sub_indices(
        meters=sum(d.meters for d in days),
        calibrated=sum(d.calibrated_meters for d in days),
        expected=sum(d.expected for d in days),
        received=sum(d.received for d in days),
        values=sum(d.value_count for d in days),
        flagged=sum(d.flagged for d in days),
        timely=sum(d.timely for d in days),
    )
    items = _items([(r[0], r[1], r[2]) for r in rows], rules)
    return QualityResult(
        enterprise=enterprise.credit_code,
        name=enterprise.name,
        date=label,
        period=kind,
        index=_round(quality_index(subs, rules.weights)),
        meters=len({r[0].meter_id for r in rows}),
        items=items,
        late_items=sum(1 for item in items if item.late_days),
        arrival_deadline_hours=rules.arrival_deadline_hours,
        **{name: _round(value) for name, value in subs.items()},
    )


def enterprise_quality_page(
    session: Session, principal: Principal, day: date, region: str | None, limit: int, offset: int
) -> tuple[list[EnterpriseQuality], int]:
    """Stored quality of the enterprises the caller may read on ``day``, worst index first (paged)."""
    conditions = [EnterpriseQualityDay.day == day, enterprise_filter(principal)]
    if region:
        if session.get(Region, region.strip()) is None:
            raise NotFound(f"region {region} not found", zh="未找到该地区，或不在您的管辖范围内")
        conditions.append(in_region_subtree(Enterprise.region_code, region.strip()))  # type: ignore[arg-type]
    base = select(EnterpriseQualityDay, Enterprise).join(
        Enterprise, Enterprise.id == EnterpriseQualityDay.enterprise_id
    )
    total = session.scalar(select(func.count()).select_from(EnterpriseQualityDay).join(Enterprise).where(*conditions))
    rows = session.execute(
        base.where(*conditions)
        .order_by(EnterpriseQualityDay.quality_index.asc().nulls_first(), Enterprise.credit_code)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        EnterpriseQuality(
            enterprise=e.credit_code,
            name=e.name,
            region_code=e.region_code,
            date=q.day,
            index=_round(q.quality_index),
            completeness=_round(q.completeness),
            accuracy=_round(q.accuracy),
            timeliness=_round(q.timeliness),
            validity=_round(q.validity),
            meters=q.meters,
            final=q.final,
        )
        for q, e in rows
    ], int(total or 0)


def meter_quality(
    session: Session, principal: Principal, meter_id: int, first: date, last: date, reference: ReferenceSet
) -> list[tuple[date, QualityItem]]:
    """The quality of one meter the caller may read, day by day over [first, last] (measured when needed)."""
    meter, enterprise = get_meter(session, principal, meter_id)
    ensure_quality(session, principal, enterprise, first, last, reference)
    rules = QualityRules.of(reference)
    rows = session.scalars(
        select(MeterQualityDay)
        .where(MeterQualityDay.meter_id == meter.id, MeterQualityDay.day >= first, MeterQualityDay.day <= last)
        .order_by(MeterQualityDay.day.desc())
    )
    return [(r.day, _items([(r, meter.code, meter.statistic_type)], rules)[0]) for r in rows]


def day_in_progress(day: date, statistic_type: str, now: datetime | None = None) -> bool:
    """True while a quality day (the month, for a meter of statistic type ``month``) has not ended in Asia/Shanghai
    time: its completeness is still growing, so it is shown as in progress (进行中), not as failed."""
    today = (now or local_now()).date()
    if statistic_type == "month":
        return (day.year, day.month) >= (today.year, today.month)
    return day >= today


def meters_page(
    session: Session, principal: Principal, credit_code: str, limit: int, offset: int, search: str = ""
) -> tuple[list[dict[str, Any]], int]:
    """One page of an enterprise's meters (by code) with each meter's latest stored quality day."""
    enterprise = require_enterprise(session, principal, credit_code)
    conditions = [Meter.enterprise_id == enterprise.id]
    if search:
        pattern = f"%{search.strip()}%"
        conditions.append(or_(Meter.code.ilike(pattern), Meter.data_item_code.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(Meter).where(*conditions))
    meters = list(session.scalars(select(Meter).where(*conditions).order_by(Meter.code).limit(limit).offset(offset)))
    latest: dict[int, MeterQualityDay] = {}
    if meters:
        last_day = (
            select(MeterQualityDay.meter_id, func.max(MeterQualityDay.day).label("day"))
            .where(MeterQualityDay.meter_id.in_([m.id for m in meters]))
            .group_by(MeterQualityDay.meter_id)
            .subquery()
        )
        for row in session.scalars(
            select(MeterQualityDay).join(
                last_day, (last_day.c.meter_id == MeterQualityDay.meter_id) & (last_day.c.day == MeterQualityDay.day)
            )
        ):
            latest[row.meter_id] = row
    items = []
    for meter in meters:
        quality = latest.get(meter.id)
        items.append(
            {
                "id": meter.id,
                "code": meter.code,
                "carrier": meter.carrier,
                "unit": meter.unit,
                "kind": meter.kind,
                "statistic_type": meter.statistic_type,
                "input_type": meter.input_type,
                "interval_minutes": meter.interval_minutes,
                "calibrated_until": meter.calibrated_until,
                "quality_day": quality.day if quality else None,
                "completeness": _round(quality.completeness) if quality else None,
                "passed": quality.passed if quality else None,
                "in_progress": quality is not None and day_in_progress(quality.day, meter.statistic_type),
            }
        )
    return items, int(total or 0)


def refresh_quality(
    session: Session,
    principal: Principal,
    first: date,
    last: date,
    reference: ReferenceSet,
    credit_code: str | None = None,
) -> dict[str, int]:
    """Measure [first, last] again for one enterprise, or every enterprise with meters the caller may read
    (the nightly job); returns the meter-day rows written per credit code."""
    if credit_code:
        enterprises = [require_enterprise(session, principal, credit_code)]
    else:
        with_meters = select(Meter.enterprise_id).distinct()
        enterprises = list(
            session.scalars(
                select(Enterprise)
                .where(Enterprise.id.in_(with_meters), enterprise_filter(principal))
                .order_by(Enterprise.credit_code)
            )
        )
    check_days(first, last, from_field="date", to_field="date")
    today = local_now().date()
    if first > today or last < first:
        zh = f"{first} 至 {last} 不是已经开始的日期范围（北京时间）"
        en = f"{first} … {last} is not a range of days that have begun"
        raise InvalidInput(zh_en(zh, en), field="date", zh=zh)
    return {
        e.credit_code: compute_quality(session, principal, e, first, min(last, today), reference) for e in enterprises
    }


def monitored_enterprises(session: Session, principal: Principal) -> list[tuple[str, str]]:
    """(credit code, name) of the enterprises with meters that the caller may read, by credit code."""
    rows = session.execute(
        select(Enterprise.credit_code, Enterprise.name)
        .where(Enterprise.id.in_(select(Meter.enterprise_id).distinct()), enterprise_filter(principal))
        .order_by(Enterprise.credit_code)
    ).all()
    return [(code, name) for code, name in rows]


def meter_detail(session: Session, principal: Principal, meter_id: int) -> MeterOut:
    """One meter the caller may read, as the register lists it (NotFound otherwise)."""
    meter, enterprise = get_meter(session, principal, meter_id)
    parent = session.get(Meter, meter.parent_id) if meter.parent_id else None
    return MeterOut(
        id=meter.id,
        credit_code=enterprise.credit_code,
        code=meter.code,
        parent_code=parent.code if parent else None,
        site_id=meter.site_id,
        production_unit_id=meter.production_unit_id,
        **{name: getattr(meter, name) for name in FIELDS},
    )
