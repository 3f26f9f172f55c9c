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

from sqlalchemy import select
from sqlalchemy.orm import Session

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
PeriodKey = tuple[str, int, int]


def check_period(period_kind: str, year: int, period: int, *, reference: ReferenceSet | None = None) -> None:
    """``InvalidInput`` unless the period exists: year → 0, quarter → 1-4, month → 1-12, and the year lies in
    the report year range of the reference data (platform_rules)."""
    if period_kind not in PERIOD_KINDS:
        raise InvalidInput(f"must be one of {', '.join(PERIOD_KINDS)}, got '{period_kind}'", field="period_kind")
    first, last = (reference or load_reference()).report_year_range()
    if not first <= year <= last:
        raise InvalidInput(f"must be between {first} and {last}, got {year}", field="year")
    top = {"year": 0, "quarter": 4, "month": 12}[period_kind]
    low = 0 if period_kind == "year" else 1
    if not low <= period <= top:
        expected = "0" if period_kind == "year" else f"1-{top}"
        raise InvalidInput(f"a {period_kind} report has period {expected}, got {period}", field="period")


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
        raise NotFound(f"region {region_code} not found")
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
        raise NotFound(f"region {region_code} not found")
    if actor.is_unscoped_reviewer() or region_in_scope(session, actor, region_code, roles=("regulator", "reviewer")):
        return
    require_role(actor, "regulator", "reviewer")
    raise NotFound(f"region {region_code} not found")


def overdue(session: Session, actor: Principal, region_code: str, as_of: date) -> list[OverdueItem]:
    """Enterprises in the region (and the actor's scope) with no filed report for a period past its deadline.

    Ordered by deadline, then credit code.
    """
    _require_overview(session, actor, region_code)
    ancestors = _path_codes(session, region_code)
    periods = list(
        session.scalars(
            select(ReportingPeriod).where(
                ReportingPeriod.region_code.in_(ancestors)
                | ReportingPeriod.region_code.in_(subtree_codes(region_code)),
            )
        )
    )
    if not any(row.deadline < as_of for row in periods):
        return []
    by_key: dict[PeriodKey, dict[str, date]] = {}
    for row in periods:
        by_key.setdefault((row.period_kind, row.year, row.period), {})[row.region_code] = row.deadline
    enterprises = session.execute(
        select(Enterprise.id, Enterprise.credit_code, Enterprise.name, Enterprise.region_code, Region.path)
        .join(Region, Region.code == Enterprise.region_code)
        .where(Enterprise.region_code.in_(subtree_codes(region_code)), enterprise_filter(actor))
        .order_by(Enterprise.credit_code)
    ).all()
    years = sorted({key[1] for key in by_key})
    reports: dict[tuple[int, str, int, int], tuple[int, str]] = {}
    for row_id, row_enterprise, row_kind, row_year, row_period, row_state in session.execute(
        select(
            PeriodReport.id,
            PeriodReport.enterprise_id,
            PeriodReport.period_kind,
            PeriodReport.year,
            PeriodReport.period,
            PeriodReport.state,
        )
        .join(Enterprise, Enterprise.id == PeriodReport.enterprise_id)
        .where(PeriodReport.year.in_(years), Enterprise.region_code.in_(subtree_codes(region_code)))
    ):
        reports[(row_enterprise, row_kind, row_year, row_period)] = (row_id, row_state)
    items: list[OverdueItem] = []
    for enterprise_id, credit_code, name, enterprise_region, path in enterprises:
        codes = path.split("/")
        for (kind, year, period), deadlines in by_key.items():
            deadline = next((deadlines[c] for c in reversed(codes) if c in deadlines), None)
            if deadline is None or deadline >= as_of:
                continue
            report_id, state = reports.get((enterprise_id, kind, year, period), (None, None))
            if state in FILED_STATES:
                continue
            items.append(
                OverdueItem(
                    credit_code,
                    name,
                    enterprise_region,
                    kind,
                    year,
                    period,
                    deadline,
                    (as_of - deadline).days,
                    report_id,
                    state,
                )
            )
    items.sort(key=lambda item: (item.deadline, item.credit_code, item.period_kind, item.year, item.period))
    return items
