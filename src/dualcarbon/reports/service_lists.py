"""Period reports (能源利用状况报告): the list side — one summary row per report, the filtered and paged list,
the review queue and the rows of the Excel export, each within the acting principal's scope.

Re-exported by :mod:`dualcarbon.reports.service`, which callers import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.localtime import iso_or_none
from dualcarbon.core.vocab import REPORT_STATES
from dualcarbon.registry.models import Enterprise, subtree_codes
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion
from dualcarbon.reports.schemas import ReportSummary
from dualcarbon.reports.service_periods import period_label
from dualcarbon.reports.service_workflow import state_label


def summary_fields(report: PeriodReport, version: PeriodReportVersion | None) -> dict[str, Any]:
    """The fields of a list row (:class:`ReportSummary`), which the report view extends."""
    computed = version.computed if version is not None else {}
    energy = computed.get("energy", {})
    carbon = computed.get("carbon", {})
    intensity = computed.get("intensity", {})
    enterprise = report.enterprise
    return {
        "id": report.id,
        "credit_code": enterprise.credit_code,
        "enterprise_name": enterprise.name,
        "region_code": enterprise.region_code,
        "period_kind": report.period_kind,
        "year": report.year,
        "period": report.period,
        "period_label": period_label(report.period_kind, report.year, report.period),
        "state": report.state,
        "state_label": state_label(report.state),
        "state_label_en": state_label(report.state, "en"),
        "version": report.version,
        "created_at": iso_or_none(report.created_at),
        "submitted_at": iso_or_none(report.submitted_at),
        "approved_at": iso_or_none(report.approved_at),
        "total_tce_equivalent": energy.get("equivalent", {}).get("total_tce"),
        "total_tce_equal": energy.get("equal", {}).get("total_tce"),
        "total_tco2": carbon.get("total_tco2"),
        "tce_per_10k_yuan_value_added": intensity.get("tce_per_10k_yuan_value_added"),
        "has_flagged_deviation": bool(computed.get("has_flagged_deviation")),
    }


def report_summary(report: PeriodReport, version: PeriodReportVersion | None) -> ReportSummary:
    """One list row: identity, period, state, and the headline computed figures of the current version."""
    return ReportSummary(**summary_fields(report, version))


@dataclass(frozen=True)
class ReportFilter:
    """Filters of the report list; all optional."""

    credit_code: str | None = None
    region_code: str | None = None
    state: str | None = None
    year: int | None = None
    period_kind: str | None = None
    period: int | None = None


def _conditions(session: Session, actor: Principal, flt: ReportFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [enterprise_filter(actor)]
    if flt.credit_code:
        enterprise = require_enterprise(session, actor, flt.credit_code)
        conditions.append(PeriodReport.enterprise_id == enterprise.id)
    if flt.region_code:
        conditions.append(Enterprise.region_code.in_(subtree_codes(flt.region_code)))
    if flt.state:
        if flt.state not in REPORT_STATES:
            raise InvalidInput(
                f"must be one of {', '.join(REPORT_STATES)}, got '{flt.state}'", field="state", zh="未知的报告状态"
            )
        conditions.append(PeriodReport.state == flt.state)
    if flt.year is not None:
        conditions.append(PeriodReport.year == flt.year)
    if flt.period_kind:
        conditions.append(PeriodReport.period_kind == flt.period_kind)
    if flt.period is not None:
        conditions.append(PeriodReport.period == flt.period)
    return conditions


def list_reports(
    session: Session,
    actor: Principal,
    flt: ReportFilter | None = None,
    *,
    order: str = "recent",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ReportSummary], int]:
    """Reports in the actor's scope matching ``flt``: (page of summaries, total).

    ``order``: ``recent`` (newest period first) or ``queue`` (oldest submission first, for reviewers).
    """
    conditions = _conditions(session, actor, flt or ReportFilter())
    base = select(PeriodReport).join(Enterprise, Enterprise.id == PeriodReport.enterprise_id).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    ordering: tuple[Any, ...]
    if order == "queue":
        ordering = (PeriodReport.submitted_at.asc(), PeriodReport.id.asc())
    elif order == "recent":
        ordering = (
            PeriodReport.year.desc(),
            PeriodReport.period.desc(),
            Enterprise.credit_code,
            PeriodReport.id.desc(),
        )
    else:
        raise InvalidInput(f"must be 'recent' or 'queue', got '{order}'", field="order", zh="未知的排序方式")
    query = (
        select(PeriodReport, Enterprise, PeriodReportVersion)
        .join(Enterprise, Enterprise.id == PeriodReport.enterprise_id)
        .outerjoin(PeriodReportVersion, PeriodReportVersion.id == PeriodReport.current_version_id)
        .where(*conditions)
        .order_by(*ordering)
        .limit(limit)
        .offset(offset)
    )
    items = [report_summary(report, version) for report, _enterprise, version in session.execute(query).all()]
    return items, total


def review_queue(
    session: Session, actor: Principal, *, region_code: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[ReportSummary], int]:
    """Submitted reports in the reviewer's scope, oldest submission first."""
    require_role(actor, "regulator", "reviewer")
    return list_reports(
        session,
        actor,
        ReportFilter(region_code=region_code, state="submitted"),
        order="queue",
        limit=limit,
        offset=offset,
    )


def export_rows(
    session: Session, actor: Principal, flt: ReportFilter | None = None, *, max_rows: int = 100_000
) -> list[ReportSummary]:
    """All summaries matching ``flt`` (for the Excel export), newest period first."""
    items, _ = list_reports(session, actor, flt, limit=max_rows, offset=0)
    return items
