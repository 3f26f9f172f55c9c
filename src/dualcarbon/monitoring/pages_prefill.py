"""预填 page (``/reports/{id}/prefill``): what the metered data would put into a report's draft, line by line —
from which meters, or why a line stays as entered — and the button that writes it (a new draft version).

Reached from the report edit page's 用监测数据预填 button (the reports subject links here by URL: it sits below
monitoring and may not import it). The plan is :func:`.service_prefill_draft.prefill_report_draft` with
``dry_run``; writing calls the same service.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.monitoring.service_prefill_draft import PrefillDraftLine, PrefillDraftResult, prefill_report_draft
from dualcarbon.ui.web.formatting import data_label
from dualcarbon.ui.web.layout import notify_error, run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, simple_table

COLUMNS = (
    Column("carrier", "monitoring.carrier", width=140),
    Column("action", "prefill.action", width=150),
    Column("quantity", "prefill.quantity", numeric=True, width=140, digits=4),
    Column("unit", "monitoring.unit", width=90),
    Column("previous", "prefill.previous", numeric=True, width=140, digits=4),
    Column("meters", "prefill.meters", width=160),
    Column("completeness", "monitoring.completeness", numeric=True, width=110, digits=3),
    Column("reason", "prefill.reason", tooltip=True),
)


def _carrier_name(ctx: WebContext, carrier: str) -> str:
    try:
        return ctx.reference().carrier(carrier).name_zh if ctx.language == "zh" else carrier
    except DualcarbonError:
        return carrier


def _rows(ctx: WebContext, result: PrefillDraftResult) -> list[dict[str, Any]]:
    return [
        line.model_dump()
        | {
            "carrier": _carrier_name(ctx, line.carrier),
            "unit": data_label(ctx, line.unit, "unit"),
            "action": ctx.t(f"prefill.action_{line.action}"),
            "meters": "、".join(line.meters),
            "reason": _reason(ctx, line, result.completeness_min_pct),
        }
        for line in result.lines
    ]


def _reason(ctx: WebContext, line: PrefillDraftLine, min_pct: float) -> str:
    if line.reason_code is None:
        return ""
    pct = f"{(line.completeness or 0.0) * 100.0:.1f}"
    text = ctx.t(f"prefill.reason_{line.reason_code}", pct=pct, min=f"{min_pct:g}")
    return f"{text}（{line.reason}）" if line.reason_code == "unit" else text


@web_page("/reports/{report_id}/prefill", title_key="prefill.title", roles=("enterprise", "agency", "regulator"))
def prefill_page(ctx: WebContext, report_id: int) -> None:
    try:
        plan = ctx.call(prefill_report_draft, report_id, ctx.reference(), dry_run=True)
    except DualcarbonError as exc:
        notify_error(ctx, exc)
        ui.label(exc.message_in(ctx.language)).classes("text-warning").props('data-testid="prefill-refused"')
        ui.link(ctx.t("report.back"), f"/reports/{report_id}")
        return
    ui.label(
        ctx.t("prefill.period", first=plan.first_day, last=plan.last_day, pct=f"{plan.completeness_min_pct:g}")
    ).classes("text-sm text-gray-700")
    with section(ctx.t("prefill.plan")):
        simple_table(ctx, COLUMNS, _rows(ctx, plan), export_name=ctx.t("prefill.title"), testid="prefill-plan")
    with ui.row().classes("gap-3 items-center"):
        incomplete = ui.checkbox(ctx.t("prefill.include_incomplete")).props('data-testid="prefill-incomplete"')

        def write() -> None:
            ctx.call(prefill_report_draft, report_id, ctx.reference(), include_incomplete=bool(incomplete.value))

        def write_then_edit() -> None:
            if run_action(ctx, write, success_key="prefill.done"):
                ui.navigate.to(f"/reports/{report_id}/edit")

        ui.button(ctx.t("prefill.write"), icon="download_done", on_click=write_then_edit).props(
            'unelevated data-testid="prefill-write"'
        )
        ui.link(ctx.t("report.back"), f"/reports/{report_id}/edit")
