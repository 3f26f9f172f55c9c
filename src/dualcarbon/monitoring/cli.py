"""``dualcarbon meters …``, ``dualcarbon ingest FILE|mqtt``, ``dualcarbon mqtt acl`` and ``dualcarbon rollups
show|refresh|balance``.

Like the other subjects' commands they find the store by ``--data-dir`` / ``DUALCARBON_DATA_DIR`` (SQLite and
the Parquet readings beside it) or ``DUALCARBON_DATABASE_URL`` (PostgreSQL), act as an administrator
(``cli:<os user>`` in the audit log), print one ``error:`` line and exit 2 on bad input.
"""

from __future__ import annotations

import csv
import json
import signal
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    cli_principal,
    fail,
    friendly_errors,
    lazy_import,
    session_factory,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.monitoring import (
        service_balance,
        service_ingest,
        service_meters,
        service_mqtt,
        service_refresh,
        service_rollups,
        service_tree,
    )
    from dualcarbon.monitoring.io import readings_file
    from dualcarbon.reference import tables as reference_tables
else:  # loaded on first use, so that `dualcarbon --help` imports no SQLAlchemy, DuckDB or services
    service_ingest = lazy_import("dualcarbon.monitoring.service_ingest")
    service_meters = lazy_import("dualcarbon.monitoring.service_meters")
    service_mqtt = lazy_import("dualcarbon.monitoring.service_mqtt")
    service_rollups = lazy_import("dualcarbon.monitoring.service_rollups")
    service_refresh = lazy_import("dualcarbon.monitoring.service_refresh")
    service_tree = lazy_import("dualcarbon.monitoring.service_tree")
    service_balance = lazy_import("dualcarbon.monitoring.service_balance")
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
        raise fail(
            f"{file.name} 有 {len(exc.problems)} 处问题，未导入任何内容 / "
            f"{len(exc.problems)} problem(s) in {file.name}; nothing imported"
        ) from None
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
    max_pending: int = typer.Option(
        20, "--max-pending", min=1, help="mqtt: flush once this many messages await acknowledgement (broker window)"
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    if str(file) == "mqtt" and not file.exists():
        _subscribe(data_dir, host, port, username, password, batch_size, flush_seconds, max_pending)
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
    max_pending: int,
) -> None:
    """Run the MQTT subscriber until Ctrl-C or SIGTERM; print the summed receipt as JSON at the end.

    The first Ctrl-C or SIGTERM (what systemd, Docker and ``kill`` send) asks the loop to stop: a flush under way
    finishes, the rest is flushed, the receipt printed. (Before, SIGTERM ended the process without either, and a
    Ctrl-C landing inside a flush interrupted its commit, so those readings were missing from the receipt until
    the broker redelivered them.) A second signal stops at once; unacknowledged messages are then redelivered."""
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with session_factory(data_dir) as sessions:
            ingester = service_mqtt.MqttIngester(
                cli_principal(),
                sessions,
                host=host,
                port=port,
                username=username,
                password=password,
                batch_size=batch_size,
                flush_seconds=flush_seconds,
                max_pending=max_pending,
            )

            def ready() -> None:
                print(f"subscribed to dualcarbon/+/+ on {host}:{port} (Ctrl-C to stop)", file=sys.stderr, flush=True)

            try:
                ingester.run(stop, on_subscribed=ready)
            except KeyboardInterrupt:
                stop.set()
                ingester.flush()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stats = ingester.stats
    counts = {"malformed": stats.malformed, "failed_flushes": stats.failed_flushes}
    typer.echo(json.dumps(stats.receipt.model_dump(mode="json") | counts, ensure_ascii=False))


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
        f"wrote {out / 'passwords'}, {out / 'acl'} and {out / 'broker.conf'}; include broker.conf from "
        "mosquitto.conf (files readable by the mosquitto user), reload it, and run `dualcarbon ingest mqtt "
        f"--max-pending {service_mqtt.SUBSCRIBER_WINDOW}`",
        file=sys.stderr,
    )


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: 「{text}」不是日期（格式 YYYY-MM-DD） / not a date YYYY-MM-DD: {text!r}") from None


ROLLUP_CSV_HEADER = ["start", "energy", "unit", "tce", "tce_equal", "tco2", "completeness", "flags"]


def _num(value: float | None) -> str:
    return "" if value is None else repr(value)


@rollups_app.command(
    "show", help="Hour, day or month rollups of one meter, or without --meter the enterprise total per carrier."
)
@friendly_errors
def show(
    meter: str | None = typer.Option(None, "--meter", help="meter code (omit for the enterprise total)"),
    enterprise: str = typer.Option(..., "--enterprise", help="credit code"),
    interval: str = typer.Option("day", "--interval", help="hour, day or month"),
    date_from: str = typer.Option(..., "--from", help="first day YYYY-MM-DD (Asia/Shanghai)"),
    date_to: str = typer.Option(..., "--to", help="last day YYYY-MM-DD, inclusive"),
    output: str = typer.Option("json", "--format", help="json or csv"),
    data_dir: Path | None = DataDirOption,
) -> None:
    if output not in ("json", "csv"):
        raise fail("--format: 只能是 json 或 csv / json or csv")
    reference = _reference(data_dir)
    if meter is None:
        _show_enterprise(
            data_dir, reference, enterprise, interval, _day(date_from, "--from"), _day(date_to, "--to"), output
        )
        return
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
    writer.writerow(ROLLUP_CSV_HEADER)
    for p in result.periods:
        writer.writerow(
            [
                datetime.isoformat(p.start),
                _num(p.energy),
                p.unit,
                _num(p.tce),
                _num(p.tce_equal),
                _num(p.tco2),
                repr(p.completeness),
                "|".join(p.flags),
            ]
        )


def _show_enterprise(
    data_dir: Path | None,
    reference: reference_tables.ReferenceSet,
    enterprise: str,
    interval: str,
    date_from: date,
    date_to: date,
    output: str,
) -> None:
    service_rollups.check_range(interval, date_from, date_to)
    with transaction(data_dir) as session:
        result = service_rollups.finite_tree(
            service_tree.tree_rollups(
                session, cli_principal(), "enterprise", enterprise, interval, date_from, date_to, reference
            )
        )
    if output == "json":
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["carrier", *ROLLUP_CSV_HEADER])
    for group in result["carriers"]:
        for p in group["periods"]:
            row = [p["start"], _num(p["energy"]), p["unit"], _num(p["tce"]), _num(p["tce_equal"]), _num(p["tco2"])]
            writer.writerow([group["carrier"], *row, repr(p["completeness"]), "|".join(p["flags"])])
    for p in result["total"]["periods"]:
        row = [p["start"], "", "", _num(p["tce"]), _num(p["tce_equal"]), _num(p["tco2"]), repr(p["completeness"])]
        writer.writerow(["total", *row, "|".join(p["flags"])])


@rollups_app.command(
    "refresh",
    help="Recompute the stored rollups that new readings touched, then their energy costs (prints counts as JSON); "
    "run it nightly.",
)
@friendly_errors
def refresh(
    enterprise: str | None = typer.Option(None, "--enterprise", help="credit code (default: every enterprise)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    from dualcarbon.monitoring import service_cost

    reference = _reference(data_dir)
    with transaction(data_dir) as session:
        stats = service_refresh.refresh_rollups(session, reference, credit_code=enterprise)
        costed = service_cost.CostStats()
        for metered in service_refresh.enterprises_with_meters(session, credit_code=enterprise):
            done = service_cost.refresh_costs(session, metered, reference)  # its rollups are fresh: only the costs
            costed.days += done.days
            costed.rows += done.rows
    typer.echo(
        json.dumps(
            {
                "enterprises": stats.enterprises,
                "dirty": stats.dirty,
                "periods": stats.periods,
                "costed_days": costed.days,
                "cost_rows": costed.rows,
            }
        )
    )


@rollups_app.command("balance", help="Daily master/sub-meter balance (总表/分表) of a parent meter, with the loss %.")
@friendly_errors
def balance(
    meter: str = typer.Option(..., "--meter", help="parent meter code"),
    enterprise: str = typer.Option(..., "--enterprise", help="credit code"),
    date_from: str = typer.Option(..., "--from", help="first day YYYY-MM-DD (Asia/Shanghai)"),
    date_to: str = typer.Option(..., "--to", help="last day YYYY-MM-DD, inclusive"),
    output: str = typer.Option("json", "--format", help="json or csv"),
    data_dir: Path | None = DataDirOption,
) -> None:
    if output not in ("json", "csv"):
        raise fail("--format: 只能是 json 或 csv / json or csv")
    reference = _reference(data_dir)
    with transaction(data_dir) as session:
        result = service_balance.meter_balance(
            session,
            cli_principal(),
            _day(date_from, "--from"),
            _day(date_to, "--to"),
            reference,
            credit_code=enterprise,
            meter_code=meter,
        )
    if output == "json":
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["date", "parent", "children", "loss", "loss_pct", "completeness", "flags"])
    for d in result["days"]:
        numbers = [_num(d[k]) for k in ("parent", "children", "loss", "loss_pct")]
        writer.writerow([d["date"], *numbers, repr(d["completeness"]), "|".join(d["flags"])])


def register(app: typer.Typer) -> None:
    """Add ``meters``, ``ingest`` and ``rollups`` to the root command."""
    app.add_typer(meters_app, name="meters")
    app.command(
        "ingest", help="Ingest readings from a file (prints the receipt as JSON), or `ingest mqtt` to subscribe."
    )(ingest)
    app.add_typer(rollups_app, name="rollups")
    app.add_typer(mqtt_app, name="mqtt")
