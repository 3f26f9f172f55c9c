"""``dualcarbon store compact-readings``: merge the small files of the Parquet readings store.

Each month partition with more than ``--min-files`` files (default
:data:`dualcarbon.monitoring.store_readings.COMPACT_MIN_FILES`) becomes one file sorted by (meter_id, ts), switched
in atomically under the readings lock (docs/monitoring.md, "Readings store"). The enterprises' rollups are
refreshed first, so every file can be merged and nothing is recomputed afterwards. On PostgreSQL there are no
files: the command reports ``"store": "postgresql"`` and does nothing. Prints the counts as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, friendly_errors, lazy_import, transaction

if TYPE_CHECKING:
    from dualcarbon.monitoring import service_refresh
    from dualcarbon.reference import tables as reference_tables
else:  # loaded on first use (`dualcarbon --help` stays light)
    service_refresh = lazy_import("dualcarbon.monitoring.service_refresh")
    reference_tables = lazy_import("dualcarbon.reference.tables")

#: ``dualcarbon store …``: maintenance of the stores.
store_app = typer.Typer(help="Maintenance of the stores.", no_args_is_help=True)

#: Same value as store_readings.COMPACT_MIN_FILES, kept literal here so that `--help` imports no DuckDB
#: (tests/monitoring/test_compaction.py checks that they agree).
DEFAULT_MIN_FILES = 16


@store_app.command(
    "compact-readings", help="Merge each month partition of the Parquet readings with many files into one sorted file."
)
@friendly_errors
def compact_readings(
    enterprise: str | None = typer.Option(None, "--enterprise", help="credit code (default: every enterprise)"),
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (Asia/Shanghai; default: every month)"),
    min_files: int = typer.Option(
        DEFAULT_MIN_FILES, "--min-files", help="compact a partition holding more files than this"
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    from dualcarbon.ui.commands import data_dir_or_default

    reference = reference_tables.load_reference(data_dir_or_default(data_dir))
    with transaction(data_dir) as session:
        stats = service_refresh.compact_readings(
            session, cli_principal(), credit_code=enterprise, month=month, min_files=min_files, reference=reference
        )
    typer.echo(json.dumps(stats.__dict__))
