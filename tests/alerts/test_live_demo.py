"""The demo's alerts end to end (SQLite store): the build opens alerts from its year of faulty meters and its budgets
(demo/alerts.py), and while it serves, the simulator's injected spike and silence open new alerts through the MQTT
subscriber and the alerts loop (the wiring of ``dualcarbon demo`` / ``serve --live``, app/cli_serve.py). The
simulator is stepped here (``realtime=False``: a 15-min step every 0.25 s, ahead of the clock), since the anomaly
and silence rules need simulated hours; the real-time pace is tested in tests/monitoring/test_simulator_realtime.py.

A reduced city: 2 of 30 enterprises with meters and 60 days of readings (the anomaly model needs ≥ 6 earlier weeks
of the same hour-of-week, PR-A03).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from dualcarbon.alerts import service_alerts, service_budget, service_live
from dualcarbon.core.access import SYSTEM
from dualcarbon.demo import DemoSpec, build_demo, latest_complete_year
from dualcarbon.demo.alerts import BUDGET_SHARES, EVALUATED_DAYS
from dualcarbon.monitoring import service_simulator
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import init_store, session_scope

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
#: Both tests read the one demo build of the module: one xdist worker runs them.
pytestmark = pytest.mark.xdist_group("live_demo")


@dataclass
class Built:
    engine: Engine
    result: Any
    levels: dict[str, str | None]  # the budgets' levels on the last built day
    opened: list[Any]  # the open alerts right after the build
    total: int


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The reduced demo city, built once; what the build left open is read before any live test runs."""
    reference = shipped_reference()
    folder = tmp_path_factory.mktemp("live-demo")
    engine = init_store(f"sqlite+pysqlite:///{folder / 'dualcarbon.sqlite3'}")
    try:
        result = build_demo(engine, SPEC, reference)
        last = result.monitoring.end.date() if result.monitoring.end else date.today()
        with session_scope(engine) as session:
            levels = {
                code: service_budget.budget_status(session, SYSTEM, code, last.year, last, reference).level
                for code in result.alerts.budgets
            }
            opened, total = service_alerts.list_alerts(session, SYSTEM, state="open", limit=500)
        yield Built(engine, result, levels, list(opened), total)
    finally:
        engine.dispose()


def test_demo_alerts_fire_from_the_build(built: Built) -> None:
    alerts = built.result.alerts
    assert alerts.days == EVALUATED_DAYS and alerts.opened > 0
    # the data's own faults (the collector retry's conflicting value, received today) and the low budgets
    assert alerts.by_source.get("conflict", 0) >= 1 and alerts.by_source.get("budget", 0) >= 1
    assert 1 <= len(alerts.budgets) <= len(BUDGET_SHARES)
    # shares 0.95 and 0.80 of the projection: measure 95 % → yellow, 80 % → orange (completion-rate bands)
    assert list(built.levels.values())[: len(BUDGET_SHARES) - 1] == ["yellow", "orange"][: len(built.levels)]
    assert built.total == alerts.opened and any(a.meter_id is not None for a in built.opened)


def _plan_over_a_midnight(engine: Engine, every_steps: int = 12, silent_steps: int = 40) -> Any:
    """The anomaly plan with its silence (the second injection, on meter 7 of the simulator's list) starting 3 hours
    of that meter's readings before a local midnight. A silent meter is the stale rule's when its newest reading
    of the day's window lags its peers' (alerts/service_detect.py): a silence that covers the end of a day is seen
    by that day's last evaluation, whenever the alerts loop runs it. Stepped, 10 simulated hours pass in 10 s, so a
    silence inside one day would be seen only if a pass of the loop fell within it — how long a pass takes, and
    the time of day the demo was built, would decide the test."""
    with session_scope(engine, write=False) as session:
        meters = service_simulator.simulated_meters(session, SYSTEM)
    silenced = meters[7 % len(meters)]
    midnight = datetime.combine(silenced.ts.date() + timedelta(days=1), datetime.min.time())
    silence_step = int((midnight - timedelta(hours=3) - silenced.ts) / silenced.interval)
    while silence_step < every_steps:
        silence_step += int(timedelta(days=1) / silenced.interval)
    assert timedelta(hours=4) < silenced.interval * silent_steps  # the silence reaches past the midnight
    return service_simulator.AnomalyPlan(
        first_step=silence_step - every_steps, every_steps=every_steps, spike_steps=8, silent_steps=silent_steps
    )


def test_demo_alerts_fire_from_the_live_data(built: Built, mqtt_broker: int, wait_until: Any) -> None:
    engine, result, reference = built.engine, built.result, shipped_reference()
    plan = _plan_over_a_midnight(engine)
    live = service_simulator.start_live_demo(
        engine, SYSTEM, port=mqtt_broker, step_seconds=0.25, flush_seconds=0.5, anomalies=plan, realtime=False
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
        return bool(problem.get("code") == "silent" and problem["last_value"] >= f"{built_end:%Y-%m-%d %H:%M}")

    try:
        # waits on the alerts themselves; the bound only guards against a hang (a loaded machine is slow)
        assert wait_until(lambda: found("anomaly", spiked), WAIT_S), "no anomaly alert from the injected spike"
        assert wait_until(lambda: found("stale", silenced), WAIT_S), "no stale alert from the injected silence"
    finally:
        live.stop()
    assert loop.runs >= 1 and loop.opened >= 1
