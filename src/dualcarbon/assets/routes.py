"""``/api/v1/assets``: the PV, storage and data-centre registers and green designations.

Thin routes over the ``service_*`` modules of :mod:`dualcarbon.assets`; the services check role and scope
(out of scope → 404, role-forbidden → 403, bad input → 422 naming the field). Periods are whole months
(``period_from`` / ``period_to``, YYYY-MM).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from dualcarbon.assets import service_common as common
from dualcarbon.assets import service_datacentres as datacentres
from dualcarbon.assets import service_green as green
from dualcarbon.assets import service_pv as pv
from dualcarbon.assets import service_storage as storage
from dualcarbon.assets.schemas import (
    CoverageReport,
    DatacentreIn,
    DatacentreOut,
    DesignationCounts,
    DesignationIn,
    DesignationOut,
    EnergyOfPeriod,
    PueResult,
    PvIn,
    PvOut,
    PvPerformance,
    ReportedIn,
    ReportedOut,
    StorageIn,
    StorageOut,
)
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, reference_of

router = APIRouter(prefix=f"{API_PREFIX}/assets", tags=["assets 光伏/储能/数据中心/绿色制造"])

Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Region = Annotated[str | None, Query(min_length=6, max_length=6, description="region code")]
RegionRequired = Annotated[str, Query(min_length=6, max_length=6, description="region code")]
Pack = Annotated[str, Query(min_length=1, max_length=80, description="policy pack id or alias")]


# ---- PV --------------------------------------------------------------------------------------------------
@router.get("/pv", response_model=list[PvOut], summary="PV systems you may see")
def list_pv(caller: Caller, session: DbSession, region_code: Region = None) -> list[PvOut]:
    return pv.list_pv(session, caller, region_code=region_code)


@router.post("/pv", response_model=PvOut, status_code=status.HTTP_201_CREATED, summary="Register a PV system")
def create_pv(body: PvIn, caller: Caller, session: DbSession) -> PvOut:
    return pv.create_pv(session, caller, body)


@router.get("/pv/coverage", response_model=CoverageReport, summary="Roof coverage and new capacity vs targets")
def pv_coverage(caller: Caller, session: DbSession, pack: Pack, region_code: RegionRequired) -> CoverageReport:
    return pv.coverage(session, caller, pack, region_code)


@router.get("/pv/{pv_id}", response_model=PvOut, summary="One PV system with its height compliance")
def get_pv(pv_id: Id, caller: Caller, session: DbSession) -> PvOut:
    return pv.get_pv(session, caller, pv_id)


@router.get("/pv/{pv_id}/performance", response_model=PvPerformance, summary="Generation and CO₂ avoided")
def pv_performance(
    pv_id: Id, request: Request, caller: Caller, session: DbSession, period_from: Month, period_to: Month
) -> PvPerformance:
    return pv.pv_performance(session, caller, pv_id, period_from, period_to, reference_of(request))


@router.post(
    "/pv/{pv_id}/reported", response_model=ReportedOut, summary="Report monthly generation (unmetered systems)"
)
def report_pv(pv_id: Id, body: ReportedIn, caller: Caller, session: DbSession) -> ReportedOut:
    return common.report_months(session, caller, "pv", pv_id, body)


# ---- storage ---------------------------------------------------------------------------------------------
@router.get("/storage", response_model=list[StorageOut], summary="Storage systems you may see")
def list_storage(caller: Caller, session: DbSession, region_code: Region = None) -> list[StorageOut]:
    return storage.list_storage(session, caller, region_code=region_code)


@router.post("/storage", response_model=StorageOut, status_code=status.HTTP_201_CREATED, summary="Register storage")
def create_storage(body: StorageIn, caller: Caller, session: DbSession) -> StorageOut:
    return storage.create_storage(session, caller, body)


@router.get("/storage/{storage_id}", response_model=StorageOut, summary="One storage system")
def get_storage(storage_id: Id, caller: Caller, session: DbSession) -> StorageOut:
    return storage.get_storage(session, caller, storage_id)


@router.get("/storage/{storage_id}/discharge", response_model=EnergyOfPeriod, summary="Discharge by month")
def storage_discharge(
    storage_id: Id, request: Request, caller: Caller, session: DbSession, period_from: Month, period_to: Month
) -> EnergyOfPeriod:
    return storage.discharge(session, caller, storage_id, period_from, period_to, reference_of(request))[2]


@router.post(
    "/storage/{storage_id}/reported", response_model=ReportedOut, summary="Report monthly discharge (unmetered systems)"
)
def report_storage(storage_id: Id, body: ReportedIn, caller: Caller, session: DbSession) -> ReportedOut:
    return common.report_months(session, caller, "storage", storage_id, body)


# ---- data centres ----------------------------------------------------------------------------------------
@router.get("/datacentres", response_model=list[DatacentreOut], summary="Data centres you may see")
def list_datacentres(caller: Caller, session: DbSession, region_code: Region = None) -> list[DatacentreOut]:
    return datacentres.list_datacentres(session, caller, region_code=region_code)


@router.post(
    "/datacentres", response_model=DatacentreOut, status_code=status.HTTP_201_CREATED, summary="Register a data centre"
)
def create_datacentre(body: DatacentreIn, caller: Caller, session: DbSession) -> DatacentreOut:
    return datacentres.create_datacentre(session, caller, body)


@router.get("/datacentres/{datacentre_id}", response_model=DatacentreOut, summary="One data centre")
def get_datacentre(datacentre_id: Id, caller: Caller, session: DbSession) -> DatacentreOut:
    return datacentres.get_datacentre(session, caller, datacentre_id)


@router.get("/datacentres/{datacentre_id}/pue", response_model=PueResult, summary="PUE, GB 40879 grade, checks")
def datacentre_pue(
    datacentre_id: Id, request: Request, caller: Caller, session: DbSession, period_from: Month, period_to: Month
) -> PueResult:
    return datacentres.pue(session, caller, datacentre_id, period_from, period_to, reference_of(request))


@router.post(
    "/datacentres/{datacentre_id}/reported", response_model=ReportedOut, summary="Report monthly total or IT energy"
)
def report_datacentre(datacentre_id: Id, body: ReportedIn, caller: Caller, session: DbSession) -> ReportedOut:
    return common.report_months(session, caller, "datacentre", datacentre_id, body)


# ---- green designations ----------------------------------------------------------------------------------
@router.get("/designations", response_model=list[DesignationOut], summary="Green designations you may see")
def list_designations(caller: Caller, session: DbSession, region_code: Region = None) -> list[DesignationOut]:
    return green.list_designations(session, caller, region_code=region_code)


@router.post(
    "/designations", response_model=DesignationOut, status_code=status.HTTP_201_CREATED, summary="Record a listing"
)
def create_designation(body: DesignationIn, caller: Caller, session: DbSession) -> DesignationOut:
    return green.create_designation(session, caller, body)


@router.get("/designations/counts", response_model=DesignationCounts, summary="Counts against the pack's targets")
def designation_counts(
    caller: Caller,
    session: DbSession,
    pack: Pack,
    region_code: RegionRequired,
    since_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> DesignationCounts:
    return green.designation_counts(session, caller, pack, region_code, since_year=since_year)
