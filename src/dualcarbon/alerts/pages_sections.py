"""The alerts sections of the monitoring dashboards, so that a regulator follows an alert from the region to the meter.

* :func:`region_alerts_section` — on 区域能耗监测看板: the region's watched enterprises by warning level (the
  level scheme of the packs, :func:`.service_region.region_levels`) and the open alerts (告警), paged on the server;
  a row opens the enterprise dashboard of the alert (at the alert's day) with its alerts section.
* :func:`enterprise_alerts_section` — on 企业能耗监测看板: the enterprise's alerts that are not closed, each with a
  link to its meter page (``/monitoring/meters/{id}``) and to the alert in ``/alerts``.

The monitoring subject may not import alerts (it lies below in the layers), so the app wires these two functions
into the dashboards' section lists (``app/web.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import ui

from dualcarbon.alerts.schemas import AlertOut
from dualcarbon.alerts.service_alerts import list_alerts
from dualcarbon.alerts.service_region import region_levels
from dualcarbon.alerts.titles import title_of
from dualcarbon.reference.policy import rendering
from dualcarbon.ui.web.formatting import data_label, label, when
from dualcarbon.ui.web.layout import section
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, paged_table

LEVEL_COLOURS = {"green": "positive", "yellow": "amber-7", "orange": "orange-9", "red": "negative"}
#: Alerts listed on the enterprise dashboard (the rest are one click away in /alerts).
ENTERPRISE_ALERTS_SHOWN = 20
OPEN_COLUMNS = (
    Column("level", "alerts.level", width=90),
    Column("title_zh", "alerts.title", tooltip=True),
    Column("enterprise", "enterprise.name", width=220),
    Column("meter", "alerts.meter", width=110),
    Column("source", "alerts.source", width=110),
    Column("last_seen", "alerts.last_seen", width=180),
)


def _alert_day(alert: AlertOut) -> str | None:
    value = alert.detail.get("date") or alert.detail.get("as_of")
    try:
        return date.fromisoformat(str(value)).isoformat() if value else None
    except ValueError:
        return None


def region_alerts_section(ctx: WebContext, code: str, first_day: date, last_day: date) -> None:
    levels = ctx.call(region_levels, code)
    clause, original = rendering(levels.clause, levels.clause_en, ctx.language)
    if original:
        clause = ctx.t("policy.with_original", rendering=clause, original=original)
    with section(ctx.t("alerts.region_levels")):
        with ui.row().classes("gap-4 items-center").props('data-testid="region-levels"'):
            for level in levels.levels:
                ui.badge(f"{label(ctx, 'alert_level', level)}：{levels.counts.get(level, 0)}").props(
                    f'color={LEVEL_COLOURS.get(level, "grey")} data-testid="region-level-{level}"'
                ).classes("text-base px-3 py-1")
        ui.label(
            ctx.t(
                "alerts.region_levels_note",
                watched=levels.enterprises,
                scheme=data_label(ctx, levels.scheme_title_zh, "scheme"),
                clause=clause,
            )
        ).classes("text-xs text-gray-500").props('data-testid="region-levels-note"')

    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        rows, total = ctx.call(list_alerts, state="open", region=code, limit=limit, offset=offset)
        return [_row(ctx, row) for row in rows], total

    def open_row(row: dict[str, Any]) -> None:
        at = f"?at={row['day']}" if row.get("day") else ""
        ui.navigate.to(f"/monitoring/enterprise/{row['credit_code']}{at}#alerts")

    with section(ctx.t("alerts.open_title")):
        ui.label(ctx.t("alerts.open_note")).classes("text-xs text-gray-500")
        paged_table(
            ctx,
            OPEN_COLUMNS,
            fetch,
            export_name=ctx.t("alerts.open_title"),
            on_row_click=open_row,
            height="24rem",
            testid="region-alerts",
        )


def _row(ctx: WebContext, row: AlertOut) -> dict[str, Any]:
    return row.model_dump(include={"id", "title_zh", "enterprise", "credit_code", "meter_id"}) | {
        "title_zh": title_of(ctx.t, row, ctx.language),
        "level": label(ctx, "alert_level", row.level),
        "source": label(ctx, "alert_source", row.source),
        "meter": str(row.detail.get("meter") or ""),
        "last_seen": when(row.last_seen, ctx),
        "day": _alert_day(row),
    }


def enterprise_alerts_section(ctx: WebContext, credit_code: str) -> None:
    rows: list[AlertOut] = []
    total = 0
    for state in ("open", "acknowledged"):
        page, count = ctx.call(list_alerts, state=state, credit_code=credit_code, limit=ENTERPRISE_ALERTS_SHOWN)
        rows, total = rows + page, total + count
    rows = rows[:ENTERPRISE_ALERTS_SHOWN]
    with section(ctx.t("alerts.enterprise_title")).props('id=alerts data-testid="dash-alerts"'):
        if not rows:
            ui.label(ctx.t("alerts.none_open")).classes("text-gray-600")
        for alert in rows:
            with ui.row().classes("items-center gap-3 w-full").props(f'data-testid="dash-alert-{alert.id}"'):
                ui.badge(label(ctx, "alert_level", alert.level)).props(
                    f"color={LEVEL_COLOURS.get(alert.level, 'grey')}"
                )
                ui.label(title_of(ctx.t, alert, ctx.language)).classes("font-medium")
                ui.label(f"{label(ctx, 'alert_state', alert.state)} · {when(alert.last_seen, ctx)}").classes(
                    "text-sm text-gray-600"
                )
                ui.space()
                if alert.meter_id is not None:
                    day = _alert_day(alert)
                    to = f"?to={day}" if day else ""
                    ui.link(ctx.t("alerts.meter_link"), f"/monitoring/meters/{alert.meter_id}{to}").props(
                        f'data-testid="dash-alert-meter-{alert.id}"'
                    )
        if total > len(rows):
            ui.link(ctx.t("alerts.all_of_enterprise", count=total), f"/alerts?enterprise={credit_code}")
