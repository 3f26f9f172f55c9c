"""One meter (计量器具详情): its register fields, the hourly rollup of its last days as an ECharts line (through
:func:`.service_rollups.meter_rollups`) and its quality day by day; and 手工录入, the manual-entry form for
meters whose input is manual, which posts through the same ingest service (source ``manual``) and shows the
receipt, or the Chinese message naming the row and field of every bad value (nothing is written then).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from nicegui import ui
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import DualcarbonError
from dualcarbon.monitoring.pages import code_label, enterprise_picker
from dualcarbon.monitoring.service_manual import ManualEntry, manual_meters, submit_manual
from dualcarbon.monitoring.service_quality import local_now
from dualcarbon.monitoring.service_quality_read import day_in_progress, meter_detail, meter_quality
from dualcarbon.monitoring.service_rollups import FIRST_DAY, check_days, meter_rollups
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.ui.web.formatting import yes_no
from dualcarbon.ui.web.layout import notify_error, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, simple_table

#: Days the meter page shows (a display choice, not a rule).
SHOWN_DAYS = 7
QUALITY_COLUMNS = (
    Column("day", "monitoring.day", width=120),
    Column("expected", "monitoring.expected", numeric=True, width=130),
    Column("received", "monitoring.received", numeric=True, width=130),
    Column("completeness", "monitoring.completeness", numeric=True, width=130, digits=3),
    Column("passed", "monitoring.passed", width=130),
    Column("problems", "monitoring.problems", tooltip=True),
)


def problem_text(ctx: WebContext, problems: list[Any]) -> str:
    """The problems of an item as a person reads them: 数据不完整（85/96 values …）；数据中断 …"""

    def detail(problem: Any) -> str:
        return str(problem.detail_zh or problem.detail) if ctx.language == "zh" else str(problem.detail)

    return "；".join(f"{code_label(ctx, 'problem', p.code)}（{detail(p)}）" for p in problems)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else local_now().date()
    except ValueError:
        return local_now().date()


def _enterprise_name(session: Session, principal: Principal, credit_code: str) -> str:
    """The name of the meter's enterprise (the page shows it beside the credit code)."""
    return str(require_enterprise(session, principal, credit_code).name)


def _info(ctx: WebContext, meter: Any, enterprise_name: str) -> None:
    if meter.carrier:
        carrier = ctx.reference().carrier(meter.carrier)
        label = carrier.name_zh if ctx.language == "zh" else carrier.name_en
    else:  # a production (产量) meter: the product it measures, not an energy carrier
        label = f"{ctx.t('monitoring.production_meter')}: {meter.product or ''}"
    fields = [
        ("monitoring.enterprise", f"{enterprise_name}（{meter.credit_code}）"),
        ("monitoring.code", meter.code),
        ("monitoring.carrier", label),
        ("monitoring.unit", meter.unit),
        ("monitoring.kind", code_label(ctx, "kind", meter.kind)),
        ("monitoring.statistic_type", code_label(ctx, "stat", meter.statistic_type)),
        ("monitoring.input_type", code_label(ctx, "input", meter.input_type)),
        ("monitoring.interval", str(meter.interval_minutes)),
        ("monitoring.multiplier", f"{meter.multiplier:g}"),
        ("monitoring.data_item_code", meter.data_item_code or ""),
        ("monitoring.calibrated_until", meter.calibrated_until.isoformat() if meter.calibrated_until else ""),
    ]
    with ui.grid(columns=4).classes("w-full gap-x-6 gap-y-1").props('data-testid="meter-info"'):
        for key, value in fields:
            ui.label(ctx.t(key)).classes("text-sm text-gray-600")
            ui.label(value)


@web_page("/monitoring/meters/{meter_id}", title_key="monitoring.meter_title")
def meter_page(ctx: WebContext, meter_id: int, to: str = "") -> None:
    meter = ctx.call(meter_detail, meter_id)
    end = _day(to)
    check_days(end, end, from_field="to")  # a day the store can hold (9999-12-31 or 0001-01-01 answered 500)
    start = max(end - timedelta(days=SHOWN_DAYS - 1), FIRST_DAY)
    with section(ctx.t("monitoring.info")):
        _info(ctx, meter, ctx.call(_enterprise_name, meter.credit_code))
        with ui.row().classes("gap-4"):
            ui.link(ctx.t("monitoring.meters_title"), f"/monitoring/meters?enterprise={meter.credit_code}")
            if meter.input_type == "manual":
                ui.link(ctx.t("monitoring.open_manual"), f"/monitoring/manual?enterprise={meter.credit_code}")
    rollup = ctx.call(meter_rollups, "hour", start, end, ctx.reference(), meter_id=meter_id)
    with section(ctx.t("monitoring.hourly_chart", start=start, end=end, unit=meter.unit)):
        ui.echart(
            {
                "tooltip": {"trigger": "axis"},
                "grid": {"left": 20, "right": 20, "top": 20, "bottom": 30, "containLabel": True},
                "xAxis": {"type": "category", "data": [f"{p.start:%m-%d %H:%M}" for p in rollup.periods]},
                "yAxis": {"type": "value", "name": meter.unit},
                "series": [
                    {
                        "name": ctx.t("monitoring.energy"),
                        "type": "line",
                        "showSymbol": False,
                        "data": [p.energy for p in rollup.periods],
                    }
                ],
            }
        ).classes("w-full h-72").props('data-testid="meter-hourly"')
    days = ctx.call(meter_quality, meter_id, start, end, ctx.reference())
    rows = [
        {
            "day": day,
            "expected": item.expected,
            "received": item.received,
            "completeness": item.completeness,
            "passed": ctx.t("monitoring.in_progress")
            if day_in_progress(day, meter.statistic_type)
            else yes_no(ctx, item.passed),
            "problems": problem_text(ctx, item.problems),
        }
        for day, item in days
    ]
    with section(ctx.t("monitoring.quality_days", start=start, end=end)):
        simple_table(ctx, QUALITY_COLUMNS, rows, export_name=ctx.t("monitoring.quality_title"), testid="meter-quality")


@web_page("/monitoring/manual", title_key="monitoring.manual_title")
def manual_page(ctx: WebContext, enterprise: str = "") -> None:
    ui.label(ctx.t("monitoring.manual_hint")).classes("text-sm text-gray-600")
    picked = enterprise_picker(ctx, enterprise, "manual-enterprise")
    if picked is None:
        return
    picker, first = picked
    state: dict[str, Any] = {"code": first, "meters": {}, "rows": []}
    form = ui.column().classes("dc-card w-full gap-2")
    error = ui.label().classes("text-negative whitespace-pre-line").props('data-testid="manual-error"')
    receipt = ui.label().classes("text-positive font-semibold").props('data-testid="manual-receipt"')

    def add_row() -> None:
        index = len(state["rows"])
        with rows_box, ui.row().classes("items-center gap-2"):
            ui.label(ctx.t("field.row", n=index + 1)).classes("w-12 text-sm text-gray-600")
            meter = ui.select(state["meters"], label=ctx.t("monitoring.meter")).classes("w-64")
            meter.props(f'dense outlined data-testid="manual-meter-{index}"')
            when = ui.input(ctx.t("monitoring.manual_ts"), placeholder="2024-03-01 00:00").classes("w-56")
            when.props(f'dense outlined data-testid="manual-ts-{index}"')
            value = ui.input(ctx.t("monitoring.manual_value")).classes("w-40")
            value.props(f'dense outlined data-testid="manual-value-{index}"')
        state["rows"].append((meter, when, value))

    def load() -> None:
        meters = ctx.call(manual_meters, state["code"])
        state["meters"] = {m.code: f"{m.code}（{m.unit}，{code_label(ctx, 'stat', m.statistic_type)}）" for m in meters}
        state["rows"] = []
        rows_box.clear()
        error.set_text("")
        receipt.set_text("")
        if not meters:
            with rows_box:
                ui.label(ctx.t("monitoring.no_manual")).classes("text-gray-600")
            return
        for _ in range(3):
            add_row()

    def submit() -> None:
        entries = [
            ManualEntry(str(m.value or ""), str(t.value or ""), str(v.value or ""))
            for m, t, v in state["rows"]
            if m.value or (t.value or "").strip() or (v.value or "").strip()
        ]
        error.set_text("")
        receipt.set_text("")
        try:
            result = ctx.call(submit_manual, state["code"], entries)
        except DualcarbonError as exc:
            error.set_text(exc.message_in(ctx.language))
            notify_error(ctx, exc)
            return
        receipt.set_text(
            ctx.t(
                "monitoring.receipt",
                accepted=result.accepted,
                duplicate=result.duplicate,
                conflict=result.conflict,
                rejected=result.rejected,
            )
        )

    with form:
        rows_box = ui.column().classes("gap-1")
        with ui.row().classes("gap-2"):
            ui.button(ctx.t("monitoring.add_row"), icon="add", on_click=add_row).props(
                'outline dense data-testid="manual-add"'
            )
            ui.button(ctx.t("monitoring.submit"), on_click=submit).props('data-testid="manual-submit"')
    error.move(form)
    receipt.move(form)

    def changed(event: Any) -> None:
        state["code"] = str(event.value)
        load()

    picker.on_value_change(changed)
    load()
