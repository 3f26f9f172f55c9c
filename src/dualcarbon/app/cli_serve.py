"""`dualcarbon serve`: the API and the web UI on one port (uvicorn), over the data directory's store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, data_dir_or_default, friendly_errors

MqttHostOption = typer.Option("127.0.0.1", "--mqtt-host", help="live monitoring: MQTT broker host")
MqttPortOption = typer.Option(1883, "--mqtt-port", min=1, max=65535, help="live monitoring: MQTT broker port")
StepOption = typer.Option(
    5.0, "--live-step-seconds", min=0.5, help="live monitoring: wall seconds per simulated 15-min step"
)
AlertsSecondsOption = typer.Option(
    60.0, "--alerts-seconds", min=1.0, help="live monitoring: seconds between two evaluations of the alerts"
)


DeliverOption = typer.Option(
    True, "--deliver/--no-deliver", help="send the due alert webhooks and e-mails in the background (alerts.yaml)"
)
DeliverSecondsOption = typer.Option(
    None, "--deliver-seconds", min=0.1, help="seconds between two delivery rounds (default: alerts.yaml, else 15)"
)


def start_delivery(app: Any, interval_s: float | None = None) -> Any:
    """Start the loop that sends due alert deliveries beside ``app`` (SMTP and interval from the data directory's
    alerts.yaml), once per app; None when alerts.yaml turns it off. Stop it with ``.stop()``. Recorded on
    ``app.state.delivery_loop`` (None: off), so the live demo does not start a second one."""
    from dualcarbon.alerts.service_delivery_loop import DeliveryLoop
    from dualcarbon.reference import load_reference

    if hasattr(app.state, "delivery_loop"):
        return app.state.delivery_loop
    data_dir = data_dir_or_default(getattr(app.state, "data_dir", None))
    loop = DeliveryLoop.for_data_dir(app.state.engine, load_reference(data_dir), data_dir, interval_s=interval_s)
    app.state.delivery_loop = loop and loop.start()
    if loop is not None:
        typer.echo(f"alerts: webhooks and e-mail delivered every {loop.interval_s:g} s (告警推送)", err=True)
    return loop


def start_live(app: Any, host: str, port: int, step_seconds: float, alerts_seconds: float = 60.0) -> Any:
    """Start the live demo (MQTT simulator, which injects a few anomalies, + subscriber) beside ``app``, and the
    alerts loop that evaluates the simulated days every ``alerts_seconds``; None when the broker is down.
    Credentials, if the broker needs them: DUALCARBON_MQTT_USERNAME / DUALCARBON_MQTT_PASSWORD."""
    import os

    from dualcarbon.alerts.service_live import AlertLoop
    from dualcarbon.monitoring import service_simulator
    from dualcarbon.reference import load_reference

    live = service_simulator.start_live_demo(
        app.state.engine,
        cli_principal(),
        host=host,
        port=port,
        username=os.environ.get("DUALCARBON_MQTT_USERNAME"),
        password=os.environ.get("DUALCARBON_MQTT_PASSWORD"),
        step_seconds=step_seconds,
        anomalies=service_simulator.AnomalyPlan(),
    )
    if live is not None:  # when None, the service has logged one warning saying why
        reference = load_reference(getattr(app.state, "data_dir", None))
        loop = AlertLoop(
            app.state.engine, cli_principal(), reference, interval_s=alerts_seconds, clock=live.simulator.clock
        )
        live.also_stop.append(loop.start().stop)
        if not hasattr(app.state, "delivery_loop") and (sender := start_delivery(app)) is not None:
            live.also_stop.append(sender.stop)
        typer.echo(
            f"live monitoring: {len(live.simulator.meters)} meters publish over MQTT {host}:{port}; time compressed — "
            f"one simulated 15-min step every {step_seconds:g} s (在线监测演示：时间加速); alerts evaluated every "
            f"{alerts_seconds:g} s",
            err=True,
        )
    return live


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the top-level ``dualcarbon`` command."""

    @app.command(help="Serve the web UI and the REST API (/api/v1, /openapi.json) on HOST:PORT.")
    @friendly_errors
    def serve(
        data_dir: Path | None = DataDirOption,
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on"),
        log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
        live: bool = typer.Option(False, "--live/--no-live", help="simulate live meter readings over MQTT (demo)"),
        mqtt_host: str = MqttHostOption,
        mqtt_port: int = MqttPortOption,
        live_step_seconds: float = StepOption,
        alerts_seconds: float = AlertsSecondsOption,
        deliver: bool = DeliverOption,
        deliver_seconds: float | None = DeliverSecondsOption,
    ) -> None:
        import uvicorn

        from dualcarbon.app.web import create_web_app
        from dualcarbon.core.settings import get_settings
        from dualcarbon.store.db import DATABASE_URL_ENV

        directory = data_dir_or_default(data_dir)
        where = DATABASE_URL_ENV if get_settings().database_url else str(directory.absolute())
        app = create_web_app(data_dir=directory)
        typer.echo(f"dualcarbon: serving {where} on http://{host}:{port}/ (API: /api/v1, docs: /docs)")
        app.state.delivery_loop = None if not deliver else start_delivery(app, deliver_seconds)
        sender = app.state.delivery_loop
        running = start_live(app, mqtt_host, mqtt_port, live_step_seconds, alerts_seconds) if live else None
        try:
            uvicorn.run(app, host=host, port=port, log_level=log_level)
        finally:
            if running is not None:
                running.stop()
            if sender is not None:
                sender.stop()
