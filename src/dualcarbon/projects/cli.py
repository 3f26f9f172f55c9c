"""``dualcarbon projects …``: the project library (节能改造项目库) from a shell.

Commands: ``list`` (with filters), ``shares`` (yearly completion shares of a region against the policy
schedule) and ``export`` (the case compilation 案例汇编 of demonstration projects, .xlsx). They find the
store like the other commands and act as the CLI administrator; errors print one line and exit 2.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    JsonOption,
    check_output,
    cli_principal,
    echo_json,
    echo_listing,
    fail,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.projects import schemas
    from dualcarbon.projects import service_export as export
    from dualcarbon.projects import service_projects as projects
    from dualcarbon.projects import service_shares as shares
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy or services
    schemas = lazy_import("dualcarbon.projects.schemas")
    export = lazy_import("dualcarbon.projects.service_export")
    projects = lazy_import("dualcarbon.projects.service_projects")
    shares = lazy_import("dualcarbon.projects.service_shares")

app = typer.Typer(help="The project library (项目库): list, shares, export.", no_args_is_help=True)


@app.command("list", help="Projects of the library.")
@friendly_errors
def list_(
    region: str | None = typer.Option(None, "--region", help="region code (subtree)"),
    state: str | None = typer.Option(None, "--state", help="proposed, approved, in_progress, completed, verified …"),
    project_type: str | None = typer.Option(None, "--type", help="process, equipment, waste_heat, motor_system …"),
    demonstration: bool = typer.Option(False, "--demonstration", help="only demonstration projects (示范项目)"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items, total = projects.list_projects(
            session,
            cli_principal(),
            state=state,
            project_type=project_type,
            region_code=region,
            demonstration=True if demonstration else None,
            limit=limit,
        )
    echo_listing(items, _project_line, f"{total} project(s)", as_json=as_json, total=total)


def _project_line(item: schemas.ProjectOut) -> str:
    saving = "-" if item.saving_tce_per_year is None else f"{item.saving_tce_per_year:g} tce/a"
    verified = "" if item.verified_tce_per_year is None else f"\tverified {item.verified_tce_per_year:.2f} tce/a"
    return (
        f"#{item.id}\t{item.credit_code}\t{item.name}\t{item.project_type_zh}\t{item.state_zh}\t{saving}\t"
        f"deadline {item.deadline or '-'}{verified}"
    )


@app.command("shares", help="Yearly completion shares of a region against the policy schedule.")
@friendly_errors
def shares_(
    region: str = typer.Option(..., "--region", help="6-digit region code"),
    pack: str = typer.Option("shanghai-baiyi-2022", "--pack", help="policy pack with the share schedule"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today, Asia/Shanghai)"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise fail(f"--as-of: not a date YYYY-MM-DD: {as_of}") from None
    with transaction(data_dir) as session:
        result = shares.completion_shares(session, cli_principal(), region, pack=pack, as_of=day)
    if as_json:
        echo_json(result)
        return
    typer.echo(f"{result.region_code}  {result.projects} project(s)  {result.schedule_id}  as of {result.as_of}")
    for year in result.years:
        done = "-" if year.done_cumulative_pct is None else f"{year.done_cumulative_pct:.1f}%"
        typer.echo(
            f"{year.year}\trequired {year.required_pct:g}% (cumulative {year.required_cumulative_pct:g}%)\t"
            f"done {year.done} (cumulative {done})\tplanned {year.planned}\t{year.status_zh}"
        )


@app.command("export", help="The case compilation (案例汇编) of demonstration projects as .xlsx.")
@friendly_errors
def export_(
    out: Path = typer.Option(..., "--out", "-o", help="the .xlsx file to write"),
    region: str | None = typer.Option(None, "--region", help="region code (subtree)"),
    force: bool = typer.Option(False, "--force", help="replace an existing file"),
    data_dir: Path | None = DataDirOption,
) -> None:
    check_output(out, force)
    with transaction(data_dir) as session:
        content, count = export.export_cases(session, cli_principal(), region_code=region)
    out.write_bytes(content)
    typer.echo(f"{count} demonstration project(s) written: {out}")
