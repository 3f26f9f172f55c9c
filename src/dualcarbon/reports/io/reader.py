"""Reading a filled annual-report workbook into report content, checking every cell first.

``read_annual_report(path)`` returns an :class:`AnnualReport`; any problem (missing sheet or column, a
number that is not one, an unknown carrier or unit, 其中 parts larger than the total …) is collected with
its sheet, Excel row and column header, and ``WorkbookInvalid`` lists them all — nothing half-read.
``origins`` maps each content field path (``energy_lines[3].unit``) back to its cell so later checks
(e.g. a unit that does not fit the carrier) can also name the sheet, row and column.

A row of 能源消费结构表 becomes up to four energy lines: 消费量 − 用作原料 − 加工转换投入 as ``fuel``,
用作原料 as ``feedstock``, 加工转换投入 as ``conversion``, 外供量 as ``sold``; the row's reported 当量值
goes on its first consumption line (deviations compare per carrier, so the split does not matter).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.core.units import parse_unit
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.reports.io.layout import (
    BASIC_ITEMS,
    BASIC_LABEL_COLUMN,
    BASIC_SHEET,
    BASIC_VALUE_COLUMN,
    ENERGY_COLUMNS,
    ENERGY_SHEET,
    PRODUCT_COLUMNS,
    PRODUCTS_SHEET,
    Column,
    header_key,
)
from dualcarbon.reports.io.template import AnnualReport
from dualcarbon.reports.service_content import (
    EconomicsIn,
    EnergyLineIn,
    EnergyUseName,
    OutputLineIn,
    ReportContent,
)
from dualcarbon.workbooks.problems import WorkbookInvalid, WorkbookProblem

HEADER_SEARCH_ROWS = 10
Origin = tuple[str, int, str | None]  # sheet, Excel row, column header


@dataclass(frozen=True)
class ReadReport(AnnualReport):
    """An :class:`AnnualReport` with ``origins``: content field path → (sheet, row, column)."""

    origins: dict[str, Origin] = field(default_factory=dict)

    def locate(self, field_path: str | None) -> Origin | None:
        """The cell of a content field path, or of its line when the exact field has no cell."""
        if not field_path:
            return None
        if field_path in self.origins:
            return self.origins[field_path]
        head = field_path.split("]")[0] + "]" if "]" in field_path else field_path
        return self.origins.get(head)


class _Cells:
    """Typed reading of cells with problems collected for one sheet."""

    def __init__(self, sheet: str, problems: list[WorkbookProblem]) -> None:
        self.sheet = sheet
        self.problems = problems

    def problem(self, row: int | None, column: str | None, reason: str) -> None:
        self.problems.append(WorkbookProblem(self.sheet, row, column, reason))

    def text(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = unicodedata.normalize("NFKC", str(value)).strip()
        return text or None

    def number(
        self, value: Any, row: int, column: str, *, integer: bool = False, non_negative: bool = True
    ) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number: float | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            cleaned = "".join(unicodedata.normalize("NFKC", value).split()).replace(",", "")
            try:
                number = float(cleaned)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            self.problem(row, column, f"不是数字：'{value}'")
            return None
        if non_negative and number < 0:
            self.problem(row, column, f"不能为负数：{value}")
            return None
        if integer and not number.is_integer():
            self.problem(row, column, f"须为整数：{value}")
            return None
        return number


def _rows(ws: Worksheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for index, values in enumerate(ws.iter_rows(values_only=True), start=1):
        yield index, tuple(values)


def _header(
    ws: Worksheet, cells: _Cells, columns: Sequence[str], required: Sequence[str]
) -> tuple[int, dict[str, int]] | None:
    """(header row, header → column index): the first of the top rows naming at least two known columns
    (or all of them when fewer); a missing required column is a problem."""
    wanted = {header_key(name): name for name in columns}
    enough = min(2, len(columns))
    for row, values in _rows(ws):
        if row > HEADER_SEARCH_ROWS:
            break
        found: dict[str, int] = {}
        for index, value in enumerate(values):
            name = wanted.get(header_key(value)) if value is not None else None
            if name is not None and name not in found:
                found[name] = index
        if len(found) >= enough:
            for name in required:
                if name not in found:
                    cells.problem(row, name, "缺少此列")
            return row, found
    cells.problem(None, None, f"前{HEADER_SEARCH_ROWS}行中找不到表头（{'、'.join(columns[:3])} …）")
    return None


def _read_basic(ws: Worksheet, problems: list[WorkbookProblem]) -> tuple[dict[str, Any], dict[str, int]]:
    """Values of 基本情况表 by item key, and the Excel row of each item."""
    cells = _Cells(BASIC_SHEET, problems)
    header = _header(ws, cells, [BASIC_LABEL_COLUMN, BASIC_VALUE_COLUMN], [BASIC_LABEL_COLUMN, BASIC_VALUE_COLUMN])
    if header is None or BASIC_LABEL_COLUMN not in header[1] or BASIC_VALUE_COLUMN not in header[1]:
        return {}, {}
    header_row, index = header
    label_at, value_at = index[BASIC_LABEL_COLUMN], index[BASIC_VALUE_COLUMN]
    items = {header_key(item.label): item for item in BASIC_ITEMS}
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for row, raw in _rows(ws):
        label = raw[label_at] if row > header_row and label_at < len(raw) else None
        item = items.get(header_key(label)) if label is not None else None
        if item is None:
            continue
        rows[item.key] = row
        value = raw[value_at] if value_at < len(raw) else None
        before = len(problems)
        if item.kind == "text":
            values[item.key] = cells.text(value)
        else:
            values[item.key] = cells.number(value, row, BASIC_VALUE_COLUMN, integer=item.kind == "integer")
        if item.required and values[item.key] is None and len(problems) == before:
            cells.problem(row, BASIC_VALUE_COLUMN, f"“{item.label}”必填")
    for item in BASIC_ITEMS:
        if item.required and item.key not in rows:
            cells.problem(None, BASIC_LABEL_COLUMN, f"缺少“{item.label}”一行")
    return values, rows


def _table(ws: Worksheet, cells: _Cells, columns: Sequence[Column]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Non-empty data rows as {key: raw value}."""
    header = _header(ws, cells, [c.header for c in columns], [c.header for c in columns if c.required])
    if header is None:
        return
    header_row, index = header
    for row, raw in _rows(ws):
        if row <= header_row:
            continue
        values = {
            c.key: raw[index[c.header]] if c.header in index and index[c.header] < len(raw) else None for c in columns
        }
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        yield row, values


_QUANTITIES = ("consumption", "feedstock", "conversion", "sold")


def _unit(cells: _Cells, text: str | None, row: int, column: str, *, required: bool) -> str | None:
    if text is None:
        if required:
            cells.problem(row, column, "必填项为空")
        return None
    try:
        parse_unit(text)
    except DualcarbonError:
        cells.problem(row, column, f"无法识别的计量单位：'{text}'")
        return None
    return text


def _read_energy(
    ws: Worksheet, problems: list[WorkbookProblem], reference: ReferenceSet, origins: dict[str, Origin]
) -> list[EnergyLineIn]:
    cells = _Cells(ENERGY_SHEET, problems)
    h = {c.key: c.header for c in ENERGY_COLUMNS}
    lines: list[EnergyLineIn] = []
    for row, raw in _table(ws, cells, ENERGY_COLUMNS):
        amounts = {key: cells.number(raw[key], row, h[key]) for key in _QUANTITIES}
        if not any(amounts.values()) and all(raw[key] is None for key in _QUANTITIES):
            continue  # a carrier listed by the template but not consumed
        before = len(problems)
        name = cells.text(raw["carrier"])
        carrier_id = None
        if name is None:
            cells.problem(row, h["carrier"], "必填项为空")
        else:
            try:
                carrier_id = reference.carrier(name).id
            except DualcarbonError:
                cells.problem(row, h["carrier"], f"未知的能源品种：'{name}'")
        unit = _unit(cells, cells.text(raw["unit"]), row, h["unit"], required=True)
        reported = cells.number(raw["reported_tce"], row, h["reported_tce"])
        measured = cells.number(raw["measured_coefficient"], row, h["measured_coefficient"])
        ncv = cells.number(raw["ncv"], row, h["ncv"])
        ncv_value, ncv_unit, ncv_column = None, None, h["ncv"]
        if measured is not None and ncv is not None:
            cells.problem(row, h["ncv"], "实测折标系数与实测低位发热量只填一个")
        elif measured is not None:
            ncv_column = h["measured_coefficient"]
            ncv_value = measured
            ncv_unit = _unit(cells, cells.text(raw["coefficient_unit"]), row, h["coefficient_unit"], required=True)
        elif ncv is not None:
            ncv_value = ncv
            ncv_unit = _unit(cells, cells.text(raw["ncv_unit"]), row, h["ncv_unit"], required=True)
        for key in ("measured_coefficient", "ncv"):
            value = measured if key == "measured_coefficient" else ncv
            if value == 0:
                cells.problem(row, h[key], "须大于0")
        total = amounts["consumption"] or 0.0
        parts = (amounts["feedstock"] or 0.0) + (amounts["conversion"] or 0.0)
        fuel = total - parts
        if fuel < -1e-9 * max(1.0, total):
            cells.problem(row, h["consumption"], f"消费量 {total:g} 小于其中用作原料与加工转换投入之和 {parts:g}")
        if len(problems) > before or carrier_id is None or unit is None:
            continue
        split: list[tuple[EnergyUseName, float, str]] = [
            ("fuel", max(fuel, 0.0), "consumption"),
            ("feedstock", amounts["feedstock"] or 0.0, "feedstock"),
            ("conversion", amounts["conversion"] or 0.0, "conversion"),
            ("sold", amounts["sold"] or 0.0, "sold"),
        ]
        placed = False
        for use, quantity, key in split:
            if quantity <= 0:
                continue
            tce = None
            if reported is not None and not placed and (use != "sold" or total == 0):
                tce, placed = reported, True
            path = f"energy_lines[{len(lines)}]"
            origins[path] = (ENERGY_SHEET, row, None)
            origins[f"{path}.carrier"] = (ENERGY_SHEET, row, h["carrier"])
            origins[f"{path}.unit"] = (ENERGY_SHEET, row, h["unit"])
            origins[f"{path}.quantity"] = (ENERGY_SHEET, row, h[key])
            origins[f"{path}.use"] = (ENERGY_SHEET, row, h[key])
            origins[f"{path}.ncv"] = (ENERGY_SHEET, row, ncv_column)
            origins[f"{path}.ncv_unit"] = (
                ENERGY_SHEET,
                row,
                h["coefficient_unit"] if measured is not None else h["ncv_unit"],
            )
            origins[f"{path}.reported_tce"] = (ENERGY_SHEET, row, h["reported_tce"])
            lines.append(
                EnergyLineIn(
                    carrier=carrier_id,
                    quantity=round(quantity, 9),
                    unit=unit,
                    use=use,
                    ncv=ncv_value,
                    ncv_unit=ncv_unit,
                    reported_tce=tce,
                )
            )
    return lines


def _read_products(ws: Worksheet, problems: list[WorkbookProblem], origins: dict[str, Origin]) -> list[OutputLineIn]:
    cells = _Cells(PRODUCTS_SHEET, problems)
    h = {c.key: c.header for c in PRODUCT_COLUMNS}
    outputs: list[OutputLineIn] = []
    for row, raw in _table(ws, cells, PRODUCT_COLUMNS):
        before = len(problems)
        product = cells.text(raw["product"])
        unit_id = cells.number(raw["production_unit_id"], row, h["production_unit_id"], integer=True)
        if product is None and unit_id is None:
            cells.problem(row, h["product"], "产品名称和生产单元编号至少填一项")
        quantity = cells.number(raw["quantity"], row, h["quantity"])
        if quantity is None and raw["quantity"] is None:
            cells.problem(row, h["quantity"], "必填项为空")
        unit = _unit(cells, cells.text(raw["unit"]), row, h["unit"], required=True)
        value = cells.number(raw["reported_unit_consumption"], row, h["reported_unit_consumption"], non_negative=False)
        value_unit = _unit(
            cells, cells.text(raw["unit_consumption_unit"]), row, h["unit_consumption_unit"], required=value is not None
        )
        if len(problems) > before or quantity is None or unit is None:
            continue
        path = f"outputs[{len(outputs)}]"
        origins[path] = (PRODUCTS_SHEET, row, None)
        for column in PRODUCT_COLUMNS:
            origins[f"{path}.{column.key}"] = (PRODUCTS_SHEET, row, column.header)
        outputs.append(
            OutputLineIn(
                product=product,
                benchmark_row_id=cells.text(raw["benchmark_row_id"]),
                production_unit_id=None if unit_id is None else int(unit_id),
                quantity=quantity,
                unit=unit,
                reported_unit_consumption=value,
                unit_consumption_unit=value_unit,
            )
        )
    return outputs


def read_annual_report(path: Path | str, *, reference: ReferenceSet | None = None) -> ReadReport:
    """Read and check an annual-report workbook; ``WorkbookInvalid`` lists every problem found."""
    reference = reference or load_reference()
    path = Path(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException for non-xlsx input
        raise WorkbookInvalid([WorkbookProblem(path.name, None, None, f"不是可读取的 Excel 工作簿（{exc}）")]) from None
    problems: list[WorkbookProblem] = []
    origins: dict[str, Origin] = {}
    try:
        missing = [name for name in (BASIC_SHEET, ENERGY_SHEET, PRODUCTS_SHEET) if name not in book.sheetnames]
        for name in missing:
            problems.append(WorkbookProblem(name, None, None, "缺少此工作表（请使用年报模板）"))
        basic, basic_rows = _read_basic(book[BASIC_SHEET], problems) if BASIC_SHEET not in missing else ({}, {})
        energy = _read_energy(book[ENERGY_SHEET], problems, reference, origins) if ENERGY_SHEET not in missing else []
        outputs = _read_products(book[PRODUCTS_SHEET], problems, origins) if PRODUCTS_SHEET not in missing else []
    finally:
        book.close()
    if problems:
        raise WorkbookInvalid(problems)
    economics_keys = (
        "gross_output_10k_yuan",
        "value_added_10k_yuan",
        "sales_revenue_10k_yuan",
        "employees",
        "energy_cost_10k_yuan",
    )
    economics_values = {key: basic.get(key) for key in economics_keys}
    if economics_values["employees"] is not None:
        economics_values["employees"] = int(economics_values["employees"])
    economics = EconomicsIn(**economics_values) if any(v is not None for v in economics_values.values()) else None
    for key, row in basic_rows.items():
        prefix = "economics" if key in economics_keys else "basic"
        origins[f"{prefix}.{key}"] = (BASIC_SHEET, row, BASIC_VALUE_COLUMN)
    return ReadReport(
        credit_code=str(basic["credit_code"]).upper(),
        name=basic.get("name"),
        year=int(basic["year"]),
        content=ReportContent(energy_lines=energy, outputs=outputs, economics=economics),
        origins=origins,
    )
