"""设备台账 (register with its benchmark column and the 设备对标 download), 技术目录 (search) and 余热匹配 (ranked
pairs) pages. Scope is the services' job: an enterprise sees its own lines and points, a regulator its region.
"""

from __future__ import annotations

import re
from typing import Any

from nicegui import ui

from dualcarbon.equipment.models import EQUIPMENT_TYPE_ZH
from dualcarbon.equipment.schemas import BenchmarkLine, TechnologyOut, WasteHeatMatch
from dualcarbon.equipment.service_benchmark import benchmark_scope
from dualcarbon.equipment.service_catalogues import search_technologies
from dualcarbon.equipment.service_waste_heat import match
from dualcarbon.ui.web.formatting import data_label, rounded
from dualcarbon.ui.web.layout import section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, data_table

READERS = ("enterprise", "agency", "regulator", "reviewer")
REGISTER_COLUMNS = (
    Column("enterprise_name", "enterprise.name"),
    Column("asset_code", "equipment.asset_code", width=120),
    Column("type", "equipment.type", width=110),
    Column("model", "equipment.model"),
    Column("rated_power_kw", "equipment.rated_power_kw", numeric=True, digits=2, width=120),
    Column("poles", "equipment.poles", numeric=True, width=80),
    Column("quantity", "equipment.quantity", numeric=True, width=80),
    Column("efficiency_pct", "equipment.efficiency_pct", numeric=True, digits=1, width=110),
    Column("grade", "equipment.grade", width=150),
    Column("gap", "equipment.gap_to_grade1", numeric=True, digits=2, width=120),
    Column("at_stake", "equipment.at_stake_kwh", numeric=True, digits=0, width=140),
    Column("obsolete", "equipment.obsolete", tooltip=True),
    Column("notes", "equipment.notes", tooltip=True),
)
TECHNOLOGY_COLUMNS = (
    Column("code", "equipment.tech_code", width=130),
    Column("name", "equipment.tech_name"),
    Column("field", "equipment.tech_field", width=140),
    Column("saving_rate_pct", "equipment.saving_rate_pct", numeric=True, digits=1, width=110),
    Column("payback_years", "equipment.payback_years", numeric=True, digits=1, width=120),
    Column("typical_cases", "equipment.typical_cases", tooltip=True),
    Column("cited_by", "equipment.tech_cited_by", tooltip=True),
    Column("source_batch", "equipment.source_batch", width=150),
)
MATCH_COLUMNS = (
    Column("source", "equipment.source"),
    Column("sink", "equipment.sink"),
    Column("temperatures", "equipment.temperatures", width=150),
    Column("quantity_overlap", "equipment.quantity_overlap", numeric=True, digits=2, width=110),
    Column("schedule_overlap", "equipment.schedule_overlap", numeric=True, digits=2, width=110),
    Column("distance_km", "equipment.distance_km", numeric=True, digits=2, width=110),
    Column("score", "equipment.score", numeric=True, digits=3, width=100),
    Column("notes", "equipment.notes", tooltip=True),
)


def grade_text(ctx: WebContext, line: BenchmarkLine) -> str:
    bench = line.benchmark
    if bench.below_limit:
        return ctx.t("equipment.below_limit")
    if bench.grade is not None:
        return ctx.t("equipment.grade_n", grade=bench.grade)
    return ctx.t("equipment.not_benchmarked")


#: A grading note is written "<Chinese> / <English>" (equipment/grading.py); the page shows the half in its
#: language. The separator is the first "/ " after Chinese text that an English word or figure follows.
_SEPARATOR = re.compile(r" ?/ (?=[A-Za-z0-9])")
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
#: Reference table names a note may quote; a Chinese page says the table's title (i18n ``glossary.table.*``).
_TABLES = re.compile(r"(?:参考表 )?\b(motor_efficiency_gb18613|equipment_efficiency_grades)\b")


def note_text(ctx: WebContext, note: str) -> str:
    """One grading note in the page's language: its Chinese or English half (a note without both halves as
    written); on an English page a data word left in the English half (a metric: 效率) by its glossary row; on
    a Chinese page a table name by the table's title."""
    split = next((m for m in _SEPARATOR.finditer(note) if _HAN_RUN.search(note[: m.start()])), None)
    if ctx.language == "en":
        text = note if split is None else note[split.end() :]
        return _HAN_RUN.sub(lambda m: data_label(ctx, m.group(0), "indicator"), text.replace("、", ", "))
    text = note if split is None else note[: split.start()]
    return _TABLES.sub(lambda m: ctx.t(f"glossary.table.{m.group(1)}"), text)


def register_row(ctx: WebContext, line: BenchmarkLine) -> dict[str, Any]:
    bench = line.benchmark
    kind = (
        EQUIPMENT_TYPE_ZH.get(bench.equipment_type, bench.equipment_type)
        if ctx.language == "zh"
        else bench.equipment_type
    )
    return {
        "enterprise_name": line.enterprise_name,
        "credit_code": line.credit_code,
        "asset_code": bench.asset_code,
        "type": kind,
        "model": bench.model or "",
        "rated_power_kw": bench.rated_power_kw,
        "poles": bench.poles,
        "quantity": bench.quantity,
        "efficiency_pct": bench.efficiency_pct,
        "grade": grade_text(ctx, line),
        "gap": rounded(bench.gap_to_grade1_pp),
        "at_stake": rounded(bench.energy_at_stake_kwh, 0),
        "obsolete": "；".join(f"{m.catalogue} {m.entry_code}" for m in bench.obsolete),
        "notes": "；".join(note_text(ctx, note) for note in bench.notes),
    }


@web_page("/equipment", title_key="equipment.title", roles=READERS)
def equipment_page(ctx: WebContext) -> None:
    lines = ctx.call(benchmark_scope, ctx.reference())
    codes = sorted({line.credit_code for line in lines})
    with section(ctx.t("equipment.register", count=len(lines))):
        data_table(
            ctx,
            REGISTER_COLUMNS,
            [register_row(ctx, line) for line in lines],
            export_name=ctx.t("equipment.title"),
            testid="equipment",
        )
        with ui.row().classes("gap-2"):
            for code in codes[:20]:
                ui.link(
                    ctx.t("equipment.download", code=code),
                    f"/api/v1/enterprises/{code}/equipment/benchmark.xlsx",
                    new_tab=True,
                )


def technology_row(tech: TechnologyOut, ctx: WebContext | None = None) -> dict[str, Any]:
    """A technology as a table row; its field (领域) named by the glossary in English mode."""
    row = tech.model_dump()
    # the audit measures citing it (reports the reader may see): "#report enterprise·measure"
    row["cited_by"] = "；".join(f"#{c.report_id} {c.enterprise_name}·{c.description}" for c in tech.cited_by)
    if ctx is not None and isinstance(row.get("field"), str):
        row["field"] = data_label(ctx, row["field"], "field")
    return row


@web_page("/technologies", title_key="equipment.tech_title")
def technologies_page(ctx: WebContext, q: str = "", field: str = "") -> None:
    """The technology catalogue; ``?q=`` and ``?field=`` (as in the API) fill the boxes and filter at once."""
    with section(ctx.t("equipment.tech_search")):
        with ui.row().classes("gap-2 items-end"):
            text = ui.input(ctx.t("equipment.tech_query"), value=q.strip()[:200]).props('data-testid="tech-q"')
            domain = ui.input(ctx.t("equipment.tech_field"), value=field.strip()[:100]).props(
                'data-testid="tech-field"'
            )
        holder = ui.column().classes("w-full")

        def show() -> None:
            found = ctx.call(search_technologies, text.value or None, domain.value or None)
            holder.clear()
            with holder:
                ui.label(ctx.t("equipment.tech_found", count=len(found))).classes("text-gray-600")
                data_table(
                    ctx,
                    TECHNOLOGY_COLUMNS,
                    [technology_row(t, ctx) for t in found],
                    export_name=ctx.t("equipment.tech_title"),
                    testid="technologies",
                )

        ui.button(ctx.t("equipment.search"), icon="search", on_click=show)
        show()


def match_row(ctx: WebContext, item: WasteHeatMatch) -> dict[str, Any]:
    source, sink = item.source, item.sink  # the media (烟气, 热水 …) named by the glossary in English mode
    return {
        "source": f"{source.enterprise_name}·{source.name}（{data_label(ctx, source.medium, 'carrier')}）",
        "sink": f"{sink.enterprise_name}·{sink.name}（{data_label(ctx, sink.medium, 'carrier')}）",
        "temperatures": f"{item.source.temperature_c:g} → {item.sink.temperature_c:g} °C",
        "quantity_overlap": rounded(item.quantity_overlap),
        "schedule_overlap": rounded(item.schedule_overlap),
        "distance_km": rounded(item.distance_km),
        "score": rounded(item.score),
        "notes": "；".join(item.notes),
    }


@web_page("/waste-heat", title_key="equipment.heat_title", roles=READERS)
def waste_heat_page(ctx: WebContext) -> None:
    result = ctx.call(match, ctx.reference())
    with section(ctx.t("equipment.heat_matches", count=len(result.matches))):
        weights = ("，" if ctx.language == "zh" else ", ").join(
            f"{ctx.t('equipment.weight.' + k)} {v:g}" for k, v in result.weights.items()
        )
        ui.label(
            ctx.t("equipment.heat_rules", dt=f"{result.dt_min_c:g}", km=f"{result.max_distance_km:g}", weights=weights)
        ).classes("text-gray-600")
        data_table(
            ctx,
            MATCH_COLUMNS,
            [match_row(ctx, m) for m in result.matches],
            export_name=ctx.t("equipment.heat_title"),
            testid="waste-heat",
        )
