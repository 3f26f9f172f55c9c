"""The demo's alerts end to end (SQLite store): the build opens alerts from its year of faulty meters and its budgets
(demo/alerts.py), and while it serves, the simulator's injected spike and silence open new alerts through the MQTT
subscriber and the alerts loop (the wiring of ``dualcarbon demo`` / ``serve --live``, app/cli_serve.py). The
simulator is stepped here (``realtime=False``: a 15-min step every 0.25 s, ahead of the clock), since the anomaly
and silence rules need simulated hours; the real-time pace is tested in tests/monitoring/test_simulator_realtime.py.

A reduced city: 2 of 30 enterprises with meters and 60 days of readings (the anomaly model needs ≥ 6 earlier weeks
of the same hour-of-week, PR-A03).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.alerts import service_alerts, service_budget, service_live
from dualcarbon.core.access import SYSTEM
from dualcarbon.demo import DemoSpec, build_demo, latest_complete_year
from dualcarbon.demo.alerts import BUDGET_SHARES, EVALUATED_DAYS
from dualcarbon.monitoring import service_simulator
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import init_store, session_scope

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
#: Seconds to wait for each live alert: generous, as the alert loop's passes slow down a lot at load ≥ 25.
WAIT_S = 480.0
SPEC = DemoSpec(
    enterprises=30,
    districts=5,
    seed=7,
    latest_year=latest_complete_year(date.today()),
    meter_enterprises=2,
    meter_days=60,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


def test_demo_alerts_fire_from_the_build_and_from_the_live_data(tmp_path: Path) -> None:
    reference = shipped_reference()
    engine = init_store(f"sqlite+pysqlite:///{tmp_path / 'dualcarbon.sqlite3'}")
    try:
        result = build_demo(engine, SPEC, reference)
        alerts = result.alerts
        assert alerts.days == EVALUATED_DAYS and alerts.opened > 0
        # the data's own faults (the collector retry's conflicting value, received today) and the low budgets
        assert alerts.by_source.get("conflict", 0) >= 1 and alerts.by_source.get("budget", 0) >= 1
        assert 1 <= len(alerts.budgets) <= len(BUDGET_SHARES)
        last = result.monitoring.end.date() if result.monitoring.end else date.today()
        with session_scope(engine) as session:
            levels = {
                code: service_budget.budget_status(session, SYSTEM, code, last.year, last, reference).level
                for code in alerts.budgets
            }
            opened, total = service_alerts.list_alerts(session, SYSTEM, state="open", limit=500)
        # shares 0.95 and 0.80 of the projection: measure 95 % → yellow, 80 % → orange (completion-rate bands)
        assert list(levels.values())[: len(BUDGET_SHARES) - 1] == ["yellow", "orange"][: len(levels)]
        assert total == alerts.opened and any(a.meter_id is not None for a in opened)
        if not Path(MOSQUITTO).exists():
            pytest.skip("mosquitto is not installed")
        port = _free_port()
        conf = tmp_path / "mosquitto.conf"
        conf.write_text(f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n", encoding="utf-8")
        broker = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert _wait(lambda: service_simulator.broker_reachable("127.0.0.1", port, 0.2), 20)
            plan = service_simulator.AnomalyPlan(first_step=4, every_steps=12, spike_steps=8, silent_steps=40)
            live = service_simulator.start_live_demo(
                engine, SYSTEM, port=port, step_seconds=0.25, flush_seconds=0.5, anomalies=plan, realtime=False
            )
            assert live is not None
            loop = service_live.AlertLoop(engine, SYSTEM, reference, interval_s=3.0, clock=live.simulator.clock)
            live.also_stop.append(loop.start().stop)
            built_end = (result.monitoring.end or datetime.now()).replace(minute=0)
            spiked = live.simulator.meters[0]
            silenced = live.simulator.meters[7 % len(live.simulator.meters)]

            def found(source: str, meter: Any) -> bool:
                with session_scope(engine, write=False) as session:
                    rows, _ = service_alerts.list_alerts(session, SYSTEM, source=source, credit_code=meter.credit_code)
                return any(r.detail.get("meter") == meter.code and live_only(r.detail) for r in rows)

            def live_only(detail: dict[str, Any]) -> bool:
                """The alert is about the simulated readings (after the built year), not the build's own data."""
                if "hours" in detail:  # anomaly: an anomalous hour after the end of the built readings
                    day = datetime.fromisoformat(detail["date"])
                    return any(day + timedelta(hours=h["hour"]) >= built_end for h in detail["hours"])
                problem = detail.get("problem", {})  # stale: silent, its last value after the built year
                return problem.get("code") == "silent" and problem["last_value"] >= f"{built_end:%Y-%m-%d %H:%M}"

            try:
                # waits on the alerts themselves; the bound only guards against a hang (a loaded machine is slow)
                assert _wait(lambda: found("anomaly", spiked), WAIT_S), "no anomaly alert from the injected spike"
                assert _wait(lambda: found("stale", silenced), WAIT_S), "no stale alert from the injected silence"
            finally:
                live.stop()
        finally:
            broker.terminate()
            broker.wait(timeout=10)
        assert loop.runs >= 1 and loop.opened >= 1
    finally:
        engine.dispose()
