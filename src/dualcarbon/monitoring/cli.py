"""``dualcarbon meters …``, ``dualcarbon ingest FILE|mqtt``, ``dualcarbon mqtt acl`` and ``dualcarbon rollups show``.

Like the other subjects' commands they find the store by ``--data-dir`` / ``DUALCARBON_DATA_DIR`` (SQLite and
the Parquet readings beside it) or ``DUALCARBON_DATABASE_URL`` (PostgreSQL), act as an administrator
(``cli:<os user>`` in the audit log), print one ``error:`` line and exit 2 on bad input.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, fail, friendly_errors, lazy_import, transaction

if TYPE_CHECKING:
    from dualcarbon.monitoring import service_ingest, service_meters, service_mqtt, service_rollups
    from dualcarbon.monitoring.io import readings_file
    from dualcarbon.reference import tables as reference_tables
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy, DuckDB or services
    service_ingest = lazy_import("dualcarbon.monitoring.service_ingest")
    service_meters = lazy_import("dualcarbon.monitoring.service_meters")
    service_mqtt = lazy_import("dualcarbon.monitoring.service_mqtt")
    service_rollups = lazy_import("dualcarbon.monitoring.service_rollups")
    readings_file = lazy_import("dualcarbon.monitoring.io.readings_file")
    reference_tables = lazy_import("dualcarbon.reference.tables")

meters_app = typer.Typer(help="The meter register (计量器具): import, list.", no_args_is_help=True)
mqtt_app = typer.Typer(help="MQTT ingestion: the broker's password and ACL files.", no_args_is_help=True)
rollups_app = typer.Typer(help="Rollups of meter readings with tce and CO₂.", no_args_is_help=True)


def _reference(data_dir: Path | None) -> reference_tables.ReferenceSet:
    from dualcarbon.ui.commands import data_dir_or_default

    return reference_tables.load_reference(data_dir_or_default(data_dir))


@meters_app.command("import", help="Import meters from CSV/xlsx (all or nothing; importing again changes nothing).")
@friendly_errors
def import_meters(
    file: Path = typer.Argument(..., help=".csv or .xlsx"), data_dir: Path | None = DataDirOption
) -> None:
    reference = _reference(data_dir)
    try:
        with transaction(data_dir) as session:
            receipt = service_meters.import_meters(session, cli_principal(), file, reference)
    except service_meters.MeterFileInvalid as exc:
        for row, column, reason in exc.problems:
            print(f"row {row}, {column}: {reason}", file=sys.stderr)
        raise fail(f"{len(exc.problems)} problem(s) in {file.name}; nothing imported") from None
    typer.echo(json.dumps(receipt.model_dump(mode="json"), ensure_ascii=False))


@meters_app.command("list", help="Meters, by enterprise and code.")
@friendly_errors
def list_meters(
    enterprise: str | None = typer.Option(None, "--enterprise", help="credit code"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        meters = service_meters.list_meters(session, cli_principal(), enterprise)
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in meters], ensure_ascii=False, indent=2))
        return
    for m in meters:
        parent = f" parent={m.parent_code}" if m.parent_code else ""
        counted = "" if m.counted else " not-counted"
        typer.echo(
            f"#{m.id}\t{m.credit_code}\t{m.code}\t{m.carrier}\t{m.unit}\t{m.kind}\t×{m.multiplier:g}"
            f"\t{m.interval_minutes} min{parent}{counted}"
        )
    typer.echo(f"{len(meters)} meter(s)", err=True)


@friendly_errors
def ingest(
    file: Path = typer.Argument(
        ..., help="readings: .csv, .parquet or .xlsx with credit_code,meter_code,ts,value; or `mqtt` to subscribe"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="mqtt: broker host"),
    port: int = typer.Option(1883, "--port", help="mqtt: broker port"),
    username: str | None = typer.Option(None, "--username", envvar="DUALCARBON_MQTT_USERNAME", help="mqtt: user"),
    password: str | None = typer.Option(None, "--password", envvar="DUALCARBON_MQTT_PASSWORD", help="mqtt: password"),
    batch_size: int = typer.Option(10_000, "--batch-size", min=1, help="mqtt: flush after this many readings"),
    flush_seconds: float = typer.Option(1.0, "--flush-seconds", min=0.05, help="mqtt: flush at least this often"),
    data_dir: Path | None = DataDirOption,
) -> None:
    if str(file) == "mqtt" and not file.exists():
        _subscribe(data_dir, host, port, username, password, batch_size, flush_seconds)
        return
    table = readings_file.read_readings_file(file)
    with transaction(data_dir) as session:
        receipt = service_ingest.ingest_table(session, cli_principal(), table, source="file")
    typer.echo(json.dumps(receipt.model_dump(mode="json"), ensure_ascii=False))


def _subscribe(
    data_dir: Path | None,
    host: str,
    port: int,
    username: str | None,
    password: str | None,
    batch_size: int,
    flush_seconds: float,
) -> None:
    """Run the MQTT subscriber until Ctrl-C; print the summed receipt as JSON at the end."""
    import threading

    ingester = service_mqtt.MqttIngester(
        cli_principal(),
        lambda: transaction(data_dir),
        host=host,
        port=port,
        username=username,
        password=password,
        batch_size=batch_size,
        flush_seconds=flush_seconds,
    )
    stop = threading.Event()
    print(f"subscribed to dualcarbon/+/+ on {host}:{port} (Ctrl-C to stop)", file=sys.stderr)
    try:
        ingester.run(stop)
    except KeyboardInterrupt:
        stop.set()
        ingester.flush()
    stats = ingester.stats
    typer.echo(json.dumps(stats.receipt.model_dump(mode="json") | {"malformed": stats.malformed}, ensure_ascii=False))


@mqtt_app.command("acl", help="Write the Mosquitto password and ACL files; prints the new credentials once (JSON).")
@friendly_errors
def mqtt_acl(
    out: Path = typer.Option(..., "--out", help="directory for `passwords` and `acl`"),
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        credentials = service_mqtt.write_mosquitto_files(session, cli_principal(), out)
    typer.echo(json.dumps(credentials, ensure_ascii=False, indent=2))
    print(
        f"wrote {out / 'passwords'} and {out / 'acl'}; point Mosquitto's password_file and acl_file at them "
        "(readable by the mosquitto user) and reload it",
        file=sys.stderr,
    )


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: not a date YYYY-MM-DD: {text!r}") from None


@rollups_app.command("show", help="Hour, day or month rollups of one meter (--to inclusive).")
@friendly_errors
def show(
    meter: str = typer.Option(..., "--meter", help="meter code"),
    enterprise: str = typer.Option(..., "--enterprise", help="credit code"),
    interval: str = typer.Option("day", "--interval", help="hour, day or month"),
    date_from: str = typer.Option(..., "--from", help="first day YYYY-MM-DD (Asia/Shanghai)"),
    date_to: str = typer.Option(..., "--to", help="last day YYYY-MM-DD, inclusive"),
    output: str = typer.Option("json", "--format", help="json or csv"),
    data_dir: Path | None = DataDirOption,
) -> None:
    if output not in ("json", "csv"):
        raise fail("--format: json or csv")
    reference = _reference(data_dir)
    with transaction(data_dir) as session:
        result = service_rollups.meter_rollups(
            session,
            cli_principal(),
            interval,
            _day(date_from, "--from"),
            _day(date_to, "--to"),
            reference,
            credit_code=enterprise,
            meter_code=meter,
        )
    if output == "json":
        typer.echo(json.dumps(result.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["start", "energy", "unit", "tce", "tce_equal", "tco2", "completeness", "flags"])
    for p in result.periods:
        writer.writerow(
            [
                datetime.isoformat(p.start),
                "" if p.energy is None else repr(p.energy),
                p.unit,
                "" if p.tce is None else repr(p.tce),
                "" if p.tce_equal is None else repr(p.tce_equal),
                "" if p.tco2 is None else repr(p.tco2),
                repr(p.completeness),
                "|".join(p.flags),
            ]
        )


def register(app: typer.Typer) -> None:
    """Add ``meters``, ``ingest`` and ``rollups`` to the root command."""
    app.add_typer(meters_app, name="meters")
    app.command(
        "ingest", help="Ingest readings from a file (prints the receipt as JSON), or `ingest mqtt` to subscribe."
    )(ingest)
    app.add_typer(rollups_app, name="rollups")
    app.add_typer(mqtt_app, name="mqtt")
