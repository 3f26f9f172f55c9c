"""``dualcarbon documents render KIND … -o FILE``: write a print-ready PDF (A4, Chinese) of a document.

Parameters as options: ``--report-id`` (enterprise_annual), ``--catalog-id`` and ``--annex``
(catalog_notice, yunnan_annex), ``--region`` and ``--month`` YYYY-MM (monitoring_monthly), ``--region`` and
``--year`` (target_progress), ``--application-id`` (subsidy_decision). Acts as the CLI administrator;
errors print one line on stderr and exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, friendly_errors, lazy_import, transaction

if TYPE_CHECKING:
    from dualcarbon.documents import service
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy, Jinja or WeasyPrint
    service = lazy_import("dualcarbon.documents.service")

app = typer.Typer(help="Print-ready documents (文书, PDF): kinds, render.", no_args_is_help=True)


@app.command("kinds", help="The document kinds and the parameters each needs.")
def kinds() -> None:
    for kind, (_, _, needed, title) in service.KINDS.items():
        typer.echo(f"{kind}\t{title}\t{', '.join(needed)}")


@app.command("render", help="Render KIND (see `dualcarbon documents kinds`) to a PDF.")
@friendly_errors
def render(
    kind: str = typer.Argument(..., help="document kind"),
    output: Path = typer.Option(..., "-o", "--output", help="the file to write (.pdf; .xlsx for yunnan_annex)"),
    report_id: int | None = typer.Option(None, "--report-id", help="annual report id"),
    catalog_id: int | None = typer.Option(None, "--catalog-id", help="published catalog id"),
    annex: str | None = typer.Option(None, "--annex", help="Yunnan annex 1, 2 or 3"),
    region: str | None = typer.Option(None, "--region", help="6-digit region code"),
    month: str | None = typer.Option(None, "--month", help="YYYY-MM"),
    year: int | None = typer.Option(None, "--year", help="as of this year"),
    application_id: int | None = typer.Option(None, "--application-id", help="decided subsidy application id"),
    data_dir: Path | None = DataDirOption,
) -> None:
    given = {
        "report_id": report_id,
        "catalog_id": catalog_id,
        "annex": annex,
        "region_code": region,
        "month": month,
        "year": year,
        "application_id": application_id,
    }
    params = {name: str(value) for name, value in given.items() if value is not None}
    with transaction(data_dir) as session:
        if output.suffix.lower() == ".xlsx":
            body, _ = service.render_workbook(session, cli_principal(), kind, params)
        else:
            body, _ = service.render(session, cli_principal(), kind, params)
    output.write_bytes(body)
    typer.echo(f"{output} ({len(body):,} bytes)", err=True)
