"""Importing a report from a workbook on the entry page: the annual-report workbook (能源利用状况报告:
基本情况, 能源消费结构, 单位产品综合能耗) or the survey template of #2 (企业能效调查情况表).

The file is uploaded (``ui.upload``), written to a temporary file and handed to
``dualcarbon.reports.service_import.import_report`` — all or nothing. When the workbook has problems,
they are shown as a table (sheet, row, column, reason) that exports like every table; nothing is saved.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from nicegui import events, ui

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.reports.io.template import write_annual_report_template
from dualcarbon.reports.service_import import import_report
from dualcarbon.ui.web.layout import notify_error
from dualcarbon.ui.web.session import WebContext
from dualcarbon.ui.web.tables import XLSX_MEDIA_TYPE, Column, simple_table
from dualcarbon.workbooks.problems import WorkbookInvalid

PROBLEM_COLUMNS = (
    Column("sheet", "import.sheet", width=160),
    Column("row", "import.row", numeric=True, width=90),
    Column("column", "import.column", width=180),
    Column("reason", "import.reason"),
)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _template_bytes(ctx: WebContext) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "annual-report.xlsx"
        write_annual_report_template(path, reference=ctx.reference())
        return path.read_bytes()


def import_panel(ctx: WebContext, credit_code: str) -> None:
    """An expansion with the period, the upload, the template download and the validation report."""
    with (
        ui.expansion(ctx.t("import.title"), icon="upload_file")
        .classes("dc-card w-full")
        .props('data-testid="import-panel"')
    ):
        ui.label(ctx.t("import.hint")).classes("text-sm text-gray-600")
        with ui.row().classes("items-end gap-4"):
            kind = ui.select(
                {
                    "auto": ctx.t("import.kind_auto"),
                    "annual": ctx.t("import.kind_annual"),
                    "survey": ctx.t("import.kind_survey"),
                },
                value="auto",
                label=ctx.t("import.kind"),
            ).classes("w-56")
            year = (
                ui.number(ctx.t("report.year"), format="%d", min=2000, max=2100)
                .classes("w-32")
                .props('data-testid="import-year"')
            )
            ui.button(
                ctx.t("import.template"),
                icon="download",
                on_click=lambda: ui.download.content(
                    _template_bytes(ctx), "能源利用状况报告-模板.xlsx", XLSX_MEDIA_TYPE
                ),
            ).props("flat")
        problems_box = ui.column().classes("w-full")

        async def uploaded(event: events.UploadEventArguments) -> None:
            problems_box.clear()
            data = await event.file.read()
            suffix = Path(event.file.name).suffix.lower() or ".xlsx"
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"upload{suffix}"
                path.write_bytes(data)
                result: dict[str, Any] = {}
                try:
                    found = ctx.call(
                        import_report,
                        credit_code,
                        path,
                        kind=kind.value or "auto",
                        year=int(year.value) if year.value else None,
                        reference=ctx.reference(),
                        filename=event.file.name,
                    )
                    result["id"] = found.report.id
                    result["new_version"] = found.new_version
                except WorkbookInvalid as exc:
                    _show_problems(ctx, problems_box, exc)
                    upload.reset()
                    return
                except DualcarbonError as exc:
                    notify_error(ctx, exc)
                    upload.reset()
                    return
            ui.notify(ctx.t("import.done" if result["new_version"] else "import.unchanged"), type="positive")
            ui.navigate.to(f"/reports/{result['id']}")

        upload = (
            ui.upload(
                label=ctx.t("import.upload"), auto_upload=True, max_file_size=MAX_UPLOAD_BYTES, on_upload=uploaded
            )
            .props('accept=".xlsx,.xlsm" data-testid="report-upload"')
            .classes("w-96")
        )


def _show_problems(ctx: WebContext, box: ui.column, exc: WorkbookInvalid) -> None:
    rows = [p.as_dict() for p in exc.problems]
    with box:
        ui.label(ctx.t("import.problems", count=len(rows))).classes("text-negative font-semibold").props(
            'data-testid="import-problems"'
        )
        simple_table(ctx, PROBLEM_COLUMNS, rows, export_name=ctx.t("import.report_name"), testid="import-problems")
