"""企业能耗监测看板 (/monitoring/enterprise/{credit_code}): the live last 24 h (refreshed by a timer), a calendar
heatmap of daily energy, the energy-flow Sankey, CO₂ by day with the intensity per value added, and the cost with
its peak/valley shares — all from :func:`.service_dashboard.enterprise_dashboard` (stored rollups and costs).

``?at=YYYY-MM-DD`` shows the dashboard as of the end of that day (history); without it, as of now, and the live
chart follows new readings every :data:`LIVE_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from nicegui import app, ui

from dualcarbon.monitoring.service_dashboard import enterprise_dashboard, enterprise_live
from dualcarbon.monitoring.service_quality import local_now
from dualcarbon.ui.web.layout import section, web_page
from dualcarbon.ui.web.session import WebContext

#: How often the live chart asks the server again (a display choice): the live demo's meters report staggered, so
#: the current hour's point grows between two looks.
LIVE_SECONDS = 20.0
#: Load-shift share the cost card shows (a what-if chosen by the user; this is the initial value).
DEFAULT_SHIFT_PCT = 10.0
BAND_KEYS = ("sharp", "peak", "flat", "valley")
#: Sections other subjects add below the live chart — the enterprise's alerts with links to their meters. Monitoring
#: may not import alerts, so the app appends them (app/web.py); each gets (ctx, credit code).
ENTERPRISE_SECTIONS: list[Callable[[WebContext, str], None]] = []


def _as_of(at: str) -> tuple[datetime, bool]:
    """(the moment shown, live?) — the end of ``at`` when it is a date, else now."""
    try:
        day = date.fromisoformat(at.strip())
    except ValueError:
        return local_now(), True
    return datetime(day.year, day.month, day.day, 23, 59), False


def has_page(path: str) -> bool:
    """True when a page is registered at ``path`` (the alerts page is another subject's, maybe not built)."""
    return any(getattr(route, "path", None) == path for route in app.routes)


def _live_options(ctx: WebContext, data: Any) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [ctx.t("dash.tce"), ctx.t("dash.tco2")]},
        "grid": {"left": 20, "right": 20, "top": 36, "bottom": 10, "containLabel": True},
        "xAxis": {"type": "category", "data": [f"{p.start:%m-%d %H:00}" for p in data.live_tce]},
        "yAxis": {"type": "value"},
        "series": [
            {"name": ctx.t("dash.tce"), "type": "line", "data": [round(p.value, 4) for p in data.live_tce]},
            {"name": ctx.t("dash.tco2"), "type": "line", "data": [round(p.value, 4) for p in data.live_tco2]},
        ],
    }


def _today_so_far(ctx: WebContext, data: Any, now: datetime) -> str:
    """Today's energy so far (the hours of today in the live series), which grows as the readings arrive."""
    tce = sum(p.value for p in data.live_tce if p.start.date() == now.date())
    tco2 = sum(p.value for p in data.live_tco2 if p.start.date() == now.date())
    return ctx.t(
        "livedemo.today_so_far", day=f"{now:%m-%d}", tce=f"{tce:,.4f}", tco2=f"{tco2:,.4f}", at=f"{now:%H:%M:%S}"
    )


def _calendar_options(ctx: WebContext, data: Any, as_of: datetime) -> dict[str, Any]:
    values = [[f"{p.start:%Y-%m-%d}", round(p.value, 3)] for p in data.calendar_tce]
    top = max((v for _, v in values), default=1.0) or 1.0
    first = (as_of - timedelta(days=364)).date()
    return {
        "tooltip": {"position": "top"},
        "visualMap": {
            "min": 0,
            "max": top,
            "precision": 3,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "calculable": True,
        },
        "calendar": {
            "range": [first.isoformat(), as_of.date().isoformat()],
            "cellSize": ["auto", 14],
            "dayLabel": {"nameMap": "ZH" if ctx.language == "zh" else "EN", "firstDay": 1},
            "monthLabel": {"nameMap": "ZH" if ctx.language == "zh" else "EN"},
        },
        "series": [{"type": "heatmap", "coordinateSystem": "calendar", "data": values, "name": ctx.t("dash.tce")}],
    }


def flow_label(ctx: WebContext, node: Any, carrier_names: dict[str, str]) -> str:
    """A Sankey node in the page's language (the service names it in Chinese: 购入：电力, E-MAIN（购入贮存）)."""
    if ctx.language == "zh":
        return str(node.name)
    if node.kind == "purchase":
        return ctx.t("dash.flow_purchase", carrier=carrier_names.get(node.carrier, node.carrier))
    if node.kind == "loss":
        return ctx.t("dash.flow_loss")
    if node.stage:
        return ctx.t("dash.flow_meter_stage", meter=node.meter, stage=ctx.t(f"monitoring.stage.{node.stage}"))
    return str(node.meter or node.name)


def _sankey_options(ctx: WebContext, data: Any) -> dict[str, Any]:
    carrier_names = {c.id: c.name_en for c in ctx.reference().carriers()}
    labels = {n.name: flow_label(ctx, n, carrier_names) for n in data.flow_nodes}

    def label(name: str) -> str:
        return labels.get(name, name)

    names = sorted({label(link.source) for link in data.flows} | {label(link.target) for link in data.flows})
    return {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "sankey",
                "emphasis": {"focus": "adjacency"},
                "data": [{"name": n} for n in names],
                "links": [
                    {"source": label(f.source), "target": label(f.target), "value": round(f.tce, 4)} for f in data.flows
                ],
            }
        ],
    }


def _co2_options(ctx: WebContext, data: Any) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 20, "right": 20, "top": 36, "bottom": 10, "containLabel": True},
        "xAxis": {"type": "category", "data": [f"{p.start:%m-%d}" for p in data.co2_daily]},
        "yAxis": {"type": "value", "name": "tCO₂"},
        "series": [{"name": ctx.t("dash.tco2"), "type": "bar", "data": [round(p.value, 4) for p in data.co2_daily]}],
    }


#: The price table a cost reason names; a Chinese page says its title, not the table's name.
_TARIFF_TABLE = "electricity_tariffs_tou"


def _cost_reason(ctx: WebContext, cost: Any) -> str:
    """The Chinese reason on a Chinese page (the English one, which the API also gives, otherwise)."""
    if ctx.language != "zh":
        return str(cost.reason)
    title = ctx.t(f"glossary.table.{_TARIFF_TABLE}")
    return str(cost.reason_zh or cost.reason).replace(f"{title} {_TARIFF_TABLE}", title).replace(_TARIFF_TABLE, title)


def _cost_card(ctx: WebContext, cost: Any) -> None:
    if cost.cost_yuan is None:
        ui.label(ctx.t("dash.no_cost")).classes("text-gray-600").props('data-testid="dash-no-cost"')
        if cost.reason:
            ui.label(_cost_reason(ctx, cost)).classes("text-xs text-gray-500").props('data-testid="dash-cost-reason"')
        return
    if cost.demo:
        ui.badge(ctx.t("dash.demo_tariff")).props('color=orange data-testid="dash-demo-tariff"')
    ui.label(ctx.t("dash.cost_total", days=cost.days, yuan=f"{cost.cost_yuan:,.2f}")).classes(
        "text-lg font-semibold"
    ).props('data-testid="dash-cost-total"')
    if cost.band_shares:
        pie = [
            {"name": ctx.t(f"dash.band.{b}"), "value": round(cost.band_shares.get(b, 0.0) * 100, 1)}
            for b in BAND_KEYS
            if cost.band_shares.get(b)
        ]
        ui.echart({"tooltip": {"formatter": "{b}: {c}%"}, "series": [{"type": "pie", "radius": "65%", "data": pie}]})\
            .classes("w-full h-56").props('data-testid="dash-bands"')  # fmt: skip
    if cost.shift_saving_yuan is not None:
        ui.label(ctx.t("dash.shift", pct=f"{cost.shift_pct:g}", yuan=f"{cost.shift_saving_yuan:,.2f}")).props(
            'data-testid="dash-shift"'
        )
    if cost.reason:
        ui.label(ctx.t("dash.cost_partial")).classes("text-xs text-gray-600")
        ui.label(_cost_reason(ctx, cost)).classes("text-xs text-gray-500").props('data-testid="dash-cost-reason"')


@web_page("/monitoring/enterprise/{credit_code}", title_key="dash.enterprise_title")
def enterprise_dashboard_page(ctx: WebContext, credit_code: str, at: str = "") -> None:
    as_of, live = _as_of(at)
    data = ctx.call(enterprise_dashboard, credit_code, ctx.reference(), now=as_of, shift_pct=DEFAULT_SHIFT_PCT)
    with ui.row().classes("w-full items-center gap-4"):
        ui.label(f"{data.name}（{data.credit_code}）").classes("text-lg font-semibold").props('data-testid="dash-name"')
        ui.label(ctx.t("dash.as_of", at=f"{data.as_of:%Y-%m-%d %H:%M}")).classes("text-sm text-gray-600")
        ui.space()
        ui.link(ctx.t("dash.meters_link", count=data.meters), f"/monitoring/meters?enterprise={data.credit_code}")
        ui.link(ctx.t("monitoring.open_quality"), "/monitoring/quality")
        if has_page("/alerts"):
            ui.link(ctx.t("dash.alerts_link"), f"/alerts?enterprise={data.credit_code}")
    title = ctx.t("livedemo.live_title", seconds=f"{LIVE_SECONDS:g}") if live else ctx.t("dash.live_title")
    with section(title):
        latest = ui.label(ctx.t("dash.latest", at=f"{data.latest_hour:%m-%d %H:00}" if data.latest_hour else "—"))
        latest.classes("text-sm text-gray-600").props('data-testid="dash-latest"')
        so_far = ui.label(_today_so_far(ctx, data, as_of)).classes("text-base font-semibold")
        so_far.props('data-testid="dash-today-so-far"').set_visibility(live)
        chart = ui.echart(_live_options(ctx, data)).classes("w-full h-64").props('data-testid="dash-live"')

        def refresh() -> None:
            now = local_now()
            fresh = ctx.call(enterprise_live, credit_code, ctx.reference(), now=now)
            chart.options.clear()
            chart.options.update(_live_options(ctx, fresh))
            chart.update()
            latest.set_text(ctx.t("dash.latest", at=f"{fresh.latest_hour:%m-%d %H:00}" if fresh.latest_hour else "—"))
            so_far.set_text(_today_so_far(ctx, fresh, now))

        if live:
            ui.timer(LIVE_SECONDS, refresh)
    for render in ENTERPRISE_SECTIONS:
        render(ctx, data.credit_code)
    with section(ctx.t("dash.calendar_title")):
        ui.echart(_calendar_options(ctx, data, as_of)).classes("w-full h-56").props('data-testid="dash-calendar"')
    with ui.row().classes("w-full gap-4 no-wrap"):
        with section(ctx.t("dash.flow_title")).classes("w-2/3"):
            if data.flows:
                ui.echart(_sankey_options(ctx, data)).classes("w-full h-80").props('data-testid="dash-sankey"')
            else:
                ui.label(ctx.t("dash.no_flow")).classes("text-gray-600")
        with section(ctx.t("dash.cost_title")).classes("w-1/3").props('data-testid="dash-cost"'):
            _cost_card(ctx, data.cost)
    with section(ctx.t("dash.co2_title")):
        ui.echart(_co2_options(ctx, data)).classes("w-full h-56").props('data-testid="dash-co2"')
        intensity = data.intensity
        if intensity.tco2_per_10k_yuan is not None:
            text = ctx.t(
                "dash.intensity",
                year=intensity.year,
                value=f"{intensity.tco2_per_10k_yuan:.4f}",
                tco2=f"{intensity.tco2:,.2f}",
                va=f"{intensity.value_added_10k_yuan:,.1f}",
            )
        else:
            text = ctx.t(f"dash.intensity_{intensity.status}", year=intensity.year or "")
        ui.label(text).props('data-testid="dash-intensity"')
        if intensity.status == "partial":
            ui.label(ctx.t("dash.intensity_partial", coverage=f"{(intensity.coverage or 0):.0%}", year=intensity.year))\
                .classes("text-xs text-gray-500")  # fmt: skip
