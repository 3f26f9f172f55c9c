"""Period reports (能源利用状况报告): the public service API — reading, listing, comparing, exporting.

Owns the read side: the report view with reported and computed figures side by side (deviations, year
on year against the previous year's latest approved version, versions, review history), the filtered
list, the review queue, version diffs and the Excel export. The list side lives in
:mod:`dualcarbon.reports.service_lists` and the write side in :mod:`dualcarbon.reports.service_workflow`
(both re-exported here), deadlines and the overdue list in
:mod:`dualcarbon.reports.service_periods`, imports in :mod:`dualcarbon.reports.service_import`.
Every function takes the acting :class:`~dualcarbon.services.access.Principal` and checks its scope.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import NotFound
from dualcarbon.core.localtime import iso_or_none
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.reports.models import PeriodReport, PeriodReportVersion, ReportReview
from dualcarbon.reports.schemas import (
    Deviation,
    FieldChange,
    FigureRow,
    OutputFigureRow,
    PreviousReport,
    ReportDetail,
    ReviewItem,
    VersionDiff,
    VersionItem,
    VersionRef,
    computed_of,
)
from dualcarbon.reports.service_compute import deviations
from dualcarbon.reports.service_content import ReportContent
from dualcarbon.reports.service_content_rows import flatten, from_rows
from dualcarbon.reports.service_lists import (
    ReportFilter,
    export_rows,
    list_reports,
    report_summary,
    review_queue,
    summary_fields,
)
from dualcarbon.reports.service_periods import (
    check_period,
    effective_deadline,
    list_deadlines,
    overdue,
    period_label,
    set_deadline,
)
from dualcarbon.reports.service_workflow import (
    ACTION_LABELS,
    STATE_LABELS,
    approve,
    create_report,
    load_report,
    lock,
    reopen,
    return_report,
    submit,
    update_draft,
)
from dualcarbon.reports.service_yoy import YOY_FIGURES, year_on_year

__all__ = [
    "ACTION_LABELS",
    "STATE_LABELS",
    "ReportFilter",
    "approve",
    "check_period",
    "compare_versions",
    "create_report",
    "effective_deadline",
    "export_rows",
    "get_report",
    "list_deadlines",
    "list_reports",
    "load_report",
    "lock",
    "overdue",
    "period_label",
    "reopen",
    "report_summary",
    "return_report",
    "review_queue",
    "set_deadline",
    "submit",
    "update_draft",
]

Json = dict[str, Any]


def _version_content(version: PeriodReportVersion) -> ReportContent:
    return from_rows(version.energy_lines, version.output_lines, version.economics)


def _version(report: PeriodReport, number: int) -> PeriodReportVersion:
    for version in report.versions:
        if version.version == number:
            return version
    raise NotFound(f"report {report.id} has no version {number}", zh=f"该报告没有第 {number} 版")


def _last_approved_version(session: Session, report: PeriodReport) -> PeriodReportVersion | None:
    number = session.scalar(
        select(ReportReview.version)
        .where(ReportReview.report_id == report.id, ReportReview.action == "approve")
        .order_by(ReportReview.id.desc())
        .limit(1)
    )
    return None if number is None else _version(report, number)


def _previous_year(session: Session, report: PeriodReport) -> tuple[Json | None, PreviousReport | None]:
    """(computed, reference) of the same period a year earlier: its latest approved version."""
    previous = session.scalar(
        select(PeriodReport).where(
            PeriodReport.enterprise_id == report.enterprise_id,
            PeriodReport.period_kind == report.period_kind,
            PeriodReport.year == report.year - 1,
            PeriodReport.period == report.period,
        )
    )
    if previous is None:
        return None, None
    version = _last_approved_version(session, previous)
    if version is None:
        return None, None
    return version.computed, PreviousReport(report_id=previous.id, version=version.version, year=previous.year)


def _figures_table(content: ReportContent, computed: Json, found: list[Json]) -> list[FigureRow]:
    """Rows of reported | computed for the review screen (label, unit, both values, deviation)."""
    by_field = {d["field"]: d for d in found}
    rows: list[FigureRow] = []
    for key, label, unit, get in YOY_FIGURES:
        reported_dev = by_field.get("total_tce") if key == "total_tce_equivalent" else None
        rows.append(
            FigureRow(
                key=key,
                label=label,
                unit=unit,
                reported=reported_dev["reported"] if reported_dev else None,
                computed=get(computed),
                deviation_pct=reported_dev["deviation_pct"] if reported_dev else None,
                flagged=bool(reported_dev and reported_dev["flagged"]),
            )
        )
    for item in computed.get("outputs", []):
        dev = by_field.get(f"outputs[{item['index']}].reported_unit_consumption")
        line = content.outputs[item["index"]] if item["index"] < len(content.outputs) else None
        rows.append(
            OutputFigureRow(
                key=f"outputs[{item['index']}].unit_consumption",
                label=f"{item['product']}单位产品综合能耗",
                unit=item["unit_consumption_unit"],
                reported=dev["reported"] if dev else (line.reported_unit_consumption if line else None),
                computed=item["unit_consumption"],
                deviation_pct=dev["deviation_pct"] if dev else None,
                flagged=bool(dev and dev["flagged"]),
                note=item["reason"],
            )
        )
    for dev in found:
        if dev["field"].startswith("energy_lines["):
            rows.append(
                FigureRow(
                    key=dev["field"],
                    **{k: dev[k] for k in ("label", "unit", "reported", "computed", "deviation_pct", "flagged")},
                )
            )
    return rows


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(sorted(ids)))).all()
    return {user_id: username for user_id, username in rows}


def get_report(
    session: Session, actor: Principal, report_id: int, *, reference: ReferenceSet | None = None
) -> ReportDetail:
    """The report as a reviewer sees it: reported content, computed figures beside it, deviations
    (at the tolerance of the reference data now, table platform_rules), year-on-year change, versions and
    review history."""
    report = load_report(session, actor, report_id)
    version = report.current_version
    assert version is not None, "a report always has a version"
    content = _version_content(version)
    computed = version.computed
    tolerance = (reference or load_reference()).report_deviation_tolerance_pct()
    found = deviations(content, computed["energy"], computed["outputs"], tolerance)
    previous, previous_ref = _previous_year(session, report)
    enterprise = report.enterprise
    names = _usernames(
        session,
        {v.created_by for v in report.versions if v.created_by}
        | {r.actor_user_id for r in report.reviews if r.actor_user_id},
    )
    fields = {
        **summary_fields(report, version),
        "has_flagged_deviation": any(d["flagged"] for d in found),
        "deadline": iso_or_none(
            effective_deadline(session, enterprise.region_code, report.period_kind, report.year, report.period)
        ),
        "computed": computed_of(computed),
        "tolerance_pct": tolerance,
        "deviations": [Deviation.model_validate(d) for d in found],
        "figures": _figures_table(content, computed, found),
        "year_on_year": year_on_year(computed, previous, previous_ref),
    }
    return ReportDetail(
        **fields,
        content=content,
        versions=[
            VersionItem(
                version=v.version,
                created_at=iso_or_none(v.created_at),
                created_by=names.get(v.created_by) if v.created_by else None,
                content_hash=v.content_hash,
            )
            for v in report.versions
        ],
        reviews=[
            ReviewItem(
                action=r.action,
                action_label=ACTION_LABELS.get(r.action, (r.action, r.action))[0],
                version=r.version,
                comment=r.comment,
                actor=names.get(r.actor_user_id) if r.actor_user_id else None,
                at=iso_or_none(r.at),
            )
            for r in report.reviews
        ],
    )


def _key_figures(computed: Json) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for key, _label, _unit, get in YOY_FIGURES:
        figures[f"computed.{key}"] = get(computed)
    for item in computed.get("outputs", []):
        figures[f"computed.outputs[{item['index']}].unit_consumption"] = item.get("unit_consumption")
    return figures


def compare_versions(session: Session, actor: Principal, report_id: int, a: int, b: int) -> VersionDiff:
    """Field-by-field differences between versions ``a`` and ``b`` of a report (content and key figures)."""
    report = load_report(session, actor, report_id)
    version_a, version_b = _version(report, a), _version(report, b)
    flat_a = {**flatten(_version_content(version_a)), **_key_figures(version_a.computed)}
    flat_b = {**flatten(_version_content(version_b)), **_key_figures(version_b.computed)}
    changes = [
        FieldChange(field=key, a=flat_a.get(key), b=flat_b.get(key))
        for key in sorted(flat_a.keys() | flat_b.keys(), key=_natural)
        if flat_a.get(key) != flat_b.get(key)
    ]
    return VersionDiff(
        report_id=report.id,
        a=VersionRef(version=a, content_hash=version_a.content_hash, created_at=iso_or_none(version_a.created_at)),
        b=VersionRef(version=b, content_hash=version_b.content_hash, created_at=iso_or_none(version_b.created_at)),
        identical=version_a.content_hash == version_b.content_hash,
        changes=changes,
    )


def _natural(key: str) -> tuple[Any, ...]:
    # energy_lines[10] after energy_lines[9]
    parts: list[Any] = []
    for chunk in key.replace("]", "").split("["):
        head, _, tail = chunk.partition(".")
        parts.append(int(head) if head.isdigit() else head)
        if tail:
            parts.append(tail)
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in parts)
