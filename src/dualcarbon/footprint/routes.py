"""``/api/v1/footprints``: product carbon footprint studies (产品碳足迹) and the region's register.

Thin routes over :mod:`~dualcarbon.footprint.service` and ``service_register``; the services check role and
scope (out of scope → 404, role-forbidden → 403, a stale ``lock_version`` or a published study → 409, bad
input or a missing factor at publish → 422 naming the field). ``/footprints/factors``: the material emission
factors in use, their template, and the administrators' import (:mod:`~dualcarbon.footprint.service_factors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status

from dualcarbon.core.errors import InvalidInput
from dualcarbon.footprint import io_factors, service, service_factors, service_register
from dualcarbon.footprint.schemas import FactorImportOut, FactorOut, StudyIn, StudyOut, StudySummary, VersionIn
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, Page, Paging, YearFilter, reference_of

router = APIRouter(prefix=API_PREFIX, tags=["footprints 产品碳足迹"])

CreditCode = Annotated[str | None, Query(min_length=18, max_length=18, description="统一社会信用代码")]
RegionCode = Annotated[str, Query(min_length=6, max_length=6, description="region code")]
MAX_FACTOR_FILE_BYTES = 10 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/footprints", response_model=list[StudySummary], summary="Footprint studies of an enterprise")
def list_footprints(
    caller: Caller, session: DbSession, credit_code: CreditCode = None, year: YearFilter = None
) -> list[StudySummary]:
    return service_register.list_studies(session, caller, credit_code=credit_code, year=year)


@router.post("/footprints", response_model=StudyOut, status_code=status.HTTP_201_CREATED, summary="Compute a study")
def create_footprint(body: StudyIn, request: Request, caller: Caller, session: DbSession) -> StudyOut:
    return service.create_study(session, caller, body, reference=reference_of(request))


@router.get("/footprints/register", response_model=Page[StudySummary], summary="The region's published footprints")
def footprint_register(
    caller: Caller,
    session: DbSession,
    region_code: RegionCode,
    page: Paging,
    year: YearFilter = None,
    search: Annotated[str, Query(max_length=100)] = "",
) -> Page[StudySummary]:
    items, total = service_register.register_page(
        session, caller, region_code, limit=page.limit, offset=page.offset, search=search, year=year
    )
    return Page[StudySummary].of(items, total, page)


@router.get("/footprints/factors", response_model=list[FactorOut], summary="Material emission factors in use")
def list_material_factors(request: Request, caller: Caller) -> list[FactorOut]:
    return service_factors.list_factors(reference_of(request))


@router.get("/footprints/factors/template", summary="The fill-in template of the material factor table")
def material_factor_template(
    caller: Caller, format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "csv"
) -> Response:
    if format == "xlsx":
        return Response(io_factors.template_xlsx(), media_type=XLSX, headers=_attachment("material_factors.xlsx"))
    return Response(io_factors.template_csv(), media_type="text/csv", headers=_attachment("material_factors.csv"))


@router.post(
    "/footprints/factors",
    response_model=FactorImportOut,
    summary="Import material factors (admin): all rows or none, a new version of the table",
)
def import_material_factors(
    request: Request,
    caller: Caller,
    session: DbSession,
    file: Annotated[UploadFile, File(description=".csv (UTF-8) or .xlsx with the template's columns")],
    note: Annotated[str, Form(max_length=500, description="why / from which document")] = "",
    dry_run: Annotated[bool, Query(description="check only, store nothing")] = False,
) -> FactorImportOut:
    content = file.file.read(MAX_FACTOR_FILE_BYTES + 1)
    if len(content) > MAX_FACTOR_FILE_BYTES:
        raise InvalidInput("the file is larger than 10 MB", field="file", zh="文件超过 10 MB")
    return service_factors.import_factors(
        session,
        caller,
        content,
        Path(file.filename or "factors.csv").name,
        request.app.state.data_dir,
        reference_of(request),
        note=note,
        dry_run=dry_run,
    )


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/footprints/{study_id}", response_model=StudyOut, summary="One study with its trace")
def get_footprint(study_id: Id, caller: Caller, session: DbSession) -> StudyOut:
    return service_register.get_study(session, caller, study_id)


@router.post("/footprints/{study_id}/recompute", response_model=StudyOut, summary="Compute a draft again")
def recompute_footprint(
    study_id: Id, body: VersionIn, request: Request, caller: Caller, session: DbSession
) -> StudyOut:
    return service.recompute(session, caller, study_id, body, reference=reference_of(request))


@router.post("/footprints/{study_id}/publish", response_model=StudyOut, summary="Publish (send lock_version)")
def publish_footprint(study_id: Id, body: VersionIn, caller: Caller, session: DbSession) -> StudyOut:
    return service.publish(session, caller, study_id, body)
