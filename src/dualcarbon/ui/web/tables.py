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

from dualcarbon.core.localtime import local_text
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
        # No type inference: AG Grid guesses a column's type from its first row, and a column whose first cell
        # looks like a date ("2024-01-01") then blanks every cell that is not one (figures, labels).
        "cellDataType": False,
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


#: Page sizes offered under a paged grid; a table's own page size is added to them (AG Grid warns, and shows
#: a blank choice, when ``paginationPageSize`` is not one of the offered sizes).
PAGE_SIZES = (10, 20, 50, 100)


def page_size_choices(page_size: int) -> list[int]:
    """The sizes the grid's page-size selector offers: the standard ones and ``page_size``, ascending."""
    return sorted({*PAGE_SIZES, page_size})


def _cell(value: Any, language: str = "zh") -> Any:
    if isinstance(value, datetime):
        return local_text(value, language)  # the display zone, labelled
    if isinstance(value, date):
        return value.isoformat()
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


def _download(ctx: WebContext, columns: Sequence[Column], body: list[list[Any]], export_name: str) -> None:
    """Send ``body`` under the columns' translated headers as the workbook ``export_name``-<date>.xlsx."""
    headers = [ctx.t(column.label_key) for column in columns]
    ui.download.content(xlsx_bytes(headers, body, sheet=export_name), export_filename(export_name), XLSX_MEDIA_TYPE)


def _clickable_rows(grid: ui.aggrid, on_row_click: Callable[[dict[str, Any]], None] | None) -> None:
    """Call ``on_row_click`` with a row's data when the row is clicked (nothing when it is None)."""
    if on_row_click is None:
        return
    handler = on_row_click

    def clicked(event: events.GenericEventArguments) -> None:
        data = event.args.get("data") if isinstance(event.args, dict) else None
        if isinstance(data, dict):
            handler(data)

    grid.on("cellClicked", clicked, ["data"])
    grid.classes("cursor-pointer")


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
    prepared = [{key: _cell(value, ctx.language) for key, value in row.items()} for row in rows]
    auto_height = auto_height or len(prepared) <= 8  # short tables take only the room their rows need
    options: dict[str, Any] = {
        "columnDefs": [_column_def(ctx, column) for column in columns],
        "rowData": prepared,
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": page_size_choices(page_size),
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
        _download(ctx, columns, [[row.get(column.field) for column in columns] for row in shown], export_name)

    export_button.on_click(export)
    _clickable_rows(grid, on_row_click)
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


#: ``fetch(limit, offset, search)`` of a :func:`paged_table`: one page of rows (already shaped for the
#: columns) and how many rows match in all; ``search`` is the text typed into the search box ("" for none).
PageFetch = Callable[[int, int, str], tuple[Sequence[dict[str, Any]], int]]
#: The most rows one export writes (the export asks the service for every matching row, up to this).
EXPORT_LIMIT = 100_000


@dataclass
class PagedTable:
    """What :func:`paged_table` made: the grid, and ``reload()`` to fetch page 1 again (after a filter the
    page owns changed)."""

    grid: ui.aggrid
    reload: Callable[[], None]


def page_count(total: int, page_size: int) -> int:
    """Pages needed for ``total`` rows, at least 1 (an empty list still shows page 1 of 1)."""
    return max(1, -(-total // page_size))


def paged_table(
    ctx: WebContext,
    columns: Sequence[Column],
    fetch: PageFetch,
    *,
    export_name: str,
    page_size: int = 20,
    searchable: bool = False,
    on_row_click: Callable[[dict[str, Any]], None] | None = None,
    height: str = "32rem",
    testid: str | None = None,
) -> PagedTable:
    """An AG Grid paged on the server: the page holds one page of rows, whatever the list's length.

    Each page (and each search, when ``searchable``) is fetched from the service as the user moves; the
    page weight does not grow with the number of rows. Sorting and column filters act within the page
    shown; the 导出Excel button writes every matching row (up to ``EXPORT_LIMIT``), fetched on click.
    """
    state: dict[str, Any] = {"page": 0, "size": page_size, "search": "", "total": 0}
    options: dict[str, Any] = {
        "columnDefs": [_column_def(ctx, column) for column in columns],
        "rowData": [],
        "pagination": False,
        "defaultColDef": {"floatingFilter": False},
        "animateRows": False,
        "suppressCellFocus": True,
    }
    if ctx.language == "zh":
        options["localeText"] = _AGGRID_ZH
    with ui.row().classes("w-full items-center gap-2"):
        search = None
        if searchable:
            search = ui.input(placeholder=ctx.t("table.search_server")).props("dense outlined clearable debounce=400")
            search.classes("w-64")
            if testid:
                search.props(f'data-testid="{testid}-search"')
        count = ui.label().classes("text-sm text-gray-600")
        ui.space()
        export_button = ui.button(ctx.t("table.export"), icon="download").props("outline dense")
        if testid:
            export_button.props(f'data-testid="{testid}-export"')
    grid = ui.aggrid(options, theme="quartz").classes("w-full").style(f"height: {height}")
    with ui.row().classes("w-full items-center gap-2 justify-end text-sm"):
        ui.label(ctx.t("table.page_size"))
        sizes = ui.select(page_size_choices(page_size), value=page_size).props("dense outlined").classes("w-20")
        previous = ui.button(icon="chevron_left").props(f'flat dense aria-label="{ctx.t("table.previous")}"')
        where = ui.label()
        following = ui.button(icon="chevron_right").props(f'flat dense aria-label="{ctx.t("table.next")}"')
    if testid:
        grid.props(f'data-testid="{testid}"')
        where.props(f'data-testid="{testid}-page"')
        sizes.props(f'data-testid="{testid}-page-size"')
        previous.props(f'data-testid="{testid}-previous"')
        following.props(f'data-testid="{testid}-next"')

    def show() -> None:
        size = int(state["size"])
        rows, total = fetch(size, int(state["page"]) * size, str(state["search"]))
        pages = page_count(total, size)
        if state["page"] >= pages:  # the list shrank (or the page size grew) under the user
            state["page"] = pages - 1
            rows, total = fetch(size, int(state["page"]) * size, str(state["search"]))
        state["total"] = total
        grid.options["rowData"] = [{key: _cell(value, ctx.language) for key, value in r.items()} for r in rows]
        grid.update()
        count.set_text(ctx.t("table.count", count=total))
        where.set_text(ctx.t("table.page", page=int(state["page"]) + 1, pages=pages))
        previous.set_enabled(state["page"] > 0)
        following.set_enabled(state["page"] < pages - 1)

    def move(step: int) -> None:
        state["page"] = max(0, int(state["page"]) + step)
        show()

    def resize(event: events.ValueChangeEventArguments[Any]) -> None:
        first_row = int(state["page"]) * int(state["size"])
        state["size"] = int(event.value or page_size)
        state["page"] = first_row // int(state["size"])  # keep the first row shown in view
        show()

    def searched(event: events.ValueChangeEventArguments[Any]) -> None:
        state["search"], state["page"] = (event.value or "").strip(), 0
        show()

    previous.on_click(lambda: move(-1))
    following.on_click(lambda: move(1))
    sizes.on_value_change(resize)
    if search is not None:
        search.on_value_change(searched)

    def export() -> None:
        rows, _ = fetch(EXPORT_LIMIT, 0, str(state["search"]))
        body = [[_cell(row.get(column.field), ctx.language) for column in columns] for row in rows]
        _download(ctx, columns, body, export_name)

    export_button.on_click(export)
    _clickable_rows(grid, on_row_click)
    show()
    return PagedTable(grid, lambda: move(-int(state["page"])))
