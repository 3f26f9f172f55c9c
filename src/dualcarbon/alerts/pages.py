"""告警: the alerts the user may see, paged on the server, filtered by state, level, source, region or enterprise
(``/alerts?region=330302&enterprise=…`` — the region dashboard links here); a row opens the alert with its
history, a link to the meter and the enterprise, and 确认 / 关闭 with a comment (the same services as the API:
roles, ``lock_version`` and the audit log apply).
"""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from dualcarbon.alerts.models import ALERT_LEVELS, ALERT_SOURCES, ALERT_STATES
from dualcarbon.alerts.schemas import AlertOut
from dualcarbon.alerts.service_alerts import acknowledge, close, get_alert, list_alerts
from dualcarbon.alerts.titles import detail_facts, title_of
from dualcarbon.core.errors import DualcarbonError
from dualcarbon.ui.web.formatting import label, when
from dualcarbon.ui.web.layout import notify_error, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, paged_table

COLUMNS = (
    Column("level", "alerts.level", width=90),
    Column("state", "alerts.state", width=100),
    Column("source", "alerts.source", width=120),
    Column("title_zh", "alerts.title", tooltip=True),
    Column("enterprise", "enterprise.name", width=200),
    Column("occurrences", "alerts.occurrences", numeric=True, width=100),
    Column("last_seen", "alerts.last_seen", width=200),
)


#: Wide enough for the longest choice and label in either language (English labels were cut to "L…", "S…").
FILTER_WIDTH = "min-width: 9rem"


def _choices(ctx: WebContext, group: str, codes: tuple[str, ...]) -> dict[str, str]:
    return {"": ctx.t("alerts.all")} | {code: label(ctx, group, code) for code in codes}


@web_page("/alerts", title_key="alerts.page_title")
def alerts_page(ctx: WebContext, state: str = "open", level: str = "", region: str = "", enterprise: str = "") -> None:
    filters: dict[str, Any] = {
        "state": state if state in ALERT_STATES else None,
        "level": level if level in ALERT_LEVELS else None,
        "source": None,
        "region": region.strip() or None,
        "enterprise": enterprise.strip() or None,
    }
    with ui.row().classes("w-full items-center gap-3"):
        state_select = (
            ui.select(
                _choices(ctx, "alert_state", ALERT_STATES), value=filters["state"] or "", label=ctx.t("alerts.state")
            )
            .props('dense outlined data-testid="alerts-state"')
            .style(FILTER_WIDTH)
        )
        level_select = (
            ui.select(
                _choices(ctx, "alert_level", ALERT_LEVELS), value=filters["level"] or "", label=ctx.t("alerts.level")
            )
            .props("dense outlined")
            .style(FILTER_WIDTH)
        )
        source_select = (
            ui.select(_choices(ctx, "alert_source", ALERT_SOURCES), value="", label=ctx.t("alerts.source"))
            .props("dense outlined")
            .style(FILTER_WIDTH)
        )
        region_input = ui.input(ctx.t("monitoring.region"), value=region).props("dense outlined")
        show_button = ui.button(ctx.t("monitoring.show")).props('data-testid="alerts-show"')

    def fetch(limit: int, offset: int, search: str) -> tuple[list[dict[str, Any]], int]:
        rows, total = ctx.call(
            list_alerts,
            state=filters["state"],
            level=filters["level"],
            source=filters["source"],
            credit_code=filters["enterprise"],
            region=filters["region"],
            limit=limit,
            offset=offset,
        )
        return [_row(ctx, row) for row in rows], total

    with section(ctx.t("alerts.page_title")):
        table = paged_table(
            ctx,
            COLUMNS,
            fetch,
            export_name=ctx.t("alerts.page_title"),
            testid="alerts-table",
            on_row_click=lambda r: open_alert(int(r["id"])),
        )
    detail = ui.column().classes("w-full gap-2")

    def open_alert(alert_id: int) -> None:
        detail.clear()
        try:
            alert = ctx.call(get_alert, alert_id)
        except DualcarbonError as exc:
            notify_error(ctx, exc)
            return
        with detail, section(f"{title_of(ctx.t, alert, ctx.language)}（{label(ctx, 'alert_level', alert.level)}）"):
            _detail(ctx, alert)
            comment = (
                ui.textarea(ctx.t("alerts.comment")).props('outlined data-testid="alert-comment"').classes("w-full")
            )

            def act(step: Any) -> None:
                try:
                    ctx.call(step, alert.id, str(comment.value or ""), alert.lock_version)
                except DualcarbonError as exc:
                    notify_error(ctx, exc)
                    return
                ui.notify(ctx.t("alerts.done"))
                table.reload()
                open_alert(alert.id)

            with ui.row().classes("gap-2"):
                if alert.state == "open":
                    ui.button(ctx.t("alerts.ack"), on_click=lambda: act(acknowledge)).props('data-testid="alert-ack"')
                if alert.state != "closed":
                    ui.button(ctx.t("alerts.close"), on_click=lambda: act(close)).props(
                        'color=negative data-testid="alert-close"'
                    )

    def show() -> None:
        filters["state"] = state_select.value or None
        filters["level"] = level_select.value or None
        filters["source"] = source_select.value or None
        filters["region"] = str(region_input.value or "").strip() or None
        detail.clear()
        try:
            table.reload()
        except DualcarbonError as exc:
            notify_error(ctx, exc)

    show_button.on_click(show)


def _row(ctx: WebContext, row: AlertOut) -> dict[str, Any]:
    return row.model_dump() | {
        "title_zh": title_of(ctx.t, row, ctx.language),  # in the page's language (the column keeps its field name)
        "level": label(ctx, "alert_level", row.level),
        "state": label(ctx, "alert_state", row.state),
        "source": label(ctx, "alert_source", row.source),
        "last_seen": when(row.last_seen, ctx),
    }


def _detail(ctx: WebContext, alert: AlertOut) -> None:
    with ui.row().classes("gap-4 text-sm"):
        ui.link(f"{alert.enterprise}（{alert.credit_code}）", f"/monitoring/enterprise/{alert.credit_code}")
        if alert.meter_id is not None:
            ui.link(ctx.t("alerts.meter_link"), f"/monitoring/meters/{alert.meter_id}").props(
                'data-testid="alert-meter-link"'
            )
        ui.label(f"{ctx.t('alerts.first_seen')}：{when(alert.first_seen, ctx)}")
        ui.label(f"{ctx.t('alerts.occurrences')}：{alert.occurrences}")
    facts = detail_facts(ctx.t, alert.detail, ctx.language)
    if facts:
        with ui.grid(columns=2).classes("gap-x-6 gap-y-1 text-sm").props('data-testid="alert-facts"'):
            for name, value in facts:
                ui.label(name).classes("text-gray-600")
                ui.label(value)
    with ui.expansion(ctx.t("alerts.detail_json")).classes("w-full text-sm"):
        ui.code(json.dumps(alert.detail, ensure_ascii=False, indent=2), language="json").classes("w-full")
    for event in alert.events:
        text = f"{when(event.at, ctx)}  {event.actor}  {label(ctx, 'alert_event', event.action)}"
        ui.label(text + (f"：{event.comment}" if event.comment else "")).classes("text-sm")
