"""``/api/v1/targets`` and ``/api/v1/lists``: targets and their progress, the derived lists.

Thin routes over :mod:`~dualcarbon.targets.service`, ``service_progress`` and ``service_lists``; the services
check role and scope (out of scope → 404, role-forbidden → 403, a lost race or a stale version → 409, bad
input → 422 naming the field).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from dualcarbon.targets import service, service_construction, service_lists, service_progress
from dualcarbon.targets.schemas import (
    ConstructionProjectIn,
    DerivedList,
    ProgressOut,
    SeedIn,
    TargetIn,
    TargetOut,
    TargetUpdate,
    YearIn,
)
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, YearFilter

router = APIRouter(prefix=API_PREFIX, tags=["targets 目标进度"])

Region = Annotated[str | None, Query(min_length=6, max_length=6, description="region code")]
RequiredRegion = Annotated[str, Query(min_length=6, max_length=6, description="region code")]
Pack = Annotated[str | None, Query(description="policy pack id or alias")]


@router.get("/targets", response_model=list[TargetOut], summary="Targets you may see")
def list_targets(
    caller: Caller, session: DbSession, region_code: Region = None, kind: str | None = None
) -> list[TargetOut]:
    return service.list_targets(session, caller, region_code=region_code, kind=kind)


@router.post("/targets", response_model=TargetOut, status_code=status.HTTP_201_CREATED, summary="Set a target")
def create_target(body: TargetIn, caller: Caller, session: DbSession) -> TargetOut:
    return service.create_target(session, caller, body)


@router.post("/targets/seed", response_model=list[TargetOut], summary="Seed a region's targets from a policy pack")
def seed_targets(body: SeedIn, caller: Caller, session: DbSession) -> list[TargetOut]:
    return service.seed_from_pack(session, caller, body)


@router.get("/targets/{target_id}", response_model=TargetOut, summary="One target")
def get_target(target_id: Id, caller: Caller, session: DbSession) -> TargetOut:
    return service.get_target(session, caller, target_id)


@router.patch("/targets/{target_id}", response_model=TargetOut, summary="Edit a target (send lock_version)")
def update_target(target_id: Id, body: TargetUpdate, caller: Caller, session: DbSession) -> TargetOut:
    return service.update_target(session, caller, target_id, body)


@router.post("/targets/{target_id}/years", response_model=TargetOut, summary="Record a year's achievement")
def record_year(target_id: Id, body: YearIn, caller: Caller, session: DbSession) -> TargetOut:
    return service.record_year(session, caller, target_id, body)


@router.get("/targets/{target_id}/progress", response_model=ProgressOut, summary="Progress, rate needed, warning")
def target_progress(target_id: Id, caller: Caller, session: DbSession, year: YearFilter = None) -> ProgressOut:
    return service_progress.progress(session, caller, target_id, as_of_year=year)


@router.post("/lists/high_consumption/keep", response_model=DerivedList, summary="Keep a year's screening list")
def keep_screening(
    caller: Caller,
    session: DbSession,
    region_code: RequiredRegion,
    year: int = Query(ge=1990, le=2100),
    pack: Pack = None,
) -> DerivedList:
    return service_lists.keep_screening(session, caller, region_code, year, pack)


@router.get("/lists/{kind}", response_model=DerivedList, summary="A derived list (high_consumption, two_high …)")
def derived_list(
    kind: str,
    caller: Caller,
    session: DbSession,
    region_code: RequiredRegion,
    year: YearFilter = None,
    pack: Pack = None,
) -> DerivedList:
    return service_lists.derived_list(session, caller, kind, region_code, year=year, pack=pack)


@router.post("/construction-projects", status_code=status.HTTP_201_CREATED, summary="Register a 在建/拟建 project")
def add_construction_project(body: ConstructionProjectIn, caller: Caller, session: DbSession) -> dict[str, int]:
    return {"id": service_construction.add_construction_project(session, caller, body)}
