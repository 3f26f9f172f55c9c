"""计量器具: the meter register of one monitored enterprise, paged on the server, with each meter's latest
stored quality day; a row opens the meter page (:mod:`.pages_meter`).

Scope is the services' job: the enterprise picker lists only monitored enterprises the user may read, and a
credit code outside the user's scope in ``?enterprise=`` shows the refusal.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from dualcarbon.monitoring.service_quality_read import meters_page, monitored_enterprises
from dualcarbon.ui.web.formatting import yes_no
from dualcarbon.ui.web.layout import section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, paged_table

METER_COLUMNS = (
    Column("code", "monitoring.code", width=140),
    Column("carrier", "monitoring.carrier"),
    Column("unit", "monitoring.unit", width=90),
    Column("kind", "monitoring.kind", width=100),
    Column("statistic_type", "monitoring.statistic_type", width=110),
    Column("input_type", "monitoring.input_type", width=110),
    Column("interval_minutes", "monitoring.interval", numeric=True, width=140),
    Column("calibrated_until", "monitoring.calibrated_until", width=140),
    Column("quality_day", "monitoring.quality_day", width=130),
    Column("completeness", "monitoring.completeness", numeric=True, width=110, digits=3),
    Column("passed", "monitoring.passed", width=100),
)


def code_label(ctx: WebContext, group: str, code: str | None) -> str:
    """``monitoring.kind.cumulative`` → 累计值; the code itself when there is no label."""
    if not code:
        return ""
    text = ctx.t(f"monitoring.{group}.{code}")
    return code if text == f"monitoring.{group}.{code}" else text


def meter_row(ctx: WebContext, item: dict[str, Any]) -> dict[str, Any]:
    if not item["carrier"]:  # a production (产量) meter has no energy carrier (models.Meter.measures)
        label = ctx.t("monitoring.production_meter")
    else:
        carrier = ctx.reference().carrier(item["carrier"])
        label = carrier.name_zh if ctx.language == "zh" else carrier.name_en
    return item | {
        "carrier": label,
        "kind": code_label(ctx, "kind", item["kind"]),
        "statistic_type": code_label(ctx, "stat", item["statistic_type"]),
        "input_type": code_label(ctx, "input", item["input_type"]),
        "passed": _passed(ctx, item["passed"], item.get("in_progress", False)),
    }


def _passed(ctx: WebContext, passed: bool | None, in_progress: bool) -> str:
    """是/否, or 进行中 for a day that has not ended (its completeness is still growing), blank without a day."""
    if passed is None:
        return ""
    return ctx.t("monitoring.in_progress") if in_progress else yes_no(ctx, passed)


def enterprise_picker(ctx: WebContext, chosen: str, testid: str) -> tuple[ui.select, str] | None:
    """A select of the monitored enterprises the user may read; None (with a note) when there are none."""
    enterprises = ctx.call(monitored_enterprises)
    if not enterprises:
        ui.label(ctx.t("monitoring.no_enterprises")).classes("text-gray-600")
        return None
    options = {code: f"{name}（{code}）" for code, name in enterprises}
    value = chosen.strip().upper() if chosen.strip().upper() in options else enterprises[0][0]
    picker = ui.select(options, value=value, label=ctx.t("monitoring.enterprise"), with_input=True)
    picker.classes("w-[32rem]").props(f'dense outlined data-testid="{testid}"')
    return picker, value


@web_page("/monitoring/meters", title_key="monitoring.meters_title")
def meters_list_page(ctx: WebContext, enterprise: str = "") -> None:
    with ui.row().classes("w-full items-center gap-4"):
        picked = enterprise_picker(ctx, enterprise, "meters-enterprise")
        if picked is None:
            return
        picker, first = picked
        ui.space()
        ui.link(ctx.t("monitoring.open_manual"), f"/monitoring/manual?enterprise={first}")
        ui.link(ctx.t("monitoring.open_quality"), "/monitoring/quality")
    state = {"code": first}

    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        items, total = ctx.call(meters_page, state["code"], limit, offset, search)
        return [meter_row(ctx, item) for item in items], total

    with section(ctx.t("monitoring.meters_title")):
        table = paged_table(
            ctx,
            METER_COLUMNS,
            fetch,
            export_name=ctx.t("monitoring.meters_title"),
            searchable=True,
            testid="meters",
            on_row_click=lambda row: ui.navigate.to(f"/monitoring/meters/{row['id']}"),
        )

    def changed(event: Any) -> None:
        state["code"] = str(event.value)
        table.reload()

    picker.on_value_change(changed)
