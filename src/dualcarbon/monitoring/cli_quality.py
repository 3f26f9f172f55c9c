"""``dualcarbon quality show|compute|enterprises``: data quality of the monitored data items (数据质量).

Like the other monitoring commands they find the store by ``--data-dir`` / ``DUALCARBON_DATA_DIR`` or
``DUALCARBON_DATABASE_URL``, act as an administrator, print one ``error:`` line and exit 2 on bad input.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, fail, friendly_errors, lazy_import, transaction

if TYPE_CHECKING:
    from dualcarbon.monitoring import service_quality_read
    from dualcarbon.reference import tables as reference_tables
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy, DuckDB or services
    service_quality_read = lazy_import("dualcarbon.monitoring.service_quality_read")
    reference_tables = lazy_import("dualcarbon.reference.tables")

quality_app = typer.Typer(help="Data quality of the monitored data items (数据质量).", no_args_is_help=True)


def _reference(data_dir: Path | None) -> reference_tables.ReferenceSet:
    from dualcarbon.ui.commands import data_dir_or_default

    return reference_tables.load_reference(data_dir_or_default(data_dir))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: 「{value}」不是日期（格式 YYYY-MM-DD） / '{value}' is not a date YYYY-MM-DD") from None


@quality_app.command("show", help="An enterprise's quality index, sub-indices and items on a day or in a month.")
@friendly_errors
def show(
    enterprise: str = typer.Option(..., "--enterprise", help="credit code"),
    day: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (Asia/Shanghai)"),
    month: str | None = typer.Option(None, "--month", help="YYYY-MM"),
    output: str = typer.Option("json", "--format", help="json or text"),
    refresh: bool = typer.Option(False, "--refresh", help="measure again even when stored"),
    data_dir: Path | None = DataDirOption,
) -> None:
    if output not in ("json", "text"):
        raise fail("--format: 只能是 json 或 text / must be json or text")
    reference = _reference(data_dir)
    with transaction(data_dir) as session:
        result = service_quality_read.quality_show(
            session, cli_principal(), enterprise, reference, day=_day(day, "--date"), month=month, refresh=refresh
        )
    if output == "json":
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{result.enterprise} {result.name} {result.date}: index {result.index}")
    typer.echo(
        f"completeness {result.completeness}  accuracy {result.accuracy}  timeliness {result.timeliness}"
        f"  validity {result.validity}"
    )
    if result.late_items:
        typer.echo(
            f"late: {result.late_items} item(s) arrived after the deadline ({result.arrival_deadline_hours:g} h)"
        )
    for item in result.items:
        problems = ", ".join(p.code for p in item.problems)
        typer.echo(
            f"{item.meter}\t{item.received}/{item.expected}\t{item.completeness}\t"
            f"{'pass' if item.passed else 'FAIL'}\t{problems}"
        )


@quality_app.command("compute", help="Measure days again (the nightly job): every enterprise with meters, or one.")
@friendly_errors
def compute(
    day: str = typer.Option(..., "--date", help="first day, YYYY-MM-DD"),
    to: str | None = typer.Option(None, "--to", help="last day, inclusive (default: --date)"),
    enterprise: str | None = typer.Option(None, "--enterprise", help="credit code (default: all)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    first = _day(day, "--date")
    last = _day(to, "--to") or first
    assert first is not None and last is not None
    reference = _reference(data_dir)
    with transaction(data_dir) as session:
        written = service_quality_read.refresh_quality(session, cli_principal(), first, last, reference, enterprise)
    typer.echo(json.dumps({"enterprises": len(written), "meter_days": sum(written.values())}))


@quality_app.command("enterprises", help="The regulators' table: enterprises by quality index, worst first.")
@friendly_errors
def enterprises(
    day: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    region: str | None = typer.Option(None, "--region", help="region code (GB/T 2260)"),
    offset: int = typer.Option(0, "--offset", min=0),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    data_dir: Path | None = DataDirOption,
) -> None:
    wanted = _day(day, "--date")
    assert wanted is not None
    with transaction(data_dir) as session:
        rows, total = service_quality_read.enterprise_quality_page(
            session, cli_principal(), wanted, region, limit, offset
        )
    items = [row.model_dump(mode="json") for row in rows]
    typer.echo(json.dumps({"items": items, "total": total, "limit": limit, "offset": offset}, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add ``dualcarbon quality …`` to the root command."""
    app.add_typer(quality_app, name="quality")
