"""``/api/v1`` period reports (能源利用状况报告): list, create, import, view, edit, review, diff, deadlines.

Thin routes over :mod:`dualcarbon.reports.service` (and ``reports_import``); scope and roles are checked
by the services (out of scope → 404, role-forbidden → 403, wrong state → 409, bad input → 422 naming the
field, e.g. ``energy_lines[2].unit``). Report content is documented in docs/reports.md and in the
request schemas below.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response

from dualcarbon.reports import service as reports
from dualcarbon.reports import service_import as reports_import
from dualcarbon.reports.io import (
    AnnualReport,
    WorkbookInvalid,
    write_annual_report,
    write_annual_report_template,
    write_report_list,
)
from dualcarbon.reports.schemas import (
    DeadlineList,
    DeadlineOut,
    OverdueOut,
    ReportDetail,
    ReportImportReceipt,
    ReportSummary,
    SavedReport,
    VersionDiff,
)
from dualcarbon.reports.schemas_requests import DeadlineIn, PeriodKindName, ReportCreateIn, ReportUpdateIn, ReviewIn
from dualcarbon.reports.service_workflow import current_content
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, Page, Paging, YearFilter, reference_of
from dualcarbon.ui.files import XLSX_RESPONSES, saved_upload, xlsx_response

router = APIRouter(prefix=API_PREFIX, tags=["reports"])

StateName = Literal["draft", "submitted", "returned", "approved", "locked"]
#: Filter by period: bounded like every number of a query, so that none reaches the database it cannot hold.
PeriodFilter = Annotated[int | None, Query(ge=0, le=12, description="0 for a year, quarter 1-4, month 1-12")]


# ---- one enterprise's reports ------------------------------------------------------------------------
@router.get(
    "/enterprises/{credit_code}/reports",
    response_model=Page[ReportSummary],
    summary="The enterprise's reports, newest period first",
)
def list_enterprise_reports(
    credit_code: str,
    caller: Caller,
    session: DbSession,
    page: Paging,
    state: StateName | None = None,
    year: YearFilter = None,
    period_kind: PeriodKindName | None = None,
) -> Page[ReportSummary]:
    flt = reports.ReportFilter(credit_code=credit_code, state=state, year=year, period_kind=period_kind)
    items, total = reports.list_reports(session, caller, flt, limit=page.limit, offset=page.offset)
    return Page.of(items, total, page)


@router.post(
    "/enterprises/{credit_code}/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportDetail,
    summary="Create a draft report (version 1) for a period",
)
def create_report(
    credit_code: str, body: ReportCreateIn, request: Request, caller: Caller, session: DbSession
) -> ReportDetail:
    report = reports.create_report(
        session,
        caller,
        credit_code,
        body.period_kind,
        body.year,
        body.period,
        body.content,
        reference=reference_of(request),
    )
    return reports.get_report(session, caller, report.id, reference=reference_of(request))


@router.get(
    "/enterprises/{credit_code}/reports/template.xlsx",
    summary="The empty annual-report workbook (基本情况表, 能源消费结构表, 单位产品综合能耗表)",
    response_class=Response,
    responses=XLSX_RESPONSES,
)
def annual_template(
    credit_code: Annotated[str, PathParam(description="the enterprise; the template is the same for every one")],
    request: Request,
    caller: Caller,
) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        path = write_annual_report_template(Path(folder) / "template.xlsx", reference=reference_of(request))
        return xlsx_response(path.read_bytes(), "能源利用状况报告模板.xlsx", ascii_name="report.xlsx")


@router.post(
    "/enterprises/{credit_code}/reports/import",
    response_model=ReportImportReceipt,
    summary="Import an annual-report workbook or the survey form (all or nothing)",
    responses={422: {"description": "the workbook's problems, each with sheet, row and column"}},
)
def import_report(
    credit_code: str,
    request: Request,
    caller: Caller,
    session: DbSession,
    file: Annotated[UploadFile, File(description="annual-report .xlsx, or survey .xlsx/.csv")],
    kind: Annotated[Literal["auto", "annual", "survey"], Form()] = "auto",
    period_kind: Annotated[PeriodKindName, Form()] = "year",
    year: Annotated[int | None, Form(description="required for a survey; checked against the workbook")] = None,
    period: Annotated[int, Form()] = 0,
) -> Any:
    with saved_upload(file) as (path, name):
        try:
            result = reports_import.import_report(
                session,
                caller,
                credit_code,
                path,
                kind=kind,
                period_kind=period_kind,
                year=year,
                period=period,
                reference=reference_of(request),
                filename=name,
            )
        except WorkbookInvalid as exc:
            session.rollback()
            return JSONResponse(
                status_code=422,
                content={
                    "error": "InvalidInput",
                    "message": exc.message,
                    "field": exc.field,
                    "problems": [p.as_dict() for p in exc.problems],
                },
            )
    return ReportImportReceipt(
        kind=result.kind,  # type: ignore[arg-type]  # "annual" | "survey", checked by the model
        created=result.created,
        new_version=result.new_version,
        ignored_rows=result.ignored_rows,
        report=reports.get_report(session, caller, result.report.id, reference=reference_of(request)),
    )


# ---- across enterprises ---------------------------------------------------------------------------------
async def _filter(  # async: it only parses the query, so no worker thread
    state: StateName | None = None,
    region_code: str | None = None,
    credit_code: str | None = None,
    year: YearFilter = None,
    period_kind: PeriodKindName | None = None,
    period: PeriodFilter = None,
) -> reports.ReportFilter:
    """The report filters of the query string."""
    return reports.ReportFilter(credit_code, region_code, state, year, period_kind, period)


ReportFilters = Annotated[reports.ReportFilter, Depends(_filter)]


@router.get(
    "/reports",
    response_model=Page[ReportSummary],
    summary="Reports in your scope; state=submitted gives the review queue (oldest first)",
)
def list_reports(
    caller: Caller,
    session: DbSession,
    flt: ReportFilters,
    page: Paging,
) -> Page[ReportSummary]:
    order = "queue" if flt.state == "submitted" else "recent"
    items, total = reports.list_reports(session, caller, flt, order=order, limit=page.limit, offset=page.offset)
    return Page.of(items, total, page)


@router.get(
    "/reports/export.xlsx",
    summary="The filtered report list as Excel (Chinese headers; lang=en for English)",
    response_class=Response,
    responses=XLSX_RESPONSES,
)
def export_reports(
    caller: Caller,
    session: DbSession,
    flt: ReportFilters,
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    items = reports.export_rows(session, caller, flt)
    return xlsx_response(write_report_list(items, language=lang), "能源利用状况报告列表.xlsx", ascii_name="report.xlsx")


@router.get(
    "/reports/overdue",
    response_model=Page[OverdueOut],
    summary="Enterprises with no filed report for a period past its deadline",
)
def overdue_reports(
    caller: Caller,
    session: DbSession,
    page: Paging,
    region_code: str,
    as_of: date | None = None,
) -> Page[OverdueOut]:
    items = reports.overdue(session, caller, region_code, as_of or date.today())
    window = items[page.offset : page.offset + page.limit]
    return Page.of([item.out() for item in window], len(items), page)


@router.put("/periods", response_model=DeadlineOut, summary="Set the deadline of a reporting period for a region")
def put_deadline(body: DeadlineIn, caller: Caller, session: DbSession) -> DeadlineOut:
    row = reports.set_deadline(
        session, caller, body.region_code, body.period_kind, body.year, body.period, body.deadline
    )
    return _deadline_json(row)


@router.get(
    "/periods",
    response_model=DeadlineList,
    summary="Deadlines that concern a region (its own, its ancestors', below it)",
)
def get_deadlines(caller: Caller, session: DbSession, region_code: str, year: YearFilter = None) -> DeadlineList:
    rows = reports.list_deadlines(session, region_code, year)
    return DeadlineList(items=[_deadline_json(row) for row in rows], total=len(rows))


def _deadline_json(row: Any) -> DeadlineOut:
    return DeadlineOut(
        region_code=row.region_code,
        period_kind=row.period_kind,
        year=row.year,
        period=row.period,
        period_label=reports.period_label(row.period_kind, row.year, row.period),
        deadline=row.deadline.isoformat(),
    )


# ---- one report --------------------------------------------------------------------------------------------
@router.get(
    "/reports/{report_id}",
    response_model=ReportDetail,
    summary="A report: reported and computed figures, deviations, versions, reviews",
)
def get_report(request: Request, report_id: Id, caller: Caller, session: DbSession) -> ReportDetail:
    return reports.get_report(session, caller, report_id, reference=reference_of(request))


@router.put(
    "/reports/{report_id}",
    response_model=SavedReport,
    summary="Save a draft/returned report (a new version only if content changed)",
)
def update_report(
    report_id: Id, body: ReportUpdateIn, request: Request, caller: Caller, session: DbSession
) -> SavedReport:
    _, added = reports.update_draft(session, caller, report_id, body.content, reference=reference_of(request))
    detail = reports.get_report(session, caller, report_id, reference=reference_of(request))
    return SavedReport(**dict(detail), new_version=added)


@router.get(
    "/reports/{report_id}/workbook.xlsx",
    summary="The report's current version as an annual-report workbook",
    response_class=Response,
    responses=XLSX_RESPONSES,
)
def report_workbook(report_id: Id, request: Request, caller: Caller, session: DbSession) -> Response:
    report = reports.load_report(session, caller, report_id)
    annual = AnnualReport(report.enterprise.credit_code, report.enterprise.name, report.year, current_content(report))
    with tempfile.TemporaryDirectory() as folder:
        path = write_annual_report(Path(folder) / "report.xlsx", annual, reference=reference_of(request))
        return xlsx_response(
            path.read_bytes(),
            f"能源利用状况报告_{report.enterprise.credit_code}_{report.year}.xlsx",
            ascii_name="report.xlsx",
        )


@router.get(
    "/reports/{report_id}/versions/{a}/diff/{b}",
    response_model=VersionDiff,
    summary="Field-by-field differences of two versions",
)
def diff_versions(report_id: Id, a: Id, b: Id, caller: Caller, session: DbSession) -> VersionDiff:
    return reports.compare_versions(session, caller, report_id, a, b)


# The review workflow's transitions (service_workflow.py): one route each, same body (an optional comment) and the
# same answer (the report as a reviewer sees it).
_TRANSITIONS: tuple[tuple[str, Callable[..., Any], str], ...] = (
    ("submit", reports.submit, "draft | returned → submitted"),
    ("approve", reports.approve, "submitted → approved (regulator or reviewer in scope)"),
    ("return", reports.return_report, "submitted → returned; requires a comment"),
    ("lock", reports.lock, "approved → locked (regulator in scope)"),
    ("reopen", reports.reopen, "approved | locked → returned for correction; requires a comment"),
)


def _transition_route(action: str, change: Callable[..., Any], summary: str) -> None:
    def transition(
        request: Request, report_id: Id, caller: Caller, session: DbSession, body: ReviewIn | None = None
    ) -> ReportDetail:
        change(session, caller, report_id, body.comment if body else None)
        return reports.get_report(session, caller, report_id, reference=reference_of(request))

    router.add_api_route(
        f"/reports/{{report_id}}/{action}",
        transition,
        methods=["POST"],
        response_model=ReportDetail,
        summary=summary,
        name=f"{action}_report",
    )


for _action, _change, _summary in _TRANSITIONS:
    _transition_route(_action, _change, _summary)
