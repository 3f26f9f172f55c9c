"""``/api/v1/agencies`` and ``/api/v1/audits``: service agencies, audit/diagnosis reports, acceptance, obligations.

Thin routes over :mod:`~dualcarbon.audits.service_agencies`, ``service_reports`` and ``service_obligations``;
the services check role and scope (out of scope → 404, role-forbidden → 403, wrong state or a lost race → 409,
bad input → 422 naming the field).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from dualcarbon.audits import service_agencies as agencies
from dualcarbon.audits import service_obligations as obligations
from dualcarbon.audits import service_reports as reports
from dualcarbon.audits.schemas import (
    AcceptanceIn,
    AgencyEvaluation,
    AgencyIn,
    AgencyOut,
    AuditReportIn,
    AuditReportOut,
    FeedbackIn,
    GoalProgress,
    ObligationsStatus,
    ReturnIn,
)
from dualcarbon.core.vocab import AuditKind, AuditState
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, Page, Paging, Year, YearFilter

router = APIRouter(prefix=API_PREFIX, tags=["audits 诊断/审计"])

Pack = Annotated[str | None, Query(description="policy pack id (default: the service's)")]
Region = Annotated[str | None, Query(min_length=6, max_length=6, description="region code (default: your own)")]


# ---- agencies ------------------------------------------------------------------------------------------
@router.get("/agencies", response_model=list[AgencyOut], summary="Service agencies you may see")
def list_agencies(caller: Caller, session: DbSession) -> list[AgencyOut]:
    return agencies.list_agencies(session, caller)


@router.post("/agencies", response_model=AgencyOut, status_code=status.HTTP_201_CREATED, summary="Register an agency")
def register_agency(body: AgencyIn, caller: Caller, session: DbSession) -> AgencyOut:
    return agencies.register_agency(session, caller, body)


@router.get("/agencies/{agency_id}", response_model=AgencyOut, summary="One agency")
def get_agency(agency_id: Id, caller: Caller, session: DbSession) -> AgencyOut:
    return agencies.agency_out(session, agencies.get_agency(session, caller, agency_id))


@router.post(
    "/agencies/{agency_id}/enterprises/{credit_code}", response_model=AgencyOut, summary="Assign to an enterprise"
)
def assign_enterprise(agency_id: Id, credit_code: str, caller: Caller, session: DbSession) -> AgencyOut:
    return agencies.assign_enterprise(session, caller, agency_id, credit_code)


@router.get(
    "/agencies/{agency_id}/evaluation", response_model=AgencyEvaluation, summary="Quality, timeliness, feedback"
)
def evaluate_agency(agency_id: Id, caller: Caller, session: DbSession, year: YearFilter = None) -> AgencyEvaluation:
    return agencies.evaluate_agency(session, caller, agency_id, year)


# ---- obligations and goals (before /audits/{id}) -------------------------------------------------------
@router.get("/audits/obligations", response_model=ObligationsStatus, summary="Who owes an audit or diagnosis")
def audit_obligations(
    caller: Caller, session: DbSession, year: Year, region_code: Region = None, pack: Pack = None
) -> ObligationsStatus:
    return obligations.obligations_status(session, caller, year, region_code=region_code, pack=pack or None)


@router.get("/audits/goals", response_model=list[GoalProgress], summary="Accepted reports against yearly goals")
def audit_goals(
    caller: Caller, session: DbSession, year: Year, region_code: Region = None, pack: Pack = None
) -> list[GoalProgress]:
    return obligations.goal_progress(session, caller, year, region_code=region_code, pack=pack or None)


# ---- reports -------------------------------------------------------------------------------------------
@router.get("/audits", response_model=Page[AuditReportOut], summary="Audit and diagnosis reports you may see")
def list_reports(
    caller: Caller,
    session: DbSession,
    page: Paging,
    year: YearFilter = None,
    kind: AuditKind | None = None,
    state: AuditState | None = None,
) -> Page[AuditReportOut]:
    items, total = reports.list_reports(
        session, caller, year=year, kind=kind, state=state, limit=page.limit, offset=page.offset
    )
    return Page.of(items, total, page)


@router.post("/audits", response_model=AuditReportOut, status_code=status.HTTP_201_CREATED, summary="File a draft")
def create_report(body: AuditReportIn, caller: Caller, session: DbSession) -> AuditReportOut:
    return reports.create_report(session, caller, body)


@router.get("/audits/{report_id}", response_model=AuditReportOut, summary="One report")
def get_report(report_id: Id, caller: Caller, session: DbSession) -> AuditReportOut:
    return reports.report_out(session, reports.load_report(session, caller, report_id))


@router.put(
    "/audits/{report_id}", response_model=AuditReportOut, summary="Replace a draft's or returned report's content"
)
def update_report(
    report_id: Id,
    body: AuditReportIn,
    caller: Caller,
    session: DbSession,
    lock_version: Annotated[int | None, Query(ge=0)] = None,
) -> AuditReportOut:
    return reports.update_report(session, caller, report_id, body, lock_version=lock_version)


@router.post("/audits/{report_id}/submit", response_model=AuditReportOut, summary="Submit for acceptance")
def submit_report(
    report_id: Id,
    caller: Caller,
    session: DbSession,
    pack: Pack = None,
    lock_version: Annotated[int | None, Query(ge=0)] = None,
) -> AuditReportOut:
    return reports.submit_report(
        session, caller, report_id, pack=pack or reports.FILING_RULES_PACK, lock_version=lock_version
    )


@router.post("/audits/{report_id}/acceptance", response_model=AuditReportOut, summary="验收 with a checklist")
def accept_report(report_id: Id, body: AcceptanceIn, caller: Caller, session: DbSession) -> AuditReportOut:
    return reports.accept_report(session, caller, report_id, body)


@router.post("/audits/{report_id}/return", response_model=AuditReportOut, summary="Return with a reason")
def return_report(report_id: Id, body: ReturnIn, caller: Caller, session: DbSession) -> AuditReportOut:
    return reports.return_report(session, caller, report_id, body.reason, lock_version=body.lock_version)


@router.post("/audits/{report_id}/feedback", response_model=AuditReportOut, summary="Enterprise's score 1-5")
def feedback(report_id: Id, body: FeedbackIn, caller: Caller, session: DbSession) -> AuditReportOut:
    return reports.record_feedback(session, caller, report_id, body.score)
