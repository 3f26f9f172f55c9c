"""``GET /api/v1/documents/{kind}?…``: a print-ready PDF (A4, Chinese) of one of the documents officials use.

Kinds and their query parameters: ``enterprise_annual`` (report_id), ``catalog_notice`` (catalog_id),
``yunnan_annex`` (catalog_id, annex = 1|2|3), ``monitoring_monthly`` (region_code, month = YYYY-MM),
``target_progress`` (region_code, year optional), ``subsidy_decision`` (application_id). The service checks
access (out of scope → 404) and the parameters (→ 422 naming the parameter). ``format=xlsx`` gives Yunnan's
annexes as Excel.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dualcarbon.documents import service
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession

router = APIRouter(prefix=API_PREFIX, tags=["documents 文书"])

PARAMETERS = ("report_id", "catalog_id", "annex", "region_code", "month", "year", "application_id")


@router.get(
    "/documents/{kind}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"}},
    summary="A document as PDF",
)
def render_document(
    kind: str,
    request: Request,
    caller: Caller,
    session: DbSession,
    format_: Annotated[
        Literal["pdf", "xlsx"], Query(alias="format", description="xlsx: Yunnan's annexes only")
    ] = "pdf",
) -> Response:
    params = {name: request.query_params[name] for name in PARAMETERS if name in request.query_params}
    if format_ == "xlsx":
        body, filename = service.render_workbook(session, caller, kind, params)
        media = service.XLSX
    else:
        body, filename = service.render(session, caller, kind, params)
        media = "application/pdf"
    disposition = f"inline; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
