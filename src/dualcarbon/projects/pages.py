"""项目库 pages: the library with filters and totals, a project's page (milestones, documents with hashes, the
lifecycle buttons, the verified saving), an enterprise's plan (一企一策) and the completion-shares table.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.vocab import PROJECT_STATES, PROJECT_TYPES
from dualcarbon.projects.pages_controls import (
    demonstration_switch,
    documents_section,
    milestones_section,
    verification_form,
)
from dualcarbon.projects.pages_verification import verification_source_section
from dualcarbon.projects.schemas import ProjectOut, TransitionIn
from dualcarbon.projects.service_lifecycle import exit_candidates, transition
from dualcarbon.projects.service_projects import get_plan, get_project, list_projects
from dualcarbon.projects.service_shares import completion_shares, library_totals
from dualcarbon.projects.service_verification import stored_verification
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.ui.web.formatting import number, rounded, when
from dualcarbon.ui.web.i18n import has_key
from dualcarbon.ui.web.layout import figure, run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table, simple_table

READERS = ("agency", "enterprise", "regulator", "reviewer")
PROJECT_COLUMNS = (
    Column("id", "projects.id", numeric=True, width=80),
    Column("enterprise_name", "enterprise.name"),
    Column("name", "projects.name", tooltip=True),
    Column("type", "projects.type", width=120),
    Column("state", "projects.state", width=120),
    Column("tce", "projects.saving_tce", numeric=True, digits=2),
    Column("tco2", "projects.saving_tco2", numeric=True, digits=2),
    Column("verified", "projects.verified_tce", numeric=True, digits=2),
    Column("deadline", "projects.deadline", width=120),
    Column("demonstration", "projects.demonstration", width=100),
)
SHARE_COLUMNS = (
    Column("year", "projects.year", numeric=True, width=90),
    Column("required", "projects.required_pct", numeric=True, digits=1),
    Column("required_cum", "projects.required_cumulative_pct", numeric=True, digits=1),
    Column("planned", "projects.planned", numeric=True),
    Column("done", "projects.done", numeric=True),
    Column("done_cum", "projects.done_cumulative_pct", numeric=True, digits=1),
    Column("status", "projects.share_status", width=170, highlight_field="behind"),
)
OUTSIDE_COLUMNS = (
    Column("id", "projects.id", numeric=True, width=80),
    Column("credit_code", "enterprise.credit_code", width=220),
    Column("name", "projects.name", tooltip=True),
    Column("state", "projects.state", width=120),
    Column("deadline", "projects.deadline", width=120),
)
EXIT_COLUMNS = (
    Column("id", "projects.id", numeric=True, width=80),
    Column("enterprise_name", "enterprise.name"),
    Column("product", "projects.exit.product"),
    Column("listed_on", "projects.exit.listed_on", width=120),
    Column("deadline", "projects.deadline", width=120),
    Column("state", "projects.state", width=120),
    Column("reason", "projects.exit.reason", tooltip=True),
)
#: action → roles that see its button (the service checks again)
ACTIONS = {
    "approve": ("regulator",),
    "start": ("agency", "enterprise", "regulator"),
    "complete": ("agency", "enterprise", "regulator"),
    "exit": ("regulator",),
}
ACTION_FROM = {
    "approve": ("proposed",),
    "start": ("approved",),
    "complete": ("in_progress", "overdue"),
    "exit": ("proposed", "approved", "in_progress", "overdue"),
}


def project_row(ctx: WebContext, item: ProjectOut) -> dict[str, Any]:
    return {
        "id": item.id,
        "enterprise_name": item.enterprise_name,
        "name": item.name,
        "type": item.project_type_zh if ctx.language == "zh" else ctx.t(f"projects.type.{item.project_type}"),
        "state": ctx.t(f"projects.state.{item.state}"),
        "tce": rounded(item.saving_tce_per_year),
        "tco2": rounded(item.saving_tco2_per_year),
        "verified": rounded(item.verified_tce_per_year),
        "deadline": str(item.deadline or ""),
        "demonstration": ctx.t("projects.yes") if item.demonstration else "",
    }


@web_page("/projects", title_key="projects.title", roles=READERS)
def projects_page(ctx: WebContext, state: str = "", project_type: str = "") -> None:
    totals = ctx.call(library_totals)
    with ui.row().classes("gap-4"):
        figure(ctx.t("projects.count"), str(totals.projects), testid="projects-count")
        figure(ctx.t("projects.expected_total"), number(totals.expected_tce_per_year), testid="projects-expected")
        figure(ctx.t("projects.verified_total"), number(totals.verified_tce_per_year), testid="projects-verified")
    with section(ctx.t("projects.library")):
        with ui.row().classes("gap-4 items-end"):
            states = {"": ctx.t("projects.all")} | {s: ctx.t(f"projects.state.{s}") for s in PROJECT_STATES}
            types = {"": ctx.t("projects.all")} | {t: ctx.t(f"projects.type.{t}") for t in PROJECT_TYPES}
            # wide enough for the label and the longest option (the labels showed as "S…"/"项…")
            state_pick = ui.select(states, value=state if state in states else "", label=ctx.t("projects.state"))
            state_pick.classes("min-w-[10rem]")
            type_pick = ui.select(
                types, value=project_type if project_type in types else "", label=ctx.t("projects.type")
            ).classes("min-w-[10rem]")
            ui.button(
                ctx.t("projects.filter"),
                on_click=lambda: ui.navigate.to(
                    f"/projects?state={state_pick.value or ''}&project_type={type_pick.value or ''}"
                ),
            )
        items, _ = ctx.call(list_projects, state=state or None, project_type=project_type or None, limit=1000)
        data_table(
            ctx,
            PROJECT_COLUMNS,
            [project_row(ctx, i) for i in items],
            export_name=ctx.t("projects.title"),
            testid="projects",
            on_row_click=lambda row: ui.navigate.to(f"/projects/{row['id']}"),
        )
    if ctx.has_role("regulator", "reviewer"):
        _exit_list(ctx)


def _exit_list(ctx: WebContext) -> None:
    """基准以下 projects past their deadline whose product has not reached the baseline (Yunnan: listed for exit;
    the regulator decides with the project's 退出 button)."""
    with section(ctx.t("projects.exit.title")):
        ui.label(ctx.t("projects.exit.hint")).classes("text-sm text-gray-600")
        rows = [
            {
                "id": c.project_id,
                "enterprise_name": c.enterprise_name,
                "product": c.product,
                "listed_on": str(c.listed_on or ""),
                "deadline": str(c.deadline),
                "state": ctx.t(f"projects.state.{c.state}"),
                "reason": c.reason,
            }
            for c in ctx.call(exit_candidates)
        ]
        if not rows:
            ui.label(ctx.t("projects.none")).props('data-testid="projects-exit-none"')
            return
        data_table(
            ctx,
            EXIT_COLUMNS,
            rows,
            export_name=ctx.t("projects.exit.title"),
            testid="projects-exit",
            on_row_click=lambda row: ui.navigate.to(f"/projects/{row['id']}"),
        )


def _facts(ctx: WebContext, project: ProjectOut) -> None:
    facts = [
        ("enterprise.name", project.enterprise_name),
        ("enterprise.credit_code", project.credit_code),
        ("projects.type", ctx.t(f"projects.type.{project.project_type}")),
        ("projects.origin", ctx.t(f"projects.origin.{project.origin}")),
        ("projects.state", ctx.t(f"projects.state.{project.state}")),
        ("projects.investment", number(project.investment_yuan, 0)),
        ("projects.saving_tce", number(project.saving_tce_per_year)),
        ("projects.saving_tco2", number(project.saving_tco2_per_year)),
        ("projects.start", str(project.start_date or "")),
        ("projects.deadline", str(project.deadline or "") + (" ⚠" if project.deadline_beyond_policy else "")),
        ("projects.completed_on", str(project.completed_on or "")),
        ("projects.verified_tce", number(project.verified_tce_per_year)),
    ]
    with ui.grid(columns="12rem 1fr").classes("w-full gap-x-6 gap-y-1"):
        for key, value in facts:
            ui.label(ctx.t(key)).classes("text-gray-600")
            ui.label(value)
    for note in project_notes(ctx, project):  # the deadline note (⚠ beside the deadline above)
        ui.label(f"⚠ {note}").classes("text-sm text-orange-700").props('data-testid="projects-warning"')


def project_notes(ctx: WebContext, project: ProjectOut) -> list[str]:
    """The project's notes in the page's language (the Chinese when an answer has no English for them)."""
    if ctx.language == "en" and len(project.warnings_en) == len(project.warnings):
        return project.warnings_en
    return project.warnings


@web_page("/projects/{project_id}", title_key="projects.project", roles=READERS)
def project_page(ctx: WebContext, project_id: int) -> None:
    project = ctx.call(get_project, project_id)
    with section(project.name):
        _facts(ctx, project)
        with ui.row().classes("gap-2"):
            for action, roles in ACTIONS.items():
                if project.state in ACTION_FROM[action] and ctx.has_role(*roles):
                    spec = TransitionIn(action=action, lock_version=project.lock_version)  # type: ignore[arg-type]

                    def act(spec: TransitionIn = spec) -> None:
                        if run_action(
                            ctx, lambda: ctx.call(transition, project_id, spec), success_key="projects.done_ok"
                        ):
                            ui.navigate.reload()

                    ui.button(ctx.t(f"projects.action.{action}"), on_click=act).props(
                        f'unelevated data-testid="project-{action}"'
                    )
        demonstration_switch(ctx, project)
        ui.link(ctx.t("projects.plan"), f"/plans/{project.credit_code}")
    _verification(ctx, project_id)
    verification_form(ctx, project)
    milestones_section(ctx, project)
    documents_section(ctx, project)


def _verification(ctx: WebContext, project_id: int) -> None:
    """The stored M&V record (节能量核定): the baseline model's fit, the reporting period and the saving."""
    record = ctx.call(stored_verification, project_id)
    if not record:
        return
    result: dict[str, Any] = record.get("result") or {}
    unit = result.get("energy_unit") or "tce"
    model = result.get("model") or {}
    terms = [t.get("kind", "") for t in model.get("terms") or []]
    shown_model = " + ".join(ctx.t(f"projects.mv.term.{kind}") for kind in terms) or ctx.t("projects.mv.term.mean")
    interval = ctx.t(f"projects.mv.interval.{result.get('interval', 'month')}")
    lines = [
        ("projects.mv.model", _aside(ctx, shown_model, f"n = {model.get('n', '')}")),
        ("projects.mv.r2", number(result.get("r2"), 4)),
        ("projects.mv.cvrmse", number(result.get("cvrmse_pct"), 2)),
        ("projects.mv.reporting", f"{result.get('reporting_periods', '')} {interval}"),
        ("projects.mv.baseline", f"{number(result.get('adjusted_baseline'), 2)} {unit}"),
        ("projects.mv.reporting_energy", f"{number(result.get('reporting_energy'), 2)} {unit}"),
        ("projects.mv.avoided", f"{number(record.get('verified_energy'), 2)} {unit}"),
        ("projects.mv.savings_pct", number(result.get("savings_pct"), 2)),
        (
            "projects.mv.fsu",
            _aside(ctx, number(result.get("fsu_pct"), 1), f"{number(result.get('fsu_confidence_pct'), 0)}%"),
        ),
        (
            "projects.verified_tce" if record.get("valid") is not False else "projects.mv.computed_tce",
            number(record.get("verified_tce_per_year"), 2),
        ),
        (
            "projects.mv.by",
            ("，" if ctx.language == "zh" else ", ").join(
                [str(record.get("verified_by", "")), when(record.get("verified_at"), ctx)]
            ),
        ),
    ]
    with section(ctx.t("projects.mv.title")):
        if record.get("valid") is False:  # 未通过验证: kept and shown, its saving neither summed nor claimable
            ui.label(ctx.t("projects.mv.not_valid")).classes("text-base font-bold text-red-700").props(
                'data-testid="projects-mv-not-valid"'
            )
            for reason in record.get("invalid_reasons") or []:
                text, detail = mv_warning_text(ctx, reason)
                ui.label(f"✖ {text}").classes("text-sm text-red-700").props(
                    'data-testid="projects-mv-invalid-reason"'
                ).tooltip(detail)
        with ui.grid(columns="12rem 1fr").classes("w-full gap-x-6 gap-y-1"):
            for key, value in lines:
                ui.label(ctx.t(key)).classes("text-gray-600")
                ui.label(value).props(f'data-testid="{key.replace(".", "-")}"')
        failing = {str(w.get("code")) for w in record.get("invalid_reasons") or [] if isinstance(w, dict)}
        for warning in result.get("warnings") or []:
            if isinstance(warning, dict) and warning.get("code") in failing:
                continue  # shown above as a reason
            text, detail = mv_warning_text(ctx, warning)
            ui.label(f"⚠ {text}").classes("text-sm text-orange-700").props('data-testid="projects-mv-warning"').tooltip(
                detail
            )
        verification_source_section(ctx, record)  # 数据来源: what the figures above were computed from


def _aside(ctx: WebContext, text: str, aside: str) -> str:
    """``text（aside）`` on Chinese pages, ``text (aside)`` on English ones."""
    return f"{text}（{aside}）" if ctx.language == "zh" else f"{text} ({aside})"


def mv_warning_text(ctx: WebContext, warning: Any) -> tuple[str, str]:
    """A stored M&V warning ({code, message, data}) as a sentence in the page's language (its figures filled
    in, the reference row named) and the original English message for the tooltip."""
    if not isinstance(warning, dict):
        return str(warning), str(warning)
    code = str(warning.get("code") or "")
    message = str(warning.get("message") or code)
    raw = warning.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    values = {k: v for k, v in data.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
    criterion = f"projects.mv.criterion.{values.get('criterion')}"
    if has_key("zh", criterion):  # the criterion's reader-facing name instead of its column name
        values["criterion"] = ctx.t(criterion)
    period = f"projects.mv.period.{values.get('period')}"
    values["period_name"] = ctx.t(period) if has_key("zh", period) else ""  # which period (基期/报告期)
    key = f"projects.mv.warning.{code}"
    text = ctx.t(key, **values) if has_key("zh", key) else f"{ctx.t('projects.mv.warning.other')}：{message}"
    if "{" in text:  # a figure the sentence needs is missing: show the original message instead
        text = f"{ctx.t('projects.mv.warning.other')}：{message}"
    if values.get("row_id"):
        text += ctx.t("projects.mv.warning.row", row_id=values["row_id"])
    return text, message


@web_page("/plans/{credit_code}", title_key="projects.plan", roles=READERS)
def plan_page(ctx: WebContext, credit_code: str) -> None:
    plan = ctx.call(get_plan, credit_code)
    with section(plan.title):
        ui.label(_aside(ctx, plan.enterprise_name, plan.credit_code))
        if plan.note:
            ui.label(plan.note).classes("text-sm text-gray-600")
        with ui.row().classes("gap-4"):
            figure(ctx.t("projects.expected_total"), number(plan.expected_tce_per_year))
            figure(ctx.t("projects.verified_total"), number(plan.verified_tce_per_year))
        simple_table(
            ctx,
            PROJECT_COLUMNS,
            [project_row(ctx, p) for p in plan.projects],
            export_name=plan.title,
            testid="plan-projects",
            on_row_click=lambda row: ui.navigate.to(f"/projects/{row['id']}"),
        )


def _shares_source(ctx: WebContext, pack: str, schedule_id: str, source: str) -> str:
    """The schedule's document and clause; on English pages the clause in the pack's English rendering, with the
    original beside it."""
    if ctx.language != "en":
        return source
    try:
        quoted = resolve_pack(pack).source_of(schedule_id)
    except (InvalidInput, OSError, ValueError):
        return source
    if quoted is None or not quoted.clause_en or not source.endswith(quoted.clause):
        return source
    english = source.removesuffix(quoted.clause) + quoted.clause_en
    return ctx.t("policy.with_original", rendering=english, original=source)


@web_page("/projects-shares", title_key="projects.shares", roles=("regulator", "reviewer"))
def shares_page(ctx: WebContext, region_code: str = "") -> None:
    region = region_code or next(iter(ctx.principal.region_roots("regulator", "reviewer")), "")
    with section(ctx.t("projects.shares")):
        with ui.row().classes("items-end gap-2"):
            box = ui.input(ctx.t("projects.region"), value=region)
            ui.button(
                ctx.t("projects.filter"), on_click=lambda: ui.navigate.to(f"/projects-shares?region_code={box.value}")
            )
        if not region:
            return
        result = ctx.call(completion_shares, region)
        ui.label(ctx.t("projects.shares_hint", count=result.projects, as_of=str(result.as_of))).classes(
            "text-sm text-gray-600"
        )
        rows = [
            {
                "year": y.year,
                "required": y.required_pct,
                "required_cum": y.required_cumulative_pct,
                "planned": y.planned,
                "done": y.done,
                "done_cum": rounded(y.done_cumulative_pct),
                "status": ctx.t(f"projects.share.{y.status}"),
                "behind": y.status == "behind",
            }
            for y in result.years
        ]
        simple_table(ctx, SHARE_COLUMNS, rows, export_name=ctx.t("projects.shares"), testid="project-shares")
        if result.source:
            shown = _shares_source(ctx, result.pack, result.schedule_id, result.source)
            ui.label(ctx.t("projects.shares_source", source=shown)).classes("text-sm text-gray-600")
        if result.outside:
            ui.label(ctx.t("projects.shares_outside", count=len(result.outside), last=result.last_year)).classes(
                "text-sm font-medium mt-2"
            )
            outside = [
                {
                    "id": o.id,
                    "credit_code": o.credit_code,
                    "name": o.name,
                    "state": ctx.t(f"projects.state.{o.state}"),
                    "deadline": str(o.deadline),
                }
                for o in result.outside
            ]
            simple_table(
                ctx, OUTSIDE_COLUMNS, outside, export_name=ctx.t("projects.shares"), testid="project-shares-outside"
            )
