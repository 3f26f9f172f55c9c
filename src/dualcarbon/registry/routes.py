"""``/api/v1/enterprises``: the enterprise registry — list, export, import, detail, edit, sites, units.

Thin routes over :mod:`dualcarbon.registry.service`, :mod:`dualcarbon.registry.service_import`,
:mod:`dualcarbon.registry.service_import_template` and :mod:`dualcarbon.registry.service_export`; scope is
checked by the services (out of scope → 404, role-forbidden change → 403).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference import ReferenceSet, load_reference
from dualcarbon.registry import service as registry
from dualcarbon.registry import service_export as registry_export
from dualcarbon.registry import service_import as registry_import
from dualcarbon.registry import service_import_template as registry_template
from dualcarbon.registry import service_sites as registry_sites
from dualcarbon.registry.schemas import EnterpriseDetail, EnterpriseImportReport, EnterpriseItem, SiteOut, UnitOut
from dualcarbon.registry.service import EnterpriseQuery, EnterpriseSpec
from dualcarbon.registry.service_sheet import FIELD_ZH
from dualcarbon.registry.service_sites import SiteSpec, UnitSpec
from dualcarbon.ui.api import API_PREFIX, MAX_ID, Caller, DbSession, Id, Page, Paging, typed_json
from dualcarbon.ui.files import SPREADSHEET_SUFFIXES, XLSX_RESPONSES, saved_upload, xlsx_response

router = APIRouter(prefix=f"{API_PREFIX}/enterprises", tags=["enterprises"])

_MAPPING_ZH = '列名对应关系须为 JSON 对象：{"文件中的列名": "模板列名"}'


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credit_code: str = Field(description="统一社会信用代码, 18 characters with a valid check character")
    name: str
    region_code: str = Field(description="6-digit GB/T 2260 region code inside your scope")
    industry_code: str = Field(description="GB/T 4754 code, e.g. C3011")
    above_scale: bool = False
    land_area_mu: float | None = Field(default=None, ge=0)
    key_energy_user: bool = False
    address: str | None = None
    contact: str | None = None


class EnterprisePatch(BaseModel):
    """Only the fields sent are changed; ``version`` (optional) guards against overwriting another edit."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    region_code: str | None = None
    industry_code: str | None = None
    above_scale: bool | None = None
    land_area_mu: float | None = Field(default=None, ge=0)
    key_energy_user: bool | None = None
    address: str | None = None
    contact: str | None = None
    version: int | None = Field(default=None, ge=0, le=MAX_ID)


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    address: str | None = None


class SitePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    address: str | None = None


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    capacity: float = Field(gt=0)
    capacity_unit: str = Field(description="e.g. 万吨/年, t/d, MW")
    benchmark_row_id: str | None = Field(default=None, description="reference benchmark row, e.g. BM2023-061")
    field: str | None = Field(default=None, description="key field (重点领域); taken from the benchmark row if omitted")
    product: str | None = None
    site_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class UnitPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    capacity: float | None = Field(default=None, gt=0)
    capacity_unit: str | None = None
    benchmark_row_id: str | None = None
    field: str | None = None
    product: str | None = None
    site_id: int | None = Field(default=None, ge=1, le=MAX_ID)


async def enterprise_query(  # async: it only parses the query, so no worker thread
    region_code: Annotated[str | None, Query(description="region code; its whole subtree")] = None,
    q: Annotated[str | None, Query(description="part of the name, or the start of the credit code")] = None,
    key_energy_user: bool | None = None,
    above_scale: bool | None = None,
    field: Annotated[str | None, Query(description="has a production unit in this key field (重点领域)")] = None,
    industry_code: Annotated[str | None, Query(description="GB/T 4754 code prefix, e.g. C30")] = None,
) -> EnterpriseQuery:
    return EnterpriseQuery(region_code, q, key_energy_user, above_scale, field, industry_code)


Filters = Annotated[EnterpriseQuery, Depends(enterprise_query)]


def _reference(request: Request) -> ReferenceSet:
    return load_reference(request.app.state.data_dir)


def _changes(body: BaseModel, non_null: tuple[str, ...]) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for name in non_null:
        if name in changes and changes[name] is None:
            raise InvalidInput("may not be null", field=name, zh=f"{FIELD_ZH.get(name, '此项')}不能为空")
    return changes


# ---- collection ---------------------------------------------------------------------------------
@router.get("", response_model=Page[EnterpriseItem], summary="Enterprises in your scope (filtered, paginated)")
def list_enterprises(caller: Caller, session: DbSession, page: Paging, filters: Filters) -> Response:
    items, total = registry.list_enterprises(session, caller, filters, limit=page.limit, offset=page.offset)
    return typed_json(Page[EnterpriseItem].of(items, total, page))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EnterpriseDetail, summary="Register an enterprise")
def create_enterprise(body: EnterpriseIn, caller: Caller, session: DbSession) -> EnterpriseDetail:
    enterprise = registry.create_enterprise(session, caller, EnterpriseSpec(**body.model_dump()))
    return registry.enterprise_detail(session, caller, enterprise.credit_code)


@router.get(
    "/export.xlsx",
    summary="The filtered list as an Excel file (Chinese headers, re-importable)",
    response_class=Response,
    responses=XLSX_RESPONSES,
)
def export_enterprises(caller: Caller, session: DbSession, filters: Filters) -> Response:
    content = registry_export.export_enterprises_xlsx(session, caller, filters)
    return xlsx_response(content, "企业名录.xlsx")


@router.get(
    "/import/template.xlsx",
    summary="The empty import workbook with its instructions",
    response_class=Response,
    responses=XLSX_RESPONSES,
)
def import_template(caller: Caller) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        registry_template.write_import_template(path)
        return xlsx_response(path.read_bytes(), "企业导入模板.xlsx")


@router.post(
    "/import",
    response_model=EnterpriseImportReport,
    summary="Bulk import from .xlsx/.csv: all or nothing; dry_run=true only validates",
    responses={422: {"description": "problems found: nothing imported; the report is under ``report``"}},
)
def import_enterprises(
    caller: Caller,
    session: DbSession,
    file: Annotated[UploadFile, File(description=".xlsx or .csv with the template's headers")],
    dry_run: Annotated[bool, Query(description="validate and count, write nothing")] = False,
    mapping: Annotated[str | None, Form(description='JSON {"source header": "target column"}')] = None,
    map: Annotated[list[str] | None, Form(description="SOURCE=TARGET pairs (like the CLI's --map)")] = None,
) -> Any:
    columns = registry_import.parse_mapping(map or [])
    if mapping:
        try:
            given = json.loads(mapping)
        except json.JSONDecodeError:
            raise InvalidInput("mapping is not a JSON object", field="mapping", zh=_MAPPING_ZH) from None
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise InvalidInput("mapping must be a JSON object of header → column", field="mapping", zh=_MAPPING_ZH)
        columns.update({str(k): v for k, v in given.items()})
    with saved_upload(file, (*SPREADSHEET_SUFFIXES, ".txt")) as (path, name):
        report = registry_import.import_enterprises(session, caller, path, columns or None, dry_run, display_name=name)
    body = report.out()
    if report.problems and not dry_run:
        session.rollback()
        return JSONResponse(
            status_code=422,
            content={
                "error": "InvalidInput",
                "field": "file",
                "report": body.model_dump(),
                "message": f"{name} 中有 {len(report.problems)} 处问题，未导入任何数据 / "
                f"{len(report.problems)} problem(s) in {name}; nothing was imported",
            },
        )
    return body


# ---- one enterprise -----------------------------------------------------------------------------
@router.get(
    "/{credit_code}", response_model=EnterpriseDetail, summary="One enterprise with its sites and production units"
)
def get_enterprise(credit_code: str, caller: Caller, session: DbSession) -> Response:
    return typed_json(registry.enterprise_detail(session, caller, credit_code))


@router.patch("/{credit_code}", response_model=EnterpriseDetail, summary="Change some fields of an enterprise")
def update_enterprise(credit_code: str, body: EnterprisePatch, caller: Caller, session: DbSession) -> EnterpriseDetail:
    changes = _changes(body, ("name", "region_code", "industry_code", "above_scale", "key_energy_user"))
    version = changes.pop("version", None)
    registry.update_enterprise(session, caller, credit_code, changes, expected_version=version)
    return registry.enterprise_detail(session, caller, credit_code)


@router.post(
    "/{credit_code}/sites", status_code=status.HTTP_201_CREATED, response_model=SiteOut, summary="Add a site (厂区)"
)
def add_site(credit_code: str, body: SiteIn, caller: Caller, session: DbSession) -> SiteOut:
    site = registry_sites.add_site(session, caller, credit_code, SiteSpec(**body.model_dump()))
    return registry.site_item(site)


@router.patch("/{credit_code}/sites/{site_id}", response_model=SiteOut, summary="Change a site")
def update_site(credit_code: str, site_id: Id, body: SitePatch, caller: Caller, session: DbSession) -> SiteOut:
    site = registry_sites.update_site(session, caller, credit_code, site_id, _changes(body, ("name",)))
    return registry.site_item(site)


@router.post(
    "/{credit_code}/units",
    status_code=status.HTTP_201_CREATED,
    response_model=UnitOut,
    summary="Add a production unit",
)
def add_unit(credit_code: str, body: UnitIn, request: Request, caller: Caller, session: DbSession) -> UnitOut:
    unit = registry_sites.add_production_unit(
        session, caller, credit_code, UnitSpec(**body.model_dump()), _reference(request)
    )
    return registry.unit_item(unit)


@router.patch("/{credit_code}/units/{unit_id}", response_model=UnitOut, summary="Change a production unit")
def update_unit(
    credit_code: str, unit_id: Id, body: UnitPatch, request: Request, caller: Caller, session: DbSession
) -> UnitOut:
    changes = _changes(body, ("name", "capacity", "capacity_unit"))
    unit = registry_sites.update_production_unit(session, caller, credit_code, unit_id, changes, _reference(request))
    return registry.unit_item(unit)
