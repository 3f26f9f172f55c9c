"""``/api/v1/alerts`` (list, one, ack, close), ``/api/v1/alerts/subscriptions``, ``/api/v1/budgets``,
``/api/v1/forecasts`` and ``/metrics`` (Prometheus text format, no login: aggregate counts only).

Thin routes over the alerts services; scope and roles are checked there.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, Field, FiniteFloat

from dualcarbon.alerts import service_alerts, service_budget, service_channels, service_forecast
from dualcarbon.alerts.schemas import AlertOut, BudgetStatus, ForecastResult, SubscriptionOut
from dualcarbon.alerts.service_forecast import local_today
from dualcarbon.alerts.service_metrics import CONTENT_TYPE
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, Page, Paging, reference_of

router = APIRouter(prefix=API_PREFIX, tags=["alerts"])
metrics_router = APIRouter(tags=["metrics"])


class StepIn(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)
    lock_version: int | None = Field(default=None, ge=0)


class SubscriptionIn(BaseModel):
    channel: Literal["inapp", "webhook", "email"]
    target: str | None = Field(default=None, max_length=400)
    min_level: Literal["yellow", "orange", "red"] = "yellow"
    sources: list[str] = Field(default_factory=list, max_length=10)


class BudgetIn(BaseModel):
    budget_tce: FiniteFloat = Field(gt=0)
    lock_version: int | None = Field(default=None, ge=0)


@router.get("/alerts/subscriptions", response_model=list[SubscriptionOut])
def list_subscriptions(session: DbSession, caller: Caller) -> list[SubscriptionOut]:
    return service_channels.list_subscriptions(session, caller)


@router.post("/alerts/subscriptions", response_model=SubscriptionOut, status_code=201)
def create_subscription(session: DbSession, caller: Caller, body: SubscriptionIn) -> SubscriptionOut:
    return service_channels.create_subscription(
        session, caller, body.channel, target=body.target, min_level=body.min_level, sources=body.sources
    )


@router.delete("/alerts/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(session: DbSession, caller: Caller, subscription_id: Id) -> Response:
    service_channels.delete_subscription(session, caller, subscription_id)
    return Response(status_code=204)


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(
    session: DbSession,
    caller: Caller,
    paging: Paging,
    state: Annotated[str | None, Query(description="open, acknowledged or closed")] = None,
    level: Annotated[str | None, Query(description="yellow, orange or red")] = None,
    source: Annotated[str | None, Query(description="budget, anomaly, stale, quality, imbalance, conflict")] = None,
    enterprise: Annotated[str | None, Query(description="credit code")] = None,
    region: Annotated[str | None, Query(description="region code (GB/T 2260)", pattern=r"^\d{6}$")] = None,
    subscribed: Annotated[bool, Query(description="only what my in-app subscriptions want")] = False,
) -> Page[AlertOut]:
    rows, total = service_alerts.list_alerts(
        session,
        caller,
        state=state,
        level=level,
        source=source,
        credit_code=enterprise,
        region=region,
        subscribed=subscribed,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page.of(rows, total, paging)


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(session: DbSession, caller: Caller, alert_id: Id) -> AlertOut:
    return service_alerts.get_alert(session, caller, alert_id)


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def acknowledge(session: DbSession, caller: Caller, alert_id: Id, body: Annotated[StepIn, Body()]) -> AlertOut:
    return service_alerts.acknowledge(session, caller, alert_id, body.comment, body.lock_version)


@router.post("/alerts/{alert_id}/close", response_model=AlertOut)
def close(session: DbSession, caller: Caller, alert_id: Id, body: Annotated[StepIn, Body()]) -> AlertOut:
    return service_alerts.close(session, caller, alert_id, body.comment or "", body.lock_version)


@router.put("/budgets/{credit_code}/{year}", response_model=BudgetStatus)
def put_budget(
    request: Request, session: DbSession, caller: Caller, credit_code: str, year: int, body: BudgetIn
) -> BudgetStatus:
    reference = reference_of(request)
    service_budget.set_budget(
        session, caller, credit_code, year, body.budget_tce, reference, lock_version=body.lock_version
    )
    return service_budget.budget_status(session, caller, credit_code, year, local_today(), reference)


@router.get("/budgets/{credit_code}/{year}", response_model=BudgetStatus)
def get_budget(
    request: Request,
    session: DbSession,
    caller: Caller,
    credit_code: str,
    year: int,
    as_of: Annotated[date | None, Query(description="YYYY-MM-DD (default: today, Asia/Shanghai)")] = None,
) -> BudgetStatus:
    return service_budget.budget_status(
        session, caller, credit_code, year, as_of or local_today(), reference_of(request)
    )


@router.get("/forecasts", response_model=ForecastResult)
def get_forecast(
    request: Request,
    session: DbSession,
    caller: Caller,
    scope: Annotated[Literal["enterprise", "region"], Query()],
    id_: Annotated[str, Query(alias="id", description="credit code or region code")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    as_of: Annotated[date | None, Query(description="YYYY-MM-DD (default: today, Asia/Shanghai)")] = None,
) -> ForecastResult:
    return service_forecast.forecast(session, caller, scope, id_, year, as_of or local_today(), reference_of(request))


@metrics_router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)
