"""产品碳足迹 pages: the studies the user may read (``/footprints``), one study with its figures and the trace
table of every term (``/footprints/{id}``, with 发布 for whoever may write the enterprise's data), and the
region's register of published footprints (``/footprint-register``, paged on the server).

Times are shown in Asia/Shanghai (``core.localtime``); labels come from the web kit's tables (``footprint.*``).
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from dualcarbon.core.localtime import local_text
from dualcarbon.footprint.schemas import StudySummary, TraceTermOut, VersionIn
from dualcarbon.footprint.service import publish
from dualcarbon.footprint.service_register import get_study, list_studies, register_page
from dualcarbon.ui.web.formatting import number
from dualcarbon.ui.web.layout import figure, run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, paged_table, simple_table

READERS = ("enterprise", "agency", "regulator", "reviewer")
WRITERS = ("enterprise", "agency", "regulator")
REGISTER_READERS = ("regulator", "reviewer")
STUDY_COLUMNS = (
    Column("enterprise_name", "footprint.enterprise", width=200, tooltip=True),
    Column("product", "footprint.product", width=140),
    Column("year", "footprint.year", numeric=True, width=80),
    Column("allocation", "footprint.allocation", width=110),
    Column("total_tco2e", "footprint.total", numeric=True, digits=3, width=140),
    Column("per_unit_tco2e", "footprint.per_unit", numeric=True, digits=4, width=150),
    Column("declared_unit", "footprint.unit", width=90),
    Column("complete", "footprint.complete", width=90),
    Column("state", "footprint.state", width=90),
    Column("published_at", "footprint.published_at", width=170),
)
TRACE_COLUMNS = (
    Column("step", "footprint.step", width=130),
    Column("label", "footprint.label", width=180, tooltip=True),
    Column("quantity", "footprint.quantity", numeric=True, digits=3, width=110),
    Column("unit", "footprint.qty_unit", width=110),
    Column("factor", "footprint.factor", numeric=True, digits=6, width=110),
    Column("factor_unit", "footprint.factor_unit", width=150, tooltip=True),
    Column("tco2e", "footprint.tco2e", numeric=True, digits=4, width=130),
    Column("reference", "footprint.reference", tooltip=True),
)


def _allocation(ctx: WebContext, method: str) -> str:
    return {"mass": "按质量", "economic": "按经济价值"}.get(method, method) if ctx.language == "zh" else method


def _row(ctx: WebContext, item: StudySummary) -> dict[str, Any]:
    return {
        "id": item.id,
        "enterprise_name": item.enterprise_name,
        "credit_code": item.credit_code,
        "product": item.product,
        "year": item.year,
        "allocation": _allocation(ctx, item.allocation_method),
        "total_tco2e": item.total_tco2e,
        "per_unit_tco2e": item.per_unit_tco2e,
        "declared_unit": item.declared_unit,
        "complete": ctx.t("footprint.complete_yes" if item.complete else "footprint.complete_no"),
        "state": item.state_zh if ctx.language == "zh" else item.state,
        "published_at": local_text(item.published_at, ctx.language, labelled=False),
    }


def _trace_row(ctx: WebContext, term: TraceTermOut) -> dict[str, Any]:
    return {
        "step": ctx.t(f"footprint.step.{term.step}"),
        "label": term.label,
        "quantity": term.quantity,
        "unit": term.unit,
        "factor": term.factor,
        "factor_unit": term.factor_unit,
        "tco2e": term.tco2e,
        "reference": " · ".join(part for part in (term.reference, term.source, term.note) if part),
    }


@web_page("/footprints", title_key="footprint.title", roles=READERS)
def footprints_page(ctx: WebContext) -> None:
    items = ctx.call(list_studies)
    with section(f"{ctx.t('footprint.title')}（{len(items)}）"):
        if ctx.has_role(*REGISTER_READERS):
            ui.link(ctx.t("footprint.register_title"), "/footprint-register")
        if not items:
            ui.label(ctx.t("footprint.none")).classes("text-sm text-gray-600")
        simple_table(
            ctx,
            STUDY_COLUMNS,
            [_row(ctx, item) for item in items],
            export_name=ctx.t("footprint.title"),
            testid="footprints",
            on_row_click=lambda row: ui.navigate.to(f"/footprints/{row['id']}"),
        )


@web_page("/footprint-register", title_key="footprint.register_title", roles=REGISTER_READERS)
def register_page_view(ctx: WebContext, region: str = "") -> None:
    roots = ctx.principal.region_roots(*REGISTER_READERS)
    code = region.strip() or (roots[0] if roots else "")

    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        items, total = ctx.call(register_page, code, limit=limit, offset=offset, search=search)
        return [_row(ctx, item) for item in items], total

    with section(f"{ctx.t('footprint.register_title')} · {code}"):
        paged_table(
            ctx,
            STUDY_COLUMNS,
            fetch,
            export_name=ctx.t("footprint.register_title"),
            searchable=True,
            on_row_click=lambda row: ui.navigate.to(f"/footprints/{row['id']}"),
            testid="footprint-register",
        )


@web_page("/footprints/{study_id}", title_key="footprint.title", roles=READERS)
def footprint_page(ctx: WebContext, study_id: int) -> None:
    study = ctx.call(get_study, study_id)
    result = study.result
    title = f"{study.enterprise_name} · {study.product} · {study.year}（{study.state_zh}）"
    with section(title):
        with ui.row().classes("gap-4"):
            total = ctx.t("footprint.withheld") if result.total_tco2e is None else number(result.total_tco2e)
            figure(ctx.t("footprint.total"), total, testid="footprint-total")
            if result.per_unit_tco2e is not None:
                figure(f"{ctx.t('footprint.per_unit')} / {result.declared_unit}", number(result.per_unit_tco2e))
            figure(ctx.t("footprint.allocation"), f"{result.allocation_method_zh}（{result.allocation_basis}）")
            figure(ctx.t("footprint.share"), number(result.allocation_share, 4))
            figure(ctx.t("footprint.allocated"), number(result.allocated_tco2))
            figure(ctx.t("footprint.materials"), number(result.materials_tco2e))
            figure(
                ctx.t("footprint.complete"),
                ctx.t("footprint.complete_yes" if result.complete else "footprint.complete_no"),
                testid="footprint-complete",
            )
        if study.published_at:
            ui.label(f"{ctx.t('footprint.published_at')}：{local_text(study.published_at, ctx.language)}")
    with section(ctx.t("footprint.trace")):
        simple_table(
            ctx,
            TRACE_COLUMNS,
            [_trace_row(ctx, term) for term in result.trace],
            export_name=f"{study.product}{study.year}",
            testid="footprint-trace",
        )
    if result.missing:
        with section(ctx.t("footprint.missing")):
            for item in result.missing:
                reason = item.reason_zh if ctx.language == "zh" else item.reason
                ui.label(f"{item.material}：{reason}（{item.fix}）").classes("text-sm text-red-700")
    if result.notes:
        with section(ctx.t("footprint.notes")):
            for note in result.notes:
                ui.label(note).classes("text-sm text-gray-600")
    if study.state == "draft" and result.complete and ctx.has_role(*WRITERS):

        def do_publish() -> None:
            body = VersionIn(lock_version=study.lock_version)
            if run_action(ctx, lambda: ctx.call(publish, study_id, body), success_key="footprint.published"):
                ui.navigate.reload()

        ui.button(ctx.t("footprint.publish"), on_click=do_publish).props('unelevated data-testid="footprint-publish"')
