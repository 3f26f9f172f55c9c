"""One period report as people read it: reported figures beside the computed ones (deviations marked),
the energy lines with their coefficients, outputs, economics, year on year, versions and review history.

Used by the report page (enterprise and regulator) and the review page. The data is the
:class:`~dualcarbon.reports.schemas.ReportDetail` of ``dualcarbon.reports.service.get_report``; nothing here
touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nicegui import ui

from dualcarbon.reports.schemas import (
    EnergyFigures,
    FigureRow,
    ReportDetail,
    ReportSummary,
    Unavailable,
    VersionDiff,
    YearOnYear,
    YoyItem,
)
from dualcarbon.reports.service import compare_versions
from dualcarbon.ui.web.formatting import data_label, label, number, period_text, rounded, when
from dualcarbon.ui.web.layout import run_action, section
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, simple_table

STATE_COLOURS = {
    "draft": "grey",
    "submitted": "blue",
    "returned": "orange",
    "approved": "positive",
    "locked": "primary",
}

FIGURE_COLUMNS = (
    Column("label", "figure.label"),
    Column("unit", "figure.unit", width=120),
    Column("reported", "figure.reported", numeric=True, digits=3, highlight_field="flagged"),
    Column("computed", "figure.computed", numeric=True, digits=3),
    Column("deviation_pct", "figure.deviation_pct", numeric=True, digits=2, highlight_field="flagged"),
    Column("flag", "figure.flag", width=120, highlight_field="flagged"),
)
ENERGY_COLUMNS = (
    Column("carrier", "energy.carrier"),
    Column("quantity", "energy.quantity", numeric=True, digits=2),
    Column("unit", "energy.unit", width=100),
    Column("use", "energy.use", width=110),
    Column("reported_tce", "energy.reported_tce", numeric=True, digits=3),
    Column("computed_tce", "energy.computed_tce", numeric=True, digits=3),
    Column("coefficient", "energy.coefficient"),
)
OUTPUT_COLUMNS = (
    Column("product", "output.product"),
    Column("benchmark_row_id", "unit.benchmark_row_id", width=130),
    Column("quantity", "output.quantity", numeric=True, digits=2),
    Column("unit", "output.unit", width=90),
    Column("reported", "output.reported_unit_consumption", numeric=True, digits=3),
    Column("computed", "output.computed_unit_consumption", numeric=True, digits=3),
    Column("consumption_unit", "output.unit_consumption_unit", width=120),
)
YOY_COLUMNS = (
    Column("label", "figure.label"),
    Column("unit", "figure.unit", width=110),
    Column("current", "yoy.current", numeric=True, digits=3),
    Column("previous", "yoy.previous", numeric=True, digits=3),
    Column("change_pct", "yoy.change_pct", numeric=True, digits=2),
)
HISTORY_COLUMNS = (
    Column("at", "history.at", width=230),
    Column("action", "history.action", width=120),
    Column("version", "report.version", numeric=True, width=90),
    Column("actor", "history.actor", width=130),
    Column("comment", "history.comment"),
)
VERSION_COLUMNS = (
    Column("version", "report.version", numeric=True, width=90),
    Column("created_at", "history.at"),
    Column("created_by", "history.actor"),
    Column("content_hash", "version.content_hash"),
)
DIFF_COLUMNS = (Column("field", "diff.field"), Column("a", "diff.a"), Column("b", "diff.b"))

REPORT_COLUMNS = (
    Column("id", "report.id", numeric=True, width=80),
    Column("period", "report.period"),
    Column("state", "report.state", width=110),
    Column("version", "report.version", numeric=True, width=90),
    Column("total_tce", "report.total_tce", numeric=True, digits=2, width=220),
    Column("total_tco2", "report.total_tco2", numeric=True, digits=2, width=180),
    Column("submitted_at", "report.submitted_at"),
    Column("approved_at", "report.approved_at"),
)


def report_row(ctx: WebContext, item: ReportSummary) -> dict[str, Any]:
    """A table row of a report summary (labels translated, figures rounded)."""
    return {
        "id": item.id,
        "credit_code": item.credit_code,
        "enterprise_name": item.enterprise_name,
        "period": period_text(ctx, item.period_kind, item.year, item.period),
        "state": label(ctx, "state", item.state),
        "version": item.version,
        "total_tce": rounded(item.total_tce_equivalent, 3),
        "total_tco2": rounded(item.total_tco2, 3),
        "submitted_at": when(item.submitted_at, ctx),
        "approved_at": when(item.approved_at, ctx),
        "flagged": item.has_flagged_deviation,
    }


#: Figure names the service composes in Chinese from a data label (``硅铁单位产品综合能耗``,
#: ``电力消费折标准煤（当量值）``): the label is kept as stored and named at display from its parts — the
#: product or carrier by its glossary row, the rest by an i18n pattern ``figure.<pattern>``.
_COMPOSED = (
    (re.compile(r"^(?P<name>.+)单位产品综合能耗$"), "unit_consumption_of", "product"),
    (re.compile(r"^(?P<name>.+)消费折标准煤（当量值）$"), "carrier_used_tce_of", "carrier"),
    (re.compile(r"^(?P<name>.+)外供折标准煤（当量值）$"), "carrier_sold_tce_of", "carrier"),
)


def figure_label(ctx: WebContext, row: FigureRow | YoyItem) -> str:
    key = f"figure.{row.key}"
    text = ctx.t(key)
    if text != key:
        return text
    if ctx.language != "en":
        return row.label
    for pattern, name, kind in _COMPOSED:
        match = pattern.match(row.label)
        if match:
            text = ctx.t(f"figure.{name}", name=data_label(ctx, match.group("name"), kind))
            return text[:1].upper() + text[1:]  # a row label starts with a capital like the named ones
    return data_label(ctx, row.label, "indicator")


def state_badge(ctx: WebContext, state: str) -> None:
    ui.badge(label(ctx, "state", state), color=STATE_COLOURS.get(state, "grey")).classes("text-sm px-2 py-1").props(
        'data-testid="report-state"'
    )


def report_header(ctx: WebContext, report: ReportDetail) -> None:
    with ui.row().classes("items-center gap-4"):
        ui.link(report.enterprise_name, f"/enterprises/{report.credit_code}").classes("text-xl font-semibold")
        ui.label(period_text(ctx, report.period_kind, report.year, report.period)).classes("text-lg")
        state_badge(ctx, report.state)
        ui.label(ctx.t("report.version_n", version=report.version)).classes("text-gray-600")
        if report.deadline:
            ui.label(ctx.t("report.deadline", date=report.deadline)).classes("text-gray-600")
    with ui.row().classes("gap-4"):
        for key, value, unit in (
            ("figure.total_tce_equivalent", report.total_tce_equivalent, ctx.t("unit.tce")),
            ("figure.total_tce_equal", report.total_tce_equal, ctx.t("unit.tce")),
            ("figure.total_tco2", report.total_tco2, ctx.t("unit.tco2")),
        ):
            with ui.column().classes("dc-card gap-0 min-w-56"):
                ui.label(ctx.t(key)).classes("text-sm text-gray-600")
                ui.label(f"{number(value, 2)} {unit}" if value is not None else ctx.t("figure.unavailable")).classes(
                    "dc-figure"
                )
    unavailable_notes(ctx, report)


def _why(ctx: WebContext, figure: Unavailable, year: int) -> tuple[str, str]:
    """(why the figure cannot be computed, what fixes it), in the page's language."""
    if figure.error == "MissingCoefficient" and "供电标准煤耗" in figure.reason:
        return ctx.t("figure.why_no_coal_rate", year=year), ctx.t("figure.fix_coal_rate", year=year)
    if figure.error == "MissingCoefficient":
        return ctx.t("figure.why_missing_reference", detail=figure.reason), ctx.t("figure.fix_reference")
    kind = ctx.t(f"error.{figure.error}") if ctx.t(f"error.{figure.error}") != f"error.{figure.error}" else ""
    return f"{kind or ctx.t('figure.unavailable')}：{figure.reason}", ctx.t("figure.fix_content")


def unavailable_notes(ctx: WebContext, report: ReportDetail) -> None:
    """Under the headline figures: for each figure that could not be computed, why, and what fixes it."""
    energy, carbon = report.computed.energy, report.computed.carbon
    missing = [
        (key, figure)
        for key, figure in (
            ("figure.total_tce_equivalent", energy.equivalent),
            ("figure.total_tce_equal", energy.equal),
            ("figure.total_tco2", carbon),
        )
        if isinstance(figure, Unavailable)
    ]
    for key, figure in missing:
        why, fix = _why(ctx, figure, report.year)
        with (
            ui.column()
            .classes("dc-card w-full gap-1")
            .style("border-left: 4px solid #f9a825")
            .props('data-testid="figure-unavailable"')
        ):
            ui.label(f"{ctx.t(key)} {ctx.t('figure.unavailable')}").classes("font-semibold")
            ui.label(why).classes("text-sm")
            ui.label(fix).classes("text-sm text-gray-700")


def figures_rows(ctx: WebContext, report: ReportDetail) -> list[dict[str, Any]]:
    return [
        {
            "label": figure_label(ctx, row),
            "unit": data_label(ctx, row.unit, "unit"),
            "reported": rounded(row.reported),
            "computed": rounded(row.computed),
            "deviation_pct": rounded(row.deviation_pct, 2),
            "flag": ctx.t("figure.flagged") if row.flagged else "",
            "flagged": row.flagged,
        }
        for row in report.figures
    ]


def _energy_rows(ctx: WebContext, report: ReportDetail) -> list[dict[str, Any]]:
    equivalent = report.computed.energy.equivalent
    computed_lines = equivalent.lines if isinstance(equivalent, EnergyFigures) else []
    rows = []
    for index, line in enumerate(report.content.energy_lines):
        info = computed_lines[index] if index < len(computed_lines) else None
        rows.append(
            {
                "carrier": data_label(ctx, info.carrier_name if info else line.carrier, "carrier"),
                "quantity": line.quantity,
                "unit": data_label(ctx, line.unit, "unit"),
                "use": label(ctx, "energy_use", line.use),
                "reported_tce": line.reported_tce,
                "computed_tce": rounded(info.tce) if info else None,
                "coefficient": f"{info.coefficient:g} {info.coefficient_unit or ''}" if info else "",
            }
        )
    return rows


def _output_rows(ctx: WebContext, report: ReportDetail) -> list[dict[str, Any]]:
    computed = report.computed.outputs
    rows = []
    for index, line in enumerate(report.content.outputs):
        info = computed[index] if index < len(computed) else None
        rows.append(
            {
                "product": data_label(ctx, line.product, "product"),
                "benchmark_row_id": line.benchmark_row_id,
                "quantity": line.quantity,
                "unit": data_label(ctx, line.unit, "unit"),
                "reported": line.reported_unit_consumption,
                "computed": rounded(info.unit_consumption) if info else None,
                "consumption_unit": (info.unit_consumption_unit if info else None) or line.unit_consumption_unit,
            }
        )
    return rows


def report_body(ctx: WebContext, report: ReportDetail, *, after_figures: Callable[[], None] | None = None) -> None:
    """Everything below the header: figures, lines, outputs, economics, year on year, versions, history.

    ``after_figures`` draws what belongs right under the reported-vs-computed table (the review box).
    """
    name = f"{report.enterprise_name}-{report.year}"
    with section(ctx.t("report.figures")):
        ui.label(ctx.t("report.tolerance", pct=f"{report.tolerance_pct:g}")).classes("text-sm text-gray-600")
        simple_table(
            ctx,
            FIGURE_COLUMNS,
            figures_rows(ctx, report),
            export_name=f"{name}-{ctx.t('report.figures')}",
            testid="figures",
        )
    if after_figures is not None:
        after_figures()
    with section(ctx.t("report.energy_section")):
        simple_table(
            ctx,
            ENERGY_COLUMNS,
            _energy_rows(ctx, report),
            export_name=f"{name}-{ctx.t('report.energy_section')}",
            testid="energy-lines",
        )
    if report.content.outputs:
        with section(ctx.t("report.output_section")):
            simple_table(
                ctx,
                OUTPUT_COLUMNS,
                _output_rows(ctx, report),
                export_name=f"{name}-{ctx.t('report.output_section')}",
                testid="outputs",
            )
    economics = report.content.economics.model_dump() if report.content.economics else {}
    if economics:
        with section(ctx.t("report.economics_section")), ui.row().classes("gap-6"):
            for key, value in economics.items():
                if value is not None:
                    with ui.column().classes("gap-0"):
                        ui.label(ctx.t(f"economics.{key}")).classes("text-sm text-gray-600")
                        ui.label(number(value, 0 if key == "employees" else 2))
    yoy = report.year_on_year
    with section(ctx.t("report.yoy")):
        if isinstance(yoy, YearOnYear):
            rows = [
                {
                    "label": figure_label(ctx, item),
                    "unit": data_label(ctx, item.unit, "unit"),
                    "current": rounded(item.current),
                    "previous": rounded(item.previous),
                    "change_pct": rounded(item.change_pct, 2),
                }
                for item in yoy.items
            ]
            simple_table(ctx, YOY_COLUMNS, rows, export_name=f"{name}-{ctx.t('report.yoy')}")
        else:
            ui.label(ctx.t("report.no_yoy")).classes("text-gray-500")
    with section(ctx.t("report.history")):
        history = [
            {
                "at": when(r.at, ctx),
                "action": label(ctx, "action", r.action),
                "version": r.version,
                "actor": r.actor,
                "comment": r.comment or "",
            }
            for r in report.reviews
        ]
        simple_table(ctx, HISTORY_COLUMNS, history, export_name=f"{name}-{ctx.t('report.history')}", testid="history")
    versions_section(ctx, report, name)


def versions_section(ctx: WebContext, report: ReportDetail, name: str) -> None:
    versions = report.versions
    with section(ctx.t("report.versions")):
        simple_table(
            ctx,
            VERSION_COLUMNS,
            [{**v.model_dump(), "created_at": when(v.created_at, ctx)} for v in versions],
            export_name=f"{name}-{ctx.t('report.versions')}",
        )
        if len(versions) < 2:
            return
        numbers = [v.version for v in versions]
        with ui.row().classes("items-end gap-3"):
            first = ui.select(numbers, value=numbers[-2], label=ctx.t("diff.a")).classes("w-28")
            second = ui.select(numbers, value=numbers[-1], label=ctx.t("diff.b")).classes("w-28")
            compare_button = ui.button(ctx.t("diff.compare")).props("outline")
        result = ui.column().classes("w-full")

        def compare() -> None:
            found: list[VersionDiff] = []

            def load() -> None:
                found.append(ctx.call(compare_versions, report.id, int(first.value), int(second.value)))

            if not run_action(ctx, load):
                return
            result.clear()
            with result:
                rows = [
                    {
                        "field": c.field,
                        "a": "" if c.a is None else str(c.a),
                        "b": "" if c.b is None else str(c.b),
                    }
                    for c in found[0].changes
                ]
                if not rows:
                    ui.label(ctx.t("diff.identical"))
                else:
                    simple_table(ctx, DIFF_COLUMNS, rows, export_name=f"{name}-{ctx.t('diff.title')}")

        compare_button.on_click(compare)
