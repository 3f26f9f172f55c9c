"""The regulator's part of the 诊断/审计 page: who owes a diagnosis or an audit this year (with the status of
their report) and the yearly goal of accepted reports, each naming the policy pack it is judged by.

The year and the pack may be given in the address (``/audits?year=2026&pack=shanghai-baiyi-2022``); by default the
pack :func:`~dualcarbon.audits.service_obligations.choose_pack` picks, with a sentence saying whether it is the
region's own pack or a fallback the reader may change, and the latest year with a basis: the current year in
Asia/Shanghai, or — when every obligation of it is undetermined (no approved annual report to judge by yet) — the
year before, back at most :data:`LOOK_BACK_YEARS` years. The page then says so and links to the current year.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from nicegui import ui

from dualcarbon.audits.schemas import GoalProgress, ObligationsStatus
from dualcarbon.audits.service_obligations import goal_progress, obligations_status
from dualcarbon.core.localtime import local_text
from dualcarbon.ui.web.formatting import data_label
from dualcarbon.ui.web.layout import section
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, simple_table

READERS = ("regulator", "reviewer")
OBLIGATION_COLUMNS = (
    Column("name", "enterprise.name"),
    Column("credit_code", "enterprise.credit_code", width=190),
    Column("obligation", "audits.obligations.obligation"),
    Column("finding", "audits.obligations.finding", width=190),
    Column("status", "audits.obligations.status", width=120),
    Column("report", "audits.id", numeric=True, width=90),
)


def _query(ctx: WebContext) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(ctx.path).query).items() if values}


#: How many years before the current one the page looks for a year whose obligations have a basis.
LOOK_BACK_YEARS = 3


def _year(query: dict[str, str]) -> int | None:
    """The year in the address, or None (the page chooses)."""
    text = query.get("year", "")
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    return None


def _without_basis(listing: ObligationsStatus) -> bool:
    """Every obligation of the year is undetermined: no approved annual report to judge it by."""
    return bool(listing.items) and all(item.finding == "undetermined" for item in listing.items)


def _listing(ctx: WebContext, asked: int | None, pack: str | None) -> tuple[int, ObligationsStatus, int | None]:
    """(year shown, its listing, the current year when the page stepped back from it to a year with a basis)."""
    if asked is not None:
        return asked, ctx.call(obligations_status, asked, pack=pack), None
    current = datetime.now(ZoneInfo("Asia/Shanghai")).year
    listing = ctx.call(obligations_status, current, pack=pack)
    if not _without_basis(listing):
        return current, listing, None
    for year in range(current - 1, current - 1 - LOOK_BACK_YEARS, -1):
        earlier = ctx.call(obligations_status, year, pack=pack)
        if earlier.items and not _without_basis(earlier):
            return year, earlier, current
    return current, listing, None


def obligation_rows(ctx: WebContext, listing: ObligationsStatus) -> list[dict[str, Any]]:
    return [
        {
            "name": item.name,
            "credit_code": item.credit_code,
            "obligation": item.obligation_zh if ctx.language == "zh" else item.obligation.replace("_", " "),
            "finding": ctx.t(f"audits.obligations.finding.{item.finding}"),
            "status": item.status_zh if ctx.language == "zh" else item.status.replace("_", " "),
            "report": item.report_id,
        }
        for item in listing.items
    ]


def goal_line(ctx: WebContext, goal: GoalProgress) -> str:
    line = ctx.t(
        "audits.goals.line",
        title=data_label(ctx, goal.title_zh, "scheme"),
        accepted=goal.accepted,
        target=f"{goal.target:g}",
        unit=data_label(ctx, goal.unit, "unit"),
        share=f"{goal.share_pct:.1f}",
    )
    if goal.pack_valid_to is not None and goal.pack_valid_to.year < goal.year:
        line += ctx.t("audits.goals.expired", date=local_text(goal.pack_valid_to, ctx.language, labelled=False))
    return line


def obligations_sections(ctx: WebContext) -> None:
    """The obligations table and the goal progress, for a regulator or reviewer (nothing for others)."""
    if not ctx.has_role(*READERS):
        return
    query = _query(ctx)
    year, listing, stepped_from = _listing(ctx, _year(query), query.get("pack") or None)
    goals = ctx.call(goal_progress, year)
    if stepped_from is not None:
        with ui.row().classes("items-center gap-2"):
            ui.label(ctx.t("audits.obligations.stepped_back", year=year, current=stepped_from)).classes(
                "text-sm text-gray-700"
            ).props('data-testid="audit-year-basis"')
            ui.link(
                ctx.t("audits.obligations.show_year", year=stepped_from),
                "/audits?" + urlencode({"year": stepped_from, **({"pack": query["pack"]} if "pack" in query else {})}),
            ).props('data-testid="audit-year-current"')
    with section(ctx.t("audits.goals", year=year)).props('data-testid="audit-goals"'):
        for goal in goals:
            ui.label(goal_line(ctx, goal)).classes("text-sm")
            ui.linear_progress(value=min(goal.share_pct / 100.0, 1.0), show_value=False).classes("w-96")
        if not goals:
            ui.label(ctx.t("audits.goals.none")).classes("text-sm text-gray-600")
    with section(ctx.t("audits.obligations", year=year, count=listing.total)).props('data-testid="audit-obligations"'):
        with ui.row().classes("items-center gap-4 w-full"):
            basis = ctx.t(f"audits.obligations.basis.{listing.pack_basis}")
            title = ctx.t(
                "audits.obligations.pack", title=data_label(ctx, listing.pack_title_zh, "scheme"), pack=listing.pack
            )
            ui.label(f"{title} — {basis}").classes("text-sm text-gray-700")
            ui.select(
                listing.pack_choices,
                value=listing.pack,
                label=ctx.t("audits.obligations.pick"),
                on_change=lambda e: ui.navigate.to("/audits?" + urlencode({"year": year, "pack": e.value})),
            ).classes("min-w-64").props('dense data-testid="obligation-pack"')
        if not listing.items:
            ui.label(ctx.t("audits.obligations.none")).classes("text-sm text-gray-600")
            return
        simple_table(
            ctx,
            OBLIGATION_COLUMNS,
            obligation_rows(ctx, listing),
            export_name=ctx.t("audits.obligations", year=year, count=listing.total),
            testid="obligations",
            on_row_click=lambda row: ui.navigate.to(f"/audits/{row['report']}") if row.get("report") else None,
        )
