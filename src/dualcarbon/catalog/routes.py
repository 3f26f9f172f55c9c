"""``/api/v1/catalogs``, ``/api/v1/appeals`` and ``/api/v1/obligations``: the efficiency catalog workflow.

Thin routes over the catalog services: :mod:`~dualcarbon.catalog.service` (reading), ``service_review``,
``service_generate``, ``service_publish``, ``service_verify``, ``service_diff``, ``service_export`` (Excel),
``service_appeals`` and ``service_obligations``. The services check role and scope (out of scope → 404,
role-forbidden → 403, wrong state → 409) and return the typed results of :mod:`dualcarbon.catalog.schemas`,
which are the response models here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.catalog import service as catalog
from dualcarbon.catalog import service_appeals as appeals
from dualcarbon.catalog import service_diff as catalog_diff
from dualcarbon.catalog import service_export as catalog_export
from dualcarbon.catalog import service_generate as catalog_generate
from dualcarbon.catalog import service_obligations as obligations
from dualcarbon.catalog import service_publish as catalog_publish
from dualcarbon.catalog import service_review as catalog_review
from dualcarbon.catalog import service_verify as catalog_verify
from dualcarbon.catalog.schemas import (
    AppealOut,
    CatalogDiff,
    CatalogEntryDetail,
    CatalogEntryOut,
    CatalogOut,
    CatalogReview,
    CatalogView,
    GeneratedCatalog,
    ObligationsList,
    SnapshotCheck,
)
from dualcarbon.catalog.schemas_evidence import AppealEvidence
from dualcarbon.ui.api import API_PREFIX, Caller, DbSession, Id, IdFilter, Page, Paging, Year, reference_of, typed_json
from dualcarbon.ui.files import XLSX_RESPONSES, xlsx_response

router = APIRouter(prefix=API_PREFIX)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CatalogIn(_Body):
    region_code: str = Field(description="6-digit region code inside your scope")
    edition: str = Field(default="2023", description="benchmark edition: 2021 or 2023")
    half: str = Field(
        description="YYYY-H1 or YYYY-H2; when each is due and which year's annual reports feed it are the "
        "catalog_schedule of the policy pack national (reference/policies/national.yaml)"
    )
    basis: Literal["policy", "gb"] = Field(default="policy", description="policy 标杆/基准, or gb grades 1-3级")
    data_year: int | None = Field(
        default=None, ge=1, le=9999, description="report year to use instead of the half's rule"
    )
    confirm_empty: bool = Field(
        default=False, description="confirm a catalog with 0 entries (without it such a generation is a 409)"
    )


class PublishIn(_Body):
    confirm_undetermined: int | None = Field(
        default=None,
        ge=0,
        description="the number of 无法判定 entries being published; required (and must match) when there are any",
    )


class AppealIn(_Body):
    reason: str = Field(min_length=1, description="申辩理由")
    evidence: AppealEvidence = Field(
        default_factory=AppealEvidence, description='e.g. {"corrected_value": 106.5, "documents": ["检测报告.pdf"]}'
    )


class AssignIn(_Body):
    expert: str = Field(description="username of a reviewer (expert) covering the catalog's region")


class OpinionIn(_Body):
    opinion: str = Field(min_length=1)


class DecideIn(_Body):
    decision: Literal["upheld", "rejected"]
    text: str = Field(min_length=1, description="the decision as written")
    corrected_value: float | None = Field(
        default=None, allow_inf_nan=False, description="corrected unit consumption, in the entry's unit"
    )


# ---- catalogs -----------------------------------------------------------------------------------
@router.post(
    "/catalogs",
    status_code=status.HTTP_201_CREATED,
    tags=["catalogs"],
    response_model=GeneratedCatalog,
    summary="Generate (or regenerate) the draft catalog of a region for a half-year",
)
def generate(body: CatalogIn, caller: Caller, session: DbSession, request: Request) -> GeneratedCatalog:
    result = catalog_generate.generate_catalog(
        session,
        caller,
        body.region_code,
        body.edition,
        body.half,
        body.basis,
        reference=reference_of(request),
        data_year=body.data_year,
        confirm_empty=body.confirm_empty,
    )
    return result.summary()


@router.get(
    "/catalogs", tags=["catalogs"], response_model=Page[CatalogOut], summary="Catalogs you may read, newest first"
)
def list_catalogs(
    caller: Caller,
    session: DbSession,
    page: Paging,
    region_code: str | None = None,
    half: str | None = None,
    state: Literal["draft", "published", "superseded"] | None = None,
) -> Page[CatalogOut]:
    items, total = catalog.list_catalogs(
        session, caller, region_code=region_code, half=half, state=state, limit=page.limit, offset=page.offset
    )
    return Page[CatalogOut].of(items, total, page)


@router.get(
    "/catalogs/{catalog_id}",
    tags=["catalogs"],
    response_model=CatalogView,
    summary="One catalog with its counts per tier",
)
def get_catalog(catalog_id: Id, caller: Caller, session: DbSession) -> CatalogView:
    return catalog.get_catalog(session, caller, catalog_id)


async def _filters(  # async: it only parses the query, so no worker thread
    tier: Annotated[str | None, Query(description="benchmark|between|below_baseline|grade_1…|undetermined")] = None,
    field: Annotated[str | None, Query(description="key field (重点领域), e.g. 水泥熟料")] = None,
    region_code: Annotated[str | None, Query(description="enterprises in this region subtree")] = None,
    credit_code: str | None = None,
    unverified: Annotated[bool | None, Query(description="only entries resting on unverified values")] = None,
) -> catalog.EntryFilter:
    """The entry filters of the query string (an empty value filters nothing)."""
    return catalog.EntryFilter(tier or None, field or None, region_code or None, credit_code or None, unverified)


EntryFilters = Annotated[catalog.EntryFilter, Depends(_filters)]


class EntryPage(Page[CatalogEntryDetail | CatalogEntryOut]):
    """A page of entries, without their evidence by default (``evidence=true`` adds it to each)."""


@router.get(
    "/catalogs/{catalog_id}/entries",
    tags=["catalogs"],
    response_model=EntryPage,
    summary="Entries (paginated, filterable)",
)
def list_entries(
    catalog_id: Id,
    caller: Caller,
    session: DbSession,
    filters: EntryFilters,
    page: Paging,
    request: Request,
    evidence: Annotated[
        bool, Query(description="include each entry's evidence (inputs, reference values); ~5× the bytes")
    ] = False,
) -> Response:
    items, total = catalog.list_entries(
        session,
        caller,
        catalog_id,
        filters,
        limit=page.limit,
        offset=page.offset,
        reference=reference_of(request) if filters.field else None,
        with_evidence=evidence,
    )
    return typed_json(EntryPage.of(items, total, page))  # typed already: serialised once, not re-validated


@router.get(
    "/catalogs/{catalog_id}/review",
    tags=["catalogs"],
    response_model=CatalogReview,
    summary="Review screen: filtered entries, counts per tier and district, unverified count",
)
def review(
    catalog_id: Id,
    caller: Caller,
    session: DbSession,
    filters: EntryFilters,
    page: Paging,
    request: Request,
) -> CatalogReview:
    return catalog_review.review_catalog(
        session,
        caller,
        catalog_id,
        filters,
        limit=page.limit,
        offset=page.offset,
        reference=reference_of(request) if filters.field else None,
    )


@router.post(
    "/catalogs/{catalog_id}/publish",
    tags=["catalogs"],
    response_model=CatalogOut,
    summary="Publish a draft: freeze its snapshot (409 naming the count when 无法判定 entries are not confirmed)",
)
def publish(
    catalog_id: Id,
    caller: Caller,
    session: DbSession,
    request: Request,
    body: PublishIn | None = None,
    confirm_undetermined: Annotated[
        int | None, Query(ge=0, description="the number of 无法判定 entries being published (or in the JSON body)")
    ] = None,
) -> CatalogOut:
    confirmed = (
        confirm_undetermined if confirm_undetermined is not None else body.confirm_undetermined if body else None
    )
    published = catalog_publish.publish_catalog(
        session, caller, catalog_id, reference=reference_of(request), confirm_undetermined=confirmed
    )
    return catalog.catalog_out(published, catalog.tier_counts(session, published.id))


@router.get(
    "/catalogs/{catalog_id}/diff",
    tags=["catalogs"],
    response_model=CatalogDiff,
    summary="Entries added, removed and changed against another catalog (default: the previous issue)",
)
def diff(catalog_id: Id, caller: Caller, session: DbSession, against: IdFilter = None) -> CatalogDiff:
    return catalog_diff.diff_catalogs(session, caller, catalog_id, against)


@router.get(
    "/catalogs/{catalog_id}/verify",
    tags=["catalogs"],
    response_model=SnapshotCheck,
    summary="Recompute the snapshot hash and re-classify the entries",
)
def verify(catalog_id: Id, caller: Caller, session: DbSession, request: Request) -> SnapshotCheck:
    return catalog_verify.verify_snapshot(session, caller, catalog_id, reference=reference_of(request))


@router.get(
    "/catalogs/{catalog_id}/export.xlsx",
    tags=["catalogs"],
    response_class=Response,
    responses=XLSX_RESPONSES,
    summary="The catalog as an Excel workbook",
)
def export(catalog_id: Id, caller: Caller, session: DbSession) -> Response:
    content = catalog_export.export_catalog_xlsx(session, caller, catalog_id)
    return xlsx_response(content, f"能效清单目录-{catalog_id}.xlsx")


# ---- appeals -------------------------------------------------------------------------------------
@router.post(
    "/catalogs/{catalog_id}/entries/{entry_id}/appeals",
    status_code=status.HTTP_201_CREATED,
    tags=["appeals"],
    response_model=AppealOut,
    summary="File an appeal (申辩) against your own entry",
)
def file_appeal(catalog_id: Id, entry_id: Id, body: AppealIn, caller: Caller, session: DbSession) -> AppealOut:
    appeal = appeals.file_appeal(session, caller, catalog_id, entry_id, body.reason, body.evidence)
    return appeals.get_appeal(session, caller, appeal.id)


@router.get("/appeals", tags=["appeals"], response_model=Page[AppealOut], summary="Appeals you may read")
def list_appeals(
    caller: Caller,
    session: DbSession,
    page: Paging,
    state: Literal["filed", "under_review", "upheld", "rejected"] | None = None,
    catalog_id: IdFilter = None,
) -> Page[AppealOut]:
    items, total = appeals.list_appeals(
        session, caller, state=state, catalog_id=catalog_id, limit=page.limit, offset=page.offset
    )
    return Page[AppealOut].of(items, total, page)


@router.get("/appeals/{appeal_id}", tags=["appeals"], response_model=AppealOut, summary="One appeal")
def get_appeal(appeal_id: Id, caller: Caller, session: DbSession) -> AppealOut:
    return appeals.get_appeal(session, caller, appeal_id)


@router.post(
    "/appeals/{appeal_id}/assign",
    tags=["appeals"],
    response_model=AppealOut,
    summary="Assign an expert (filed → under_review)",
)
def assign(appeal_id: Id, body: AssignIn, caller: Caller, session: DbSession) -> AppealOut:
    appeals.assign_expert(session, caller, appeal_id, body.expert)
    return appeals.get_appeal(session, caller, appeal_id)


@router.post(
    "/appeals/{appeal_id}/opinion",
    tags=["appeals"],
    response_model=AppealOut,
    summary="The assigned expert's opinion",
)
def opinion(appeal_id: Id, body: OpinionIn, caller: Caller, session: DbSession) -> AppealOut:
    appeals.record_opinion(session, caller, appeal_id, body.opinion)
    return appeals.get_appeal(session, caller, appeal_id)


@router.post(
    "/appeals/{appeal_id}/decide",
    tags=["appeals"],
    response_model=AppealOut,
    summary="Uphold (→ corrected re-issue of the catalog) or reject an appeal",
)
def decide(appeal_id: Id, body: DecideIn, caller: Caller, session: DbSession, request: Request) -> AppealOut:
    appeals.decide_appeal(
        session, caller, appeal_id, body.decision, body.text, body.corrected_value, reference=reference_of(request)
    )
    return appeals.get_appeal(session, caller, appeal_id)


# ---- obligations ---------------------------------------------------------------------------------
ObligationBasis = Literal["equivalent", "equal"]


@router.get(
    "/obligations",
    tags=["obligations"],
    response_model=ObligationsList,
    summary="Who must do an energy audit, a diagnosis, an energy-management centre … (policy pack)",
)
def list_obligations(
    request: Request,
    caller: Caller,
    session: DbSession,
    region_code: str,
    year: Year,
    pack: str = "national",
    basis: ObligationBasis = "equivalent",
) -> ObligationsList:
    return obligations.list_obligations(
        session, caller, region_code, year, pack, basis=basis, reference=reference_of(request)
    )


@router.get(
    "/obligations/export.xlsx",
    tags=["obligations"],
    response_class=Response,
    responses=XLSX_RESPONSES,
    summary="The obligations list as an Excel workbook",
)
def export_obligations(
    caller: Caller,
    session: DbSession,
    region_code: str,
    year: Year,
    pack: str = "national",
    basis: ObligationBasis = "equivalent",
) -> Response:
    content = catalog_export.export_obligations_xlsx(session, caller, region_code, year, pack, basis=basis)
    return xlsx_response(content, f"节能义务清单-{region_code}-{year}.xlsx")
