"""The project page's controls beyond the lifecycle buttons (acceptance walk of #9, row 42): the 示范项目 switch,
milestone ticks, the document upload, the verification form, and ``/projects/new`` that turns an accepted
audit/diagnosis measure into a project. Each is shown only to the roles its service allows and runs the form
function of ``pages_forms`` (the API's service call); errors are notified in the page's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nicegui import events, ui

from dualcarbon.audits.service_reports import get_report
from dualcarbon.monitoring.service_meters import list_meters
from dualcarbon.projects.pages_forms import (
    REGULATORS,
    WRITERS,
    flag_demonstration,
    mark_milestone,
    project_from_measure,
    run_verification,
    upload_document,
)
from dualcarbon.projects.schemas import ProjectOut
from dualcarbon.projects.service_documents import MAX_DOCUMENT_BYTES
from dualcarbon.projects.service_projects import list_projects
from dualcarbon.projects.service_weather import stations
from dualcarbon.ui.web.formatting import data_label, number, when
from dualcarbon.ui.web.layout import run_action, section, web_page
from dualcarbon.ui.web.session import WebContext


def demonstration_switch(ctx: WebContext, project: ProjectOut) -> None:
    """示范项目: a switch for the regulator (the service checks the region), a label for everyone else."""
    if not ctx.has_role(*REGULATORS):
        return

    def flip(event: events.ValueChangeEventArguments[Any]) -> None:
        wanted = bool(event.value)
        if wanted == project.demonstration:
            return
        if run_action(
            ctx,
            lambda: flag_demonstration(ctx, project.id, wanted, project.lock_version),
            success_key="projects.demonstration_saved",
        ):
            ui.navigate.reload()
        else:
            box.set_value(project.demonstration)

    box = ui.switch(ctx.t("projects.demonstration_switch"), value=project.demonstration, on_change=flip)
    box.props('data-testid="project-demonstration"')


def milestones_section(ctx: WebContext, project: ProjectOut) -> None:
    """The milestones; writers tick one done (today) or undo it."""
    writer = ctx.has_role(*WRITERS) and project.state not in ("exited",)
    with section(ctx.t("projects.milestones")):
        if not project.milestones:
            ui.label(ctx.t("projects.none")).classes("text-sm text-gray-600")
        for milestone in project.milestones:
            with ui.row().classes("items-center gap-3"):
                mark = "✔" if milestone.done else "○"
                done_on = f"（{ctx.t('projects.milestone_done_on')} {milestone.done_on}）" if milestone.done_on else ""
                ui.label(f"{mark} {milestone.name}  {milestone.due or ''}{done_on}")
                if not writer:
                    continue

                def tick(milestone_id: int = milestone.id, done: bool = not milestone.done) -> None:
                    if run_action(
                        ctx,
                        lambda: mark_milestone(ctx, project.id, milestone_id, done),
                        success_key="projects.milestone_saved",
                    ):
                        ui.navigate.reload()

                key = "projects.milestone_undo" if milestone.done else "projects.milestone_mark"
                ui.button(ctx.t(key), on_click=tick).props(f'flat dense data-testid="milestone-{milestone.id}"')


def documents_section(ctx: WebContext, project: ProjectOut) -> None:
    """The documents with their sha256; writers upload one (kept under its hash, up to 50 MB)."""
    with section(ctx.t("projects.documents")):
        if not project.documents:
            ui.label(ctx.t("projects.none")).classes("text-sm text-gray-600")
        for document in project.documents:
            ui.label(
                f"{document.filename}  sha256 {document.sha256}  "
                f"{when(document.uploaded_at, ctx)}  {document.uploaded_by}"
            ).classes("font-mono text-sm").props('data-testid="project-document"')
        if not ctx.has_role(*WRITERS):
            return

        async def uploaded(event: events.UploadEventArguments) -> None:
            content = await event.file.read()
            if run_action(
                ctx,
                lambda: upload_document(ctx, project.id, event.file.name, content),
                success_key="projects.document_saved",
            ):
                ui.navigate.reload()
            else:
                upload.reset()

        upload = (
            ui.upload(
                label=ctx.t("projects.document_upload"),
                auto_upload=True,
                max_file_size=MAX_DOCUMENT_BYTES,
                on_upload=uploaded,
                on_rejected=lambda: ui.notify(ctx.t("projects.document_too_large"), type="negative"),
            )
            .props('data-testid="project-upload"')
            .classes("w-96")
        )


def _meter_options(ctx: WebContext, project: ProjectOut) -> dict[int, str]:
    meters = ctx.call(list_meters, project.credit_code)
    return {m.id: f"{m.id} {m.code}（{data_label(ctx, m.carrier, 'carrier')}，{m.unit}）" for m in meters}


def _station_options(ctx: WebContext) -> dict[str, str]:
    found = stations(Path(ctx.data_dir)) if ctx.data_dir is not None else []
    return {"": ctx.t("projects.verify.no_weather")} | {
        s.station: f"{s.station}（{s.first_date} – {s.last_date}）" for s in found
    }


def verification_form(ctx: WebContext, project: ProjectOut) -> None:
    """节能量核定 for the regulator of a completed project: typed periods, or meters with an optional station."""
    if project.state != "completed" or not ctx.has_role(*REGULATORS):
        return
    with section(ctx.t("projects.verify.title")).props('data-testid="project-verify"'):
        ui.label(ctx.t("projects.verify.hint")).classes("text-sm text-gray-600")
        with ui.row().classes("gap-4 items-end"):
            source = ui.toggle(
                {"periods": ctx.t("projects.verify.periods"), "meters": ctx.t("projects.verify.meters")},
                value="periods",
            ).props('data-testid="verify-source"')
            interval = ui.select(
                {"day": ctx.t("projects.mv.interval.day"), "month": ctx.t("projects.mv.interval.month")},
                value="day",
                label=ctx.t("projects.verify.interval"),
            ).classes("min-w-[8rem]")
        periods = ui.column().classes("w-full gap-2")
        with periods, ui.row().classes("w-full gap-4"):
            placeholder = "2025-01-01, 9.8, 24\n2025-01-02, 10.1, 25"
            baseline_text = ui.textarea(ctx.t("projects.verify.baseline"), placeholder=placeholder)
            baseline_text.classes("w-96").props('data-testid="verify-baseline" rows=8')
            reporting_text = ui.textarea(ctx.t("projects.verify.reporting"), placeholder=placeholder)
            reporting_text.classes("w-96").props('data-testid="verify-reporting" rows=8')
        with periods:
            ui.label(ctx.t("projects.verify.format")).classes("text-sm text-gray-600")
        meters = ui.column().classes("w-full gap-2")
        with meters:
            meter_pick = (
                ui.select(
                    _meter_options(ctx, project), multiple=True, value=[], label=ctx.t("projects.verify.meter_ids")
                )
                .classes("min-w-[24rem]")
                .props('use-chips data-testid="verify-meters"')
            )
            with ui.row().classes("gap-4"):
                dates = {
                    key: ui.input(ctx.t(f"projects.verify.{key}")).props(
                        f'type=date stack-label data-testid="verify-{key}"'
                    )
                    for key in ("baseline_from", "baseline_to", "reporting_from", "reporting_to")
                }
            station = ui.select(_station_options(ctx), value="", label=ctx.t("projects.verify.weather_station"))
            station.classes("min-w-[16rem]").props('data-testid="verify-station"')
        meters.bind_visibility_from(source, "value", value="meters")
        periods.bind_visibility_from(source, "value", value="periods")
        with ui.row().classes("gap-4 items-end"):
            reason = ui.input(ctx.t("projects.verify.adjustment_reason")).classes("w-96")
            amount = ui.number(ctx.t("projects.verify.adjustment_energy")).classes("w-56")

        def verify() -> None:
            form: dict[str, Any] = {
                "source": source.value,
                "interval": interval.value,
                "baseline_text": baseline_text.value,
                "reporting_text": reporting_text.value,
                "meter_ids": list(meter_pick.value or []),
                "weather_station": station.value,
                "adjustment_reason": reason.value,
                "adjustment_energy": amount.value,
                "lock_version": project.lock_version,
            } | {key: box.value for key, box in dates.items()}
            if run_action(ctx, lambda: run_verification(ctx, project.id, form), success_key="projects.verify.done"):
                ui.navigate.reload()

        ui.button(ctx.t("projects.verify.run"), icon="calculate", on_click=verify).props(
            'unelevated data-testid="verify-run"'
        )


@web_page("/projects/new", title_key="projects.new.title", roles=WRITERS)
def new_project_page(ctx: WebContext, report_id: str = "", measure_id: str = "") -> None:
    """An accepted report's measure → a proposed project (the form POST /projects with measure_id takes).
    The ids are read as text so that a malformed one shows this page's message, not a bare 422."""
    report = (
        ctx.call(get_report, int(report_id))
        if report_id.isascii() and report_id.isdigit() and len(report_id) < 12
        else None
    )
    wanted = int(measure_id) if measure_id.isascii() and measure_id.isdigit() and len(measure_id) < 12 else 0
    measure = next((m for m in report.measures if m.id == wanted), None) if report else None
    with section(measure.description[:80] if measure else ctx.t("projects.new.title")):
        if report is None or measure is None:
            ui.label(ctx.t("projects.new.no_measure")).classes("text-negative").props('data-testid="new-project-none"')
            return
        existing, _ = ctx.call(list_projects, credit_code=report.credit_code, limit=1000)
        made = next((p for p in existing if p.measure_id == measure.id), None)
        facts = [
            ("enterprise.name", report.enterprise_name),
            ("audits.report", f"{report.title}（{ctx.t(f'audits.state.{report.state}')}）"),
            ("audits.measure", measure.description),
            ("projects.saving_tce", number(measure.saving_tce_per_year)),
            ("projects.investment", number(measure.investment_yuan, 0)),
        ]
        with ui.grid(columns="12rem 1fr").classes("w-full gap-x-6 gap-y-1"):
            for key, value in facts:
                ui.label(ctx.t(key)).classes("text-gray-600")
                ui.label(value)
        if made is not None:
            ui.label(ctx.t("projects.new.exists")).classes("text-orange-700")
            ui.link(f"{made.id} {made.name}", f"/projects/{made.id}").props('data-testid="new-project-existing"')
            return
        name = ui.input(ctx.t("projects.name"), value=measure.description[:200]).classes("w-96")
        with ui.row().classes("gap-4"):
            start = ui.input(ctx.t("projects.start")).props('type=date stack-label data-testid="new-project-start"')
            deadline = ui.input(ctx.t("projects.deadline")).props(
                'type=date stack-label data-testid="new-project-deadline"'
            )
        ui.label(ctx.t("projects.new.deadline_hint")).classes("text-sm text-gray-600")
        with ui.row().classes("gap-4"):
            milestone = (
                ui.input(ctx.t("projects.new.milestone")).classes("w-72").props('data-testid="new-project-milestone"')
            )
            milestone_due = ui.input(ctx.t("projects.new.milestone_due")).props("type=date stack-label")

        def save() -> None:
            form = {
                "name": name.value,
                "start_date": start.value,
                "deadline": deadline.value,
                "milestone_name": milestone.value,
                "milestone_due": milestone_due.value,
            }
            created: list[int] = []
            if run_action(
                ctx,
                lambda: created.append(project_from_measure(ctx, measure.id, form).id),
                success_key="projects.new.saved",
            ):
                ui.navigate.to(f"/projects/{created[0]}")

        ui.button(ctx.t("projects.new.save"), icon="add_task", on_click=save).props(
            'unelevated data-testid="new-project-save"'
        )
