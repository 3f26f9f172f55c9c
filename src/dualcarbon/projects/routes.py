"""``/api/v1/projects`` and ``/api/v1/plans``: the project library, its lifecycle, shares, totals, verification.

Thin routes over the projects services; the services check role and scope (out of scope → 404,
role-forbidden → 403, wrong state or a lost race → 409, bad input → 422 naming the field).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.core.vocab import ProjectState, ProjectType
from dualcarbon.projects import service_documents as documents
from dualcarbon.projects import service_export as export
from dualcarbon.projects import service_lifecycle as lifecycle
from dualcarbon.projects import service_projects as projects
from dualcarbon.projects import service_shares as shares
from dualcarbon.projects import service_verification as verification
from dualcarbon.projects.schemas import (
    ExitCandidate,
    LibraryTotals,
    PlanIn,
    PlanOut,
    ProjectIn,
    ProjectOut,
    Shares,
    TransitionIn,
    VerificationIn,
    VerificationOut,
)
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, Page, Paging, reference_of
from dualcarbon.ui.files import xlsx_response

router = APIRouter(prefix=API_PREFIX, tags=["projects 项目库"])

Region = Annotated[str | None, Query(min_length=6, max_length=6, description="region code (subtree)")]
AsOf = Annotated[dt.date | None, Query(description="date to judge by (default: today, Asia/Shanghai)")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DemonstrationIn(_Body):
    demonstration: bool
    lock_version: int | None = None


class MilestoneDoneIn(_Body):
    done: bool
    done_on: dt.date | None = None


def _download(content: bytes, filename: str) -> Response:
    disposition = f"attachment; filename=\"download\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type="application/octet-stream", headers={"Content-Disposition": disposition})


# ---- the library (fixed paths before /projects/{id}) ---------------------------------------------------
@router.get("/projects", response_model=Page[ProjectOut], summary="Projects you may see, with filters")
def list_projects(
    caller: Caller,
    session: DbSession,
    page: Paging,
    state: ProjectState | None = None,
    project_type: ProjectType | None = None,
    region_code: Region = None,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
    demonstration: bool | None = None,
) -> Page[ProjectOut]:
    items, total = projects.list_projects(
        session,
        caller,
        state=state,
        project_type=project_type,
        region_code=region_code,
        credit_code=credit_code,
        demonstration=demonstration,
        limit=page.limit,
        offset=page.offset,
    )
    return Page.of(items, total, page)


@router.post("/projects", response_model=ProjectOut, status_code=status.HTTP_201_CREATED, summary="Add a project")
def create_project(body: ProjectIn, caller: Caller, session: DbSession) -> ProjectOut:
    return projects.create_project(session, caller, body)


@router.get("/projects/shares", response_model=Shares, summary="Yearly completion shares of a region")
def completion_shares(
    caller: Caller,
    session: DbSession,
    region_code: Annotated[str, Query(min_length=6, max_length=6)],
    pack: Annotated[str | None, Query(description="policy pack with the share schedule")] = None,
    as_of: AsOf = None,
) -> Shares:
    return shares.completion_shares(session, caller, region_code, pack=pack or shares.SHARES_PACK, as_of=as_of)


@router.get("/projects/totals", response_model=LibraryTotals, summary="The library's totals (dashboard)")
def library_totals(caller: Caller, session: DbSession, region_code: Region = None) -> LibraryTotals:
    return shares.library_totals(session, caller, region_code)


@router.get("/projects/exit-candidates", response_model=list[ExitCandidate], summary="Listed for exit")
def exit_candidates(caller: Caller, session: DbSession, as_of: AsOf = None) -> list[ExitCandidate]:
    return lifecycle.exit_candidates(session, caller, as_of)


@router.post("/projects/overdue", summary="Mark projects past their deadline as overdue")
def mark_overdue(caller: Caller, session: DbSession, as_of: AsOf = None) -> dict[str, list[int]]:
    return {"overdue": lifecycle.mark_overdue(session, caller, as_of)}


@router.get("/projects/cases.xlsx", summary="案例汇编: the demonstration projects as xlsx")
def export_cases(caller: Caller, session: DbSession, region_code: Region = None) -> Response:
    content, _ = export.export_cases(session, caller, region_code=region_code)
    return xlsx_response(content, "示范项目案例汇编.xlsx", ascii_name="download")


# ---- one project ---------------------------------------------------------------------------------------
@router.get("/projects/{project_id}", response_model=ProjectOut, summary="One project")
def get_project(project_id: Id, caller: Caller, session: DbSession) -> ProjectOut:
    return projects.get_project(session, caller, project_id)


@router.post("/projects/{project_id}/transition", response_model=ProjectOut, summary="approve/start/complete/exit")
def transition(project_id: Id, body: TransitionIn, caller: Caller, session: DbSession) -> ProjectOut:
    return lifecycle.transition(session, caller, project_id, body)


@router.put("/projects/{project_id}/demonstration", response_model=ProjectOut, summary="示范项目 flag")
def set_demonstration(project_id: Id, body: DemonstrationIn, caller: Caller, session: DbSession) -> ProjectOut:
    return lifecycle.set_demonstration(session, caller, project_id, body.demonstration, lock_version=body.lock_version)


@router.put("/projects/{project_id}/milestones/{milestone_id}", response_model=ProjectOut, summary="Milestone done")
def set_milestone(
    project_id: Id, milestone_id: Id, body: MilestoneDoneIn, caller: Caller, session: DbSession
) -> ProjectOut:
    return lifecycle.set_milestone_done(session, caller, project_id, milestone_id, body.done, body.done_on)


@router.post("/projects/{project_id}/documents", response_model=ProjectOut, summary="Upload a document (sha256 kept)")
def upload_document(
    project_id: Id,
    request: Request,
    caller: Caller,
    session: DbSession,
    file: Annotated[UploadFile, File(description="any document, up to 50 MB")],
) -> ProjectOut:
    content = file.file.read(documents.MAX_DOCUMENT_BYTES + 1)
    if len(content) > documents.MAX_DOCUMENT_BYTES:
        zh = "文件超过 50 MB"
        raise InvalidInput(zh_en(zh, "file larger than 50 MB"), field="file", zh=zh)
    return documents.add_document(session, caller, project_id, file.filename or "", content, request.app.state.data_dir)


@router.get("/projects/{project_id}/documents/{document_id}", summary="Download a document (hash checked)")
def download_document(
    project_id: Id, document_id: Id, request: Request, caller: Caller, session: DbSession
) -> Response:
    name, content = documents.document_bytes(session, caller, project_id, document_id, request.app.state.data_dir)
    return _download(content, name)


@router.post("/projects/{project_id}/verification", response_model=VerificationOut, summary="M&V: verified saving")
def verify(
    project_id: Id, body: VerificationIn, request: Request, caller: Caller, session: DbSession
) -> VerificationOut:
    return verification.verify_project(
        session, caller, project_id, body, reference_of(request), data_dir=request.app.state.data_dir
    )


@router.get("/projects/{project_id}/verification", summary="The stored M&V record (null before verification)")
def stored_verification(project_id: Id, caller: Caller, session: DbSession) -> dict[str, Any] | None:
    return verification.stored_verification(session, caller, project_id)


# ---- plans (一企一策) -----------------------------------------------------------------------------------
@router.get("/plans", response_model=list[PlanOut], summary="Plans (一企一策) you may see")
def list_plans(caller: Caller, session: DbSession, region_code: Region = None) -> list[PlanOut]:
    return projects.list_plans(session, caller, region_code=region_code)


@router.post("/plans", response_model=PlanOut, summary="Create or edit an enterprise's plan (一企一策)")
def save_plan(body: PlanIn, caller: Caller, session: DbSession) -> PlanOut:
    return projects.save_plan(session, caller, body)


@router.get("/plans/{credit_code}", response_model=PlanOut, summary="An enterprise's plan with its projects")
def get_plan(credit_code: str, caller: Caller, session: DbSession) -> PlanOut:
    return projects.get_plan(session, caller, credit_code)
