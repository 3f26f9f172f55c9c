"""A PV system's page (generation by month and CO₂ avoided over a chosen period) and a data centre's page (PUE
over a chosen period with the GB 40879 grade and the Yunnan/Shanghai checks, each step in a table)."""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import ui

from dualcarbon.assets.schemas import EnergyOfPeriod
from dualcarbon.assets.service_datacentres import get_datacentre, pue
from dualcarbon.assets.service_months import last_reported_month
from dualcarbon.assets.service_pv import get_pv, pv_performance
from dualcarbon.domain.rules_zh import trace_condition
from dualcarbon.reference.policy import clause_rendering
from dualcarbon.ui.web.formatting import data_label, label, number, yes_no
from dualcarbon.ui.web.layout import figure, run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, simple_table

READERS = ("agency", "enterprise", "regulator", "reviewer")
MONTH_COLUMNS = (
    Column("month", "assets.month", width=110),
    Column("kwh", "assets.kwh", numeric=True, digits=1),
    Column("source", "assets.source", width=100),
    Column("completeness", "assets.completeness", numeric=True, digits=3),
)
CHECK_COLUMNS = (
    Column("rule", "subsidies.trace_rule", tooltip=True),
    Column("clause", "subsidies.clause", tooltip=True),
    Column("condition", "subsidies.condition", tooltip=True),
    Column("passed", "subsidies.passed", width=90),
)


def _default_period(last: tuple[int, int] | None = None) -> tuple[str, str]:
    """Twelve months ending at ``last`` (the asset's latest reported month), else at last month."""
    if last is None:
        today = date.today()
        last = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    year, month = last
    start = (year, month + 1) if month < 12 else (year + 1, 1)
    return f"{start[0] - 1:04d}-{start[1]:02d}", f"{year:04d}-{month:02d}"


def _month_rows(ctx: WebContext, energy: EnergyOfPeriod) -> list[dict[str, Any]]:
    return [
        {
            "month": m.month,
            "kwh": m.kwh,
            "source": ctx.t(f"assets.source.{m.source}"),
            "completeness": m.completeness,
        }
        for m in energy.months
    ]


def _clause(ctx: WebContext, clause: str) -> str:
    """A check's clause; on English pages a pack's English rendering with the original beside it."""
    shown, original = clause_rendering(None, clause, ctx.language)
    return ctx.t("policy.with_original", rendering=shown, original=original) if original else shown


def _height_clause(ctx: WebContext, stored: str) -> str:
    """The height limit's ``clause: title``; on English pages the clause's English rendering and the title's glossary
    name, with the original beside them."""
    clause, _, title = stored.partition(": ")
    english, original = clause_rendering(None, clause, ctx.language)
    if not original:
        return stored
    shown = f"{english}: {data_label(ctx, title, 'scheme')}" if title else english
    return ctx.t("policy.with_original", rendering=shown, original=stored)


def _period_inputs(ctx: WebContext, kind: str, asset_id: int) -> tuple[ui.input, ui.input]:
    first, last = _default_period(ctx.call(last_reported_month, kind, asset_id))
    with ui.row().classes("gap-2 items-end"):
        period_from = ui.input(ctx.t("assets.period_from"), value=first).props('data-testid="period-from"')
        period_to = ui.input(ctx.t("assets.period_to"), value=last).props('data-testid="period-to"')
    return period_from, period_to


@web_page("/assets/pv/{pv_id}", title_key="assets.pv", roles=READERS)
def pv_detail_page(ctx: WebContext, pv_id: int) -> None:
    item = ctx.call(get_pv, pv_id)
    with section(f"{item.name} — {item.enterprise_name}"):
        compliant = item.height_compliant
        shown = ctx.t("assets.not_assessed") if compliant is None else yes_no(ctx, compliant)
        ui.label(
            f"{label(ctx, 'glossary.roof_type', item.roof_type)} · {number(item.module_height_m, 2)} m · "
            f"{ctx.t('assets.height_compliant')}：{shown}"
        )
        if item.height_clause:
            ui.label(_height_clause(ctx, item.height_clause)).classes("text-sm text-gray-600")
        period_from, period_to = _period_inputs(ctx, "pv", pv_id)
        result = ui.column().classes("w-full gap-2")

        def compute() -> None:
            def call() -> None:
                out = ctx.call(pv_performance, pv_id, period_from.value, period_to.value, ctx.reference())
                result.clear()
                with result:
                    with ui.row().classes("gap-4"):
                        figure(ctx.t("assets.generation_kwh"), number(out.generation.total_kwh, 1), testid="pv-kwh")
                        figure(ctx.t("assets.co2_avoided_t"), number(out.co2_avoided_t, 3), testid="pv-co2")
                    simple_table(ctx, MONTH_COLUMNS, _month_rows(ctx, out.generation), export_name=item.name)

            run_action(ctx, call)

        ui.button(ctx.t("assets.compute"), icon="calculate", on_click=compute).props('unelevated data-testid="compute"')


@web_page("/assets/datacentres/{datacentre_id}", title_key="assets.datacentres", roles=READERS)
def datacentre_detail_page(ctx: WebContext, datacentre_id: int) -> None:
    item = ctx.call(get_datacentre, datacentre_id)
    with section(f"{item.name} — {item.enterprise_name}"):
        period_from, period_to = _period_inputs(ctx, "datacentre", datacentre_id)
        result = ui.column().classes("w-full gap-2")

        def compute() -> None:
            def call() -> None:
                out = ctx.call(pue, datacentre_id, period_from.value, period_to.value, ctx.reference())
                result.clear()
                with result:
                    with ui.row().classes("gap-4"):
                        figure("PUE", number(out.pue, 3), testid="pue")
                        grade = (out.checks or {}).get("gb40879_grade")
                        figure(ctx.t("assets.grade"), ctx.t("assets.grade_value", grade=grade) if grade else "—")
                    if out.note:
                        ui.label(out.note).classes("text-sm text-orange-700")
                    rows = [
                        {
                            "rule": line["rule"],
                            "clause": _clause(ctx, str(line["clause"])),
                            "condition": trace_condition(line, ctx.language),
                            "passed": "" if line["passed"] is None else yes_no(ctx, line["passed"]),
                        }
                        for line in (out.checks or {}).get("trace", [])
                    ]
                    simple_table(ctx, CHECK_COLUMNS, rows, export_name=item.name)

            run_action(ctx, call)

        ui.button(ctx.t("assets.compute"), icon="calculate", on_click=compute).props('unelevated data-testid="compute"')
