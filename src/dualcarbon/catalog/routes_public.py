"""``/public``: the published efficiency catalogs and their advanced/backward lists, without login.

Thin routes over :mod:`dualcarbon.catalog.service_public`: only catalogs in force (published, not
superseded) exist here; items carry the enterprise name, credit code, product and tier, nothing else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from dualcarbon.catalog import service_public as catalog_public
from dualcarbon.catalog.schemas import PublicCatalog, PublicList
from dualcarbon.ui.api import DbSession, Id, Page, Paging, typed_json

router = APIRouter(prefix="/public", tags=["public"])


@router.get(
    "/catalogs",
    response_model=Page[PublicCatalog],
    summary="Published catalogs in force, newest first, with counts per tier",
)
def list_catalogs(
    session: DbSession,
    page: Paging,
    region_code: Annotated[str | None, Query(description="catalogs of this region and below")] = None,
    half: Annotated[str | None, Query(description="YYYY-H1 or YYYY-H2")] = None,
) -> Page[PublicCatalog]:
    items, total = catalog_public.list_public_catalogs(
        session, region_code=region_code, half=half, limit=page.limit, offset=page.offset
    )
    return Page[PublicCatalog].of(items, total, page)


@router.get(
    "/catalogs/{catalog_id}/advanced",
    response_model=PublicList,
    summary="能效先进名单: entries at benchmark (or GB grade 1)",
)
def advanced(catalog_id: Id, session: DbSession, page: Paging) -> Response:
    found = catalog_public.public_list(session, catalog_id, "advanced", limit=page.limit, offset=page.offset)
    return typed_json(found)


@router.get(
    "/catalogs/{catalog_id}/backward",
    response_model=PublicList,
    summary="能效落后名单: entries below baseline (or failing 3级)",
)
def backward(catalog_id: Id, session: DbSession, page: Paging) -> Response:
    found = catalog_public.public_list(session, catalog_id, "backward", limit=page.limit, offset=page.offset)
    return typed_json(found)
