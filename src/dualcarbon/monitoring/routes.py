"""``/api/v1/meters`` and ``/api/v1/readings``: the meter register, reading ingestion, rollups.

Thin routes over :mod:`.service_meters`, :mod:`.service_ingest` and :mod:`.service_rollups`; scope is
checked by the services (a meter outside the caller's scope is 404; a reading for one is rejected in the
receipt).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring import service_ingest, service_meters, service_rollups
from dualcarbon.monitoring.io.readings_file import read_csv_bytes
from dualcarbon.monitoring.schemas import IngestReceipt, MeterOut, RollupResult
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, reference_of

router = APIRouter(prefix=API_PREFIX, tags=["monitoring"])

MAX_BODY_BYTES = 50 * 1024 * 1024


@router.get("/meters", response_model=list[MeterOut])
def list_meters(
    session: DbSession, caller: Caller, enterprise: Annotated[str | None, Query(description="credit code")] = None
) -> list[MeterOut]:
    return service_meters.list_meters(session, caller, enterprise)


@router.post(
    "/readings",
    response_model=IngestReceipt,
    description=(
        'JSON `{"readings": [{"meter": CODE, "ts": ISO-8601, "value": number}], "enterprise": CREDIT_CODE}` '
        "(enterprise optional for a caller with one enterprise; a reading may carry its own `credit_code`), "
        "or `text/csv` with the header `credit_code,meter_code,ts,value`. Times without an offset are "
        "Asia/Shanghai."
    ),
)
async def post_readings(request: Request, session: DbSession, caller: Caller) -> IngestReceipt:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        mb = MAX_BODY_BYTES // (1024 * 1024)
        raise InvalidInput(
            f"the body is larger than {mb} MB; send smaller batches", zh=f"请求内容超过 {mb} MB，请分批发送"
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("text/csv", "application/csv"):
        table = read_csv_bytes(body, "CSV body")
        return service_ingest.ingest_table(session, caller, table, source="http")
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, an integer of > 4,300 digits, deep nesting
        raise InvalidInput(f"the body is not JSON ({exc})", field="readings", zh="请求内容不是有效的 JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("readings"), list):
        raise InvalidInput(
            'send {"readings": [{"meter", "ts", "value"}, …]}',
            field="readings",
            zh='请按 {"readings": [{"meter", "ts", "value"}, …]} 的格式发送读数',
        )
    readings = [r if isinstance(r, dict) else {} for r in payload["readings"]]
    enterprise = payload.get("enterprise")
    return service_ingest.ingest_json(
        session, caller, readings, enterprise=enterprise if isinstance(enterprise, str) else None
    )


@router.get("/meters/{meter_id}/rollups", response_model=RollupResult, response_model_by_alias=True)
def meter_rollups(
    request: Request,
    session: DbSession,
    caller: Caller,
    meter_id: Id,
    interval: Annotated[str, Query(description="hour, day or month")],
    from_: Annotated[date, Query(alias="from", description="first day (Asia/Shanghai)")],
    to: Annotated[date, Query(description="last day, inclusive")],
) -> RollupResult:
    return service_rollups.meter_rollups(session, caller, interval, from_, to, reference_of(request), meter_id=meter_id)
