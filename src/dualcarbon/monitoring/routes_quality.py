"""``/api/v1/quality``: data quality of an enterprise on a day or in a month, and the regulators' table.

Thin routes over :mod:`.service_quality_read`; scope is checked there (an enterprise outside the caller's
scope is 404; the table lists only enterprises the caller may read).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from dualcarbon.monitoring import service_quality_read
from dualcarbon.monitoring.service_quality_read import EnterpriseQuality, QualityResult
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Page, Paging, reference_of

router = APIRouter(prefix=API_PREFIX, tags=["monitoring"])


@router.get("/quality", response_model=QualityResult)
def quality(
    request: Request,
    session: DbSession,
    caller: Caller,
    enterprise: Annotated[str, Query(description="credit code")],
    date_: Annotated[date | None, Query(alias="date", description="YYYY-MM-DD (Asia/Shanghai)")] = None,
    month: Annotated[str | None, Query(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")] = None,
) -> QualityResult:
    return service_quality_read.quality_show(session, caller, enterprise, reference_of(request), day=date_, month=month)


@router.get("/quality/enterprises", response_model=Page[EnterpriseQuality])
def quality_enterprises(
    session: DbSession,
    caller: Caller,
    paging: Paging,
    date_: Annotated[date, Query(alias="date", description="YYYY-MM-DD")],
    region: Annotated[str | None, Query(description="region code (GB/T 2260)")] = None,
) -> Page[EnterpriseQuality]:
    rows, total = service_quality_read.enterprise_quality_page(
        session, caller, date_, region, paging.limit, paging.offset
    )
    return Page.of(rows, total, paging)
