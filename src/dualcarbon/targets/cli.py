"""``dualcarbon targets …``: targets and their progress (目标进度) from a shell.

Commands: ``list`` (targets, optionally of a region), ``progress ID`` (achieved against target, the annual
decline still needed, completion by year, the warning level) and ``seed`` (a region's targets from a policy
pack). They find the store like the other commands and act as the CLI administrator. Errors print one line
on stderr and exit 2; ``--json`` prints what the service returned.
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
    from dualcarbon.targets import schemas, service, service_progress
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy or services
    schemas = lazy_import("dualcarbon.targets.schemas")
    service = lazy_import("dualcarbon.targets.service")
    service_progress = lazy_import("dualcarbon.targets.service_progress")

app = typer.Typer(help="Targets and progress (目标进度): list, progress, seed.", no_args_is_help=True)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


@app.command("list", help="Targets, by region.")
@friendly_errors
def list_(
    region: str | None = typer.Option(None, "--region", help="6-digit region code (its subtree)"),
    kind: str | None = typer.Option(None, "--kind", help="only this kind"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items = service.list_targets(session, cli_principal(), region_code=region, kind=kind)
    echo_listing(items, _target_line, f"{len(items)} target(s)", as_json=as_json)


def _target_line(item: schemas.TargetOut) -> str:
    when = item.target_year or "每年"
    return f"#{item.id}\t{item.region_code}\t{item.title_zh}\t{item.value:g} {item.unit}\t{when}\t{item.kind}"


@app.command("progress", help="Progress of one target: achieved, completion by year, rate needed, warning.")
@friendly_errors
def progress(
    target_id: int = typer.Argument(..., help="target id (see `targets list`)"),
    year: int | None = typer.Option(None, "--year", help="as of this year (default: the last recorded)"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        result = service_progress.progress(session, cli_principal(), target_id, as_of_year=year)
    if as_json:
        echo_json(result)
        return
    target = result.target
    typer.echo(f"{target.title_zh}: target {target.value:g} {target.unit} ({target.target_year or '每年'})")
    achieved = "-" if result.achieved is None else f"{result.achieved:g} {result.achieved_unit}"
    typer.echo(f"achieved {achieved}; completion {_pct(result.completion_pct)}; met {result.met}")
    if result.required_text_zh:
        typer.echo(result.required_text_zh)
    for row in result.years:
        behind = "" if row.behind is None else (" 滞后" if row.behind else " 正常")
        typer.echo(f"  {row.year}\t{row.achieved:g}\tcumulative {row.cumulative}\t{_pct(row.completion_pct)}{behind}")
    if result.warning:
        typer.echo(f"warning: {result.warning.level} ({result.warning.rule})")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)


@app.command("seed", help="Seed a region's targets from a policy pack (idempotent).")
@friendly_errors
def seed(
    pack: str = typer.Option(..., "--pack", help="policy pack id or alias (e.g. longgang)"),
    region: str = typer.Option(..., "--region", help="6-digit region code"),
    base_year: int | None = typer.Option(None, "--base-year", help="base year of the targets"),
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        made = service.seed_from_pack(
            session, cli_principal(), schemas.SeedIn(pack=pack, region_code=region, base_year=base_year)
        )
    for item in made:
        typer.echo(f"#{item.id}\t{item.title_zh}\t{item.value:g} {item.unit}")
    typer.echo(f"{len(made)} target(s) seeded", err=True)
