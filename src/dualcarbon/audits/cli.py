"""``dualcarbon audits …``: energy audit and diagnosis reports (节能诊断/能源审计) from a shell.

Commands: ``list`` (reports, newest first) and ``obligations`` (who owes an audit or a diagnosis in a year,
with the filing status). They find the store like the other commands (``--data-dir`` /
``DUALCARBON_DATA_DIR`` or ``DUALCARBON_DATABASE_URL``) and act as the CLI administrator. Errors print one
line on stderr and exit 2; ``--json`` prints what the service returned.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    JsonOption,
    cli_principal,
    echo_json,
    echo_listing,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.audits import schemas
    from dualcarbon.audits import service_obligations as obligations
    from dualcarbon.audits import service_reports as reports
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy or services
    schemas = lazy_import("dualcarbon.audits.schemas")
    obligations = lazy_import("dualcarbon.audits.service_obligations")
    reports = lazy_import("dualcarbon.audits.service_reports")

app = typer.Typer(help="Energy audits and diagnoses (能源审计/节能诊断): list, obligations.", no_args_is_help=True)


@app.command("list", help="Audit and diagnosis reports, newest first.")
@friendly_errors
def list_(
    year: int | None = typer.Option(None, "--year", help="only this year"),
    kind: str | None = typer.Option(None, "--kind", help="audit or diagnosis"),
    state: str | None = typer.Option(None, "--state", help="draft, submitted, returned or accepted"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items, total = reports.list_reports(session, cli_principal(), year=year, kind=kind, state=state, limit=limit)
    echo_listing(items, _report_line, f"{total} report(s)", as_json=as_json, total=total)


def _report_line(item: schemas.AuditReportOut) -> str:
    potential = "-" if item.potential_pct is None else f"{item.potential_pct:.2f}%"
    return (
        f"#{item.id}\t{item.year}\t{item.kind_zh}\t{item.credit_code}\t{item.enterprise_name}\t"
        f"{item.state_zh}\t{len(item.measures)} measure(s)\tpotential {potential}\t{item.agency_name or '-'}"
    )


@app.command("obligations", help="Who owes an audit or a diagnosis in a year, with the filing status.")
@friendly_errors
def obligations_(
    region: str = typer.Option(..., "--region", help="6-digit region code"),
    year: int = typer.Option(..., "--year", help="the year"),
    pack: str | None = typer.Option(
        None, "--pack", help="policy pack id (default: the region's pack with such rules, else the first shipped one)"
    ),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        listing = obligations.obligations_status(session, cli_principal(), year, region_code=region, pack=pack)
    if as_json:
        echo_json(listing)
        return
    for item in listing.items:
        report = f"report #{item.report_id}" if item.report_id else ""
        typer.echo(f"{item.credit_code}\t{item.name}\t{item.obligation_zh}\t{item.finding}\t{item.status_zh}\t{report}")
    basis = {"region": "本地区政策包", "fallback": "本地区无此类规则，采用", "requested": "指定"}[listing.pack_basis]
    typer.echo(f"{listing.total} obligation(s), pack {listing.pack} ({basis} {listing.pack_title_zh})", err=True)
