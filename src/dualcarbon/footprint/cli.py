"""``dualcarbon footprint …``: product carbon footprint studies (产品碳足迹) from a shell.

Commands: ``compute`` (a draft study of one product from the enterprise's approved annual report and a bill
of materials CSV — see :mod:`dualcarbon.footprint.io_materials`), ``show ID`` (result and trace), ``list``
and ``publish ID``; ``factors …`` keeps the material factor table (:mod:`.cli_factors`). They find the
store like the other commands and act as the CLI administrator; the reference tables are those of the data
directory (shipped tables overlaid by imports). Errors print one line on stderr and exit 2; ``--json`` prints
what the service returned.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.footprint import cli_factors
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
    from dualcarbon.footprint import io_materials, schemas, service, service_register
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy or services
    io_materials = lazy_import("dualcarbon.footprint.io_materials")
    schemas = lazy_import("dualcarbon.footprint.schemas")
    service = lazy_import("dualcarbon.footprint.service")
    service_register = lazy_import("dualcarbon.footprint.service_register")

app = typer.Typer(help="Product carbon footprint (产品碳足迹, GB/T 24067 first step).", no_args_is_help=True)
app.add_typer(cli_factors.app, name="factors")


def _values(pairs: list[str]) -> dict[str, float] | None:
    if not pairs:
        return None
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, amount = pair.rpartition("=")
        try:
            out[name.strip()] = float(amount)
        except ValueError:
            raise fail(f"--value '{pair}': give PRODUCT=万元, e.g. 产品甲=300") from None
        if not sep or not name.strip():
            raise fail(f"--value '{pair}': give PRODUCT=万元, e.g. 产品甲=300")
    return out


def _print_study(study: schemas.StudyOut) -> None:
    result = study.result
    total = "—（不完整：缺少因子）" if result.total_tco2e is None else f"{result.total_tco2e:.4f} tCO2e"
    typer.echo(f"#{study.id} {study.enterprise_name} {study.product} {study.year} [{study.state_zh}]")
    typer.echo(
        f"allocation {result.allocation_method_zh}: share {result.allocation_share:.6f} ({result.allocation_basis})"
    )
    typer.echo(f"footprint {total}; known part {result.known_tco2e:.4f} tCO2e; complete {result.complete}")
    if result.per_unit_tco2e is not None:
        typer.echo(f"per {result.declared_unit}: {result.per_unit_tco2e:.6f} tCO2e")
    for term in result.trace:
        amount = "-" if term.tco2e is None else f"{term.tco2e:.4f}"
        factor = "" if term.factor is None else f" × {term.factor:g} {term.factor_unit}"
        typer.echo(f"  {term.step}\t{term.label}\t{amount} tCO2e{factor}\t{term.reference}")
    for item in result.missing:
        typer.echo(f"missing: {item.material}: {item.reason}; fix: {item.fix}", err=True)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)


@app.command("compute", help="Compute (and keep as a draft) the footprint of one product for one year.")
@friendly_errors
def compute(
    enterprise: str = typer.Option(..., "--enterprise", help="统一社会信用代码 of the enterprise"),
    product: str = typer.Option(..., "--product", help="product, as on the annual report's output line"),
    year: int = typer.Option(..., "--year", help="year of the approved annual report"),
    materials: Path = typer.Option(..., "--materials", help="bill of materials CSV: material,quantity,unit[,row_id]"),
    allocation: str = typer.Option("mass", "--allocation", help="mass | economic"),
    value: list[str] = typer.Option([], "--value", help="economic allocation: PRODUCT=万元, once per output"),
    process_tco2: float = typer.Option(0.0, "--process-tco2", help="process emissions not in the report (tCO₂)"),
    process_source: str | None = typer.Option(None, "--process-source", help="where the process figure comes from"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    if allocation not in ("mass", "economic"):
        raise fail(f"--allocation must be mass or economic, not '{allocation}'")
    spec = schemas.StudyIn(
        credit_code=enterprise.strip().upper(),
        year=year,
        product=product,
        allocation=allocation,  # type: ignore[arg-type]
        values_10k_yuan=_values(value),
        process_tco2=process_tco2,
        process_source=process_source,
        materials=io_materials.read_materials(materials),
    )
    reference = active_reference(data_dir)
    with transaction(data_dir) as session:
        study = service.create_study(session, cli_principal(), spec, reference=reference)
    if as_json:
        echo_json(study)
        return
    _print_study(study)


@app.command("show", help="One study: result and trace.")
@friendly_errors
def show(
    study_id: int = typer.Argument(..., help="study id (see `footprint list`)"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        study = service_register.get_study(session, cli_principal(), study_id)
    if as_json:
        echo_json(study)
        return
    _print_study(study)


@app.command("list", help="Studies, of one enterprise or all.")
@friendly_errors
def list_(
    enterprise: str | None = typer.Option(None, "--enterprise", help="统一社会信用代码"),
    year: int | None = typer.Option(None, "--year"),
    as_json: bool = JsonOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        items = service_register.list_studies(session, cli_principal(), credit_code=enterprise, year=year)
    echo_listing(items, _study_line, f"{len(items)} study(ies)", as_json=as_json)


def _study_line(item: schemas.StudySummary) -> str:
    total = "—" if item.total_tco2e is None else f"{item.total_tco2e:.4f}"
    return f"#{item.id}\t{item.credit_code}\t{item.product}\t{item.year}\t{total} tCO2e\t{item.state_zh}"


@app.command("publish", help="Publish a draft onto the region's register (send the version you saw).")
@friendly_errors
def publish(
    study_id: int = typer.Argument(..., help="study id"),
    lock_version: int = typer.Option(..., "--lock-version", help="the study's lock_version as shown"),
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        study = service.publish(session, cli_principal(), study_id, schemas.VersionIn(lock_version=lock_version))
    typer.echo(f"#{study.id} published ({study.total_tco2e:.4f} tCO2e)")
