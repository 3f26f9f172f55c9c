"""Reporting periods: deadlines per region and period, and the list of overdue enterprises.

A regulator sets the deadline of a period (year, quarter or month) for its region with ``set_deadline``;
it applies to every enterprise in that region's subtree unless a region nearer to the enterprise sets its
own (a district's deadline overrides its city's). An enterprise is *overdue* for a period whose effective
deadline lies before ``as_of`` when it has no report in state submitted, approved or locked for it —
a draft or a returned report does not count as filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.core.vocab import PERIOD_KINDS
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.registry.models import Enterprise, Region, subtree_codes
from dualcarbon.registry.service_access import enterprise_filter, region_in_scope, require_region
from dualcarbon.reports.models import PeriodReport, ReportingPeriod
from dualcarbon.reports.schemas import OverdueOut
from dualcarbon.store.audit import append_audit

FILED_STATES = ("submitted", "approved", "locked")


def check_period(period_kind: str, year: int, period: int, *, reference: ReferenceSet | None = None) -> None:
    """``InvalidInput`` unless the period exists: year → 0, quarter → 1-4, month → 1-12, and the year lies in
    the report year range of the reference data (platform_rules)."""
    if period_kind not in PERIOD_KINDS:
        raise InvalidInput(
            f"must be one of {', '.join(PERIOD_KINDS)}, got '{period_kind}'",
            field="period_kind",
            zh="报告期类型只能是年度、季度或月度",
        )
    first, last = (reference or load_reference()).report_year_range()
    if not first <= year <= last:
        raise InvalidInput(
            f"must be between {first} and {last}, got {year}",
            field="year",
            zh=f"年份须在 {first}–{last} 之间，收到 {year}",
        )
    top = {"year": 0, "quarter": 4, "month": 12}[period_kind]
    low = 0 if period_kind == "year" else 1
    if not low <= period <= top:
        expected = "0" if period_kind == "year" else f"1-{top}"
        raise InvalidInput(
            f"a {period_kind} report has period {expected}, got {period}",
            field="period",
            zh={"year": "年度报告不分期", "quarter": "季度须为 1–4", "month": "月份须为 1–12"}[period_kind],
        )


def period_label(period_kind: str, year: int, period: int, language: str = "zh") -> str:
    """``2024年``, ``2024年第2季度``, ``2024年3月`` (or ``2024``, ``2024 Q2``, ``2024-03`` in English)."""
    if language == "en":
        return {"year": f"{year}", "quarter": f"{year} Q{period}", "month": f"{year}-{period:02d}"}[period_kind]
    return {"year": f"{year}年", "quarter": f"{year}年第{period}季度", "month": f"{year}年{period}月"}[period_kind]


def _path_codes(session: Session, region_code: str) -> list[str]:
    region = session.get(Region, region_code)
    return region.path.split("/") if region else []


def effective_deadline(session: Session, region_code: str, period_kind: str, year: int, period: int) -> date | None:
    """The deadline that applies in ``region_code``: set by the region itself or its nearest ancestor."""
    codes = _path_codes(session, region_code)
    rows = {
        row.region_code: row.deadline
        for row in session.scalars(
            select(ReportingPeriod).where(
                ReportingPeriod.region_code.in_(codes),
                ReportingPeriod.period_kind == period_kind,
                ReportingPeriod.year == year,
                ReportingPeriod.period == period,
            )
        )
    }
    for code in reversed(codes):
        if code in rows:
            return rows[code]
    return None


def set_deadline(
    session: Session,
    actor: Principal,
    region_code: str,
    period_kind: str,
    year: int,
    period: int,
    deadline: date,
) -> ReportingPeriod:
    """Set (or change) the deadline of a period for a region in the regulator's scope."""
    require_role(actor, "regulator")
    require_region(session, actor, region_code)
    check_period(period_kind, year, period)
    row = session.scalar(
        select(ReportingPeriod).where(
            ReportingPeriod.region_code == region_code,
            ReportingPeriod.period_kind == period_kind,
            ReportingPeriod.year == year,
            ReportingPeriod.period == period,
        )
    )
    before = None if row is None else {"deadline": row.deadline}
    if row is None:
        row = ReportingPeriod(
            region_code=region_code, period_kind=period_kind, year=year, period=period, deadline=deadline
        )
        session.add(row)
    elif row.deadline == deadline:
        return row
    else:
        row.deadline = deadline
    session.flush()
    after = {
        "region_code": region_code,
        "period_kind": period_kind,
        "year": year,
        "period": period,
        "deadline": deadline,
    }
    append_audit(session, actor.username, "reporting_period.set", "reporting_period", row.id, before, after)
    return row


def list_deadlines(session: Session, region_code: str, year: int | None = None) -> list[ReportingPeriod]:
    """Deadlines that concern ``region_code``: set by it, its ancestors, or regions below it."""
    codes = set(_path_codes(session, region_code))
    if not codes:
        raise NotFound(f"region {region_code} not found", zh="未找到该地区，或不在您的管辖范围内")
    query = select(ReportingPeriod).where(
        ReportingPeriod.region_code.in_(codes) | ReportingPeriod.region_code.in_(subtree_codes(region_code))
    )
    if year is not None:
        query = query.where(ReportingPeriod.year == year)
    return list(
        session.scalars(
            query.order_by(
                ReportingPeriod.year, ReportingPeriod.period_kind, ReportingPeriod.period, ReportingPeriod.region_code
            )
        )
    )


@dataclass(frozen=True)
class OverdueItem:
    """One enterprise missing the report of one period after its deadline."""

    credit_code: str
    name: str
    region_code: str
    period_kind: str
    year: int
    period: int
    deadline: date
    days_overdue: int
    report_id: int | None
    state: str | None

    def out(self) -> OverdueOut:
        """The item as the API and the pages show it (period label, ISO date)."""
        return OverdueOut(
            credit_code=self.credit_code,
            name=self.name,
            region_code=self.region_code,
            period_kind=self.period_kind,
            year=self.year,
            period=self.period,
            period_label=period_label(self.period_kind, self.year, self.period),
            deadline=self.deadline.isoformat(),
            days_overdue=self.days_overdue,
            report_id=self.report_id,
            state=self.state,
        )


def _require_overview(session: Session, actor: Principal, region_code: str) -> None:
    if session.get(Region, region_code) is None:
        raise NotFound(f"region {region_code} not found", zh="未找到该地区，或不在您的管辖范围内")
    if actor.is_unscoped_reviewer() or region_in_scope(session, actor, region_code, roles=("regulator", "reviewer")):
        return
    require_role(actor, "regulator", "reviewer")
    raise NotFound(f"region {region_code} not found", zh="未找到该地区，或不在您的管辖范围内")


def _overdue_query(actor: Principal, region_code: str, as_of: date) -> Any:  # a Select of the row below
    """The overdue (enterprise, period) pairs in SQL: each enterprise of the subtree joined with the periods
    set on its own path of regions, kept when no region deeper on that path sets the same period (the
    nearest deadline applies), the deadline is before ``as_of`` and no filed report exists; the enterprise's
    unfiled report (draft or returned), if any, rides along."""
    own = aliased(Region)  # the enterprise's region
    setter = aliased(Region)  # the region that set the period
    deeper, deeper_setter = aliased(ReportingPeriod), aliased(Region)
    on_path = literal("/").concat(own.path).concat("/")

    def sets_on_path(period_region: Any) -> ColumnElement[bool]:
        return on_path.like(literal("%/").concat(period_region).concat("/%"))

    same_period = and_(
        deeper.period_kind == ReportingPeriod.period_kind,
        deeper.year == ReportingPeriod.year,
        deeper.period == ReportingPeriod.period,
    )
    nearer = (
        select(deeper.id)
        .join(deeper_setter, deeper_setter.code == deeper.region_code)
        .where(
            same_period, sets_on_path(deeper.region_code), func.length(deeper_setter.path) > func.length(setter.path)
        )
    )
    report_of_period = and_(
        PeriodReport.enterprise_id == Enterprise.id,
        PeriodReport.period_kind == ReportingPeriod.period_kind,
        PeriodReport.year == ReportingPeriod.year,
        PeriodReport.period == ReportingPeriod.period,
    )
    return (
        select(
            Enterprise.credit_code,
            Enterprise.name,
            Enterprise.region_code,
            ReportingPeriod.period_kind,
            ReportingPeriod.year,
            ReportingPeriod.period,
            ReportingPeriod.deadline,
            PeriodReport.id,
            PeriodReport.state,
        )
        .select_from(Enterprise)
        .join(own, own.code == Enterprise.region_code)
        .join(ReportingPeriod, sets_on_path(ReportingPeriod.region_code))
        .join(setter, setter.code == ReportingPeriod.region_code)
        .outerjoin(PeriodReport, report_of_period)
        .where(
            Enterprise.region_code.in_(subtree_codes(region_code)),
            enterprise_filter(actor),
            ReportingPeriod.deadline < as_of,
            ~exists(nearer),
            or_(PeriodReport.id.is_(None), PeriodReport.state.not_in(FILED_STATES)),
        )
    )


def overdue_page(
    session: Session, actor: Principal, region_code: str, as_of: date, *, limit: int | None = None, offset: int = 0
) -> tuple[list[OverdueItem], int]:
    """One page of :func:`overdue` and the number of overdue items in all, both counted by the database
    (the dashboard shows the count and pages the list: 10,000 items at 5,000 enterprises)."""
    _require_overview(session, actor, region_code)
    query = _overdue_query(actor, region_code, as_of)
    total = _count(session, query)
    ordered = query.order_by(
        ReportingPeriod.deadline,
        Enterprise.credit_code,
        ReportingPeriod.period_kind,
        ReportingPeriod.year,
        ReportingPeriod.period,
    )
    if limit is not None:
        ordered = ordered.limit(limit).offset(offset)
    items = [
        OverdueItem(code, name, region, kind, year, period, deadline, (as_of - deadline).days, report_id, state)
        for code, name, region, kind, year, period, deadline, report_id, state in session.execute(ordered)
    ]
    return items, total


def overdue_count(session: Session, actor: Principal, region_code: str, as_of: date) -> int:
    """How many items :func:`overdue` holds, counted by the database without ordering or fetching them (the
    dashboard's headline figure; its table fetches the pages with :func:`overdue_page`)."""
    _require_overview(session, actor, region_code)
    return _count(session, _overdue_query(actor, region_code, as_of))


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def overdue(session: Session, actor: Principal, region_code: str, as_of: date) -> list[OverdueItem]:
    """Enterprises in the region (and the actor's scope) with no filed report for a period past its deadline.

    Ordered by deadline, then credit code (then period kind, year, period).
    """
    return overdue_page(session, actor, region_code, as_of)[0]
