"""``/api/v1/rollups`` (tree totals), ``/api/v1/meters/{id}/balance``, the report prefill (read and 预填), virtual
meters.

Thin routes over :mod:`.service_tree`, :mod:`.service_balance` and :mod:`.service_prefill`; scope is checked by
the services through ``registry.service_access`` (out of scope reads as 404). Per-meter rollups stay in
:mod:`.routes` (``/api/v1/meters/{id}/rollups``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.monitoring import (
    service_balance,
    service_prefill,
    service_prefill_draft,
    service_rollups,
    service_tree,
    service_virtual,
)
from dualcarbon.monitoring.schemas import PrefillResult
from dualcarbon.monitoring.service_prefill_draft import PrefillDraftResult
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, Year, reference_of

router = APIRouter(prefix=API_PREFIX, tags=["monitoring"])


@router.get(
    "/rollups",
    description=(
        "Totals of counted meters per carrier and period for a scope: `enterprise` (id = credit code), `site`, "
        "`unit` (registry ids) or `region` (GB/T 2260 code, its whole subtree). `to` is inclusive."
    ),
)
def scope_rollups(
    request: Request,
    session: DbSession,
    caller: Caller,
    scope: Annotated[str, Query(description="enterprise, site, unit or region")],
    id: Annotated[str, Query(description="credit code, site id, unit id or region code")],
    interval: Annotated[str, Query(description="hour, day or month")],
    from_: Annotated[date, Query(alias="from", description="first day (Asia/Shanghai)")],
    to: Annotated[date, Query(description="last day, inclusive")],
    carrier: Annotated[str | None, Query(description="only this carrier")] = None,
) -> dict[str, Any]:
    service_rollups.check_range(interval, from_, to)
    return service_rollups.finite_tree(
        service_tree.tree_rollups(
            session, caller, scope, id, interval, from_, to, reference_of(request), carrier=carrier
        )
    )


@router.get("/meters/{meter_id}/balance", description="Daily master/sub-meter balance (总表/分表) with the loss %.")
def meter_balance(
    request: Request,
    session: DbSession,
    caller: Caller,
    meter_id: Id,
    from_: Annotated[date, Query(alias="from", description="first day (Asia/Shanghai)")],
    to: Annotated[date, Query(description="last day, inclusive")],
) -> dict[str, Any]:
    return service_balance.meter_balance(session, caller, from_, to, reference_of(request), meter_id=meter_id)


@router.get(
    "/enterprises/{credit_code}/monitoring/prefill",
    description="Monitoring totals per carrier beside the report's energy lines (month omitted = the year).",
    response_model=PrefillResult,
)
def monitoring_prefill(
    request: Request,
    session: DbSession,
    caller: Caller,
    credit_code: str,
    year: Year,
    month: Annotated[int | None, Query(ge=1, le=12, description="1-12; omit for the year")] = None,
) -> dict[str, Any]:
    return service_prefill.monitoring_prefill(session, caller, credit_code, year, month, reference_of(request))


@router.post(
    "/reports/{report_id}/prefill",
    description=(
        "预填: write the monitored energy of the report's period into its draft (a new version), carrier by carrier; "
        "lines without usable monitoring stay as entered (each with the reason). Only a draft or returned report "
        "(else 409). `include_incomplete` also fills totals below the completeness minimum; `dry_run` only shows "
        "the plan."
    ),
    response_model=PrefillDraftResult,
)
def prefill_report_draft(
    request: Request,
    session: DbSession,
    caller: Caller,
    report_id: Id,
    include_incomplete: Annotated[bool, Query(description="fill totals below the completeness minimum too")] = False,
    dry_run: Annotated[bool, Query(description="answer the plan, change nothing")] = False,
) -> PrefillDraftResult:
    return service_prefill_draft.prefill_report_draft(
        session, caller, report_id, reference_of(request), include_incomplete=include_incomplete, dry_run=dry_run
    )


class VirtualMeterIn(BaseModel):
    """A virtual meter: a formula over other meters of the enterprise, e.g. ``M1 - M2 + 0.5*M3``."""

    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(min_length=1, max_length=32, description="credit code")
    code: str = Field(min_length=1, max_length=64)
    carrier: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=32)
    formula: str = Field(min_length=1, max_length=400)
    counted: bool = False


@router.post(
    "/meters/virtual",
    description="Create a virtual meter, or change the formula of one (members: same enterprise, carrier, unit).",
)
def define_virtual_meter(request: Request, session: DbSession, caller: Caller, body: VirtualMeterIn) -> dict[str, Any]:
    meter, created = service_virtual.define_virtual_meter(
        session,
        caller,
        body.enterprise,
        body.code,
        body.carrier,
        body.unit,
        body.formula,
        reference_of(request),
        counted=body.counted,
    )
    return {
        "id": meter.id,
        "credit_code": body.enterprise.strip().upper(),
        "code": meter.code,
        "carrier": meter.carrier,
        "unit": meter.unit,
        "kind": meter.kind,
        "formula": meter.formula,
        "counted": meter.counted,
        "created": created,
    }
