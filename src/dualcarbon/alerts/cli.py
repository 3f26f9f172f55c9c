"""``dualcarbon alerts evaluate|list|deliver|budget|forecast`` and ``dualcarbon upload run|status``.

Like the monitoring commands they find the store by ``--data-dir`` / ``DUALCARBON_DATA_DIR`` or
``DUALCARBON_DATABASE_URL``, act as an administrator, print JSON, and print one ``error:`` line and exit 2 on bad
input. The nightly job, after ``rollups refresh`` and ``quality compute``: ``alerts evaluate`` then
``alerts deliver`` and ``upload run``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dualcarbon.ui.commands import (
    DataDirOption,
    cli_principal,
    data_dir_or_default,
    fail,
    friendly_errors,
    lazy_import,
    open_store,
    transaction,
)

if TYPE_CHECKING:
    from dualcarbon.alerts import (
        service_alerts,
        service_budget,
        service_channels,
        service_forecast,
        service_rules,
        service_upload,
    )
    from dualcarbon.reference import tables as reference_tables
else:  # loaded on first use, so that `dualcarbon --help` stays fast
    service_alerts = lazy_import("dualcarbon.alerts.service_alerts")
    service_budget = lazy_import("dualcarbon.alerts.service_budget")
    service_channels = lazy_import("dualcarbon.alerts.service_channels")
    service_forecast = lazy_import("dualcarbon.alerts.service_forecast")
    service_upload = lazy_import("dualcarbon.alerts.service_upload")
    service_rules = lazy_import("dualcarbon.alerts.service_rules")
    reference_tables = lazy_import("dualcarbon.reference.tables")

alerts_app = typer.Typer(help="Alerts (告警), budgets (用能预算) and forecasts.", no_args_is_help=True)
budget_app = typer.Typer(help="Annual energy budgets (用能预算).", no_args_is_help=True)
upload_app = typer.Typer(help="Upload to the provincial platform (接入端 → 省级平台).", no_args_is_help=True)
alerts_app.add_typer(budget_app, name="budget")


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: '{value}' is not a date YYYY-MM-DD") from None


def _reference(data_dir: Path | None) -> reference_tables.ReferenceSet:
    return reference_tables.load_reference(data_dir_or_default(data_dir))


@alerts_app.command("evaluate", help="Evaluate every alert source for a day (default: yesterday, Asia/Shanghai).")
@friendly_errors
def evaluate(
    day: str | None = typer.Option(None, "--date", help="YYYY-MM-DD"),
    enterprise: str | None = typer.Option(None, "--enterprise", help="credit code (default: all)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    wanted = _day(day, "--date") or service_forecast.local_today() - timedelta(days=1)
    reference = _reference(data_dir)
    with transaction(data_dir) as session:
        summary = service_alerts.evaluate(session, cli_principal(), wanted, reference, enterprise)
    _echo(summary.model_dump(mode="json"))


@alerts_app.command("list", help="Alerts, newest first.")
@friendly_errors
def list_(
    state: str | None = typer.Option(None, "--state", help="open, acknowledged or closed"),
    level: str | None = typer.Option(None, "--level", help="yellow, orange or red"),
    source: str | None = typer.Option(None, "--source"),
    enterprise: str | None = typer.Option(None, "--enterprise", help="credit code"),
    region: str | None = typer.Option(None, "--region", help="region code (GB/T 2260)"),
    offset: int = typer.Option(0, "--offset", min=0),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    data_dir: Path | None = DataDirOption,
) -> None:
    with transaction(data_dir) as session:
        rows, total = service_alerts.list_alerts(
            session,
            cli_principal(),
            state=state,
            level=level,
            source=source,
            credit_code=enterprise,
            region=region,
            limit=limit,
            offset=offset,
        )
    _echo({"items": [r.model_dump(mode="json") for r in rows], "total": total, "limit": limit, "offset": offset})


@alerts_app.command("deliver", help="Send the due webhook and e-mail deliveries (SMTP from <data dir>/alerts.yaml).")
@friendly_errors
def deliver(data_dir: Path | None = DataDirOption) -> None:
    rules = service_rules.AlertRules.of(_reference(data_dir))
    smtp = service_channels.load_smtp_config(data_dir_or_default(data_dir))
    engine = open_store(data_dir)  # claim, send, record: no transaction open while sending
    try:
        run = service_channels.deliver_due(engine, rules, smtp=smtp)
    finally:
        engine.dispose()
    _echo(run.model_dump())


@budget_app.command("set", help="Set an enterprise's annual energy budget in tce (spread by last year's profile).")
@friendly_errors
def budget_set(
    enterprise: str = typer.Option(..., "--enterprise", help="credit code"),
    year: int = typer.Option(..., "--year"),
    tce: float = typer.Option(..., "--tce", help="annual budget, tce (当量值)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    reference = _reference(data_dir)
    with transaction(data_dir) as session:
        service_budget.set_budget(session, cli_principal(), enterprise, year, tce, reference)
        status = service_budget.budget_status(
            session, cli_principal(), enterprise, year, service_forecast.local_today(), reference
        )
    _echo(status.model_dump(mode="json"))


@budget_app.command("show", help="Actual and projected year-end against the budget, with the warning level.")
@friendly_errors
def budget_show(
    enterprise: str = typer.Option(..., "--enterprise", help="credit code"),
    year: int = typer.Option(..., "--year"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    reference = _reference(data_dir)
    day = _day(as_of, "--as-of") or service_forecast.local_today()
    with transaction(data_dir) as session:
        status = service_budget.budget_status(session, cli_principal(), enterprise, year, day, reference)
    _echo(status.model_dump(mode="json"))


@alerts_app.command("forecast", help="Month and year-end forecast of tce and tCO₂ for an enterprise or a region.")
@friendly_errors
def forecast(
    scope: str = typer.Option("enterprise", "--scope", help="enterprise or region"),
    ident: str = typer.Option(..., "--id", help="credit code or region code"),
    year: int = typer.Option(..., "--year"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    reference = _reference(data_dir)
    day = _day(as_of, "--as-of") or service_forecast.local_today()
    with transaction(data_dir) as session:
        result = service_forecast.forecast(session, cli_principal(), scope, ident, year, day, reference)
    _echo(result.model_dump(mode="json"))


@upload_app.command("run", help="Build a day's upload messages into the outbox, send what is due, prune old ones.")
@friendly_errors
def upload_run(
    day: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: yesterday)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    wanted = _day(day, "--date") or service_forecast.local_today() - timedelta(days=1)
    reference = _reference(data_dir)
    rules = service_rules.AlertRules.of(reference)
    config = service_upload.load_config(data_dir_or_default(data_dir))
    if not config.endpoints:
        raise fail(f"no endpoints: write {service_upload.CONFIG_FILE} in the data directory (docs/alerts.md)")
    with transaction(data_dir) as session:
        built = service_upload.build_messages(session, cli_principal(), wanted, config, reference)
    with transaction(data_dir) as session:
        run = service_upload.send_due(session, config, rules)
        run.pruned = service_upload.prune(session, rules)
    run.built = built
    _echo(run.model_dump())


@upload_app.command("status", help="Outbox per endpoint: pending, acknowledged, oldest pending, last error.")
@friendly_errors
def upload_status(data_dir: Path | None = DataDirOption) -> None:
    with transaction(data_dir) as session:
        rows = service_upload.upload_status(session)
    _echo([r.model_dump(mode="json") for r in rows])


def register(app: typer.Typer) -> None:
    """Add ``dualcarbon alerts …`` and ``dualcarbon upload …`` to the root command."""
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(upload_app, name="upload")
