"""The audit log viewer (审计日志, admin): the tamper check (keyed chain, triggers, checkpoints outside the
database) with its problems and notes, and the newest rows, filtered by entity, id, actor or action, with
before/after of each change.
"""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from dualcarbon.accounts.schemas import AuditEntry
from dualcarbon.accounts.service_audit import AuditQuery, list_audit, verify_audit
from dualcarbon.ui.web.formatting import label, when
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table

AUDIT_COLUMNS = (
    Column("id", "audit.id", numeric=True, width=90),
    Column("at", "audit.at", width=230),
    Column("actor", "audit.actor", width=120),
    Column("action", "audit.action", width=170),
    Column("entity", "audit.entity", width=130),
    Column("entity_id", "audit.entity_id", width=190),
    Column("before", "audit.before", tooltip=True),
    Column("after", "audit.after", tooltip=True),
)
MAX_ROWS = 5000


def _compact(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 500 else text[:497] + "…"


def action_label(ctx: WebContext, action: str) -> str:
    """The action in words: its own label, else "<entity> · <verb>" from the entity and verb labels (every
    subject's ``x.create`` reads as words without a label per action), else the code."""
    text = label(ctx, "audit_action", action)
    if text != action:
        return text
    entity, _, verb = action.rpartition(".")
    entity_key, verb_key = f"audit_entity.{entity}", f"audit_verb.{verb}"
    entity_text, verb_text = ctx.t(entity_key), ctx.t(verb_key)
    if entity and entity_text != entity_key and verb_text != verb_key:
        return f"{entity_text} · {verb_text}"
    return action


def audit_row(item: AuditEntry, ctx: WebContext | None = None) -> dict[str, Any]:
    """One row of the viewer: time in the display zone, action and entity in words (the code when unknown)."""
    return {
        "id": item.id,
        "at": when(item.at, ctx),
        "actor": item.actor,
        "action": action_label(ctx, item.action) if ctx else item.action,
        "entity": label(ctx, "audit_entity", item.entity) if ctx else item.entity,
        "entity_id": item.entity_id,
        "before": _compact(item.before),
        "after": _compact(item.after),
    }


def _chain_status(ctx: WebContext) -> None:
    result = ctx.call(verify_audit)
    intact = result.intact
    with ui.row().classes("dc-card items-center gap-3 w-full").props('data-testid="audit-chain"'):
        ui.icon("verified" if intact else "error", color="positive" if intact else "negative", size="2rem")
        if intact:
            ui.label(ctx.t("audit.intact", rows=result.rows)).classes("text-positive font-semibold")
        else:
            ui.label(ctx.t("audit.broken", problems=len(result.problems), rows=result.rows)).classes(
                "text-negative font-semibold"
            )
        if result.checkpoint_at:
            ui.label(ctx.t("audit.checkpoint", rows=result.checkpoint_rows, at=when(result.checkpoint_at, ctx)))
        else:
            ui.label(ctx.t("audit.no_checkpoint_yet")).classes("text-gray-600")
    for key, listed in (("audit.problems", result.problems[:50]), ("audit.warnings", result.warnings)):
        if not listed:
            continue
        with section(ctx.t(key)):
            for problem in listed:
                where = f"#{problem.row_id} " if problem.row_id else ""
                ui.label(f"{ctx.t('audit.kind.' + problem.kind)} — {where}{problem.detail}").classes("text-sm")


@web_page("/audit", title_key="nav.audit", roles=("admin",))
def audit_page(ctx: WebContext) -> None:
    _chain_status(ctx)
    with section(ctx.t("audit.rows")):
        with ui.row().classes("items-end gap-3"):
            entity = ui.input(ctx.t("audit.entity")).classes("w-40")
            entity_id = ui.input(ctx.t("audit.entity_id")).classes("w-48")
            actor = ui.input(ctx.t("audit.actor")).classes("w-40")
            action = ui.input(ctx.t("audit.action"), placeholder="report.").classes("w-40")
            apply_button = ui.button(ctx.t("audit.apply"), icon="filter_alt").props("outline")
        holder = ui.column().classes("w-full")

        def show() -> None:
            query = AuditQuery(
                entity=entity.value or None,
                entity_id=entity_id.value or None,
                actor=actor.value or None,
                action=action.value or None,
            )
            found: dict[str, Any] = {}
            if not run_action(ctx, lambda: found.update(page=ctx.call(list_audit, query, limit=MAX_ROWS))):
                return
            items, total = found["page"]
            holder.clear()
            with holder:
                if total > len(items):
                    ui.label(ctx.t("audit.truncated", shown=len(items), total=total)).classes("text-sm text-gray-600")
                data_table(
                    ctx,
                    AUDIT_COLUMNS,
                    [audit_row(i, ctx) for i in items],
                    export_name=ctx.t("nav.audit"),
                    testid="audit",
                    height="36rem",
                    page_size=50,
                )

        apply_button.on_click(show)
        show()
