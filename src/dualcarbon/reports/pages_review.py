"""The review queue (审核队列): submitted reports in the reviewer's scope, oldest submission first, and the
approve / return-with-comment actions used on a report's page (computed figures beside the reported ones,
deviations highlighted, are shown there by ``report_view``).
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from dualcarbon.reports.pages_view import report_row
from dualcarbon.reports.schemas import ReportDetail
from dualcarbon.reports.service import approve, return_report, review_queue
from dualcarbon.ui.web.formatting import when
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table

QUEUE_COLUMNS = (
    Column("id", "report.id", numeric=True, width=80),
    Column("enterprise_name", "enterprise.name"),
    Column("credit_code", "enterprise.credit_code", width=190),
    Column("period", "report.period"),
    Column("version", "report.version", numeric=True, width=90),
    Column("total_tce", "report.total_tce", numeric=True, digits=2),
    Column("flag", "review.deviation", width=120, highlight_field="flagged"),
    Column("submitted_at", "report.submitted_at"),
)


def review_actions(ctx: WebContext, report: ReportDetail, on_done: Callable[[], None]) -> None:
    """Comment box with 审核通过 (approve) and 退回 (return; needs a comment)."""
    report_id = report.id
    with ui.column().classes("dc-card gap-2 w-full").props('data-testid="review-actions"'):
        ui.label(ctx.t("review.decide")).classes("font-semibold")
        comment = ui.textarea(ctx.t("review.comment")).classes("w-full").props('data-testid="review-comment"')

        def do(action: str) -> None:
            if action == "return" and not (comment.value or "").strip():
                comment.error = ctx.t("review.comment_required")
                return
            comment.error = None
            text = (comment.value or "").strip() or None
            if action == "approve":
                ok = run_action(ctx, lambda: ctx.call(approve, report_id, text), success_key="review.approved")
            else:
                ok = run_action(ctx, lambda: ctx.call(return_report, report_id, text), success_key="review.returned")
            if ok:
                on_done()

        with ui.row().classes("gap-3"):
            ui.button(ctx.t("review.approve"), icon="check", on_click=lambda: do("approve")).props(
                'unelevated color=positive data-testid="approve-report"'
            )
            ui.button(ctx.t("review.return"), icon="undo", on_click=lambda: do("return")).props(
                'outline color=warning data-testid="return-report"'
            )


@web_page("/review", title_key="nav.review", roles=("regulator", "reviewer"))
def review_page(ctx: WebContext) -> None:
    items, total = ctx.call(review_queue, limit=1000)
    rows = []
    for item in items:
        row = report_row(ctx, item)
        row["flag"] = ctx.t("figure.flagged") if row["flagged"] else ""
        row["submitted_at"] = when(item.submitted_at, ctx)
        rows.append(row)
    with section(ctx.t("review.queue", count=total)):
        ui.label(ctx.t("review.hint")).classes("text-sm text-gray-600")
        data_table(
            ctx,
            QUEUE_COLUMNS,
            rows,
            export_name=ctx.t("nav.review"),
            testid="review-queue",
            on_row_click=lambda row: ui.navigate.to(f"/reports/{row['id']}"),
        )
