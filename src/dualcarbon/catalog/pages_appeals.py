"""Appeals (申辩): the list in the user's scope and one appeal's page with the step its state allows —
a regulator assigns an expert, the assigned expert records the opinion, the regulator decides (upheld →
a corrected re-issue of the catalog, never an edit). Enterprises file appeals from the catalog page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from dualcarbon.catalog.schemas import AppealOut
from dualcarbon.catalog.service_appeals import assign_expert, decide_appeal, get_appeal, list_appeals, record_opinion
from dualcarbon.catalog.service_experts import assignable_experts
from dualcarbon.ui.web.formatting import data_label, label, rounded, when
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table

APPEAL_COLUMNS = (
    Column("id", "appeal.id", numeric=True, width=80),
    Column("enterprise_name", "enterprise.name"),
    Column("product", "unit.product"),
    Column("tier", "catalog.tier"),
    Column("value", "catalog.value", numeric=True, digits=3),
    Column("state", "appeal.state", width=150),
    Column("expert", "appeal.expert", width=120),
    Column("filed_at", "appeal.filed_at"),
    Column("decided_at", "appeal.decided_at"),
)
STATE_COLOURS = {"filed": "blue", "under_review": "orange", "upheld": "positive", "rejected": "negative"}


def appeal_row(ctx: WebContext, item: AppealOut) -> dict[str, Any]:
    return {
        "id": item.id,
        "enterprise_name": item.enterprise_name,
        "product": data_label(ctx, item.product, "product"),
        "tier": label(ctx, "tier", item.tier),
        "value": rounded(item.value),
        "state": label(ctx, "appeal_state", item.state),
        "expert": item.expert or "",
        "filed_at": when(item.filed_at, ctx),
        "decided_at": when(item.decided_at, ctx),
    }


@web_page("/appeals", title_key="nav.appeals", roles=("enterprise", "regulator", "reviewer"))
def appeals_page(ctx: WebContext) -> None:
    items, _ = ctx.call(list_appeals, limit=1000)
    with section(ctx.t("appeal.list")):
        if ctx.has_role("enterprise"):
            ui.label(ctx.t("appeal.how_to_file")).classes("text-sm text-gray-600")
        data_table(
            ctx,
            APPEAL_COLUMNS,
            [appeal_row(ctx, i) for i in items],
            export_name=ctx.t("appeal.list"),
            testid="appeals",
            on_row_click=lambda row: ui.navigate.to(f"/appeals/{row['id']}"),
        )


def _facts(ctx: WebContext, appeal: AppealOut) -> None:
    corrected = appeal.evidence.corrected_value
    facts = [
        ("enterprise.name", appeal.enterprise_name),
        ("enterprise.credit_code", appeal.credit_code),
        ("unit.product", data_label(ctx, appeal.product, "product")),
        ("catalog.tier", label(ctx, "tier", appeal.tier)),
        ("catalog.value", f"{appeal.value:.4g} {data_label(ctx, appeal.unit, 'unit')}"),
        ("appeal.reason", appeal.reason),
        ("appeal.corrected_value", f"{corrected:g}" if corrected is not None else ""),
        ("appeal.expert", appeal.expert or ""),
        ("appeal.opinion", appeal.expert_opinion or ""),
        ("appeal.decision", appeal.decision or ""),
        ("appeal.filed_at", when(appeal.filed_at, ctx)),
        ("appeal.decided_at", when(appeal.decided_at, ctx)),
    ]
    with ui.grid(columns="12rem 1fr").classes("w-full gap-x-6 gap-y-1"):
        for key, value in facts:
            ui.label(ctx.t(key)).classes("text-gray-600 text-sm")
            ui.label(value).classes("text-sm whitespace-pre-wrap")
    ui.link(ctx.t("appeal.catalog_link", id=appeal.catalog_id), f"/catalogs/{appeal.catalog_id}")
    if appeal.corrected_catalog_id:
        ui.link(
            ctx.t("appeal.corrected_link", id=appeal.corrected_catalog_id),
            f"/catalogs/{appeal.corrected_catalog_id}",
        )


def _step(ctx: WebContext, appeal: AppealOut) -> None:
    appeal_id = appeal.id

    def reload() -> bool:
        ui.navigate.to(f"/appeals/{appeal_id}")
        return True

    state = appeal.state
    if state == "filed" and ctx.has_role("regulator"):
        experts = ctx.call(assignable_experts, appeal_id)
        shown = [e.display_name for e in experts]
        options = {
            e.username: e.display_name if shown.count(e.display_name) == 1 else f"{e.display_name}（{e.username}）"
            for e in experts
        }
        with section(ctx.t("appeal.assign")), ui.row().classes("items-end gap-3"):
            if not options:
                ui.label(ctx.t("appeal.no_experts")).classes("text-warning").props('data-testid="appeal-no-experts"')
            expert = (
                ui.select(options, label=ctx.t("appeal.expert_choose"), with_input=True)
                .classes("w-64")
                .props('data-testid="appeal-expert"')
            )
            _action_button(
                ctx,
                "appeal.assign",
                lambda: ctx.call(assign_expert, appeal_id, expert.value or ""),
                "appeal.assigned",
                reload,
            )
    if state == "under_review" and ctx.has_role("reviewer"):
        with section(ctx.t("appeal.opinion")):
            opinion = (
                ui.textarea(ctx.t("appeal.opinion"), value=appeal.expert_opinion or "")
                .classes("w-full")
                .props('data-testid="appeal-opinion"')
            )
            _action_button(
                ctx,
                "appeal.save_opinion",
                lambda: ctx.call(record_opinion, appeal_id, opinion.value or ""),
                "common.saved",
                reload,
            )
    if state == "under_review" and appeal.expert_opinion and ctx.has_role("regulator"):
        with section(ctx.t("appeal.decide")):
            decision = ui.radio(
                {"upheld": ctx.t("appeal_state.upheld"), "rejected": ctx.t("appeal_state.rejected")}, value="rejected"
            ).props("inline")
            text = ui.textarea(ctx.t("appeal.decision")).classes("w-full").props('data-testid="appeal-decision"')
            corrected = ui.number(ctx.t("appeal.corrected_value"), value=appeal.evidence.corrected_value).classes(
                "w-48"
            )

            def decide() -> None:
                value = float(corrected.value) if corrected.value is not None else None
                ctx.call(
                    decide_appeal, appeal_id, str(decision.value), text.value or "", value, reference=ctx.reference()
                )

            _action_button(ctx, "appeal.decide", decide, "appeal.decided", reload)


def _action_button(
    ctx: WebContext, label_key: str, action: Callable[[], object], success_key: str, reload: Callable[[], object]
) -> None:
    """A button that runs ``action`` (a refusal shown as a message) and reloads the page when it succeeded."""
    ui.button(ctx.t(label_key), on_click=lambda: run_action(ctx, action, success_key=success_key) and reload()).props(
        "unelevated"
    )


@web_page("/appeals/{appeal_id}", title_key="appeal.title", roles=("enterprise", "regulator", "reviewer"))
def appeal_page(ctx: WebContext, appeal_id: int) -> None:
    appeal = ctx.call(get_appeal, appeal_id)
    with ui.row().classes("items-center gap-3"):
        ui.label(ctx.t("appeal.number", id=appeal_id)).classes("text-xl font-semibold")
        ui.badge(label(ctx, "appeal_state", appeal.state), color=STATE_COLOURS.get(appeal.state, "grey")).classes(
            "text-sm px-2 py-1"
        )
    with section(ctx.t("appeal.facts")):
        _facts(ctx, appeal)
    _step(ctx, appeal)
