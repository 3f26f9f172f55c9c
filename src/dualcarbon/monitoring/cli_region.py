"""``dualcarbon store build-region-days``: (re)build the region day table from the enterprise day rollup files.

The migration of a Parquet store whose rollups predate the region day table (:mod:`.store_region`): every month's
day rows of every enterprise become one compacted file per month, under the rollups' lock, and the table is
marked complete. The first rollup refresh after an upgrade does the same by itself; the command lets an operator do
it ahead of time (it opens every day file once: about a minute at 5,000 enterprises × a year). Run it again at
any time: it rebuilds from the enterprise files, which stay the source of truth. On PostgreSQL there is nothing to
build (the day rows are one table): the command reports ``"store": "postgresql"``. Prints the counts as JSON.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from dualcarbon.monitoring.cli_compact import store_app
from dualcarbon.ui.commands import DataDirOption, cli_principal, friendly_errors, transaction


@store_app.command("build-region-days", help="Build the region day table of the Parquet store from the day rollups.")
@friendly_errors
def build_region_days(data_dir: Path | None = DataDirOption) -> None:
    from dualcarbon.monitoring.store_region import RegionDays
    from dualcarbon.monitoring.store_rollups import rollup_store_for
    from dualcarbon.monitoring.store_rollups_parquet import ParquetRollupStore
    from dualcarbon.store.audit import append_audit

    with transaction(data_dir) as session:
        principal = cli_principal()  # the platform administrator
        store = rollup_store_for(session)
        if not isinstance(store, ParquetRollupStore):
            typer.echo(json.dumps({"store": "postgresql"}))
            return
        started = time.perf_counter()
        with store.locked():
            counts = RegionDays(store.root).build()
        append_audit(session, principal.username, "rollups.build_region_days", "store", "region", after=counts)
    typer.echo(json.dumps({"store": "parquet", **counts, "seconds": round(time.perf_counter() - started, 1)}))
