"""参考数据导入 (admin): filling blank reference values — the 2023 标杆/基准 of 发改产业〔2023〕723号 — step by step.

1. download the fill-in workbook of a table (:mod:`dualcarbon.workbooks.reference_template`, the same file as
   ``dualcarbon reference template TABLE -o FILE``);
2. upload it filled in: it is checked (:func:`dualcarbon.reference.imports.validate_file`) and every problem is
   listed with row, column and reason; nothing is stored;
3. import it as a new version of the table in the data directory (:func:`~dualcarbon.reference.imports.import_file`,
   as ``dualcarbon reference import``); the pages use it at once.

Below the steps: the rows still blank. The catalog screens link here while the policy basis has blank rows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

from nicegui import events, ui

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.reference.catalogue import blank_rows, spec_for
from dualcarbon.reference.imports import ValidationReport, import_file, validate_file
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.ui.web.layout import notify_error, section, web_page
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import XLSX_MEDIA_TYPE, Column, simple_table
from dualcarbon.workbooks.reference_template import import_source, write_template

PATH = "/reference-import"
#: Tables offered for filling in: the benchmark tables (the 2023 policy values are the gap) and 供电煤耗 (等价值).
TABLES = ("efficiency_benchmarks_2023", "efficiency_benchmarks_2021", "power_supply_coal_rate")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PROBLEM_COLUMNS = (
    Column("row", "refimport.row", numeric=True, width=90),
    Column("row_id", "refimport.row_id", width=130),
    Column("column", "refimport.column", width=220),
    Column("reason", "refimport.reason", tooltip=True),
)
BLANK_COLUMNS = (
    Column("row_id", "refimport.row_id", width=130),
    Column("field", "unit.field"),
    Column("product", "unit.product"),
    Column("indicator", "refimport.indicator"),
    Column("unit", "catalog.unit", width=140),
)


def blank_policy_rows(reference: ReferenceSet, edition: str) -> list[dict[str, str]]:
    """The rows of the ``edition`` benchmark table whose 标杆/基准 are blank: the products the policy basis cannot
    class until the official values are imported (empty for an edition without a table)."""
    table = f"efficiency_benchmarks_{edition}"
    if table not in reference.tables:
        return []
    return [
        {
            "row_id": row.get("row_id", ""),
            "field": row.get("field_重点领域", ""),
            "product": row.get("product_or_process", ""),
            "indicator": row.get("indicator", ""),
            "unit": row.get("unit", ""),
        }
        for row in blank_rows(reference, table)
    ]


def _filled(content: bytes, table: str, reference: ReferenceSet) -> int:
    """Rows of a validated file that carry at least one value of the table's primary group."""
    primary = spec_for(table, reference).primary
    if primary is None:
        return 0
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return sum(1 for row in rows if any((row.get(c) or "").strip() for c in primary.values))


@web_page(PATH, title_key="nav.reference_import", roles=("admin",))
def reference_import_page(ctx: WebContext) -> None:
    ui.label(ctx.t("refimport.intro")).classes("text-sm text-gray-700 max-w-4xl")
    state: dict[str, Any] = {}

    with section(ctx.t("refimport.step1")):
        table = ui.select(list(TABLES), value=TABLES[0], label=ctx.t("refimport.table")).classes("w-80")
        table.props('data-testid="refimport-table"')

        def download() -> None:
            name = str(table.value)
            ui.download.content(write_template(ctx.reference(), name), f"{name}-填写表.xlsx", XLSX_MEDIA_TYPE)

        ui.button(ctx.t("refimport.download"), icon="download", on_click=download).props(
            'outline data-testid="refimport-download"'
        )
        ui.label(ctx.t("refimport.cli_hint")).classes("text-sm text-gray-600 font-mono")

    with section(ctx.t("refimport.step2")):
        result_box = ui.column().classes("w-full")

        async def uploaded(event: events.UploadEventArguments) -> None:
            result_box.clear()
            state.pop("file", None)
            import_button.disable()
            data = await event.file.read()
            name = Path(event.file.name).name or "upload.xlsx"
            folder = Path(tempfile.mkdtemp(prefix="dualcarbon-refimport-"))
            path = folder / name
            path.write_bytes(data)
            try:
                csv_file, sheet_rows = import_source(path, folder)
                report = validate_file(csv_file, ReferenceSet(ctx.data_dir), None, sheet_rows=sheet_rows)
            except DualcarbonError as exc:
                notify_error(ctx, exc)
                upload.reset()
                return
            _show_report(ctx, result_box, report)
            if report.ok:
                state["file"] = csv_file
                state["table"] = report.table
                import_button.enable()
            upload.reset()

        upload = (
            ui.upload(
                label=ctx.t("refimport.upload"), auto_upload=True, max_file_size=MAX_UPLOAD_BYTES, on_upload=uploaded
            )
            .props('accept=".xlsx,.csv" data-testid="refimport-upload"')
            .classes("w-96")
        )

    with section(ctx.t("refimport.step3")):
        if ctx.data_dir is None:
            ui.label(ctx.t("refimport.no_data_dir")).classes("text-negative")
        note = ui.input(ctx.t("refimport.note")).classes("w-full max-w-2xl")

        def do_import() -> None:
            file = state.get("file")
            if file is None or ctx.data_dir is None:
                return
            try:
                result = import_file(file, ctx.data_dir, state.get("table"), note.value or "")
            except DualcarbonError as exc:
                notify_error(ctx, exc)
                return
            key = "refimport.done" if result.created else "refimport.unchanged"
            ui.notify(ctx.t(key, version=result.version), type="positive")
            state.pop("file", None)
            import_button.disable()
            blank_list.refresh()

        import_button = ui.button(ctx.t("refimport.import"), icon="file_upload", on_click=do_import).props(
            'unelevated color="primary" data-testid="refimport-import"'
        )
        import_button.disable()

    @ui.refreshable
    def blank_list() -> None:
        rows = blank_policy_rows(ctx.reference(), "2023")
        with section(ctx.t("refimport.blank", count=len(rows))).props('data-testid="refimport-blank"'):
            if rows:
                simple_table(ctx, BLANK_COLUMNS, rows, export_name=ctx.t("refimport.blank_name"), testid="blank-rows")
            else:
                ui.label(ctx.t("refimport.no_blank")).classes("text-positive")

    blank_list()


def _show_report(ctx: WebContext, box: ui.column, report: ValidationReport) -> None:
    with box:
        if report.ok:
            filled = _filled(report.content, report.table, ReferenceSet(ctx.data_dir))
            ui.label(ctx.t("refimport.ok", table=report.table, rows=report.rows, filled=filled)).classes(
                "text-positive font-semibold"
            ).props('data-testid="refimport-ok"')
            return
        ui.label(ctx.t("refimport.problems", count=len(report.problems))).classes("text-negative font-semibold").props(
            'data-testid="refimport-problems"'
        )
        rows = [
            {"row": p.row or None, "row_id": p.row_id, "column": p.column, "reason": p.reason} for p in report.problems
        ]
        simple_table(ctx, PROBLEM_COLUMNS, rows, export_name=ctx.t("refimport.problems_name"), testid="problems")
