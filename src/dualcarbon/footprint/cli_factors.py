"""``dualcarbon footprint factors …``: the material emission-factor table the footprints use.

Commands: ``list`` (the rows in use, with version and source), ``template -o FILE.csv|.xlsx`` (the fill-in
template), ``validate FILE`` (every problem, row and column named; exit 2 if any) and ``import FILE --note``
(administrators: a new version of ``material_emission_factors`` in the data directory, all rows or none,
audited). File layout: :mod:`dualcarbon.footprint.io_factors`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    active_reference,
    cli_principal,
    data_dir_or_default,
    echo_listing,
    fail,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.footprint import io_factors, schemas, service_factors
else:  # loaded on first use, so that `dualcarbon --help` stays fast
    io_factors = lazy_import("dualcarbon.footprint.io_factors")
    schemas = lazy_import("dualcarbon.footprint.schemas")
    service_factors = lazy_import("dualcarbon.footprint.service_factors")

app = typer.Typer(help="Material emission factors (材料排放因子表) for footprints.", no_args_is_help=True)

FileArgument = typer.Argument(..., help="factor file: .csv (UTF-8) or .xlsx with the template's columns")


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise fail(f"{file}: cannot read ({exc.strerror})") from None


@app.command("list", help="The material factors in use: value, unit, boundary, source, version.")
@friendly_errors
def list_(
    as_json: bool = typer.Option(False, "--json", help="print as JSON"), data_dir: Path | None = DataDirOption
) -> None:
    rows = service_factors.list_factors(active_reference(data_dir))
    echo_listing(rows, _factor_line, f"{len(rows)} row(s)", as_json=as_json)


def _factor_line(row: schemas.FactorOut) -> str:
    value = "（空 blank）" if row.kgco2e_per_unit is None else f"{row.kgco2e_per_unit:g}"
    return f"{row.row_id}\t{row.material}\t{value} kgCO2e/{row.unit}\t{row.boundary}\t{row.version}"


@app.command("template", help="Write the fill-in template (.csv or .xlsx, by the output's suffix).")
@friendly_errors
def template(output: Path = typer.Option(..., "-o", "--output", help="FILE.csv or FILE.xlsx")) -> None:
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise fail("--output must end in .csv or .xlsx")
    output.write_bytes(io_factors.template_xlsx() if suffix == ".xlsx" else io_factors.template_csv())
    typer.echo(f"wrote {output}")


@app.command("validate", help="Check a factor file; list every problem; exit 2 if any. Stores nothing.")
@friendly_errors
def validate(file: Path = FileArgument, data_dir: Path | None = DataDirOption) -> None:
    reference = active_reference(data_dir)
    checked = service_factors.check_factors(_read(file), file.name, reference)
    for problem in checked.problems:
        typer.echo(f"row {problem.row}\t{problem.column}\t{problem.reason}", err=True)
    if checked.problems:
        raise fail(f"{file.name}: {len(checked.problems)} problem(s); nothing imported")
    typer.echo(f"OK: {len(checked.rows)} row(s); fills {checked.updates or '-'}; adds {checked.additions or '-'}")


@app.command("import", help="Import a factor file as a new version of the table (administrators; all or nothing).")
@friendly_errors
def import_(
    file: Path = FileArgument,
    note: str = typer.Option("", "--note", help="why / from which document (kept in the manifest)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    target = data_dir_or_default(data_dir)
    content = _read(file)
    with transaction(data_dir) as session:
        result = service_factors.import_factors(
            session, cli_principal(), content, file.name, target, active_reference(target), note=note
        )
    if result.created:
        typer.echo(
            f"imported {file.name} as version {result.version} of {result.table} "
            f"({result.rows} rows; fills {len(result.updates)}, adds {len(result.additions)})"
        )
    else:
        typer.echo(f"unchanged: identical to version {result.version} of {result.table}")
