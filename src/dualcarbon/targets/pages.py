"""目标进度 pages: the targets the user may see with their completion and warning level, and one target's
progress (years, the annual decline still needed, capacity shares) with the regulator's form to record a year.

Labels are this module's own (:data:`LABELS`, Chinese first, English beside) until they move into the web
kit's translation tables; a label missing from those tables is shown as given.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui
from pydantic import ValidationError

from dualcarbon.reference.policy import rendering
from dualcarbon.targets.schemas import ProgressOut, YearIn
from dualcarbon.targets.service import list_targets, record_year
from dualcarbon.targets.service_progress import progress
from dualcarbon.ui.web.formatting import data_label, number
from dualcarbon.ui.web.layout import figure, run_action, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import Column, simple_table

READERS = ("regulator", "reviewer", "enterprise")
LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "目标进度",
        "target": "目标",
        "region": "地区",
        "value": "目标值",
        "year": "目标年份",
        "achieved": "完成值",
        "completion": "完成率（%）",
        "warning": "预警等级",
        "every_year": "每年",
        "not_reported": "未填报",
        "needed": "剩余年份所需",
        "record": "填报年度完成情况",
        "record_year": "年份",
        "record_value": "当年完成值",
        "save": "保存",
        "saved": "已保存",
        "pdf": "下载目标进度报告（PDF）",
        "years": "逐年进度",
        "cumulative": "累计",
        "planned": "进度要求（%）",
        "behind": "状态",
        "lagging": "滞后",
        "on_track": "正常",
        "capacity": "产能占比（据已发布能效清单目录）",
        "product": "产品",
        "benchmark_share": "标杆水平产能占比（%）",
        "below_share": "基准以下产能占比（%）",
    },
    "en": {
        "title": "Target progress",
        "target": "Target",
        "region": "Region",
        "value": "Target value",
        "year": "Target year",
        "achieved": "Achieved",
        "completion": "Completion (%)",
        "warning": "Warning",
        "every_year": "every year",
        "not_reported": "not reported",
        "needed": "Still needed",
        "record": "Record a year",
        "record_year": "Year",
        "record_value": "Achieved that year",
        "save": "Save",
        "saved": "Saved",
        "pdf": "Target progress report (PDF)",
        "years": "By year",
        "cumulative": "Cumulative",
        "planned": "Due (%)",
        "behind": "Status",
        "lagging": "Behind",
        "on_track": "On track",
        "capacity": "Capacity shares (published catalog)",
        "product": "Product",
        "benchmark_share": "At benchmark (%)",
        "below_share": "Below baseline (%)",
    },
}
LEVELS = {
    "zh": {"green": "绿色", "yellow": "黄色预警", "orange": "橙色预警", "red": "红色预警"},
    "en": {"green": "Green", "yellow": "Yellow warning", "orange": "Orange warning", "red": "Red warning"},
}
#: Levels whose cell is marked (as a deviation) in the list, so the red and orange rows stand out.
ALARMING = ("orange", "red")


def _figure(value: float | None) -> str:
    """A target figure: whole numbers (counts: 100 项) without decimals, others with two."""
    if value is None:
        return ""
    return number(value, 0 if float(value).is_integer() else 2)


def label(ctx: WebContext, key: str) -> str:
    return LABELS.get(ctx.language, LABELS["zh"]).get(key, LABELS["zh"][key])


def _needed(ctx: WebContext, item: ProgressOut) -> str:
    """The annual decline still needed, in the page's language."""
    text = item.required_text_en if ctx.language == "en" else item.required_text_zh
    return text or item.required_text_zh or ""


def _notes(ctx: WebContext, item: ProgressOut) -> list[str]:
    """The progress notes in the page's language (the Chinese when a stored result has no English)."""
    if ctx.language == "en" and len(item.notes_en) == len(item.notes):
        return item.notes_en
    return item.notes


def _row(ctx: WebContext, item: ProgressOut) -> dict[str, Any]:
    target = item.target
    unit = data_label(ctx, item.achieved_unit, "unit")
    achieved = label(ctx, "not_reported") if item.achieved is None else f"{_figure(item.achieved)} {unit}"
    return {
        "id": target.id,
        "title": data_label(ctx, target.title_zh, "scheme"),
        "region": target.region_name or target.region_code,
        "value": f"{_figure(target.value)} {data_label(ctx, target.unit, 'unit')}",
        "year": str(target.target_year) if target.target_year else label(ctx, "every_year"),
        "achieved": achieved,
        "completion": item.completion_pct,
        "warning": LEVELS.get(ctx.language, LEVELS["zh"]).get(item.warning.level, item.warning.level)
        if item.warning
        else "",
        "alarming": item.warning is not None and item.warning.level in ALARMING,
        "needed": _needed(ctx, item),
    }


@web_page("/targets", title_key="nav.targets", roles=READERS)
def targets_page(ctx: WebContext) -> None:
    targets = ctx.call(list_targets)
    rows = [_row(ctx, ctx.call(progress, t.id)) for t in targets]
    columns: tuple[Column, ...] = (
        Column("title", label(ctx, "target"), tooltip=True),
        Column("region", label(ctx, "region"), width=110),
        Column("value", label(ctx, "value"), width=130),
        Column("year", label(ctx, "year"), width=116),
        Column("achieved", label(ctx, "achieved"), width=130),
        Column("completion", label(ctx, "completion"), numeric=True, digits=2, width=140),
        Column("warning", label(ctx, "warning"), width=110, highlight_field="alarming"),
    )
    if any(row["needed"] for row in rows):  # only decline targets have a rate still needed
        columns = (*columns, Column("needed", label(ctx, "needed"), tooltip=True))
    with section(f"{label(ctx, 'title')}（{len(rows)}）"):
        regions = sorted({t.region_code for t in targets})
        for code in regions:
            ui.link(
                f"{label(ctx, 'pdf')} · {code}", f"/api/v1/documents/target_progress?region_code={code}", new_tab=True
            )
        simple_table(
            ctx,
            columns,
            rows,
            export_name=label(ctx, "title"),
            testid="targets",
            on_row_click=lambda row: ui.navigate.to(f"/targets/{row['id']}"),
        )


@web_page("/targets/{target_id}", title_key="nav.targets", roles=READERS)
def target_page(ctx: WebContext, target_id: int) -> None:
    item = ctx.call(progress, target_id)
    target = item.target
    with section(data_label(ctx, target.title_zh, "scheme")):
        with ui.row().classes("gap-4"):
            figure(label(ctx, "value"), f"{_figure(target.value)} {data_label(ctx, target.unit, 'unit')}")
            unit = data_label(ctx, item.achieved_unit, "unit")
            shown = "—" if item.achieved is None else f"{_figure(item.achieved)} {unit}"
            figure(label(ctx, "achieved"), shown)
            figure(label(ctx, "completion"), "—" if item.completion_pct is None else number(item.completion_pct))
            if item.warning:
                figure(label(ctx, "warning"), data_label(ctx, item.warning.label_zh, "level"), testid="target-warning")
        if item.required_text_zh:
            ui.label(_needed(ctx, item)).props('data-testid="target-needed"')
        if target.clause:
            clause, original = rendering(target.clause, target.clause_en, ctx.language)
            ui.label(f"{target.pack_id} {clause}").classes("text-sm text-gray-600").props('data-testid="target-clause"')
            if original:
                ui.label(ctx.t("policy.original", text=original)).classes("text-xs text-gray-600")
        for note in _notes(ctx, item):
            ui.label(note).classes("text-sm text-gray-600")
    if item.years:
        with section(label(ctx, "years")):
            simple_table(
                ctx,
                (
                    Column("year", label(ctx, "record_year"), numeric=True, width=90),
                    Column("achieved", label(ctx, "record_value"), numeric=True, digits=2),
                    Column("cumulative", label(ctx, "cumulative"), numeric=True, digits=2),
                    Column("completion", label(ctx, "completion"), numeric=True, digits=2),
                    Column("planned", label(ctx, "planned"), numeric=True, digits=2),
                    Column("behind", label(ctx, "behind")),
                ),
                [
                    {
                        "year": y.year,
                        "achieved": y.achieved,
                        "cumulative": y.cumulative,
                        "completion": y.completion_pct,
                        "planned": y.planned_pct,
                        "behind": "" if y.behind is None else label(ctx, "lagging" if y.behind else "on_track"),
                    }
                    for y in item.years
                ],
                export_name=target.title_zh,
                testid="target-years",
            )
    if item.capacity:
        with section(label(ctx, "capacity")):
            simple_table(
                ctx,
                (
                    Column("product", label(ctx, "product")),
                    Column("benchmark", label(ctx, "benchmark_share"), numeric=True, digits=2),
                    Column("below", label(ctx, "below_share"), numeric=True, digits=2),
                ),
                [
                    {
                        "product": data_label(ctx, c.product, "product"),
                        "benchmark": c.benchmark_share_pct,
                        "below": c.below_baseline_share_pct,
                    }
                    for c in item.capacity
                ],
                export_name=label(ctx, "capacity"),
                testid="target-capacity",
            )
    if ctx.has_role("regulator") and not target.measure.startswith("catalog_"):
        with section(label(ctx, "record")):
            start = item.as_of_year + 1 if item.as_of_year else None
            year = ui.number(label(ctx, "record_year"), value=start, format="%d")
            value = ui.number(label(ctx, "record_value"))

            def save() -> None:
                try:
                    spec = YearIn(year=int(year.value or 0), achieved=value.value, lock_version=target.lock_version)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    ui.notify(f"{'.'.join(str(p) for p in first['loc'])}：{first['msg']}", type="negative")
                    return
                if run_action(ctx, lambda: ctx.call(record_year, target_id, spec), success_key=label(ctx, "saved")):
                    ui.navigate.reload()

            ui.button(label(ctx, "save"), on_click=save).props('unelevated data-testid="target-record"')
