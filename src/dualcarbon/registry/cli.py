"""The registry from a shell: ``import enterprises``, ``import enterprises-template``, ``regions seed``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, fail, friendly_errors, lazy_import, transaction

if TYPE_CHECKING:
    from dualcarbon.registry import service_import as registry_import
    from dualcarbon.registry import service_import_template as registry_template
    from dualcarbon.registry import service_regions as regions
else:
    registry_import = lazy_import("dualcarbon.registry.service_import")
    registry_template = lazy_import("dualcarbon.registry.service_import_template")
    regions = lazy_import("dualcarbon.registry.service_regions")

regions_app = typer.Typer(help="The GB/T 2260 region tree.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``regions`` to the top-level ``dualcarbon`` command."""
    app.add_typer(regions_app, name="regions")


def register_imports(import_app: typer.Typer) -> None:
    """Add ``enterprises`` and ``enterprises-template`` to the ``dualcarbon import`` group."""
    import_app.command("enterprises", help="Import enterprises from .xlsx/.csv (matching on credit code).")(
        import_enterprises
    )
    import_app.command("enterprises-template", help="Write the empty enterprise import workbook to OUT.xlsx.")(
        import_template
    )


@friendly_errors
def import_enterprises(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".xlsx or .csv"),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and count, write nothing"),
    mapping: list[str] = typer.Option([], "--map", help="源列=目标列 (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    data_dir: Path | None = DataDirOption,
) -> None:
    columns = registry_import.parse_mapping(mapping)
    with transaction(data_dir) as session:
        report = registry_import.import_enterprises(session, cli_principal(), file, columns or None, dry_run)
    if as_json:
        typer.echo(json.dumps(report.out().model_dump(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            typer.echo(f"row {problem.row}, column {problem.column}: {problem.reason}", err=True)
        if report.ignored_columns:
            typer.echo(f"ignored columns: {', '.join(report.ignored_columns)}", err=True)
        verb = "would create" if dry_run else "created"
        typer.echo(
            f"{report.file}: {report.rows} rows; {verb} {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}" + ("" if dry_run else "; committed" if report.committed else "")
        )
    if report.problems:
        raise fail(f"{len(report.problems)} problem(s); nothing was imported")


@friendly_errors
def import_template(out: Path = typer.Argument(..., help="the .xlsx to write")) -> None:
    if out.exists():
        raise fail(f"{out} already exists")
    registry_template.write_import_template(out)
    typer.echo(f"template written: {out}")


# ---- regions ------------------------------------------------------------------------------------
@regions_app.command("seed", help="Seed the 31 provinces, and regions from a CSV (code,name[,parent_code]).")
@friendly_errors
def regions_seed(
    file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False, help="CSV of regions"),
    data_dir: Path | None = DataDirOption,
) -> None:
    specs = regions.shipped_provinces() + (regions.read_region_file(file) if file else [])
    with transaction(data_dir) as session:
        result = regions.seed_regions(session, cli_principal(), specs)
    typer.echo(f"regions: {result.created} added, {result.renamed} renamed, {result.unchanged} unchanged")
