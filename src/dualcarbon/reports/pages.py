"""Report pages: the list of reports in scope, entering a new report, editing a draft, and one report's page
with its workflow actions (submit; approve/return for reviewers; lock/reopen for the regulator).

Workbook import (the survey template / annual-report workbook) is on the entry pages, via
``report_import.import_panel``. Saving validates first (``report_form.check_content``) and shows every
problem at its field; nothing is saved while a problem remains.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.registry.service import enterprise_detail, list_enterprises
from dualcarbon.reports.pages_form import ReportForm, check_content
from dualcarbon.reports.pages_import import import_panel
from dualcarbon.reports.pages_view import REPORT_COLUMNS, report_body, report_header, report_row
from dualcarbon.reports.schemas import ReportDetail
from dualcarbon.reports.service import (
    create_report,
    get_report,
    list_reports,
    lock,
    reopen,
    submit,
    update_draft,
)
from dualcarbon.ui.web.layout import notify_error, run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, paged_table

EDITABLE = ("draft", "returned")
LIST_COLUMNS = (
    Column("id", "report.id", numeric=True, width=80),
    Column("enterprise_name", "enterprise.name"),
    Column("credit_code", "enterprise.credit_code", width=190),
    *REPORT_COLUMNS[1:],
)


@web_page("/reports", title_key="nav.reports", roles=("enterprise", "agency", "regulator"))
def reports_page(ctx: WebContext) -> None:
    if ctx.has_role("enterprise", "agency"):
        own, _ = ctx.call(list_enterprises, None, limit=20)
        with ui.row().classes("gap-2"):
            for enterprise in own:
                ui.button(
                    ctx.t("report.new_for", name=enterprise.name),
                    icon="add",
                    on_click=lambda e=enterprise: ui.navigate.to(f"/enterprises/{e.credit_code}/reports/new"),
                ).props('unelevated data-testid="new-report"')

    def fetch(limit: int, offset: int, _search: str) -> tuple[list[dict[str, Any]], int]:
        reports, total = ctx.call(list_reports, None, limit=limit, offset=offset)
        return [report_row(ctx, r) for r in reports], total

    with section(ctx.t("report.list")):
        paged_table(  # paged on the server: the page weight does not grow with the number of reports
            ctx,
            LIST_COLUMNS,
            fetch,
            export_name=ctx.t("report.list"),
            testid="reports",
            on_row_click=lambda row: ui.navigate.to(f"/reports/{row['id']}"),
        )


def _save(ctx: WebContext, form: ReportForm, credit_code: str, report_id: int | None, *, then_submit: bool) -> None:
    content = form.content()
    problems = _problems(ctx, form, credit_code, new=report_id is None)
    if problems is None:
        return
    if problems:
        unplaced = form.show(problems)
        ui.notify(ctx.t("report.fix_problems", count=len(problems)), type="warning")
        for message in unplaced:
            ui.notify(message, type="negative", multi_line=True)
        return
    form.clear()
    saved: dict[str, Any] = {}

    def save() -> None:
        if report_id is None:
            kind, year, period = form.period()
            report = ctx.call(create_report, credit_code, kind, year, period, content, reference=ctx.reference())
            saved["id"] = report.id
        else:
            ctx.call(update_draft, report_id, content, reference=ctx.reference())
            saved["id"] = report_id
        if then_submit:
            ctx.call(submit, saved["id"])

    try:
        save()
    except DualcarbonError as exc:
        if exc.field and form.show([(exc.field, exc.message_in(ctx.language), None)]) == []:
            ui.notify(ctx.t("report.fix_problems", count=1), type="warning")
        else:
            notify_error(ctx, exc)
        if "id" in saved and report_id is None:  # created but not submitted: continue on its own page
            ui.navigate.to(f"/reports/{saved['id']}/edit")
        return
    ui.notify(ctx.t("report.submitted" if then_submit else "report.saved"), type="positive")
    ui.navigate.to(f"/reports/{saved['id']}")


def _form_page(ctx: WebContext, credit_code: str, report: ReportDetail | None) -> None:
    detail = ctx.call(enterprise_detail, credit_code)
    ui.link(detail.name, f"/enterprises/{credit_code}").classes("text-xl font-semibold")
    form = ReportForm(ctx, ctx.reference(), detail.production_units)
    period = (report.period_kind, report.year, report.period) if report else None
    report_id = report.id if report else None
    import_panel(ctx, credit_code)
    form.build(report.content.model_dump() if report else None, period, period_editable=report is None)
    with ui.row().classes("gap-3"):
        ui.button(
            ctx.t("report.check"), icon="rule", on_click=lambda: _check(ctx, form, credit_code, new=report_id is None)
        ).props('outline data-testid="check-report"')
        ui.button(
            ctx.t("report.save"),
            icon="save",
            on_click=lambda: _save(ctx, form, credit_code, report_id, then_submit=False),
        ).props('unelevated data-testid="save-report"')
        ui.button(
            ctx.t("report.save_submit"),
            icon="send",
            on_click=lambda: _save(ctx, form, credit_code, report_id, then_submit=True),
        ).props('unelevated color=secondary data-testid="submit-report"')
        if report_id is not None:  # 预填 lives in monitoring (a higher layer): reached by its URL, not an import
            ui.button(
                ctx.t("report.prefill"),
                icon="sensors",
                on_click=lambda: ui.navigate.to(f"/reports/{report_id}/prefill"),
            ).props('outline data-testid="prefill-report"')


def _problems(
    ctx: WebContext, form: ReportForm, credit_code: str, *, new: bool
) -> list[tuple[str, str, str | None]] | None:
    """The form's problems by the services' rules — for a new report also a report of the same period that
    exists already; None when the check itself failed (already shown)."""
    found: dict[str, list[tuple[str, str, str | None]]] = {}

    def check() -> None:
        period = form.period() if new else None
        found["problems"] = ctx.call(check_content, credit_code, form.content(), ctx.reference(), period, ctx.language)

    return found["problems"] if run_action(ctx, check) else None


def _check(ctx: WebContext, form: ReportForm, credit_code: str, *, new: bool) -> None:
    problems = _problems(ctx, form, credit_code, new=new)
    if problems is None:
        return
    for message in form.show(problems):
        ui.notify(message, type="negative", multi_line=True)
    if problems:
        ui.notify(ctx.t("report.fix_problems", count=len(problems)), type="warning")
    else:
        ui.notify(ctx.t("report.no_problems"), type="positive")


@web_page("/enterprises/{credit_code}/reports/new", title_key="report.new", roles=("enterprise", "agency", "regulator"))
def new_report_page(ctx: WebContext, credit_code: str) -> None:
    _form_page(ctx, credit_code, None)


@web_page("/reports/{report_id}/edit", title_key="report.edit", roles=("enterprise", "agency", "regulator"))
def edit_report_page(ctx: WebContext, report_id: int) -> None:
    report = ctx.call(get_report, report_id, reference=ctx.reference())
    if report.state not in EDITABLE:
        ui.label(ctx.t("report.not_editable")).classes("text-warning")
        ui.link(ctx.t("report.back"), f"/reports/{report_id}")
        return
    _form_page(ctx, report.credit_code, report)


def workflow_actions(ctx: WebContext, report: ReportDetail) -> None:
    """The buttons the report's state offers to this user (the services decide whether it may)."""
    report_id = report.id
    state = report.state

    def done_then_reload(action: Any, key: str) -> None:
        if run_action(ctx, action, success_key=key):
            ui.navigate.to(f"/reports/{report_id}")

    with ui.row().classes("gap-3 items-end"):
        if state in EDITABLE and ctx.has_role("enterprise", "agency", "regulator"):
            ui.button(
                ctx.t("report.edit"), icon="edit", on_click=lambda: ui.navigate.to(f"/reports/{report_id}/edit")
            ).props('outline data-testid="edit-report"')
            ui.button(
                ctx.t("report.submit"),
                icon="send",
                on_click=lambda: done_then_reload(lambda: ctx.call(submit, report_id), "report.submitted"),
            ).props('unelevated data-testid="submit-report"')
        if state == "approved" and ctx.has_role("regulator"):
            ui.button(
                ctx.t("report.lock"),
                icon="lock",
                on_click=lambda: done_then_reload(lambda: ctx.call(lock, report_id), "report.locked"),
            ).props("outline")
        if state in ("approved", "locked") and ctx.has_role("regulator"):
            comment = ui.input(ctx.t("review.comment")).classes("w-64")
            ui.button(
                ctx.t("report.reopen"),
                icon="lock_open",
                on_click=lambda: done_then_reload(
                    lambda: ctx.call(reopen, report_id, comment.value), "report.reopened"
                ),
            ).props("outline color=warning")


@web_page("/reports/{report_id}", title_key="report.title")
def report_page(ctx: WebContext, report_id: int) -> None:
    from dualcarbon.reports.pages_review import review_actions

    report = ctx.call(get_report, report_id, reference=ctx.reference())
    report_header(ctx, report)
    workflow_actions(ctx, report)

    def review() -> None:
        if report.state == "submitted" and ctx.has_role("regulator", "reviewer"):
            review_actions(ctx, report, lambda: ui.navigate.to(f"/reports/{report_id}"))

    report_body(ctx, report, after_figures=review)
