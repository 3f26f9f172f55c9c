"""``/api/v1/equipment``, ``/technologies``, ``/obsolete-equipment``, ``/waste-heat`` and the 设备对标 report.

Thin routes over the equipment services, which check role and scope (out of scope → 404, role-forbidden →
403, a lost race → 409, bad input → 422 naming the field).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response, status

from dualcarbon.equipment import service_benchmark as benchmark
from dualcarbon.equipment import service_catalogues as catalogues
from dualcarbon.equipment import service_register as register
from dualcarbon.equipment import service_waste_heat as waste_heat
from dualcarbon.equipment.models import EquipmentType, WasteHeatKind
from dualcarbon.equipment.schemas import (
    BenchmarkReport,
    EquipmentIn,
    EquipmentOut,
    ObsoleteRuleOut,
    TechnologyOut,
    WasteHeatIn,
    WasteHeatMatches,
    WasteHeatOut,
)
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, reference_of

router = APIRouter(prefix=API_PREFIX, tags=["equipment 设备/技术/余热"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Region = Annotated[str | None, Query(min_length=6, max_length=6, description="region code in your scope")]
LockVersion = Annotated[int | None, Query(ge=0, description="lock_version you saw (409 when it changed)")]
CreditCode = Annotated[str | None, Query(min_length=18, max_length=18, description="统一社会信用代码")]


# ---- register --------------------------------------------------------------------------------------------
@router.get("/equipment", response_model=list[EquipmentOut], summary="The equipment register (设备台账)")
def list_equipment(
    caller: Caller,
    session: DbSession,
    credit_code: CreditCode = None,
    equipment_type: Annotated[EquipmentType | None, Query(alias="type")] = None,
) -> list[EquipmentOut]:
    return register.list_items(session, caller, credit_code, equipment_type)


@router.post("/equipment", response_model=EquipmentOut, summary="Add a line, or change the one with that asset code")
def save_equipment(
    body: EquipmentIn, caller: Caller, session: DbSession, lock_version: LockVersion = None
) -> EquipmentOut:
    return register.save_item(session, caller, body, lock_version=lock_version)


@router.get("/equipment/{item_id}", response_model=EquipmentOut, summary="One register line")
def get_equipment(item_id: Id, caller: Caller, session: DbSession) -> EquipmentOut:
    item, enterprise = register.load_item(session, caller, item_id)
    return register.item_out(session, item, enterprise)


@router.delete("/equipment/{item_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a register line")
def delete_equipment(item_id: Id, caller: Caller, session: DbSession) -> Response:
    register.delete_item(session, caller, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- benchmark -------------------------------------------------------------------------------------------
@router.get(
    "/enterprises/{credit_code}/equipment/benchmark",
    response_model=BenchmarkReport,
    summary="设备对标: grades, gaps, energy at stake, obsolete matches",
)
def benchmark_json(credit_code: str, request: Request, caller: Caller, session: DbSession) -> BenchmarkReport:
    return benchmark.benchmark_enterprise(session, caller, credit_code, reference_of(request))


@router.get(
    "/enterprises/{credit_code}/equipment/benchmark.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="设备对标 workbook",
)
def benchmark_xlsx(credit_code: str, request: Request, caller: Caller, session: DbSession) -> Response:
    content = benchmark.benchmark_workbook(session, caller, credit_code, reference_of(request))
    name = quote(f"设备对标-{credit_code}.xlsx")
    headers = {"Content-Disposition": f"attachment; filename=\"benchmark.xlsx\"; filename*=UTF-8''{name}"}
    return Response(content, media_type=XLSX, headers=headers)


# ---- catalogues ------------------------------------------------------------------------------------------
@router.get("/technologies", response_model=list[TechnologyOut], summary="Search the technology catalogue")
def search_technologies(
    caller: Caller,
    session: DbSession,
    q: Annotated[str | None, Query(max_length=200, description="text in code, name, description, cases")] = None,
    field: Annotated[str | None, Query(max_length=100, description="领域 contains")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[TechnologyOut]:
    return catalogues.search_technologies(session, caller, q, field, limit)


@router.get("/technologies/{code}", response_model=TechnologyOut, summary="One technology by its code")
def get_technology(code: str, caller: Caller, session: DbSession) -> TechnologyOut:
    return catalogues.get_technology(session, caller, code)


@router.get("/obsolete-equipment", response_model=list[ObsoleteRuleOut], summary="The imported 淘汰目录 entries")
def list_obsolete(caller: Caller, session: DbSession) -> list[ObsoleteRuleOut]:
    return catalogues.list_obsolete(session, caller)


# ---- waste heat ------------------------------------------------------------------------------------------
@router.get("/waste-heat/points", response_model=list[WasteHeatOut], summary="Waste-heat sources and sinks")
def list_points(
    caller: Caller, session: DbSession, region: Region = None, kind: WasteHeatKind | None = None
) -> list[WasteHeatOut]:
    return waste_heat.list_points(session, caller, region, kind)


@router.post("/waste-heat/points", response_model=WasteHeatOut, summary="Record or change a source or sink")
def save_point(body: WasteHeatIn, caller: Caller, session: DbSession, lock_version: LockVersion = None) -> WasteHeatOut:
    return waste_heat.save_point(session, caller, body, lock_version=lock_version)


@router.delete("/waste-heat/points/{point_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a point")
def delete_point(point_id: Id, caller: Caller, session: DbSession) -> Response:
    waste_heat.delete_point(session, caller, point_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/waste-heat/matches", response_model=WasteHeatMatches, summary="Ranked source–sink pairs (余热匹配)")
def matches(request: Request, caller: Caller, session: DbSession, region: Region = None) -> WasteHeatMatches:
    return waste_heat.match(session, caller, reference_of(request), region)
