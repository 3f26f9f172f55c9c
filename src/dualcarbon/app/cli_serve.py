"""`dualcarbon serve`: the API and the web UI on one port (uvicorn), over the data directory's store.

Stopping (Ctrl+C, SIGTERM): from the moment the command starts, SIGINT and SIGTERM only *ask* to stop — no
KeyboardInterrupt half way through a start-up step: the step in progress ends and nothing more starts — and uvicorn
takes them over while it serves. Then every background loop (alert evaluation, deliveries, the live simulator and
subscriber) is told to stop at once and joined within ``SHUTDOWN_TIMEOUT_S``: the loops run in daemon threads, and
one still inside DuckDB while the interpreter finalises aborts the process (exit 134), so none may outlive the
command. The command exits 0. A loop still running after the timeout is named and the process leaves at once with
``EXIT_STUCK``; a second signal before the end leaves at once with ``EXIT_FORCED``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from dualcarbon.ui.commands import DataDirOption, cli_principal, data_dir_or_default, friendly_errors

MqttHostOption = typer.Option("127.0.0.1", "--mqtt-host", help="live monitoring: MQTT broker host")
MqttPortOption = typer.Option(1883, "--mqtt-port", min=1, max=65535, help="live monitoring: MQTT broker port")
StepOption = typer.Option(
    5.0, "--live-step-seconds", min=0.5, help="live monitoring: seconds between two looks of the simulator at the clock"
)
AlertsSecondsOption = typer.Option(
    60.0, "--alerts-seconds", min=1.0, help="live monitoring: seconds between two evaluations of the alerts"
)


log = logging.getLogger(__name__)

#: Seconds the background loops have, together, to end after the server stopped (an operational default).
SHUTDOWN_TIMEOUT_S = 60.0
#: Exit code when a background loop did not end within ``SHUTDOWN_TIMEOUT_S`` (the process leaves without it).
EXIT_STUCK = 1
#: Exit code of a second stop signal: no waiting for anything (128 + SIGINT, as a shell reports Ctrl+C).
EXIT_FORCED = 130
#: uvicorn's exit code when the server could not start (e.g. the port is taken).
EXIT_STARTUP_FAILURE = 3


class StopSignals:
    """SIGINT and SIGTERM turned into a request to stop (:attr:`requested`), while installed; a server given to
    :attr:`server` (uvicorn) is told to exit too, for a signal that comes just before uvicorn installs its own.

    Never an exception raised from the handler: it could land anywhere — in the middle of a lazily imported
    module's execution (``ui.commands.lazy_import``), which then stays half executed, or in a ``__del__`` that
    swallows it — and start-up would go on broken. A second signal while this handler is installed (start-up, or
    the loops being stopped) leaves at once with exit code ``EXIT_FORCED``, as uvicorn's second Ctrl+C does."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.server: Any = None
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.requested.is_set():
            os.write(2, "dualcarbon: stopped without waiting (强制停止)\n".encode())
            os._exit(EXIT_FORCED)
        self.requested.set()
        if self.server is not None:
            self.server.should_exit = True
        else:
            os.write(2, "dualcarbon: stopping once start-up is done; again to stop at once (正在停止)\n".encode())

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


def stop_background(work: list[Any], timeout: float = SHUTDOWN_TIMEOUT_S) -> list[Any]:
    """Tell every loop of ``work`` to stop (``request_stop()``), then join each (``join(timeout) -> bool``) within
    one shared deadline of ``timeout`` seconds; the loops still running after it."""
    for loop in work:
        loop.request_stop()
    deadline = time.monotonic() + timeout
    return [loop for loop in work if not loop.join(max(0.0, deadline - time.monotonic()))]


def leave_if_stuck(stuck: list[Any]) -> None:
    """Exit at once (``os._exit``, exit code ``EXIT_STUCK``) when a loop is still running: letting the interpreter
    finalise under a daemon thread that is inside DuckDB aborts the process instead."""
    if not stuck:
        return
    names = ", ".join(type(loop).__name__ for loop in stuck)
    log.error("serve: %s still running %g s after the stop; leaving without waiting", names, SHUTDOWN_TIMEOUT_S)
    typer.echo(f"dualcarbon: {names} did not stop within {SHUTDOWN_TIMEOUT_S:g} s; exiting (未能按时停止)", err=True)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_STUCK)


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
        app.state.alert_loop = loop.start()
        live.also_stop.append(loop.stop)
        if not hasattr(app.state, "delivery_loop") and (sender := start_delivery(app)) is not None:
            live.also_stop.append(sender.stop)
        typer.echo(
            f"live monitoring: {len(live.simulator.meters)} meters publish over MQTT {host}:{port} in real time, "
            f"staggered over each 15 min (在线监测演示：实时、错峰上报); alerts evaluated every {alerts_seconds:g} s",
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
        signals = StopSignals().install()  # first: a Ctrl+C during start-up asks to stop, never aborts a step
        background: list[Any] = []
        started = True
        try:
            import uvicorn

            from dualcarbon.app.web import create_web_app
            from dualcarbon.core.settings import get_settings
            from dualcarbon.store.db import DATABASE_URL_ENV

            directory = data_dir_or_default(data_dir)
            where = DATABASE_URL_ENV if get_settings().database_url else str(directory.absolute())
            app = create_web_app(data_dir=directory)
            typer.echo(f"dualcarbon: serving {where} on http://{host}:{port}/ (API: /api/v1, docs: /docs)")
            if deliver and not signals.requested.is_set():
                background.append(start_delivery(app, deliver_seconds))
            app.state.delivery_loop = getattr(app.state, "delivery_loop", None)  # None: the live demo starts none
            if live and not signals.requested.is_set():
                running = start_live(app, mqtt_host, mqtt_port, live_step_seconds, alerts_seconds)
                background += [getattr(app.state, "alert_loop", None), running]
            if not signals.requested.is_set():
                server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level))
                signals.server = server
                if not signals.requested.is_set():
                    server.run()
                started = server.started or signals.requested.is_set()
        finally:
            leave_if_stuck(stop_background([w for w in background if w is not None]))
            signals.restore()
        if not started:
            raise typer.Exit(EXIT_STARTUP_FAILURE)
