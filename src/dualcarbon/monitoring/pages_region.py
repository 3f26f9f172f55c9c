"""区域能耗监测看板 (/monitoring/region/{code}): energy (tce) and CO₂ per district and per sector, enterprises by
data status, and the enterprises of the region one page at a time (paged on the server: the browser never gets
every row), each opening its enterprise dashboard — all from :func:`.service_region.region_dashboard`. Sectors
are GB/T 4754 大类 shown by name; a code the shipped table does not name is shown as the code, with a note.

``?start=YYYY-MM-DD&end=YYYY-MM-DD`` choose the days (default: the last 30 days up to yesterday). Without ``end``,
a live line above shows today's energy so far, asked again every :data:`LIVE_SECONDS` (it grows as the meters'
readings arrive: the live demo's meters report staggered across each 15 minutes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from nicegui import ui

from dualcarbon.monitoring.pages_enterprise import LIVE_SECONDS, has_page
from dualcarbon.monitoring.service_quality import local_now
from dualcarbon.monitoring.service_region import MAX_PAGE_SIZE, region_dashboard
from dualcarbon.ui.web.formatting import data_label
from dualcarbon.ui.web.layout import section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, paged_table

#: Days shown when the address gives none (a display choice).
DEFAULT_DAYS = 30
#: Enterprises per page of the table (the first page comes with the totals: one aggregation per page load).
PAGE_SIZE = 20
STATUSES = ("no_data", "quality_failed", "ok")
ENTERPRISE_COLUMNS = (
    Column("name", "dash.enterprise_name", width=220),
    Column("credit_code", "dash.credit_code", width=190),
    Column("district", "dash.district", width=120),
    Column("sector", "dash.sector", width=90),
    Column("sector_name", "dash.sector_name", width=200),
    Column("tce", "dash.tce", numeric=True, width=120, digits=3),
    Column("tco2", "dash.tco2", numeric=True, width=120, digits=3),
    Column("cost_yuan", "dash.cost_yuan", numeric=True, width=130, digits=2),
    Column("cost_note", "dash.cost_note", width=150, tooltip=True),
    Column("status", "dash.status", width=120),
)
#: Sections other subjects add below the data status — the alerts' warning levels and open alerts. Monitoring may
#: not import those subjects, so the app appends them (app/web.py); each gets (ctx, region code, first, last day).
REGION_SECTIONS: list[Callable[[WebContext, str, date, date], None]] = []


def _range(start: str, end: str) -> tuple[date, date]:
    try:
        last = date.fromisoformat(end.strip())
    except ValueError:
        last = local_now().date() - timedelta(days=1)
    try:
        first = date.fromisoformat(start.strip())
    except ValueError:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    return first, last


def _bars(ctx: WebContext, rows: list[Any], kind: str = "") -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [ctx.t("dash.tce"), ctx.t("dash.tco2")]},
        "grid": {"left": 20, "right": 20, "top": 36, "bottom": 10, "containLabel": True},
        # every name shown, wrapped (long 行业大类 names such as 有色金属冶炼和压延加工业 hid every other label)
        "xAxis": {
            "type": "category",
            "data": [data_label(ctx, r.name, kind) for r in rows],
            "axisLabel": {"interval": 0, "width": 76, "overflow": "break", "fontSize": 11},
        },
        "yAxis": {"type": "value"},
        "series": [
            {"name": ctx.t("dash.tce"), "type": "bar", "data": [round(r.tce, 3) for r in rows]},
            {"name": ctx.t("dash.tco2"), "type": "bar", "data": [round(r.tco2, 3) for r in rows]},
        ],
    }


def enterprise_row(ctx: WebContext, row: Any) -> dict[str, Any]:
    """One row of the enterprise table; ``cost_note`` says why a metered enterprise's cost is blank."""
    data: dict[str, Any] = row.model_dump()
    return data | {
        "status": ctx.t(f"dash.status.{row.status}"),
        "sector_name": data_label(ctx, row.sector_name, "sector") or "—",
        "cost_note": ctx.t("dash.cost_missing") if row.tce is not None and row.cost_yuan is None else "",
    }


def _today_text(ctx: WebContext, code: str) -> str:
    now: datetime = local_now()
    today = ctx.call(region_dashboard, code, now.date(), now.date(), page=1, size=1)
    tce, tco2 = sum(t.tce for t in today.by_district), sum(t.tco2 for t in today.by_district)
    return ctx.t(
        "livedemo.today_so_far", day=f"{now:%m-%d}", tce=f"{tce:,.3f}", tco2=f"{tco2:,.3f}", at=f"{now:%H:%M:%S}"
    )


def _today_so_far(ctx: WebContext, code: str) -> None:
    """Today's energy of the region so far (the day rollups the readings refresh), asked again on a timer."""
    with section(ctx.t("livedemo.today_title", seconds=f"{LIVE_SECONDS:g}")):
        label = ui.label(_today_text(ctx, code)).classes("text-base font-semibold")
        label.props('data-testid="region-today-so-far"')
        ui.timer(LIVE_SECONDS, lambda: label.set_text(_today_text(ctx, code)))


@web_page("/monitoring/region/{code}", title_key="dash.region_title", roles=("regulator", "reviewer", "admin"))
def region_dashboard_page(ctx: WebContext, code: str, start: str = "", end: str = "") -> None:
    first_day, last_day = _range(start, end)
    first = ctx.call(region_dashboard, code, first_day, last_day, page=1, size=PAGE_SIZE)
    with ui.row().classes("w-full items-center gap-4"):
        ui.label(f"{first.name}（{first.code}）").classes("text-lg font-semibold").props('data-testid="region-name"')
        ui.label(ctx.t("dash.range", start=first_day, end=last_day, count=first.enterprises)).classes(
            "text-sm text-gray-600"
        )
        ui.space()
        ui.link(ctx.t("monitoring.open_quality"), "/monitoring/quality")
        if has_page("/alerts"):
            ui.link(ctx.t("dash.alerts_link"), f"/alerts?region={first.code}")
    with ui.row().classes("w-full gap-4 no-wrap"):
        with section(ctx.t("dash.by_district")).classes("w-1/2"):
            ui.echart(_bars(ctx, first.by_district)).classes("w-full h-64").props('data-testid="region-districts"')
        with section(ctx.t("dash.by_sector")).classes("w-1/2"):
            sectors = ui.echart(_bars(ctx, first.by_sector, "sector")).classes("w-full h-64")
            sectors.props('data-testid="region-sectors"')
            if first.unnamed_sectors:  # never an invented name: the code, and a note saying so
                ui.label(ctx.t("dash.sector_unnamed", codes="、".join(first.unnamed_sectors))).classes(
                    "text-xs text-gray-500"
                ).props('data-testid="region-unnamed-sectors"')
    with section(ctx.t("dash.by_status")):
        with ui.row().classes("gap-6").props('data-testid="region-status"'):
            for status in STATUSES:
                ui.label(f"{ctx.t(f'dash.status.{status}')}：{first.status_counts.get(status, 0)}").classes("text-base")
        ui.label(ctx.t("dash.status_note")).classes("text-xs text-gray-500")
    if not end.strip():
        _today_so_far(ctx, code)
    for render in REGION_SECTIONS:
        render(ctx, first.code, first_day, last_day)

    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        if (limit, offset) == (PAGE_SIZE, 0):
            page = first  # the table's first page is the one computed with the totals above
        else:
            export = limit > MAX_PAGE_SIZE  # the Excel export asks for every row at once
            page = ctx.call(
                region_dashboard, code, first_day, last_day, page=offset // limit + 1, size=limit, export=export
            )
        rows = [enterprise_row(ctx, r) for r in page.rows]
        return rows, page.enterprises

    def open_row(row: dict[str, Any]) -> None:
        ui.navigate.to(f"/monitoring/enterprise/{row['credit_code']}?at={last_day.isoformat()}")

    with section(ctx.t("dash.enterprises")):
        paged_table(
            ctx,
            ENTERPRISE_COLUMNS,
            fetch,
            page_size=PAGE_SIZE,
            export_name=ctx.t("dash.region_title"),
            on_row_click=open_row,
            testid="region-enterprises",
        )
        ui.label(ctx.t("dash.cost_missing_note")).classes("text-xs text-gray-500").props(
            'data-testid="region-cost-note"'
        )
