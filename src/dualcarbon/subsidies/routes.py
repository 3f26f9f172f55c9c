"""``/api/v1/subsidies``: applications (apply, read, decide, pay), budget pools and electricity surcharges.

Thin routes over :mod:`.service_applications`, :mod:`.service_review`, :mod:`.service_pools` and
:mod:`.service_surcharge`; the services check role and scope (out of scope → 404, role-forbidden → 403, wrong
state, a lost race or an exhausted pool → 409, bad input → 422 naming the field).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from dualcarbon.subsidies import service_applications as applications
from dualcarbon.subsidies import service_pools as pools
from dualcarbon.subsidies import service_review as review
from dualcarbon.subsidies import service_surcharge as surcharge
from dualcarbon.subsidies.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationState,
    DecisionIn,
    PaymentIn,
    PoolIn,
    PoolOut,
    SurchargeFileIn,
    SurchargeImportReceipt,
    SurchargeIn,
    SurchargeResult,
    SurchargeRowOut,
)
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, Page, Paging, YearFilter, reference_of

router = APIRouter(prefix=f"{API_PREFIX}/subsidies", tags=["subsidies 补贴申请"])


@router.get("/applications", response_model=Page[ApplicationOut], summary="Applications you may see")
def list_applications(
    caller: Caller,
    session: DbSession,
    page: Paging,
    year: YearFilter = None,
    state: ApplicationState | None = None,
    rule: Annotated[str | None, Query(max_length=120)] = None,
) -> Page[ApplicationOut]:
    items, total = applications.list_applications(
        session, caller, state=state, year=year, rule=rule, limit=page.limit, offset=page.offset
    )
    return Page.of(items, total, page)


@router.post(
    "/applications", response_model=ApplicationOut, status_code=status.HTTP_201_CREATED, summary="Apply with evidence"
)
def apply(body: ApplicationIn, request: Request, caller: Caller, session: DbSession) -> ApplicationOut:
    return applications.apply(session, caller, body, reference_of(request))


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="One application and its trace")
def get_application(application_id: Id, caller: Caller, session: DbSession) -> ApplicationOut:
    return applications.get_application(session, caller, application_id)


@router.post(
    "/applications/{application_id}/decision", response_model=ApplicationOut, summary="Review, approve or reject"
)
def decide(application_id: Id, body: DecisionIn, caller: Caller, session: DbSession) -> ApplicationOut:
    return review.decide(session, caller, application_id, body)


@router.post("/applications/{application_id}/payment", response_model=ApplicationOut, summary="Record the payment")
def pay(application_id: Id, body: PaymentIn, caller: Caller, session: DbSession) -> ApplicationOut:
    return review.pay(session, caller, application_id, body)


@router.get("/pools", response_model=list[PoolOut], summary="Budget pools in your regions")
def list_pools(caller: Caller, session: DbSession, year: YearFilter = None) -> list[PoolOut]:
    return pools.list_pools(session, caller, year=year)


@router.post("/pools", response_model=PoolOut, status_code=status.HTTP_201_CREATED, summary="Set up a budget pool")
def create_pool(body: PoolIn, caller: Caller, session: DbSession) -> PoolOut:
    return pools.create_pool(session, caller, body)


@router.get("/surcharges", response_model=list[SurchargeRowOut], summary="Imported electricity surcharge rows")
def list_surcharges(
    caller: Caller, session: DbSession, table_id: Annotated[str | None, Query(max_length=80)] = None
) -> list[SurchargeRowOut]:
    return surcharge.list_surcharges(session, caller, table_id)


@router.post("/surcharges", response_model=SurchargeImportReceipt, summary="Import a surcharge table (admin)")
def import_surcharges(body: SurchargeFileIn, caller: Caller, session: DbSession) -> SurchargeImportReceipt:
    return surcharge.import_surcharges(session, caller, body.content)


@router.post("/surcharges/yearly", response_model=SurchargeResult, summary="An enterprise's yearly surcharge")
def yearly_surcharge(body: SurchargeIn, request: Request, caller: Caller, session: DbSession) -> SurchargeResult:
    return surcharge.yearly_surcharge(session, caller, body, reference_of(request))
