"""Tables of the web UI: an AG Grid with filter and paging, and its "导出Excel" button.

Every table a page shows is made by :func:`data_table`. The export writes exactly what the grid shows —
the visible columns in their order, with the headers the user reads (Chinese by default), and the rows
that pass the current filter in the current sort order — to an .xlsx (xlsxwriter, in memory).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import xlsxwriter
from nicegui import events, ui

from dualcarbon.ui.web.session import WebContext
from dualcarbon.workbooks.style import HouseStyle

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# AG Grid's own texts in Chinese (paging bar, filter menu); English needs none (AG Grid's default).
_AGGRID_ZH = {
    "page": "页",
    "of": "共",
    "to": "至",
    "more": "更多",
    "next": "下一页",
    "previous": "上一页",
    "first": "首页",
    "last": "末页",
    "pageSizeSelectorLabel": "每页行数：",
    "noRowsToShow": "无数据",
    "loadingOoo": "加载中…",
    "filterOoo": "筛选…",
    "contains": "包含",
    "notContains": "不包含",
    "equals": "等于",
    "notEqual": "不等于",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "lessThan": "小于",
    "greaterThan": "大于",
    "lessThanOrEqual": "小于等于",
    "greaterThanOrEqual": "大于等于",
    "inRange": "介于",
    "andCondition": "且",
    "orCondition": "或",
    "applyFilter": "应用",
    "resetFilter": "重置",
    "clearFilter": "清除",
    "searchOoo": "搜索…",
    "selectAll": "全选",
    "ariaPageSizeSelectorLabel": "每页行数",
}


@dataclass(frozen=True)
class Column:
    """One column: the row field it shows, its header label key, and how to show it."""

    field: str
    label_key: str
    numeric: bool = False
    width: int | None = None
    digits: int | None = None  # decimals shown for numbers
    highlight_field: str | None = None  # a boolean row field: when true the cell is marked as a deviation
    tooltip: bool = False  # show the whole text on hover (long cells)


def _column_def(ctx: WebContext, column: Column) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "field": column.field,
        "headerName": ctx.t(column.label_key),
        "headerTooltip": ctx.t(column.label_key),
        "filter": "agNumberColumnFilter" if column.numeric else "agTextColumnFilter",
        "sortable": True,
        "resizable": True,
    }
    if column.width:
        definition["width"] = column.width
    else:
        definition["flex"] = 1
        definition["minWidth"] = 110
    if column.numeric:
        definition["type"] = "rightAligned"
        if column.digits is not None:
            definition[":valueFormatter"] = (
                f"p => (p.value === null || p.value === undefined || p.value === '') ? '' : "
                f"Number(p.value).toLocaleString('zh-CN', {{minimumFractionDigits: {column.digits}, "
                f"maximumFractionDigits: {column.digits}}})"
            )
    if column.tooltip:
        definition["tooltipField"] = column.field
    if column.highlight_field:
        definition["cellClassRules"] = {"dc-deviation": f"data.{column.highlight_field}"}
    return definition


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bool):
        return value
    return value


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, sheet: str = "Sheet1") -> bytes:
    """An .xlsx workbook with one sheet in the house style: the header row and ``rows`` (numbers stay numbers)."""
    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(buffer, options)
    worksheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "Sheet1")
    HouseStyle(workbook).write_table(worksheet, headers, rows)
    workbook.close()
    return buffer.getvalue()


def export_filename(base: str) -> str:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", base).strip("_") or "export"
    return f"{safe}-{date.today().isoformat()}.xlsx"


def data_table(
    ctx: WebContext,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    *,
    export_name: str,
    page_size: int = 20,
    on_row_click: Callable[[dict[str, Any]], None] | None = None,
    height: str = "28rem",
    testid: str | None = None,
    row_id_field: str | None = None,
    auto_height: bool = False,
) -> ui.aggrid:
    """An AG Grid over ``rows`` with a quick filter, column filters, paging and an 导出Excel button."""
    prepared = [{key: _cell(value) for key, value in row.items()} for row in rows]
    auto_height = auto_height or len(prepared) <= 8  # short tables take only the room their rows need
    options: dict[str, Any] = {
        "columnDefs": [_column_def(ctx, column) for column in columns],
        "rowData": prepared,
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": [10, 20, 50, 100],
        "defaultColDef": {"floatingFilter": False},
        "animateRows": False,
        "suppressCellFocus": True,
    }
    if auto_height:
        options["domLayout"] = "autoHeight"
        options["pagination"] = False
    if row_id_field:
        options[":getRowId"] = f"p => String(p.data.{row_id_field})"
    if ctx.language == "zh":
        options["localeText"] = _AGGRID_ZH
    options = {k: v for k, v in options.items() if v is not None}
    with ui.row().classes("w-full items-center gap-2"):
        search = ui.input(placeholder=ctx.t("table.search")).props("dense outlined clearable").classes("w-64")
        ui.label(ctx.t("table.count", count=len(prepared))).classes("text-sm text-gray-600")
        ui.space()
        export_button = ui.button(ctx.t("table.export"), icon="download").props("outline dense")
        if testid:
            export_button.props(f'data-testid="{testid}-export"')
    grid = ui.aggrid(options, theme="quartz").classes("w-full")
    grid.style("height: auto" if auto_height else f"height: {height}")
    if testid:
        grid.props(f'data-testid="{testid}"')

    def on_search(event: events.ValueChangeEventArguments[Any]) -> None:
        grid.run_grid_method("setGridOption", "quickFilterText", event.value or "")

    search.on_value_change(on_search)

    async def export() -> None:
        shown = await grid.get_client_data(method="filtered_sorted", timeout=10)
        headers = [ctx.t(column.label_key) for column in columns]
        body = [[row.get(column.field) for column in columns] for row in shown]
        ui.download.content(xlsx_bytes(headers, body, sheet=export_name), export_filename(export_name), XLSX_MEDIA_TYPE)

    export_button.on_click(export)
    if on_row_click is not None:
        handler = on_row_click

        def clicked(event: events.GenericEventArguments) -> None:
            data = event.args.get("data") if isinstance(event.args, dict) else None
            if isinstance(data, dict):
                handler(data)

        grid.on("cellClicked", clicked, ["data"])
        grid.classes("cursor-pointer")
    return grid


def simple_table(
    ctx: WebContext,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    *,
    export_name: str,
    testid: str | None = None,
    on_row_click: Callable[[dict[str, Any]], None] | None = None,
) -> ui.aggrid:
    """A short table sized to its rows (paged once it is long) that still filters and exports."""
    short = len(rows) <= 25
    return data_table(
        ctx,
        columns,
        rows,
        export_name=export_name,
        page_size=25,
        height="32rem",
        testid=testid,
        auto_height=short,
        on_row_click=on_row_click,
    )
