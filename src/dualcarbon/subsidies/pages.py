"""补贴申请 pages: the list in the user's scope with the budget pools, the 申报 form, and an application's page
with its facts (and where each came from), the computation trace, the pack's decisions, and the regulator's
review buttons (审核 / 批准 / 不予支持 / 拨付)."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain.decisions_zh import decision_line, with_zh
from dualcarbon.domain.rules_zh import (
    choice_labels_zh,
    choice_zh,
    claim_zh,
    trace_condition,
    where_en,
    where_zh,
    without_english_aside,
)
from dualcarbon.reference.policy import IncentiveRule, PolicyPack, clause_rendering, resolve_pack
from dualcarbon.subsidies.schemas import (
    EVIDENCE_KINDS,
    ApplicationIn,
    ApplicationOut,
    DecisionIn,
    PaymentIn,
)
from dualcarbon.subsidies.service_applications import apply, get_application, list_applications
from dualcarbon.subsidies.service_pools import list_pools
from dualcarbon.subsidies.service_review import decide, pay
from dualcarbon.ui.web.formatting import data_label, label, number, when, yes_no
from dualcarbon.ui.web.layout import figure, notify_error, run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table, simple_table

READERS = ("agency", "enterprise", "regulator", "reviewer")
WRITERS = ("agency", "enterprise", "regulator")
APPLICATION_COLUMNS = (
    Column("id", "subsidies.id", numeric=True, width=80),
    Column("rule", "subsidies.rule"),
    Column("applicant", "subsidies.applicant"),
    Column("year", "subsidies.year", numeric=True, width=90),
    Column("amount", "subsidies.amount_yuan", numeric=True, digits=2),
    Column("state", "subsidies.state", width=110),
    Column("submitted_at", "subsidies.submitted_at"),
)
POOL_COLUMNS = (
    Column("rule", "subsidies.rule"),
    Column("year", "subsidies.year", numeric=True, width=90),
    Column("region_code", "subsidies.region", width=110),
    Column("total", "subsidies.pool_total", numeric=True, digits=2),
    Column("committed", "subsidies.pool_committed", numeric=True, digits=2),
    Column("remaining", "subsidies.pool_remaining", numeric=True, digits=2),
)
FACT_COLUMNS = (
    Column("fact", "subsidies.fact"),
    Column("value", "subsidies.value"),
    Column("source", "subsidies.source", tooltip=True),
)
TRACE_COLUMNS = (
    Column("rule", "subsidies.trace_rule", tooltip=True),
    Column("clause", "subsidies.clause", tooltip=True),
    Column("condition", "subsidies.condition", tooltip=True),
    Column("value", "subsidies.value"),
    Column("passed", "subsidies.passed", width=90),
)


def _money_rule(pack: str, rule: str) -> IncentiveRule | None:
    """The pack's money rule, for its Chinese title and fact names; None when the pack no longer has it."""
    try:
        return resolve_pack(pack).incentive(rule)
    except (InvalidInput, LookupError, OSError, ValueError):
        return None


def _pack(pack: str) -> PolicyPack | None:
    """The pack, for the English renderings of its clauses; None when it is no longer shipped."""
    try:
        return resolve_pack(pack)
    except (InvalidInput, LookupError, OSError, ValueError):
        return None


def _rule_title(pack: str, rule: str) -> str:
    found = _money_rule(pack, rule)
    return found.title_zh if found else f"{pack}/{rule}"


def _trace_rule(ctx: WebContext, item: ApplicationOut, rule: str) -> str:
    """A trace line's rule by its title (the pack's or the money rule's), never its id; other ids as given."""
    if rule == item.rule_id:
        return data_label(ctx, item.rule_title_zh, "scheme")
    if rule == item.pack:
        try:
            return data_label(ctx, resolve_pack(item.pack).title_zh, "scheme")
        except (InvalidInput, LookupError, OSError, ValueError):
            return rule
    return rule


def _fact_label(ctx: WebContext, rule: IncentiveRule | None, name: str) -> str:
    """``实际放电量（kWh）`` for ``discharge_kwh`` from the pack's fact declaration (English from the glossary on
    English pages); the name when undeclared."""
    spec = rule.facts.get(name) if rule else None
    if spec is None or not spec.title_zh:
        return name
    title = data_label(ctx, spec.title_zh, "fact")
    if not spec.unit:
        return title
    return f"{title}（{spec.unit}）" if ctx.language == "zh" else f"{title} ({data_label(ctx, spec.unit, 'unit')})"


def application_row(item: ApplicationOut, ctx: WebContext) -> dict[str, Any]:
    return {
        "id": item.id,
        "rule": data_label(ctx, item.rule_title_zh, "scheme") or f"{item.pack}/{item.rule}",
        "applicant": item.applicant_name,
        "year": item.year,
        "amount": item.amount_yuan,
        "state": label(ctx, "glossary.subsidy_state", item.state),
        "submitted_at": when(item.submitted_at, ctx),
    }


@web_page("/subsidies", title_key="subsidies.title", roles=READERS)
def subsidies_page(ctx: WebContext) -> None:
    items, total = ctx.call(list_applications, limit=1000)
    with section(ctx.t("subsidies.list", count=total)):
        if ctx.has_role("agency", "enterprise", "regulator"):
            ui.button(ctx.t("subsidies.new"), icon="add", on_click=lambda: ui.navigate.to("/subsidies/new")).props(
                'unelevated data-testid="new-application"'
            )
        data_table(
            ctx,
            APPLICATION_COLUMNS,
            [application_row(i, ctx) for i in items],
            export_name=ctx.t("subsidies.title"),
            testid="subsidies",
            on_row_click=lambda row: ui.navigate.to(f"/subsidies/{row['id']}"),
        )
    if ctx.has_role("regulator", "reviewer"):
        pools = ctx.call(list_pools)
        with section(ctx.t("subsidies.pools")):
            rows = [
                {
                    "rule": data_label(ctx, _rule_title(p.pack, p.rule), "scheme"),
                    "year": p.year,
                    "region_code": p.region_code,
                    "total": p.total_yuan,
                    "committed": p.committed_yuan,
                    "remaining": p.remaining_yuan,
                }
                for p in pools
            ]
            simple_table(ctx, POOL_COLUMNS, rows, export_name=ctx.t("subsidies.pools"), testid="pools")


def _ids(text: str | None) -> list[int]:
    parts = [p for p in (text or "").replace("，", ",").split(",") if p.strip()]
    if not all(p.strip().isdigit() for p in parts):
        raise InvalidInput("report ids are whole numbers separated by commas", field="evidence.report_ids")
    return [int(p) for p in parts]


@web_page("/subsidies/new", title_key="subsidies.new", roles=WRITERS)
def new_application_page(ctx: WebContext) -> None:
    with section(ctx.t("subsidies.form")):
        code = ui.input(ctx.t("subsidies.applicant_code")).props('data-testid="applicant-code"')
        with ui.row().classes("gap-2"):
            pack = ui.input(ctx.t("subsidies.pack"), value="longgang")
            rule = ui.input(
                ctx.t("subsidies.rule_key"), placeholder="pv / storage / retrofit / emc / green / diagnosis"
            )
            year = ui.number(ctx.t("subsidies.year"), value=2023, min=2000, max=2100, precision=0)
        kind = ui.select(
            {k: label(ctx, "glossary.evidence", k) for k in EVIDENCE_KINDS},
            value="pv_generation",
            label=ctx.t("subsidies.evidence"),
        )
        with ui.row().classes("gap-2"):
            object_id = ui.number(ctx.t("subsidies.evidence_id"), min=1, precision=0)
            period_from = ui.input(ctx.t("assets.period_from"))
            period_to = ui.input(ctx.t("assets.period_to"))
        report_ids = ui.input(ctx.t("subsidies.report_ids"))
        declared = ui.textarea(ctx.t("subsidies.declared_facts"), placeholder='{"productivity_rise_pct": 25}')

        def submit() -> None:
            evidence: dict[str, Any] = {"kind": kind.value}
            number = int(object_id.value) if object_id.value else None
            id_field = {"project": "project_id", "designation": "designation_id"}.get(str(kind.value), "asset_id")
            if kind.value == "diagnosis_reports":
                try:
                    evidence["report_ids"] = _ids(report_ids.value)
                except InvalidInput as exc:
                    notify_error(ctx, exc)
                    return
            elif number is not None:
                evidence[id_field] = number
            if kind.value in ("pv_generation", "storage_discharge"):
                evidence.update(period_from=period_from.value or None, period_to=period_to.value or None)
            try:
                facts = json.loads(declared.value) if (declared.value or "").strip() else {}
            except json.JSONDecodeError:
                notify_error(ctx, InvalidInput("not valid JSON", field="declared_facts"))
                return
            payload = {
                "credit_code": (code.value or "").strip(),
                "pack": (pack.value or "").strip(),
                "rule": (rule.value or "").strip(),
                "year": int(year.value or 0),
                "evidence": evidence,
                "declared_facts": facts if isinstance(facts, dict) else {},
            }
            made: list[int] = []

            def call() -> None:
                spec = ApplicationIn.model_validate(payload)
                made.append(ctx.call(apply, spec, ctx.reference()).id)

            if run_action(ctx, call, success_key="subsidies.saved"):
                ui.navigate.to(f"/subsidies/{made[0]}")

        ui.button(ctx.t("subsidies.submit"), icon="send", on_click=submit).props('unelevated data-testid="apply"')


def _labelled(labels: dict[str, str], value: Any) -> Any:
    """A trace value that is a choice code, by its Chinese label (``labels`` is empty on English pages)."""
    return labels.get(value, value) if isinstance(value, str) else value


def _clause(ctx: WebContext, clause: str, pack: PolicyPack | None) -> str:
    """A trace line's clause: the provenance lines' marker in words; on Chinese pages without English asides; on
    English pages the pack's English rendering with the original beside it."""
    if clause == "facts":
        return ctx.t("glossary.trace_facts")
    if ctx.language == "zh":
        return without_english_aside(clause)
    shown, original = clause_rendering(pack, clause, ctx.language)
    return ctx.t("policy.with_original", rendering=shown, original=original) if original else shown


def _shown(ctx: WebContext, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else yes_no(ctx, value)
    if isinstance(value, float):
        return number(value, 4)
    return data_label(ctx, str(value), "choice")  # a pack's choice (全额上网 …) in English on English pages


@web_page("/subsidies/{application_id}", title_key="subsidies.detail", roles=READERS)
def application_page(ctx: WebContext, application_id: int) -> None:
    item = ctx.call(get_application, application_id)
    with ui.row().classes("gap-4"):
        figure(ctx.t("subsidies.amount_yuan"), number(item.amount_yuan, 2), testid="subsidy-amount")
        figure(ctx.t("subsidies.state"), label(ctx, "glossary.subsidy_state", item.state), testid="subsidy-state")
        figure(ctx.t("subsidies.eligible"), yes_no(ctx, item.eligible))
    pack = _pack(item.pack)
    with section(f"{data_label(ctx, item.rule_title_zh, 'scheme')} — {item.applicant_name}"):
        clause, original = clause_rendering(pack, item.clause, ctx.language)
        ui.label(f"{ctx.t('subsidies.clause')}：{clause}").classes("text-sm").props('data-testid="subsidy-clause"')
        if original:
            ui.label(ctx.t("policy.original", text=original)).classes("text-xs text-gray-600")
        evidence = label(ctx, "glossary.evidence", str(item.evidence.get("kind", "")))
        claims = [claim_zh(claim) if ctx.language == "zh" else claim for claim in item.claims]
        ui.label(f"{ctx.t('subsidies.evidence')}：{evidence}；{', '.join(claims) or '—'}")
        if item.decision_note:
            ui.label(f"{ctx.t('subsidies.note')}：{item.decision_note}")
        if item.payment:
            ui.label(
                f"{ctx.t('subsidies.paid')}：{item.payment.paid_on} {item.payment.voucher} "
                f"{number(item.payment.amount_yuan, 2)} {data_label(ctx, '元', 'unit')}"
            )
    rule = _money_rule(item.pack, item.rule)
    chinese = ctx.language == "zh"  # a choice that is a code (national, green_factory) by its label from the pack
    labels = choice_labels_zh(rule) if chinese else {}
    with section(ctx.t("subsidies.facts")):
        rows = [
            {
                "fact": _fact_label(ctx, rule, name),
                "value": choice_zh(rule, name, value) if chinese and isinstance(value, str) else _shown(ctx, value),
                "source": where_zh(source) if chinese else where_en(source),
            }
            for name, value in item.facts.items()
            for source in [item.fact_sources.get(name, "")]
        ]
        simple_table(ctx, FACT_COLUMNS, rows, export_name=ctx.t("subsidies.facts"), testid="facts")
    with section(ctx.t("subsidies.trace")):
        rows = [
            {
                "rule": _trace_rule(ctx, item, str(line.get("rule", ""))),
                "clause": _clause(ctx, str(line.get("clause", "")), pack),
                "condition": trace_condition(line, ctx.language, rule),
                "value": _shown(ctx, _labelled(labels, line.get("value"))),
                "passed": _shown(ctx, line.get("passed")),
            }
            for line in item.trace
        ]
        simple_table(ctx, TRACE_COLUMNS, rows, export_name=ctx.t("subsidies.trace"), testid="trace")
    if item.decisions:
        with section(ctx.t("subsidies.decisions")):
            for decision in with_zh(item.decisions, rule.decisions if rule else ()):
                ui.label(decision_line(decision, ctx.language)).classes("text-sm")
    if ctx.has_role("regulator") and item.state in ("submitted", "in_review", "approved"):
        _review_buttons(ctx, item)


def _review_buttons(ctx: WebContext, item: ApplicationOut) -> None:
    with section(ctx.t("subsidies.review")):
        if item.state == "approved":
            paid_on = ui.input(ctx.t("subsidies.paid_on"), placeholder="YYYY-MM-DD")
            voucher = ui.input(ctx.t("subsidies.voucher"))

            def record() -> None:
                body = {"paid_on": paid_on.value, "voucher": voucher.value, "lock_version": item.lock_version}

                def call() -> None:
                    ctx.call(pay, item.id, PaymentIn.model_validate(body))

                if run_action(ctx, call, success_key="subsidies.saved"):
                    ui.navigate.to(f"/subsidies/{item.id}")

            ui.button(ctx.t("subsidies.pay"), icon="payments", on_click=record).props('unelevated data-testid="pay"')
            return
        note = ui.input(ctx.t("subsidies.note")).classes("w-96")

        def act(action: str) -> None:
            spec = DecisionIn(action=action, note=note.value or None, lock_version=item.lock_version)  # type: ignore[arg-type]
            if run_action(ctx, lambda: ctx.call(decide, item.id, spec), success_key="subsidies.saved"):
                ui.navigate.to(f"/subsidies/{item.id}")

        with ui.row().classes("gap-2"):
            if item.state == "submitted":
                ui.button(ctx.t("subsidies.action.review"), on_click=lambda: act("review")).props("outline")
            ui.button(ctx.t("subsidies.action.approve"), icon="check", on_click=lambda: act("approve")).props(
                'unelevated data-testid="approve"'
            )
            ui.button(ctx.t("subsidies.action.reject"), icon="close", on_click=lambda: act("reject")).props(
                'outline color="negative"'
            )
