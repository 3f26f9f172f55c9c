"""The live simulator in real time (monitoring/service_simulator.py): readings are published only once they exist
(never a future time stamp), staggered across the meters so that some meter reports every few seconds, and the
time since a meter's last stored reading stays a gap (no back-fill, no invented consumption). A clock stands in for
the wall clock and a recorder for the MQTT client."""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime, timedelta
from typing import Any

from dualcarbon.monitoring import service_dashboard, service_ingest, service_simulator
from dualcarbon.monitoring.service_mqtt import workspace_client_id
from dualcarbon.store.db import session_scope

QUARTER = timedelta(minutes=15)


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def publish(self, topic: str, payload: str, qos: int = 0) -> None:
        assert qos == 1
        self.sent.append((topic, json.loads(payload)))


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _simulator(clock: _Clock, last: datetime, count: int = 6, kind: str = "cumulative") -> Any:
    meters = [
        service_simulator.SimulatedMeter("X", f"E-{i:02d}", kind, last, 1000.0, 10.0, QUARTER) for i in range(count)
    ]
    simulator = service_simulator.Simulator(meters, host="127.0.0.1", port=1, clock=clock)
    simulator.client = _Recorder()
    simulator.rng = random.Random(4)
    return simulator


def test_real_time_readings_are_never_in_the_future_and_are_staggered() -> None:
    clock = _Clock(datetime(2026, 12, 5, 10, 0, 1))
    simulator = _simulator(clock, datetime(2026, 12, 5, 9, 45))
    sent = simulator.client.sent
    seen: list[tuple[datetime, str, str]] = []
    for _ in range(2 * 900 // 5):  # 30 minutes, one look every 5 s
        simulator.step()
        for topic, payload in sent[len(seen) :]:
            assert datetime.fromisoformat(payload["ts"]) <= clock.now, (payload, clock.now)
            seen.append((clock.now, topic.rsplit("/", 1)[1], payload["ts"]))
        clock.now += timedelta(seconds=5)
    # 6 meters, every 15 min: the 10:00 reading of meter i comes i × 150 s after 10:00, then 10:15 and 10:30 likewise
    first = {code: at for at, code, ts in seen if ts == "2026-12-05T10:00:00"}
    assert len(first) == 6
    delays = sorted((at - datetime(2026, 12, 5, 10)).total_seconds() for at in first.values())
    assert all(abs(d - i * 150) <= 5 for i, d in enumerate(delays)), delays
    # the last look is at 10:29:56: the 10:00 and 10:15 readings of all six, none of 10:30 (it does not exist yet)
    assert sorted({ts for _, _, ts in seen}) == ["2026-12-05T10:00:00", "2026-12-05T10:15:00"]
    assert len(seen) == 12
    assert len({(code, ts) for _, code, ts in seen}) == len(seen)  # each (meter, ts) once
    # some reading arrives at least every 150 s (15 min / 6 meters): the shown "so far" figure keeps moving
    times = sorted(at for at, _, _ in seen)
    assert max((b - a).total_seconds() for a, b in itertools.pairwise(times)) <= 155


def test_a_gap_is_left_a_gap_and_the_counter_invents_no_consumption() -> None:
    clock = _Clock(datetime(2026, 12, 5, 10, 7))
    simulator = _simulator(clock, datetime(2026, 12, 1, 8, 0), count=2)
    simulator.step()
    sent = simulator.client.sent
    # meter 0 reports at once its latest existing reading (10:00), meter 1 (7.5 min late) its 09:45 one: no back-fill
    assert [(t.rsplit("/", 1)[1], p["ts"]) for t, p in sent] == [
        ("E-00", "2026-12-05T10:00:00"),
        ("E-01", "2026-12-05T09:45:00"),
    ]
    assert all(1000.0 < p["value"] < 1000.0 + 10.0 * 1.3 for _, p in sent)  # one step of counting, not 4 days'


def test_an_interval_value_is_published_only_after_its_period_ends() -> None:
    clock = _Clock(datetime(2026, 12, 5, 10, 14, 59))
    simulator = _simulator(clock, datetime(2026, 12, 5, 9, 45), count=1, kind="interval")
    simulator.step()
    assert simulator.client.sent == []  # the value of [10:00, 10:15) does not exist yet
    clock.now = datetime(2026, 12, 5, 10, 15)
    simulator.step()
    assert [p["ts"] for _, p in simulator.client.sent] == ["2026-12-05T10:00:00"]
    assert simulator.clock() == clock.now.date()


def test_each_workspace_has_its_own_client_id() -> None:
    a = workspace_client_id("dualcarbon-live-ingest", "sqlite+pysqlite:////tmp/a/dualcarbon.sqlite3")
    b = workspace_client_id("dualcarbon-live-ingest", "sqlite+pysqlite:////tmp/b/dualcarbon.sqlite3")
    assert a != b and a.startswith("dualcarbon-live-ingest-")
    assert a == workspace_client_id("dualcarbon-live-ingest", "sqlite+pysqlite:////tmp/a/dualcarbon.sqlite3")


def test_the_enterprises_report_between_each_other() -> None:
    meters = [
        service_simulator.SimulatedMeter(code, f"E-{i}", "cumulative", datetime(2026, 12, 5, 9), 1.0, 1.0, QUARTER)
        for code in ("A", "B")
        for i in range(2)
    ]
    service_simulator.Simulator(meters, host="127.0.0.1", port=1, clock=_Clock(datetime(2026, 12, 5, 10)))
    delays = {(m.credit_code, m.code): m.delay.total_seconds() / 60 for m in meters}
    # each enterprise: a report every 7.5 min; the city: every 3.75 min
    assert delays == {("A", "E-0"): 0.0, ("B", "E-0"): 3.75, ("A", "E-1"): 7.5, ("B", "E-1"): 11.25}


def test_the_live_demo_moves_the_shown_figure_with_no_future_reading(
    world: Any, meters: dict[str, int], admin: Any, reference: Any, mqtt_broker: int, wait_until: Any
) -> None:
    """Real broker, real store: a counter with readings up to 15 min before the latest slot; in real time the live
    demo publishes that slot's reading at once (no back-fill, nothing ahead), and the enterprise dashboard's live
    figure for its hour grows."""
    a = world.codes["a"]
    now = service_simulator.wall_clock()
    latest = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    last = latest - QUARTER  # stored up to here; the slot ending at `latest` exists but is not stored yet
    readings = [
        {"meter": "E1", "ts": (last - QUARTER * n).isoformat(), "value": 5000.0 - 25.0 * n} for n in range(8 * 4)
    ]
    with session_scope(world.engine) as session:
        assert service_ingest.ingest_json(session, admin, readings, enterprise=a).accepted == len(readings)
    hour = (latest - QUARTER).replace(minute=0)  # the hour of the new slot [last, latest)

    def shown() -> float:
        with session_scope(world.engine, write=False) as session:
            data = service_dashboard.enterprise_live(session, admin, a, reference, now=service_simulator.wall_clock())
        return sum(p.value for p in data.live_tce if p.start == hour)

    before = shown()
    live = service_simulator.start_live_demo(world.engine, admin, port=mqtt_broker, step_seconds=0.5, flush_seconds=0.5)
    assert live is not None and [m.code for m in live.simulator.meters] == ["E1"]
    try:
        assert wait_until(lambda: live.ingester.stats.receipt.accepted >= 1, 120), "the due reading never arrived"
        assert wait_until(lambda: shown() > before, 120), "the live figure did not move"
    finally:
        live.stop()
    receipt = live.ingester.stats.receipt
    # one reading, or two when a 15-min boundary passed during the test
    assert receipt.accepted in (1, 2) and (receipt.duplicate, receipt.conflict, receipt.rejected) == (0, 0, 0)
    with session_scope(world.engine, write=False) as session:
        stored = service_simulator.last_reading_times(
            session, a, [meters["a/E1"]], last - timedelta(days=3), now + timedelta(days=400)
        )
    newest_local = stored[meters["a/E1"]] + service_simulator.LOCAL
    assert latest <= newest_local <= service_simulator.wall_clock()  # the slot that exists, none in the future
