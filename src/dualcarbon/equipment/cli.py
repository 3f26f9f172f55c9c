"""``dualcarbon equipment …`` and ``dualcarbon technologies …``: the register, 设备对标, 淘汰目录, 技术目录.

Commands: ``equipment template KIND -o FILE`` (empty fill-in templates),
``equipment import FILE`` (register lines, all or nothing, idempotent on (enterprise, asset code)),
``equipment list``, ``equipment report --enterprise CC -o FILE`` (the 设备对标 workbook),
``equipment obsolete-import FILE``, ``technologies import FILE`` and ``technologies search [--q] [--field]``.
They find the store like the other commands (``--data-dir`` / ``DUALCARBON_DATA_DIR`` or
``DUALCARBON_DATABASE_URL``) and act as the CLI administrator. Errors print one line on stderr and exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    JsonOption,
    active_reference,
    cli_principal,
    echo_json,
    echo_listing,
    fail,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.equipment import schemas
    from dualcarbon.equipment import service_benchmark as benchmark
    from dualcarbon.equipment import service_catalogues as catalogues
    from dualcarbon.equipment import service_register as register
    from dualcarbon.equipment.io import report as report_io
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy or services
    schemas = lazy_import("dualcarbon.equipment.schemas")
    benchmark = lazy_import("dualcarbon.equipment.service_benchmark")
    catalogues = lazy_import("dualcarbon.equipment.service_catalogues")
    register = lazy_import("dualcarbon.equipment.service_register")
    report_io = lazy_import("dualcarbon.equipment.io.report")

app = typer.Typer(
    help="Equipment register and benchmarking (设备台账/设备对标), obsolete list (淘汰目录).", no_args_is_help=True
)
technologies_app = typer.Typer(help="Technology catalogue (节能技术推荐目录): import, search.", no_args_is_help=True)


def _receipt(receipt: schemas.ImportReceipt, as_json: bool) -> None:
    if as_json:
        echo_json(receipt)
        return
    typer.echo(
        f"{receipt.file}: {receipt.rows} row(s), {receipt.created} created, {receipt.updated} updated, "
        f"{receipt.unchanged} unchanged"
    )


@app.command("import", help="Import register lines from .xlsx/.csv (all or nothing; same file twice: no change).")
@friendly_errors
def import_(
    file: Path = typer.Argument(..., help=".xlsx or .csv"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        receipt = register.import_register(session, cli_principal(), file)
    _receipt(receipt, as_json)


@app.command("list", help="Register lines, by enterprise and asset code.")
@friendly_errors
def list_(
    enterprise: str | None = typer.Option(None, "--enterprise", help="统一社会信用代码"),
    equipment_type: str | None = typer.Option(None, "--type", help="motor, pump, fan, transformer …"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items = register.list_items(session, cli_principal(), enterprise, equipment_type)
    echo_listing(items, _register_line, f"{len(items)} line(s)", as_json=as_json)


def _register_line(item: schemas.EquipmentOut) -> str:
    power = "-" if item.rated_power_kw is None else f"{item.rated_power_kw:g} kW"
    eff = "-" if item.efficiency_pct is None else f"{item.efficiency_pct:g}%"
    return (
        f"{item.credit_code}\t{item.asset_code}\t{item.equipment_type_zh}\t{item.model or '-'}\t{power}\t{eff}"
        f"\t×{item.quantity}"
    )


@app.command("report", help="Shanghai's 设备对标 workbook of one enterprise.")
@friendly_errors
def report(
    enterprise: str = typer.Option(..., "--enterprise", help="统一社会信用代码"),
    output: Path = typer.Option(..., "-o", "--output", help="the .xlsx to write"),
    data_dir: Path | None = DataDirOption,
) -> None:
    reference = active_reference(data_dir)
    with transaction(data_dir) as session:
        result = benchmark.benchmark_enterprise(session, cli_principal(), enterprise, reference)
    output.write_bytes(report_io.write_benchmark_workbook(result))
    totals = result.totals
    typer.echo(
        f"{output}: {totals.items} line(s), {totals.benchmarked} benchmarked, {totals.below_limit} below 3级, "
        f"{totals.obsolete} on the obsolete list, {totals.energy_at_stake_kwh:.0f} kWh/a at stake"
    )


@app.command("obsolete-import", help="Import an obsolete-equipment catalogue (淘汰目录) from .xlsx/.csv.")
@friendly_errors
def obsolete_import(
    file: Path = typer.Argument(..., help=".xlsx or .csv"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        receipt = catalogues.import_obsolete(session, cli_principal(), file)
    _receipt(receipt, as_json)


TEMPLATES = ("register", "obsolete_list", "technologies")


@app.command("template", help="Write an empty fill-in template: register, obsolete_list or technologies (.csv).")
@friendly_errors
def template(
    kind: str = typer.Argument(..., help="register, obsolete_list or technologies"),
    output: Path = typer.Option(..., "-o", "--output", help="the .csv to write"),
) -> None:
    from importlib import resources

    if kind not in TEMPLATES:
        raise fail(f"kind: one of {', '.join(TEMPLATES)}")
    text = resources.files("dualcarbon.equipment").joinpath("templates", f"{kind}.csv").read_bytes()
    output.write_bytes(text)
    typer.echo(f"{output}: empty {kind} template")


@technologies_app.command("import", help="Import technology catalogue entries from .xlsx/.csv (idempotent on code).")
@friendly_errors
def technologies_import(
    file: Path = typer.Argument(..., help=".xlsx or .csv"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        receipt = catalogues.import_technologies(session, cli_principal(), file)
    _receipt(receipt, as_json)


@technologies_app.command("search", help="Search the technology catalogue by text and field.")
@friendly_errors
def technologies_search(
    q: str | None = typer.Option(None, "--q", help="text in code, name, description or cases"),
    field: str | None = typer.Option(None, "--field", help="领域 contains"),
    limit: int = typer.Option(200, "--limit", min=1, max=1000),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        found = catalogues.search_technologies(session, cli_principal(), q, field, limit)
    echo_listing(found, _technology_line, f"{len(found)} technolog(ies)", as_json=as_json)


def _technology_line(tech: schemas.TechnologyOut) -> str:
    rate = "-" if tech.saving_rate_pct is None else f"{tech.saving_rate_pct:g}%"
    payback = "-" if tech.payback_years is None else f"{tech.payback_years:g} a"
    return f"{tech.code}\t{tech.name}\t{tech.field}\t{rate}\t{payback}\t{tech.source_batch}"
