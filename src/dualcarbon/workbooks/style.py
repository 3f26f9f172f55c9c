"""The house style of every workbook we write with xlsxwriter.

This module owns how a sheet looks and prints, never what it holds:

* the cell formats: the header row (bold, light-blue fill, border, wrapped, centred; a required column of a
  form gets a light-orange fill), the sheet title, labels and notes;
* number formats by kind (:data:`NUMBER_FORMATS`): integers, measured figures, fixed decimals, amounts,
  percentages, and dates and times shown in the display zone (settings ``timezone``, default Asia/Shanghai;
  :func:`time_header` labels a time column with it: 提交时间（北京时间）);
* column widths that count a CJK character as two (:func:`display_width`, :func:`fit_widths`);
* the finish of a table sheet: panes frozen under the header, an autofilter over the data, and the print
  setup — A4 landscape, one page wide, the header row repeated on every page, the sheet name in the page
  header and "第 n 页 共 m 页" in the footer.

Writers keep their own content and layout: they take formats from :class:`HouseStyle`, write small tables
with :meth:`HouseStyle.write_table` and call :meth:`HouseStyle.finish_sheet` (or :meth:`HouseStyle.print_setup`
for sheets that are not one table).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dualcarbon.core.localtime import parse_moment, to_local, zone_label

#: China time. Asia/Shanghai has been UTC+8 without daylight saving since 1991; a fixed offset needs no tz data.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # kept for callers; the display zone is a setting

#: Excel number format per kind of value (None: General).
NUMBER_FORMATS: dict[str, str | None] = {
    "text": None,  # text as written
    "code": "@",  # text cells: codes keep leading zeros, digits typed into the column stay text
    "int": "0",
    "number": "0.00##",  # measured figures: two to four decimals
    "fixed2": "0.00",
    "fixed3": "0.000",
    "fixed4": "0.0000",
    "amount": "#,##0.00",  # totals (tce, t CO2, 万元) with thousands separators
    "pct": "0.0",  # a figure already in percent (its header says "(%)")
    "percent": "0.0%",  # a ratio shown as a percentage
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
HEADER_FILL = "#DDEBF7"
REQUIRED_FILL = "#FCE4D6"
PAGE_HEADER = "&C&A"  # the sheet name
PAGE_FOOTER = "&C第 &P 页 共 &N 页"
A4 = 9
MIN_WIDTH, MAX_WIDTH = 8, 60
LINE_HEIGHT = 15  # points per line of header text


def display_width(text: object) -> int:
    """Width of ``text`` in Excel character units: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def fit_widths(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, minimum: int = MIN_WIDTH, maximum: int = MAX_WIDTH
) -> list[int]:
    """Column widths that fit the headers and the values (plus a margin), within [minimum, maximum]."""
    widths = [display_width(header) for header in headers]
    for row in rows:
        for col, value in enumerate(row[: len(widths)]):
            if value is not None:
                widths[col] = max(widths[col], display_width(_shown(value)))
    return [min(max(width + 2, minimum), maximum) for width in widths]


def local_time(value: datetime | date | str) -> datetime | date:
    """A date or time as shown to the reader: aware datetimes (or ISO texts) move to the display zone (settings
    ``timezone``, default Asia/Shanghai), naive ones stay."""
    value = parse_moment(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return to_local(value)
    return value


def time_header(header: str, language: str = "zh") -> str:
    """A time column's header with its zone: ``提交时间（北京时间）`` / ``submitted at (Beijing time)``."""
    label = zone_label(language)
    return f"{header}（{label}）" if language == "zh" else f"{header} ({label})"


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    return str(value)


class HouseStyle:
    """The formats of one workbook, and the helpers that apply them (see the module docstring)."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        header = {"bold": True, "border": 1, "text_wrap": True, "align": "center", "valign": "vcenter"}
        self.header = workbook.add_format({**header, "bg_color": HEADER_FILL})
        self.required = workbook.add_format({**header, "bg_color": REQUIRED_FILL})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.subtitle = workbook.add_format({"bold": True, "font_size": 12})
        self.label = workbook.add_format({"bold": True})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.note = workbook.add_format({"font_color": "#7F3F00"})
        self.muted = workbook.add_format({"font_color": "#808080"})
        self._kinds: dict[str, Format | None] = {}

    def kind(self, kind: str) -> Format | None:
        """The number format of a kind (one Format per kind and workbook); None for plain text."""
        if kind not in self._kinds:
            pattern = NUMBER_FORMATS[kind]
            self._kinds[kind] = None if pattern is None else self.workbook.add_format({"num_format": pattern})
        return self._kinds[kind]

    def write_value(self, sheet: Worksheet, row: int, col: int, value: Any, kind: str = "text") -> None:
        """One cell: numbers stay numbers, dates become date cells in China time, None and "" stay empty."""
        if value is None or value == "":
            return
        fmt = self.kind(kind)
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float):
            if math.isfinite(value):  # NaN and infinity have no cell value: left empty
                sheet.write_number(row, col, value, fmt)
        elif isinstance(value, datetime | date) or (kind in ("date", "datetime") and isinstance(value, str)):
            try:
                moment = local_time(value)
            except ValueError:  # not a date after all: keep the text
                sheet.write_string(row, col, str(value))
                return
            day_kind = "datetime" if isinstance(moment, datetime) and kind != "date" else "date"
            sheet.write_datetime(row, col, moment, self.kind(day_kind))
        else:
            sheet.write_string(row, col, str(value), fmt)

    def write_header(
        self,
        sheet: Worksheet,
        top: int,
        headers: Sequence[str],
        *,
        required: Sequence[bool] | None = None,
        widths: Sequence[int] | None = None,
    ) -> None:
        """The header row at ``top``; columns marked ``required`` get the required fill. Given the column
        ``widths``, the row is made tall enough for the longest wrapped header (Excel does not do it)."""
        for col, header in enumerate(headers):
            sheet.write_string(top, col, header, self.required if required and required[col] else self.header)
        if widths:
            lines = max(-(-display_width(h) // max(w - 1, 1)) for h, w in zip(headers, widths, strict=False))
            if lines > 1:
                sheet.set_row(top, LINE_HEIGHT * min(lines, 4) + 3)

    def write_table(
        self,
        sheet: Worksheet,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        top: int = 0,
        kinds: Sequence[str] | Mapping[str, str] | None = None,
        widths: Sequence[int] | None = None,
        finish: bool = True,
        freeze_columns: int = 0,
    ) -> int:
        """A header row at ``top`` and ``rows`` below it; returns the first free row after a blank one.

        ``kinds`` is one kind per column, or a mapping header → kind (others are text). ``widths`` default
        to :func:`fit_widths`. With ``finish`` the sheet is finished as one table (:meth:`finish_sheet`).
        """
        if kinds is None:
            column_kinds = ["text"] * len(headers)
        elif isinstance(kinds, Mapping):
            column_kinds = [kinds.get(header, "text") for header in headers]
        else:
            column_kinds = list(kinds)
        widths = widths if widths is not None else fit_widths(headers, rows)
        self.write_header(sheet, top, headers, widths=widths)
        for r, values in enumerate(rows, start=top + 1):
            for col, value in enumerate(values):
                self.write_value(sheet, r, col, value, column_kinds[col] if col < len(column_kinds) else "text")
        self.set_widths(sheet, widths)
        if finish:
            self.finish_sheet(sheet, len(rows), len(headers), top=top, freeze_columns=freeze_columns)
        return top + len(rows) + 2

    @staticmethod
    def set_widths(sheet: Worksheet, widths: Sequence[int], first: int = 0) -> None:
        for col, width in enumerate(widths, start=first):
            sheet.set_column(col, col, width)

    def finish_sheet(
        self,
        sheet: Worksheet,
        n_rows: int,
        n_cols: int,
        *,
        top: int = 0,
        freeze_columns: int = 0,
        autofilter: bool = True,
    ) -> None:
        """Finish a one-table sheet whose header row is ``top``: frozen header, autofilter, print setup.

        ``autofilter=False`` for forms still to be filled in (the filter would cover empty rows only).
        """
        sheet.freeze_panes(top + 1, freeze_columns)
        if autofilter and n_cols:
            sheet.autofilter(top, 0, top + max(n_rows, 1), n_cols - 1)
        self.print_setup(sheet, repeat_row=top)

    @staticmethod
    def print_setup(sheet: Worksheet, *, repeat_row: int | None = None, landscape: bool = True) -> None:
        """A4, one page wide (as many pages tall as needed), sheet name on top, page numbers at the bottom."""
        if landscape:
            sheet.set_landscape()
        sheet.set_paper(A4)
        sheet.fit_to_pages(1, 0)
        if repeat_row is not None:
            sheet.repeat_rows(repeat_row)
        sheet.set_header(PAGE_HEADER)
        sheet.set_footer(PAGE_FOOTER)
