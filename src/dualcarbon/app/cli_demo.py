"""`dualcarbon demo`: build a synthetic city into a fresh workspace, print the logins, serve UI and API.

The data go into the workspace's own SQLite file, or into the database ``DUALCARBON_DATABASE_URL`` names
when it is set (it must be empty; see :mod:`dualcarbon.demo.workspace`).

The city (示范市, its districts, its enterprises and every figure) is invented; see
:mod:`dualcarbon.demo`. The build goes through the services, so it is computed and audit-logged like real
data. With the same ``--seed`` (and the same date, which fixes the report years) the data are the same;
the passwords are random on every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dualcarbon.app.cli_serve import AlertsSecondsOption, MqttHostOption, MqttPortOption, StepOption, start_live
from dualcarbon.ui.commands import friendly_errors

DEFAULT_DIR = Path("dualcarbon-demo")


class RichProgress:
    """The build's progress (:class:`dualcarbon.demo.build.Progress`) as one rich bar per stage."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def stage(self, description: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total)
        self.task = self.progress.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, steps)


def _print_logins(console: Console, logins: list[Any], url: str) -> None:
    from dualcarbon.demo.workspace import ROLE_ZH

    table = Table(title=f"演示账号 demo logins — {url}", title_justify="left")
    table.add_column("用户名 username", no_wrap=True)
    table.add_column("角色 role")
    table.add_column("范围 scope", overflow="fold")
    table.add_column("密码 password", no_wrap=True, min_width=len(logins[0].password) if logins else None)
    for login in logins:
        table.add_row(
            login.username,
            f"{ROLE_ZH.get(login.role, login.role)}\n{login.role}",
            login.scope.replace(" ", "\n", 1) if login.role == "enterprise" else login.scope,
            login.password,
        )
    console.print(table)


def _print_summary(console: Console, summary: dict[str, Any], seconds: float) -> None:
    reports = ", ".join(f"{state} {count}" for state, count in summary["reports"].items() if count)
    catalogs = ", ".join(f"{state} {count}" for state, count in summary["catalogs"].items() if count)
    appeals = ", ".join(f"{state} {count}" for state, count in summary["appeals"].items() if count)
    console.print(
        f"built in {seconds:.1f} s: {summary['enterprises']} enterprises; reports: {reports}; "
        f"overdue: {summary['overdue']}; catalogs: {catalogs}; appeals: {appeals}"
    )


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to the top-level ``dualcarbon`` command."""

    @app.command(
        help="Build a synthetic demo city into a fresh workspace (its own SQLite file, or the empty database "
        "DUALCARBON_DATABASE_URL names, e.g. PostgreSQL) and serve the UI and API."
    )
    @friendly_errors
    def demo(
        data_dir: Path = typer.Option(DEFAULT_DIR, "--data-dir", help="New workspace directory (must be empty)"),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on"),
        seed: int = typer.Option(1, "--seed", help="Random seed of the synthetic data"),
        enterprises: int = typer.Option(300, "--enterprises", min=10, max=20_000, help="Number of enterprises"),
        districts: int = typer.Option(5, "--districts", min=1, max=6, help="Number of districts"),
        force: bool = typer.Option(False, "--force", help="Replace an earlier demo workspace at --data-dir"),
        no_serve: bool = typer.Option(False, "--no-serve", help="Build only; do not start the server"),
        log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level"),
        meter_enterprises: int = typer.Option(
            30, "--meter-enterprises", min=0, help="Enterprises with meters and live readings (0: none)"
        ),
        meter_days: int = typer.Option(365, "--meter-days", min=1, max=731, help="Days of 15-min meter readings"),
        live: bool = typer.Option(True, "--live/--no-live", help="simulate live meter readings over MQTT"),
        mqtt_host: str = MqttHostOption,
        mqtt_port: int = MqttPortOption,
        live_step_seconds: float = StepOption,
        alerts_seconds: float = AlertsSecondsOption,
    ) -> None:
        import time
        from datetime import date

        from dualcarbon.core.settings import get_settings
        from dualcarbon.demo import DemoSpec, build_demo, latest_complete_year, summarise
        from dualcarbon.demo.profiles import SYNTHETIC_NOTE_ZH
        from dualcarbon.demo.workspace import check_port_free, is_loopback, open_store, prepare_workspace, write_logins
        from dualcarbon.reference import shipped_reference
        from dualcarbon.store.db import DATABASE_URL_ENV

        settings = get_settings()
        console = Console()
        if not no_serve:
            check_port_free(host, port)
        spec = DemoSpec(
            enterprises=enterprises,
            districts=districts,
            seed=seed,
            latest_year=latest_complete_year(date.today()),
            meter_enterprises=meter_enterprises,
            meter_days=meter_days,
        )
        workspace = prepare_workspace(data_dir, force=force, database_url=settings.database_url)
        if workspace.external_url:
            console.print(f"{DATABASE_URL_ENV} is set: building into {workspace.shown_database} (must be empty)")
        console.print(
            f"dualcarbon demo: {workspace.directory} (seed {seed}, report years "
            f"{spec.years[0]}–{spec.years[-1]}) — {SYNTHETIC_NOTE_ZH}"
        )
        started = time.perf_counter()
        engine = open_store(workspace)
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as bar:
                result = build_demo(
                    engine, spec, shipped_reference(), progress=RichProgress(bar), data_dir=workspace.directory
                )
            summary = summarise(engine, result.plan.city[0])
        finally:
            engine.dispose()
        shown_host = host if host not in ("0.0.0.0", "::") else "127.0.0.1"
        url = f"http://{'[' + shown_host + ']' if ':' in shown_host else shown_host}:{port}/"
        _print_summary(console, summary, time.perf_counter() - started)
        if (mon := result.monitoring).meters:
            console.print(
                f"在线监测 monitoring: {mon.meters} meters of {mon.enterprises} enterprises, "
                f"{mon.start:%Y-%m-%d %H:%M} – {mon.end:%Y-%m-%d %H:%M}: {mon.accepted} readings stored "
                f"({mon.duplicate} duplicate, {mon.conflict} conflict) in {result.timings.get('monitoring', 0.0):.1f} s"
            )
        if (alerts := result.alerts).days:
            sources = ", ".join(f"{source} {count}" for source, count in sorted(alerts.by_source.items()))
            console.print(
                f"告警 alerts: {alerts.opened} opened evaluating the last {alerts.days} days ({sources}); "
                f"energy budgets for {len(alerts.budgets)} enterprises in {result.timings.get('alerts', 0.0):.1f} s"
            )
        if (retro := result.retrofit).agency_id:
            source = {"meters": "metered daily rollups", "reported": "reported months + weather sample"}
            console.print(
                f"节能改造 retrofit: diagnoses {', '.join(f'{s} {len(ids)}' for s, ids in retro.diagnoses.items())}; "
                f"energy audit {1 if retro.audit_id else 0}; {len(retro.project_ids)} projects "
                f"({len(retro.overdue_ids)} overdue); project {retro.verified_id} verified from "
                f"{source.get(retro.mv_source, retro.mv_source)}: {retro.verified_tce_per_year or 0.0:.1f} tce/a "
                f"in {result.timings.get('retrofit', 0.0):.1f} s"
            )
        if (equip := result.equipment).items:
            console.print(
                f"设备 equipment (演示数据（虚构）): {equip.items} register lines of "
                f"{len(equip.enterprises)} enterprises "
                f"({equip.below_limit} below the GB 18613 limit, {equip.obsolete} on the demo obsolete list); "
                f"{equip.technologies} demo technologies, {equip.obsolete_rules} demo obsolete rules; "
                f"{equip.heat_points} waste-heat points → {equip.matches} matches "
                f"in {result.timings.get('equipment', 0.0):.1f} s"
            )
        if (inst := result.instruments).pv_ids:
            states = ", ".join(f"{state} {len(ids)}" for state, ids in inst.applications.items())
            levels = ", ".join(f"{level} {count}" for level, count in sorted(inst.warnings.items()))
            console.print(
                f"政策工具 instruments: {len(inst.pv_ids)} PV ({1 if inst.metered_pv_id else 0} metered), "
                f"{len(inst.storage_ids)} storage, {len(inst.datacentre_ids)} data centres, "
                f"{len(inst.designation_ids)} designations, {len(inst.pool_ids)} budget pools; applications: "
                f"{states} ({len(inst.not_applicable)} not applicable); "
                f"{len(inst.target_ids)} targets (warnings: {levels}) in {result.timings.get('instruments', 0.0):.1f} s"
            )
        logins_file = write_logins(workspace, result.logins, url)
        _print_logins(console, result.logins, url)
        console.print(f"logins also in {logins_file} · API {url}api/v1 · OpenAPI {url}docs")
        if no_serve:
            console.print(f"serve it later with: dualcarbon serve --data-dir {workspace.directory}")
            return
        if not is_loopback(host):
            console.print(
                f"[bold red]warning[/]: listening on {host}, reachable from other machines, with the "
                "demo passwords printed above"
            )
        import uvicorn

        from dualcarbon.app.web import create_web_app

        app = create_web_app(workspace.database_url, data_dir=workspace.directory)
        running = start_live(app, mqtt_host, mqtt_port, live_step_seconds, alerts_seconds) if live else None
        console.print(f"serving on {url} (Ctrl+C to stop)")
        try:
            uvicorn.run(app, host=host, port=port, log_level=log_level)
        finally:
            if running is not None:
                running.stop()
