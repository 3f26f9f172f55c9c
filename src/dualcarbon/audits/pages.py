"""诊断/审计报告 pages: the list in the user's scope, the filing form (agencies, enterprises, regulators), and a
report's page with its energy balance, measures, the submit button and the regulator's acceptance checklist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nicegui import ui

from dualcarbon.audits.pages_obligations import obligations_sections
from dualcarbon.audits.schemas import AcceptanceIn, AuditReportIn, AuditReportOut
from dualcarbon.audits.service_reports import accept_report, create_report, get_report, list_reports, technology_choices
from dualcarbon.audits.service_reports import submit_report as submit_service
from dualcarbon.core.localtime import to_local
from dualcarbon.core.vocab import PROJECT_TYPE_ZH
from dualcarbon.ui.web.formatting import data_label, rounded, when
from dualcarbon.ui.web.i18n import translate
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table, simple_table

WRITERS = ("agency", "enterprise", "regulator")
REPORT_COLUMNS = (
    Column("id", "audits.id", numeric=True, width=80),
    Column("kind", "audits.kind", width=110),
    Column("year", "audits.year", numeric=True, width=90),
    Column("enterprise_name", "enterprise.name"),
    Column("agency", "audits.agency"),
    Column("measures", "audits.measure_count", numeric=True, width=110),
    Column("potential", "audits.potential_pct", numeric=True, digits=2, width=140),
    Column("state", "audits.state", width=110),
    Column("submitted_at", "audits.submitted_at"),
)
MEASURE_COLUMNS = (
    Column("position", "audits.id", numeric=True, width=70),
    Column("description", "audits.measure", tooltip=True),
    Column("type", "projects.type", width=120),
    Column("investment", "audits.investment_yuan", numeric=True, digits=0),
    Column("tce", "audits.saving_tce", numeric=True, digits=2),
    Column("tco2", "audits.saving_tco2", numeric=True, digits=2),
    Column("payback", "audits.payback_years", numeric=True, digits=2),
    Column("technology", "audits.technology", tooltip=True),
)
BALANCE_COLUMNS = (
    Column("carrier", "audits.carrier"),
    Column("stage", "audits.stage"),
    Column("tce", "audits.tce", numeric=True, digits=2),
)
CHECKLIST_ITEMS = ("audits.check.balance", "audits.check.measures", "audits.check.data")
#: Checklist items as stored are text (in the checker's language); an item that is one of these keys' text in
#: any language is shown in the page's. The last four are common acceptance items others write (the demo's).
KNOWN_CHECKS = (
    *CHECKLIST_ITEMS,
    "audits.check.metering",
    "audits.check.feasibility",
    "audits.check.saving_method",
    "audits.check.investment",
)
#: Notes a checker commonly writes, shown in the page's language when they match exactly.
KNOWN_NOTES = ("audits.check_note.conforms",)


def _known(ctx: WebContext, text: str | None, keys: tuple[str, ...]) -> str:
    """``text`` in the page's language when it is one of ``keys``' texts in any language; else as written."""
    if not text:
        return ""
    for key in keys:
        if text in (translate("zh", key), translate("en", key)):
            return ctx.t(key)
    return text


def report_row(ctx: WebContext, item: AuditReportOut) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": ctx.t(f"audits.kind.{item.kind}"),
        "year": item.year,
        "enterprise_name": item.enterprise_name,
        "agency": item.agency_name or "",
        "measures": len(item.measures),
        "potential": rounded(item.potential_pct),
        "state": ctx.t(f"audits.state.{item.state}"),
        "submitted_at": when(item.submitted_at, ctx),
    }


@web_page("/audits", title_key="audits.title", roles=("agency", "enterprise", "regulator", "reviewer"))
def audits_page(ctx: WebContext) -> None:
    items, total = ctx.call(list_reports, limit=1000)
    with section(ctx.t("audits.list", count=total)):
        if ctx.has_role(*WRITERS):
            ui.button(ctx.t("audits.new"), icon="add", on_click=lambda: ui.navigate.to("/audits/new")).props(
                'unelevated data-testid="new-audit"'
            )
        data_table(
            ctx,
            REPORT_COLUMNS,
            [report_row(ctx, i) for i in items],
            export_name=ctx.t("audits.title"),
            testid="audits",
            on_row_click=lambda row: ui.navigate.to(f"/audits/{row['id']}"),
        )
    obligations_sections(ctx)


def _measure_inputs(
    ctx: WebContext, holder: ui.column, rows: list[dict[str, Any]], technologies: dict[str, str] | None = None
) -> None:
    types = {code: ctx.t(f"projects.type.{code}") for code in PROJECT_TYPE_ZH}
    with holder, ui.row().classes("w-full gap-2 items-end"):
        row = {
            "description": ui.input(ctx.t("audits.measure")).classes("w-72"),
            "project_type": ui.select(types, value="other", label=ctx.t("projects.type")).classes("w-40"),
            "investment_yuan": ui.number(ctx.t("audits.investment_yuan"), min=0).classes("w-40"),
            "saving_tce_per_year": ui.number(ctx.t("audits.saving_tce"), min=0).classes("w-48"),
            "saving_tco2_per_year": ui.number(ctx.t("audits.saving_tco2"), min=0).classes("w-48"),
            "energy_price_yuan_per_tce": ui.number(ctx.t("audits.energy_price"), min=0).classes("w-48"),
            "technology_code": ui.select(  # searchable: type part of the code or name (技术目录)
                technologies or {}, label=ctx.t("audits.technology"), with_input=True, clearable=True
            )
            .classes("w-72")
            .props('data-testid="measure-technology"'),
        }
        rows.append(row)


def this_year() -> int:
    """The current year on the platform's clock (Asia/Shanghai): the form's default report year."""
    return to_local(datetime.now(UTC)).year


@web_page("/audits/new", title_key="audits.new", roles=WRITERS)
def new_audit_page(ctx: WebContext) -> None:
    measures: list[dict[str, Any]] = []
    technologies = ctx.call(technology_choices)
    with section(ctx.t("audits.form")):
        kind = ui.select(
            {"diagnosis": ctx.t("audits.kind.diagnosis"), "audit": ctx.t("audits.kind.audit")},
            value="diagnosis",
            label=ctx.t("audits.kind"),
        )
        code = ui.input(ctx.t("enterprise.credit_code")).props('data-testid="audit-credit-code"')
        year = ui.number(ctx.t("audits.year"), value=this_year(), min=2000, max=2100, precision=0)
        title = ui.input(ctx.t("audits.report_title")).classes("w-96")
        baseline = ui.number(ctx.t("audits.baseline_tce"), min=0).classes("w-56")
        due = ui.input(ctx.t("audits.due_date")).props('type=date stack-label data-testid="audit-due-date"')
        due.classes("w-56")
        holder = ui.column().classes("w-full gap-1")
        for _ in range(2):
            _measure_inputs(ctx, holder, measures, technologies)
        ui.button(
            ctx.t("audits.add_measure"),
            icon="add",
            on_click=lambda: _measure_inputs(ctx, holder, measures, technologies),
        )

        def save() -> None:
            payload = {
                "kind": kind.value,
                "credit_code": (code.value or "").strip(),
                "year": int(year.value or 0),
                "title": (title.value or "").strip(),
                "baseline_energy_tce": baseline.value or None,
                "due_date": _due(due.value),
                "measures": [
                    {key: widget.value for key, widget in m.items() if widget.value not in (None, "")}
                    for m in measures
                    if (m["description"].value or "").strip()
                ],
            }
            created: list[int] = []

            def call() -> None:
                created.append(ctx.call(create_report, AuditReportIn.model_validate(payload)).id)

            if run_action(ctx, call, success_key="audits.saved"):
                ui.navigate.to(f"/audits/{created[0]}")

        ui.button(ctx.t("audits.save"), icon="save", on_click=save).props('unelevated data-testid="save-audit"')


def _due(value: str | None) -> str | None:
    """The date input's ``YYYY-MM-DD`` (empty: no due date); a malformed one goes on to the schema's error."""
    text = (value or "").strip()
    return text or None


def _facts(ctx: WebContext, report: AuditReportOut) -> None:
    facts = [
        ("audits.kind", ctx.t(f"audits.kind.{report.kind}")),
        ("enterprise.name", report.enterprise_name),
        ("enterprise.credit_code", report.credit_code),
        ("audits.agency", report.agency_name or ""),
        ("audits.year", str(report.year)),
        ("audits.state", ctx.t(f"audits.state.{report.state}")),
        ("audits.baseline_tce", "" if report.baseline_energy_tce is None else f"{report.baseline_energy_tce:g}"),
        ("audits.potential_pct", "" if report.potential_pct is None else f"{report.potential_pct:.2f}"),
        ("audits.due_date", "" if report.due_date is None else report.due_date.isoformat()),
        ("audits.submitted_at", when(report.submitted_at, ctx)),
        ("audits.return_reason", report.return_reason or ""),
    ]
    with ui.grid(columns="12rem 1fr").classes("w-full gap-x-6 gap-y-1"):
        for key, value in facts:
            ui.label(ctx.t(key)).classes("text-gray-600")
            ui.label(value)


def _acceptance(ctx: WebContext, report: AuditReportOut) -> None:
    with section(ctx.t("audits.acceptance")).props('data-testid="acceptance"'):
        checks = []
        for key in CHECKLIST_ITEMS:
            with ui.row().classes("items-center gap-4"):
                box = ui.checkbox(ctx.t(key), value=True)
                note = ui.input(ctx.t("audits.note")).classes("w-96")
                checks.append((key, box, note))

        def decide() -> None:
            body = AcceptanceIn.model_validate(
                {
                    "checklist": [
                        {"item": ctx.t(key), "passed": bool(box.value), "note": (note.value or "").strip() or None}
                        for key, box, note in checks
                    ],
                    "lock_version": report.lock_version,
                }
            )
            if run_action(ctx, lambda: ctx.call(accept_report, report.id, body), success_key="audits.decided"):
                ui.navigate.reload()

        ui.button(ctx.t("audits.accept"), icon="fact_check", on_click=decide).props(
            'unelevated color=positive data-testid="accept-audit"'
        )


def _make_project_buttons(ctx: WebContext, report: AuditReportOut) -> None:
    """An accepted report's measures → the project form (/projects/new, which says when one already has one)."""
    with ui.row().classes("gap-2 items-center"):
        ui.label(ctx.t("audits.make_project_hint")).classes("text-sm text-gray-600")
        for measure in report.measures:
            target = f"/projects/new?report_id={report.id}&measure_id={measure.id}"
            ui.button(
                ctx.t("audits.make_project", position=measure.position),
                icon="add_task",
                on_click=lambda target=target: ui.navigate.to(target),
            ).props(f'outline dense data-testid="make-project-{measure.id}"')


@web_page("/audits/{report_id}", title_key="audits.report", roles=("agency", "enterprise", "regulator", "reviewer"))
def audit_page(ctx: WebContext, report_id: int) -> None:
    report = ctx.call(get_report, report_id)
    with section(report.title):
        _facts(ctx, report)
        if report.obligation_note is not None:  # outside the pack's obligation: a voluntary report
            obligation = report.obligation_note
            ui.label(obligation.text_zh if ctx.language == "zh" else obligation.text_en).classes(
                "text-amber-800"
            ).props('data-testid="obligation-note"')
        if report.state in ("draft", "returned") and ctx.has_role(*WRITERS):

            def submit() -> None:
                if run_action(ctx, lambda: ctx.call(submit_service, report.id), success_key="audits.submitted"):
                    ui.navigate.reload()

            ui.button(ctx.t("audits.submit"), icon="send", on_click=submit).props(
                'unelevated data-testid="submit-audit"'
            )
    with section(ctx.t("audits.balance")):
        rows = [
            {"carrier": data_label(ctx, b.carrier, "carrier"), "stage": ctx.t(f"audits.stage.{b.stage}"), "tce": b.tce}
            for b in report.balance
        ]
        simple_table(ctx, BALANCE_COLUMNS, rows, export_name=ctx.t("audits.balance"))
    with section(ctx.t("audits.measures")):
        rows = [
            {
                "position": m.position,
                "description": m.description,
                "type": m.project_type_zh if ctx.language == "zh" else ctx.t(f"projects.type.{m.project_type}"),
                "investment": m.investment_yuan,
                "tce": m.saving_tce_per_year,
                "tco2": m.saving_tco2_per_year,
                "payback": rounded(m.payback_years),
                "technology": " ".join(filter(None, (m.technology_code, m.technology_name))),
            }
            for m in report.measures
        ]
        simple_table(ctx, MEASURE_COLUMNS, rows, export_name=ctx.t("audits.measures"), testid="audit-measures")
        if report.state == "accepted" and ctx.has_role(*WRITERS):
            _make_project_buttons(ctx, report)
    if report.checklist:
        with section(ctx.t("audits.checklist")):
            for item in report.checklist:
                mark = "✔" if item.passed else "✘"
                text, note = _known(ctx, item.item, KNOWN_CHECKS), _known(ctx, item.note, KNOWN_NOTES)
                ui.label(f"{mark} {text} {note}（{item.checked_by}，{when(item.checked_at, ctx)}）")
    if report.state == "submitted" and ctx.has_role("regulator"):
        _acceptance(ctx, report)
