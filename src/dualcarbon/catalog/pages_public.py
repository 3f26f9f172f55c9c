"""The public pages (no login): the efficiency catalogs in force and their advanced / backward lists
(能效先进名单 / 能效落后名单). Only what ``dualcarbon.catalog.service_public`` gives the public is shown:
enterprise name, credit code, product and tier — never values or report data.

Paths are ``/published`` and ``/published/{catalog_id}`` (``/public/…`` is the JSON API).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import ui
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.catalog.schemas import PublicCatalog, PublicList
from dualcarbon.catalog.service_public import list_public_catalogs, public_list
from dualcarbon.core.errors import NotFound
from dualcarbon.core.vocab import ADVANCED_TIERS, BACKWARD_TIERS
from dualcarbon.ui.api import MAX_ID
from dualcarbon.ui.web.formatting import data_label, label, when
from dualcarbon.ui.web.i18n import translate
from dualcarbon.ui.web.layout import PRIMARY, apply_theme, language_switch, section
from dualcarbon.ui.web.session import WebContext, anonymous_language, app_state, context_for
from dualcarbon.ui.web.tables import Column, data_table

CATALOG_COLUMNS = (
    Column("region", "catalog.region"),
    Column("half", "catalog.half", width=110),
    Column("edition", "catalog.edition", width=100),
    Column("basis", "catalog.basis"),
    Column("issue_no", "catalog.issue_no", numeric=True, width=100),
    Column("published_at", "catalog.published_at"),
    Column("advanced", "catalog.advanced_count", numeric=True, width=120),
    Column("backward", "catalog.backward_count", numeric=True, width=120),
)
LIST_COLUMNS = (
    Column("enterprise_name", "enterprise.name"),
    Column("credit_code", "enterprise.credit_code", width=200),
    Column("product", "unit.product"),
    Column("tier", "catalog.tier"),
)
ADVANCED, BACKWARD = ADVANCED_TIERS, BACKWARD_TIERS


def _anonymous(request: Request) -> WebContext:
    """A read-only context for pages without login: language only (no principal is ever used)."""
    from dualcarbon.core.access import PUBLIC

    known = context_for(request)
    if known is not None:
        return known
    factory: sessionmaker[Session] = app_state(request).session_factory
    return WebContext(
        factory=factory,
        secret="",
        principal=PUBLIC,
        display_name="",
        csrf="",
        language=anonymous_language(request),
        path=request.url.path,
    )


def _frame(ctx: WebContext, title: str) -> None:
    apply_theme()
    ui.page_title(f"{title} · {ctx.t('app.short')}")
    with ui.header().classes("items-center justify-between px-4 py-2").style(f"background: {PRIMARY}"):
        with ui.row().classes("items-center gap-4"):
            ui.link(ctx.t("app.title"), "/").classes("text-white text-lg font-bold no-underline")
            ui.link(ctx.t("public.title"), "/published").classes("text-white no-underline")
        with ui.row().classes("items-center gap-4"):
            language_switch(ctx.language, ctx.path)
            if not ctx.secret:
                ui.link(ctx.t("login.submit"), "/login").classes("text-white")


def _catalog_row(ctx: WebContext, item: PublicCatalog) -> dict[str, Any]:
    counts = item.counts
    return {
        "id": item.id,
        "region": f"{item.region_name or ''}（{item.region_code}）",
        "half": item.half,
        "edition": item.edition,
        "basis": label(ctx, "basis", item.basis),
        "issue_no": item.issue_no,
        "published_at": when(item.published_at, ctx),
        "advanced": sum(counts.get(t, 0) for t in ADVANCED),
        "backward": sum(counts.get(t, 0) for t in BACKWARD),
    }


@ui.page("/published")
def published_page(request: Request) -> None:
    ctx = _anonymous(request)
    _frame(ctx, ctx.t("public.title"))
    with ctx.factory() as session:
        items, _ = list_public_catalogs(session, limit=500)
    with ui.column().classes("w-full max-w-screen-2xl mx-auto p-4 gap-4"):
        ui.label(ctx.t("public.title")).classes("text-xl font-semibold")
        ui.label(ctx.t("public.intro")).classes("text-gray-600")
        with section(ctx.t("public.catalogs")):
            data_table(
                ctx,
                CATALOG_COLUMNS,
                [_catalog_row(ctx, i) for i in items],
                testid="public-catalogs",
                export_name=ctx.t("public.catalogs"),
                on_row_click=lambda row: ui.navigate.to(f"/published/{row['id']}"),
            )


@ui.page("/published/{catalog_id}")
def published_lists_page(request: Request, catalog_id: int) -> None:
    ctx = _anonymous(request)
    _frame(ctx, ctx.t("public.title"))
    advanced: PublicList | None
    backward: PublicList | None
    with ctx.factory() as session:
        try:
            if abs(catalog_id) > MAX_ID:  # no catalog has it, and the store could not take it as a parameter
                raise NotFound(f"catalog {catalog_id} not found")
            advanced = public_list(session, catalog_id, "advanced", limit=100_000)
            backward = public_list(session, catalog_id, "backward", limit=100_000)
        except NotFound:
            advanced = backward = None
    with ui.column().classes("w-full max-w-screen-2xl mx-auto p-4 gap-4"):
        if advanced is None or backward is None:
            ui.context.client.status_code = 404
            ui.label(translate(ctx.language, "public.not_found")).classes("text-lg text-negative").props(
                'data-testid="page-error"'
            )
            return
        catalog = advanced.catalog
        title = ctx.t(
            "public.catalog_title",
            region=catalog.region_name or catalog.region_code,
            half=catalog.half,
            issue=catalog.issue_no or 1,
        )
        ui.label(title).classes("text-xl font-semibold").props('data-testid="public-catalog-title"')
        ui.label(f"{label(ctx, 'basis', catalog.basis)} · {ctx.t('catalog.edition')} {catalog.edition}").classes(
            "text-gray-600"
        )
        for kind, data in (("advanced", advanced), ("backward", backward)):
            with section(f"{ctx.t(f'public.{kind}')}（{data.total}）"):
                rows = [
                    {
                        **item.model_dump(),
                        "tier": label(ctx, "tier", item.tier),
                        "product": data_label(ctx, item.product, "product"),
                    }
                    for item in data.items
                ]
                data_table(
                    ctx,
                    LIST_COLUMNS,
                    rows,
                    export_name=f"{title}-{ctx.t(f'public.{kind}')}",
                    testid=f"public-{kind}",
                    height="22rem",
                )
