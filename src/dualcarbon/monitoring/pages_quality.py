"""数据质量: the regulators' table of enterprises by quality index on a day, worst first (paged on the server
over the stored results), and one enterprise's items when a row is clicked. Administrators and regulators may
measure the day for every enterprise in their scope (the same service as ``dualcarbon quality compute``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from nicegui import ui

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.monitoring.pages import code_label
from dualcarbon.monitoring.pages_meter import problem_text
from dualcarbon.monitoring.service_quality import local_now
from dualcarbon.monitoring.service_quality_read import enterprise_quality_page, quality_show, refresh_quality
from dualcarbon.ui.web.formatting import yes_no
from dualcarbon.ui.web.layout import notify_error, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, paged_table, simple_table

ENTERPRISE_COLUMNS = (
    Column("enterprise", "enterprise.credit_code", width=200),
    Column("name", "enterprise.name"),
    Column("region_code", "monitoring.region", width=110),
    Column("index", "monitoring.index", numeric=True, width=110, digits=3),
    Column("completeness", "monitoring.completeness", numeric=True, width=110, digits=3),
    Column("accuracy", "monitoring.accuracy", numeric=True, width=170, digits=3),
    Column("timeliness", "monitoring.timeliness", numeric=True, width=110, digits=3),
    Column("validity", "monitoring.validity", numeric=True, width=110, digits=3),
    Column("meters", "monitoring.meter_count", numeric=True, width=120),
    Column("final", "monitoring.final", width=100),
)
ITEM_COLUMNS = (
    Column("meter", "monitoring.code", width=140),
    Column("statistic_type", "monitoring.statistic_type", width=110),
    Column("expected", "monitoring.expected", numeric=True, width=110),
    Column("received", "monitoring.received", numeric=True, width=110),
    Column("completeness", "monitoring.completeness", numeric=True, width=110, digits=3),
    Column("passed", "monitoring.passed", width=100),
    Column("problems", "monitoring.problems", tooltip=True),
)


def _day(text: str) -> date:
    yesterday = local_now().date() - timedelta(days=1)
    try:
        return date.fromisoformat(text.strip()) if text.strip() else yesterday
    except ValueError:
        return yesterday


@web_page("/monitoring/quality", title_key="monitoring.quality_title")
def quality_page(ctx: WebContext, date: str = "", region: str = "") -> None:
    state: dict[str, Any] = {"day": _day(date), "region": region.strip() or None}
    with ui.row().classes("w-full items-center gap-3"):
        day_input = ui.input(ctx.t("monitoring.date"), value=state["day"].isoformat()).props(
            'type=date dense outlined data-testid="quality-date"'
        )
        region_input = ui.input(ctx.t("monitoring.region"), value=region).props(
            'dense outlined data-testid="quality-region"'
        )
        show_button = ui.button(ctx.t("monitoring.show")).props('data-testid="quality-show"')
        compute_button = None
        if ctx.has_role("regulator"):
            compute_button = ui.button(ctx.t("monitoring.compute"), icon="refresh")
            compute_button.props('outline data-testid="quality-compute"')

    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        rows, total = ctx.call(enterprise_quality_page, state["day"], state["region"], limit, offset)
        hint.set_visibility(total == 0)
        return [row.model_dump() | {"final": yes_no(ctx, row.final)} for row in rows], total

    def open_detail(row: dict[str, Any]) -> None:
        detail.clear()
        try:
            result = ctx.call(quality_show, str(row["enterprise"]), ctx.reference(), day=state["day"])
        except DualcarbonError as exc:
            notify_error(ctx, exc)
            return
        items = [
            item.model_dump()
            | {
                "statistic_type": code_label(ctx, "stat", item.statistic_type),
                "passed": yes_no(ctx, item.passed),
                "problems": problem_text(ctx, item.problems),
            }
            for item in result.items
        ]
        with detail, section(f"{ctx.t('monitoring.detail')}：{result.name}（{result.date}）"):
            simple_table(ctx, ITEM_COLUMNS, items, export_name=ctx.t("monitoring.detail"), testid="quality-items")

    with section(ctx.t("monitoring.quality_title")):
        hint = ui.label(ctx.t("monitoring.no_rows")).classes("text-sm text-gray-600")
        table = paged_table(
            ctx,
            ENTERPRISE_COLUMNS,
            fetch,
            export_name=ctx.t("monitoring.quality_title"),
            testid="quality-enterprises",
            on_row_click=open_detail,
        )
    detail = ui.column().classes("w-full gap-2")

    def show() -> None:
        state["day"] = _day(str(day_input.value or ""))
        state["region"] = str(region_input.value or "").strip() or None
        detail.clear()
        try:
            table.reload()
        except DualcarbonError as exc:
            notify_error(ctx, exc)

    def compute() -> None:
        show()
        try:
            written = ctx.call(refresh_quality, state["day"], state["day"], ctx.reference())
        except DualcarbonError as exc:
            notify_error(ctx, exc)
            return
        ui.notify(ctx.t("monitoring.computed", enterprises=len(written), meter_days=sum(written.values())))
        table.reload()

    show_button.on_click(show)
    if compute_button is not None:
        compute_button.on_click(compute)
