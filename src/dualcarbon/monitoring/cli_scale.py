"""``dualcarbon scale rollups``: the rollup and quality job on PySpark over the Parquet lake (extra ``scale``).

The command exports the meter register and its per-unit factors from the database into ``OUT/register/``,
runs the Spark job (:mod:`dualcarbon.monitoring.service_spark`) over ``DATA_DIR/monitoring/readings`` and
prints a JSON summary. The quality threshold is the platform rule ``quality_completeness_min_pct`` (PR-004)
unless ``--completeness-min-pct`` is given. Acts as an administrator, like the other commands.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    cli_principal,
    data_dir_or_default,
    fail,
    friendly_errors,
    lazy_import,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.monitoring import service_spark
    from dualcarbon.reference import tables as reference_tables
else:  # pyspark, DuckDB and the services load only when the command runs
    service_spark = lazy_import("dualcarbon.monitoring.service_spark")
    reference_tables = lazy_import("dualcarbon.reference.tables")

#: Key of the platform rule holding the completeness threshold (percent).
COMPLETENESS_RULE = "quality_completeness_min_pct"

scale_app = typer.Typer(help="National-scale jobs on PySpark (optional extra `scale`).", no_args_is_help=True)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: 「{text}」不是日期（格式 YYYY-MM-DD） / not a date YYYY-MM-DD: {text!r}") from None


@scale_app.command(
    "rollups", help="Interval, hour, day, month rollups and daily completeness on Spark (--to inclusive)."
)
@friendly_errors
def rollups(
    date_from: str = typer.Option(..., "--from", help="first day YYYY-MM-DD (Asia/Shanghai)"),
    date_to: str = typer.Option(..., "--to", help="last day YYYY-MM-DD, inclusive"),
    out: Path = typer.Option(..., "--out", help="output directory (Parquet datasets, overwritten)"),
    completeness_min_pct: float | None = typer.Option(
        None, "--completeness-min-pct", help=f"pass threshold in % (default: platform rule {COMPLETENESS_RULE})"
    ),
    master: str = typer.Option("local[2]", "--master", help="Spark master URL"),
    data_dir: Path | None = DataDirOption,
) -> None:
    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    if last < first:
        raise fail("--to: 结束日期不能早于开始日期 / must not be before --from")
    root = data_dir_or_default(data_dir)
    reference = reference_tables.load_reference(root)
    if completeness_min_pct is None:
        completeness_min_pct = reference.platform_rule(COMPLETENESS_RULE).value
    register = out / "register"
    with transaction(data_dir) as session:
        meters = service_spark.export_register(session, cli_principal(), reference, first, last, register)
    if meters == 0:
        raise fail(
            "计量器具台账为空，请先导入表计（`dualcarbon meters import`） / "
            "no meters in the register; import meters first (`dualcarbon meters import`)"
        )
    spark = service_spark.spark_session(master)
    try:
        summary = service_spark.run_spark_rollups(root, register, first, last, out, completeness_min_pct, spark=spark)
    finally:
        spark.stop()
    typer.echo(json.dumps(summary.as_json(), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add ``scale`` to the root command."""
    app.add_typer(scale_app, name="scale")
