"""One period report as people read it: reported figures beside the computed ones (deviations marked),
the energy lines with their coefficients, outputs, economics, year on year, versions and review history.

Used by the report page (enterprise and regulator) and the review page. The data is the dict of
``dualcarbon.reports.service.get_report``; nothing here touches the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from dualcarbon.reports.service import compare_versions
from dualcarbon.ui.web.formatting import label, number, period_text, rounded, when
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
    Column("at", "history.at", width=160),
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


def report_row(ctx: WebContext, item: dict[str, Any]) -> dict[str, Any]:
    from dualcarbon.ui.web.formatting import period_text, when

    return {
        "id": item["id"],
        "credit_code": item.get("credit_code"),
        "enterprise_name": item.get("enterprise_name"),
        "period": period_text(ctx, item["period_kind"], item["year"], item["period"]),
        "state": label(ctx, "state", item["state"]),
        "version": item.get("version"),
        "total_tce": rounded(item.get("total_tce_equivalent"), 3),
        "total_tco2": rounded(item.get("total_tco2"), 3),
        "submitted_at": when(item.get("submitted_at")),
        "approved_at": when(item.get("approved_at")),
        "flagged": bool(item.get("has_flagged_deviation")),
    }


def figure_label(ctx: WebContext, row: dict[str, Any]) -> str:
    key = f"figure.{row.get('key')}"
    text = ctx.t(key)
    return row.get("label", "") if text == key else text


def state_badge(ctx: WebContext, state: str) -> None:
    ui.badge(label(ctx, "state", state), color=STATE_COLOURS.get(state, "grey")).classes("text-sm px-2 py-1").props(
        'data-testid="report-state"'
    )


def report_header(ctx: WebContext, report: dict[str, Any]) -> None:
    with ui.row().classes("items-center gap-4"):
        ui.link(report["enterprise_name"], f"/enterprises/{report['credit_code']}").classes("text-xl font-semibold")
        ui.label(period_text(ctx, report["period_kind"], report["year"], report["period"])).classes("text-lg")
        state_badge(ctx, report["state"])
        ui.label(ctx.t("report.version_n", version=report["version"])).classes("text-gray-600")
        if report.get("deadline"):
            ui.label(ctx.t("report.deadline", date=report["deadline"])).classes("text-gray-600")
    computed = report.get("computed", {})
    eq = computed.get("energy", {}).get("equivalent", {})
    equal = computed.get("energy", {}).get("equal", {})
    carbon = computed.get("carbon", {})
    with ui.row().classes("gap-4"):
        for key, value, unit in (
            ("figure.total_tce_equivalent", eq.get("total_tce"), ctx.t("unit.tce")),
            ("figure.total_tce_equal", equal.get("total_tce"), ctx.t("unit.tce")),
            ("figure.total_tco2", carbon.get("total_tco2"), ctx.t("unit.tco2")),
        ):
            with ui.column().classes("dc-card gap-0 min-w-56"):
                ui.label(ctx.t(key)).classes("text-sm text-gray-600")
                ui.label(f"{number(value, 2)} {unit}" if value is not None else ctx.t("figure.unavailable")).classes(
                    "dc-figure"
                )


def figures_rows(ctx: WebContext, report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for row in report.get("figures", []):
        flagged = bool(row.get("flagged"))
        rows.append(
            {
                "label": figure_label(ctx, row),
                "unit": row.get("unit"),
                "reported": rounded(row.get("reported")),
                "computed": rounded(row.get("computed")),
                "deviation_pct": rounded(row.get("deviation_pct"), 2),
                "flag": ctx.t("figure.flagged") if flagged else "",
                "flagged": flagged,
            }
        )
    return rows


def _energy_rows(ctx: WebContext, report: dict[str, Any]) -> list[dict[str, Any]]:
    lines = report.get("content", {}).get("energy_lines", [])
    computed = report.get("computed", {}).get("energy", {}).get("equivalent", {})
    computed_lines = computed.get("lines", []) if computed.get("available") else []
    rows = []
    for index, line in enumerate(lines):
        info = computed_lines[index] if index < len(computed_lines) else {}
        coefficient = ""
        if info.get("coefficient") is not None:
            coefficient = f"{info['coefficient']:g} {info.get('coefficient_unit') or ''}"
        rows.append(
            {
                "carrier": info.get("carrier_name") or line.get("carrier"),
                "quantity": line.get("quantity"),
                "unit": line.get("unit"),
                "use": label(ctx, "energy_use", line.get("use")),
                "reported_tce": line.get("reported_tce"),
                "computed_tce": rounded(info.get("tce")),
                "coefficient": coefficient,
            }
        )
    return rows


def _output_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    outputs = report.get("content", {}).get("outputs", [])
    computed = report.get("computed", {}).get("outputs", [])
    rows = []
    for index, line in enumerate(outputs):
        info = computed[index] if index < len(computed) else {}
        rows.append(
            {
                "product": line.get("product"),
                "benchmark_row_id": line.get("benchmark_row_id"),
                "quantity": line.get("quantity"),
                "unit": line.get("unit"),
                "reported": line.get("reported_unit_consumption"),
                "computed": rounded(info.get("unit_consumption")),
                "consumption_unit": info.get("unit_consumption_unit") or line.get("unit_consumption_unit"),
            }
        )
    return rows


def report_body(ctx: WebContext, report: dict[str, Any], *, after_figures: Callable[[], None] | None = None) -> None:
    """Everything below the header: figures, lines, outputs, economics, year on year, versions, history.

    ``after_figures`` draws what belongs right under the reported-vs-computed table (the review box).
    """
    name = f"{report['enterprise_name']}-{report['year']}"
    with section(ctx.t("report.figures")):
        ui.label(ctx.t("report.tolerance", pct=f"{report.get('tolerance_pct', 0):g}")).classes("text-sm text-gray-600")
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
    if report.get("content", {}).get("outputs"):
        with section(ctx.t("report.output_section")):
            simple_table(
                ctx,
                OUTPUT_COLUMNS,
                _output_rows(report),
                export_name=f"{name}-{ctx.t('report.output_section')}",
                testid="outputs",
            )
    economics = report.get("content", {}).get("economics") or {}
    if economics:
        with section(ctx.t("report.economics_section")), ui.row().classes("gap-6"):
            for key, value in economics.items():
                if value is not None:
                    with ui.column().classes("gap-0"):
                        ui.label(ctx.t(f"economics.{key}")).classes("text-sm text-gray-600")
                        ui.label(number(value, 0 if key == "employees" else 2))
    yoy = report.get("year_on_year", {})
    with section(ctx.t("report.yoy")):
        if yoy.get("available"):
            rows = [
                {
                    "label": figure_label(ctx, item),
                    "unit": item.get("unit"),
                    "current": rounded(item.get("current")),
                    "previous": rounded(item.get("previous")),
                    "change_pct": rounded(item.get("change_pct"), 2),
                }
                for item in yoy.get("items", [])
            ]
            simple_table(ctx, YOY_COLUMNS, rows, export_name=f"{name}-{ctx.t('report.yoy')}")
        else:
            ui.label(ctx.t("report.no_yoy")).classes("text-gray-500")
    with section(ctx.t("report.history")):
        history = [
            {
                "at": when(r.get("at")),
                "action": label(ctx, "action", r.get("action")),
                "version": r.get("version"),
                "actor": r.get("actor"),
                "comment": r.get("comment") or "",
            }
            for r in report.get("reviews", [])
        ]
        simple_table(ctx, HISTORY_COLUMNS, history, export_name=f"{name}-{ctx.t('report.history')}", testid="history")
    versions_section(ctx, report, name)


def versions_section(ctx: WebContext, report: dict[str, Any], name: str) -> None:
    versions = report.get("versions", [])
    with section(ctx.t("report.versions")):
        simple_table(
            ctx,
            VERSION_COLUMNS,
            [{**v, "created_at": when(v.get("created_at"))} for v in versions],
            export_name=f"{name}-{ctx.t('report.versions')}",
        )
        if len(versions) < 2:
            return
        numbers = [v["version"] for v in versions]
        with ui.row().classes("items-end gap-3"):
            first = ui.select(numbers, value=numbers[-2], label=ctx.t("diff.a")).classes("w-28")
            second = ui.select(numbers, value=numbers[-1], label=ctx.t("diff.b")).classes("w-28")
            compare_button = ui.button(ctx.t("diff.compare")).props("outline")
        result = ui.column().classes("w-full")

        def compare() -> None:
            found: dict[str, Any] = {}

            def load() -> None:
                found.update(ctx.call(compare_versions, report["id"], int(first.value), int(second.value)))

            if not run_action(ctx, load):
                return
            result.clear()
            with result:
                rows = [
                    {
                        "field": c["field"],
                        "a": "" if c["a"] is None else str(c["a"]),
                        "b": "" if c["b"] is None else str(c["b"]),
                    }
                    for c in found.get("changes", [])
                ]
                if not rows:
                    ui.label(ctx.t("diff.identical"))
                else:
                    simple_table(ctx, DIFF_COLUMNS, rows, export_name=f"{name}-{ctx.t('diff.title')}")

        compare_button.on_click(compare)
