"""Alerts while the platform runs (alerts/service_live.py), the silent-meter rule, the region's warning levels, and
the simulator's injected anomalies (monitoring/service_simulator.py) — against a real store (both backends).

The plant is the one of test_evaluate.py: eight weeks of hourly history, then 2024-03-29 with S1 reading 20 kWh at
14:00 against a median of 10.5 (anomalous, see there).
"""

from __future__ import annotations

import json
import random
import time
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.alerts import service_alerts, service_live, service_region
from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import NotFound
from dualcarbon.monitoring import service_simulator
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

from .conftest import enterprise_id, ingest
from .test_evaluate import DAY, plant, plant_meters

LIVE_ACTIONS = ("alerts.evaluate", "quality.compute")


def _alerts(world: Any, principal: Principal, **filters: Any) -> list[Any]:
    with session_scope(world.engine) as session:
        return service_alerts.list_alerts(session, principal, **filters)[0]


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def test_the_loop_evaluates_periodically_and_survives_a_failure(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    calls = {"n": 0}

    def clock() -> date:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("clock unavailable")  # the first tick fails: logged, the loop carries on
        return DAY

    loop = service_live.AlertLoop(world.engine, admin, reference, interval_s=0.2, clock=clock).start()
    try:
        assert _wait(lambda: len(_alerts(world, admin, source="anomaly")) == 2, 60)
        assert _wait(lambda: loop.runs >= 2, 60)  # it goes on: the same anomalies are seen again
    finally:
        loop.stop()
    assert loop.failures == 1 and loop.opened == 2 and loop.last_day == DAY
    # Only the tick that opened alerts is in the audit log; the ticks that changed nothing are not.
    with session_scope(world.engine, write=False) as session:
        audited = session.scalars(select(AuditLog.action).where(AuditLog.action.in_(LIVE_ACTIONS))).all()
    assert sorted(audited) == ["alerts.evaluate"], audited
    s1 = next(a for a in _alerts(world, admin, source="anomaly") if a.detail["meter"] == "S1")
    assert s1.occurrences >= 2 and s1.detail["hours"][0]["hour"] == 14
    with pytest.raises(ValueError, match="positive"):
        service_live.AlertLoop(world.engine, admin, reference, interval_s=0)


def test_a_meter_silent_while_its_peers_report_is_stale(world, tmp_path, admin, reference) -> None:
    # S2 stops after 09:00 of DAY while S1 and M report until 23:00: 14 hours (14 intervals of 60 min) behind the
    # newest reading of its enterprise, more than 4 intervals (PR-009) → stale. The quality job finds the same from
    # the end of the day (last value 09:00): one alert, not two.
    a = plant_meters(world, tmp_path, admin, reference)
    midnight = datetime.combine(DAY, datetime.min.time())
    rows = []
    for h in range(24):
        moment = midnight + timedelta(hours=h)
        rows += [(a, "S1", moment, 10.0), (a, "M", moment, 15.0)] + ([(a, "S2", moment, 5.0)] if h <= 9 else [])
    ingest(world, admin, rows)
    summaries = service_live.evaluate_range(world.engine, admin, DAY, DAY, reference)
    assert summaries[0].by_source.get("stale") == 1
    (stale,) = _alerts(world, admin, source="stale")
    assert stale.detail["meter"] == "S2" and stale.level == "orange"
    # On a day the whole enterprise is silent (the collector is down) no meter is singled out.
    with session_scope(world.engine) as session:
        assert (
            service_alerts.evaluate(session, admin, DAY + timedelta(days=2), reference).by_source.get("stale") is None
        )


def test_region_levels_count_watched_enterprises_by_their_worst_open_alert(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)  # a: two yellow anomalies
        levels = service_region.region_levels(session, admin, "330300")
    # the completion-rate scheme of the packs (default for every region: alerts/data/budget_warning.csv)
    assert levels.scheme == "completion_rate" and levels.levels == ["green", "yellow", "orange", "red"]
    assert levels.counts == {"green": 0, "yellow": 1, "orange": 0, "red": 0} and levels.enterprises == 1
    city = Principal(None, "city", (Grant("regulator", region_code="330300"),))
    longwan = Principal(None, "longwan", (Grant("regulator", region_code="330303"),))
    ent_a = Principal(None, "ent-a", (Grant("enterprise", enterprise_id=enterprise_id(world, "a")),))
    with session_scope(world.engine) as session:
        assert service_region.region_levels(session, city, "330302").counts["yellow"] == 1
        assert service_region.region_levels(session, longwan, "330303").enterprises == 0  # a is in 鹿城
        with pytest.raises(NotFound):
            service_region.region_levels(session, ent_a, "330300")
        with pytest.raises(NotFound):
            service_region.region_levels(session, longwan, "330302")


class _Recorder:
    """Stands in for the MQTT client: records what is published."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def publish(self, topic: str, payload: str, qos: int = 0) -> None:
        self.sent.append((topic, json.loads(payload)))


def test_the_simulator_injects_a_spike_then_a_silence() -> None:
    start = datetime(2025, 1, 6)
    meters = [
        service_simulator.SimulatedMeter("X", f"E-0{i}", "cumulative", start, 1000.0, 10.0, timedelta(minutes=15))
        for i in range(3)
    ]
    plan = service_simulator.AnomalyPlan(first_step=2, every_steps=5, spike_factor=4.0, spike_steps=3, silent_steps=4)
    simulator = service_simulator.Simulator(meters, host="127.0.0.1", port=1, anomalies=plan)
    recorder = _Recorder()
    simulator.client = recorder  # type: ignore[assignment]
    simulator.rng = random.Random(5)
    for _ in range(12):
        simulator.step()
    by_meter: dict[str, list[dict[str, Any]]] = {}
    for topic, payload in recorder.sent:
        by_meter.setdefault(topic.rsplit("/", 1)[1], []).append(payload)
    # steps 2–4: E-00 spikes (×4, noise ±5 %); the others advance by about 10 per step
    steps = [b["value"] - a["value"] for a, b in zip(by_meter["E-00"], by_meter["E-00"][1:], strict=False)]
    assert [round(s / 10) for s in steps] == [1, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1]
    # step 7: the second injection silences E-01 (index 1 × 7 mod 3 = 1) for steps 7–10: 12 − 4 readings published
    assert len(by_meter["E-01"]) == 8 and len(by_meter["E-02"]) == 12
    silent_gap = [b["ts"] for b in by_meter["E-01"]]
    assert (start + timedelta(minutes=15 * 7)).isoformat() in silent_gap  # the last before the silence (step 6)
    assert (start + timedelta(minutes=15 * 8)).isoformat() not in silent_gap
    assert simulator.injected == 2 and simulator.clock() == date(2025, 1, 6)
