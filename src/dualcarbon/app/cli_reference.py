"""`dualcarbon reference …`: browse the reference tables, validate and import official tables as versions.

list [TABLE] · show ID · template TABLE -o FILE · validate FILE · import FILE · versions TABLE ·
activate TABLE VERSION · policies [PACK] (docs/reference-import.md). FILE is a CSV or a filled-in template (.xlsx).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from dualcarbon.core.errors import DualcarbonError
from dualcarbon.ui.commands import DataDirOption, data_dir_or_default, fail, friendly_errors, lazy_import

if TYPE_CHECKING:
    from dualcarbon.reference import catalogue, imports, policy, tables
    from dualcarbon.workbooks import reference_template
else:  # pint and the tables load on first use: `dualcarbon --help` must not pay for them
    catalogue = lazy_import("dualcarbon.reference.catalogue")
    imports = lazy_import("dualcarbon.reference.imports")
    policy = lazy_import("dualcarbon.reference.policy")
    tables = lazy_import("dualcarbon.reference.tables")
    reference_template = lazy_import("dualcarbon.workbooks.reference_template")

app = typer.Typer(
    name="reference", help="Reference tables: browse, validate and import official tables.", no_args_is_help=True
)

FILE_HELP = "CSV (UTF-8, the table's column names, row_id first) or a filled-in template (.xlsx)"
TableOption = typer.Option(None, "--table", help="Target table (recognised from the header when omitted)")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, markup=False)


def _table(*headers: str, title: str) -> Table:
    """A table that folds long cells instead of cutting them (ids must stay copyable)."""
    grid = Table(title=title)
    for header in headers:
        grid.add_column(header, overflow="fold")
    return grid


def _reference(data_dir: Path | None) -> tables.ReferenceSet:
    return tables.load_reference(data_dir)


@app.command("list")
@friendly_errors
def list_tables(
    table: str | None = typer.Argument(None, help="A table name (e.g. efficiency_benchmarks_2023, carriers)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Without TABLE: every table with row, blank-value and unverified counts and its active version.
    With TABLE: its rows (id and key columns)."""
    reference = _reference(data_dir)
    console = _console()
    if table is None:
        grid = _table("table", "rows", "blank values", "unverified", "active version", title="reference tables")
        for summary in catalogue.summaries(reference):
            grid.add_row(
                summary.name,
                str(summary.rows),
                str(summary.blank_values),
                str(summary.unverified),
                summary.active_version,
            )
        console.print(grid)
        return
    spec = catalogue.spec_for(table, reference)
    rows = reference.tables[table].rows
    grid = _table(*spec.key_columns, "version", title=f"{table} ({len(rows)} rows)")
    for row in rows:
        grid.add_row(*(row.get(column, "") for column in spec.key_columns), row.get("_version", "shipped"))
    console.print(grid)


@app.command("show")
@friendly_errors
def show(
    row_id: str = typer.Argument(..., metavar="ID", help="Row id (BM2023-061, CC-036, GRID-019 …) or carrier"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """One row with every column, its source and confidence, and the version it comes from."""
    reference = _reference(data_dir)
    table, row = catalogue.find_row(reference, row_id)
    console = _console()
    grid = _table("column", "value", title=f"{row_id} — table {table}, version {row.get('_version', 'shipped')}")
    for column, value in row.items():
        if column != "_version":
            grid.add_row(column, value)
    console.print(grid)
    for group in catalogue.spec_for(table, reference).groups:
        confidence = row.get(group.confidence, "")
        verdict = "verified" if confidence.strip().lower().startswith("verified") else "NOT verified"
        blank = "" if any(row.get(c, "").strip() for c in group.values) else " (values blank)"
        console.print(f"{', '.join(group.values)}: {verdict}{blank}")
    if table == "carriers":
        _carrier_links(reference, row["id"], console)
    console.print(f"version: {row.get('_version', 'shipped')}")


def _carrier_links(reference: tables.ReferenceSet, carrier_id: str, console: Console) -> None:
    """A carrier row has no values of its own: show the coefficient rows it points to."""
    carrier = reference.carrier(carrier_id)
    try:
        cc = reference.conversion_coefficient(carrier)
        value = cc.value if cc.value is not None else (cc.value_range or "blank")
        console.print(
            f"conversion coefficient: {cc.row_id} {cc.row_name} = {value} {cc.unit} "
            f"[{cc.provenance.confidence}] (version {cc.provenance.version})"
        )
    except DualcarbonError as exc:
        console.print(f"conversion coefficient: none ({exc.message})")
    if carrier.emission_row:
        try:
            ef = reference.emission_defaults(carrier)
            console.print(
                f"emission defaults: {ef.row_id} {ef.row_name} [{ef.provenance.confidence}] "
                f"(version {ef.provenance.version})"
            )
        except DualcarbonError as exc:
            console.print(f"emission defaults: none ({exc.message})")


def _problems_table(problems: list[tuple[int, str, str, str]]) -> Table:
    grid = _table("row", "row id", "column", "reason", title="problems")
    for number, row_id, column, reason in problems:
        grid.add_row(str(number) if number else "-", row_id, column, reason)
    return grid


@contextmanager
def _import_file(file: Path) -> Iterator[tuple[Path, list[int] | None]]:
    """The CSV to validate or import: ``file`` itself, or the rows of a filled-in template (.xlsx) with the
    sheet row of each (problems name the rows as Excel shows them)."""
    with tempfile.TemporaryDirectory(prefix="dualcarbon-template-") as directory:
        yield reference_template.import_source(file, Path(directory))


@app.command("template")
@friendly_errors
def template(
    table: str = typer.Argument(..., help="Table name, e.g. efficiency_benchmarks_2023"),
    output: Path = typer.Option(..., "-o", "--output", help="The .xlsx to write"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Write the fill-in workbook of TABLE: every row with its id, field, product, indicator and unit, and the
    value, source and confidence columns to fill; import it back as is with `dualcarbon reference import`."""
    if output.suffix.lower() != ".xlsx":
        raise fail(f"{output.name}: the template is an Excel workbook; give a name ending in .xlsx")
    reference = _reference(data_dir)
    content = reference_template.write_template(reference, table)
    output.write_bytes(content)
    blank = len(catalogue.blank_rows(reference, table))
    rows = len(reference.tables[table].rows)
    print(f"wrote {output} ({rows} rows of {table}; {blank} with blank values to fill)")


@app.command("validate")
@friendly_errors
def validate(
    file: Path = typer.Argument(
        ..., help="CSV (UTF-8, the table's column names, row_id first) or a filled-in template (.xlsx)"
    ),
    table: str | None = TableOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Check an official table before import; list every problem (row, column, reason); exit 2 if any."""
    with _import_file(file) as (csv_file, sheet_rows):
        report = imports.validate_file(csv_file, tables.ReferenceSet(data_dir), table, sheet_rows=sheet_rows)
    console = _console()
    console.print(
        f"table: {report.table}; rows: {report.rows}; fills existing rows: {len(report.updates)}; "
        f"additions (row ids not in the shipped table): {len(report.additions)}"
    )
    if report.additions:
        console.print("additions: " + ", ".join(report.additions))
    if report.problems:
        console.print(_problems_table([(p.row, p.row_id, p.column, p.reason) for p in report.problems]))
        raise fail(f"{file.name}: {len(report.problems)} problem(s); nothing imported")
    console.print("OK: no problems")


@app.command("import")
@friendly_errors
def import_(
    file: Path = typer.Argument(
        ..., help="CSV (UTF-8, the table's column names, row_id first) or a filled-in template (.xlsx)"
    ),
    table: str | None = TableOption,
    note: str = typer.Option("", "--note", help="Why / from which official document (kept in the manifest)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Validate FILE and store it as a new version of its table in the data directory (all or nothing)."""
    target = data_dir_or_default(data_dir)
    with _import_file(file) as (csv_file, sheet_rows):
        report = imports.validate_file(csv_file, tables.ReferenceSet(target), table, sheet_rows=sheet_rows)
        if report.problems:
            _console().print(_problems_table([(p.row, p.row_id, p.column, p.reason) for p in report.problems]))
            raise fail(f"{file.name}: {len(report.problems)} problem(s); nothing imported")
        result = imports.import_file(csv_file, target, table, note)
    if result.created:
        print(
            f"imported {file.name} into {result.table} as version {result.version} "
            f"({result.report.rows} rows; {len(result.report.additions)} additions)"
        )
    else:
        state = "active" if result.active else "inactive — use `dualcarbon reference activate`"
        print(f"unchanged: identical to version {result.version} of {result.table} ({state})")


@app.command("versions")
@friendly_errors
def list_versions(
    table: str = typer.Argument(..., help="Table name"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """The imported versions of TABLE (the shipped table is the implicit first version)."""
    target = data_dir_or_default(data_dir)
    catalogue.spec_for(table, tables.ReferenceSet(target))
    grid = _table("version", "active", "imported at", "rows", "file", "note", title=f"versions of {table}")
    grid.add_row("shipped", "base", "", "", "(package data)", "")
    for entry in imports.versions(target, table):
        grid.add_row(
            entry["version"],
            "yes" if entry.get("active", True) else "no",
            entry.get("imported_at", ""),
            str(entry.get("rows", "")),
            entry.get("source_file", ""),
            entry.get("note", ""),
        )
    _console().print(grid)


@app.command("activate")
@friendly_errors
def activate(
    table: str = typer.Argument(..., help="Table name"),
    version: str = typer.Argument(..., help="Version id, or 'shipped' for the shipped table alone"),
    deactivate: bool = typer.Option(False, "--deactivate", help="Deactivate only this version"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Set TABLE to its state as of VERSION (later imports inactive), or deactivate one version."""
    target = data_dir_or_default(data_dir)
    catalogue.spec_for(table, tables.ReferenceSet(target))
    changed = imports.set_active(target, table, version, only=deactivate)
    print(f"{table}: {'changed ' + ', '.join(changed) if changed else 'nothing to change'}")


@app.command("policies")
@friendly_errors
def policies(
    pack: str | None = typer.Argument(None, help="Pack id or YAML path; all shipped packs if omitted"),
) -> None:
    """Policy packs (per jurisdiction) and their rules, with the clause each comes from."""
    console = _console()
    if pack is None:
        grid = _table("pack", "jurisdiction", "document", "obligations", "targets", "schedules", title="policy packs")
        for name in policy.list_packs():
            loaded = policy.load_pack(name)
            grid.add_row(
                name,
                loaded.jurisdiction,
                loaded.document.number or loaded.document.title,
                str(len(loaded.obligations)),
                str(len(loaded.targets)),
                str(len(loaded.schedules)),
            )
        console.print(grid)
        return
    loaded = policy.load_pack(pack)
    grid = _table("rule", "obligation / kind", "when / value", "clause", title=f"{loaded.id}: {loaded.title_zh}")
    for rule in loaded.obligations:
        grid.add_row(rule.id, rule.obligation, "; ".join(c.describe() for c in rule.when), rule.source.clause)
    for target in loaded.targets:
        grid.add_row(
            target.id, target.kind, f"{target.comparison} {target.value:g} {target.unit}", target.source.clause
        )
    for schedule in loaded.schedules:
        values = ", ".join(f"{year}: {value:g}" for year, value in schedule.values.items())
        grid.add_row(
            schedule.id, schedule.kind, f"{schedule.comparison} {values} ({schedule.unit})", schedule.source.clause
        )
    console.print(grid)
