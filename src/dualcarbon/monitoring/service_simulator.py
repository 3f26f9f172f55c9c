"""Live demo readings: a simulator that publishes every demo meter's next 15-min reading over MQTT, and the
subscriber that stores them, both run beside the served app (``dualcarbon demo``; ``dualcarbon serve --live``).

The simulator starts from each meter's last stored reading and publishes its next readings (QoS 1, topic
``dualcarbon/{credit_code}/{meter_code}``, payload ``{"ts": ISO-8601 in Asia/Shanghai, "value": number}``). A
counter advances by its mean step of the last stored day, varied by a few per cent; an interval meter repeats
its mean value, varied the same way. Only automatic real-time meters (``cumulative`` or ``interval``) take part.

Two paces:

* **Real time** (``clock`` given — what ``serve --live`` and ``dualcarbon demo`` run): a reading is published only
  once it exists — a counter's reading at ``ts`` from ``ts`` on, an interval meter's value of [ts, ts + 15 min)
  from the end of that period — so no reading is ever in the future. The meters are **staggered** (report some
  time after their slot, as real collectors do): some meter of the city reports every ``15 min / N`` (N meters;
  a few seconds for the demo's ~150), some meter of an enterprise every ``15 min / k`` (its k meters), and the
  current hour fills on the pages as it goes.
  The time between a meter's last stored reading and now stays a gap (never back-filled): a counter resumes
  from its last stored value, so the first reading after the gap is flagged ``spans_gap``, not a spike.
  ``step_seconds`` is then only how often the clock is looked at.
* **Stepped** (no ``clock``; tests only): every ``step()`` (every ``step_seconds``) advances each meter one
  interval, so the readings run ahead of the wall clock — a replay device for tests of the alert loop, which
  needs simulated hours in seconds.

So that the demo's alerts have something to find, the simulator **injects anomalies** (:class:`AnomalyPlan`; a
step is one 15-min slot — of the clock in real time, one ``step()`` when stepped): after ``first_step`` steps
and then every ``every_steps`` steps, one meter (in turn) either spikes — its consumption is
multiplied by ``spike_factor`` for ``spike_steps`` steps, which the hour-of-week anomaly model flags — or goes silent
for ``silent_steps`` steps (its counter keeps counting, nothing is published). Each injection is logged.

The subscriber is :class:`dualcarbon.monitoring.service_mqtt.MqttIngester`, so the readings take exactly the
ingestion path of ``dualcarbon ingest mqtt``; its client id (persistent session) and the simulator's are derived
from the workspace's database URL, so two workspaces on one broker never share a session or its backlog.
If the broker cannot be reached at start, one
warning is logged and neither runs: the app serves as usual.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_mqtt import TOPIC_ROOT, MqttIngester, workspace_client_id
from dualcarbon.monitoring.store_readings import COMPACT_MIN_FILES, LOCAL_OFFSET_HOURS, readings_store_for
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter
from dualcarbon.store.db import session_scope

log = logging.getLogger(__name__)

LOCAL = timedelta(hours=LOCAL_OFFSET_HOURS)
#: The live subscriber flushes this often: each flush writes one Parquet file per enterprise.
LIVE_FLUSH_SECONDS = 15.0
#: The simulator compacts the readings store this often (month partitions with more than
#: ``store_readings.COMPACT_MIN_FILES`` files become one file; a no-op on PostgreSQL).
LIVE_COMPACT_SECONDS = 300.0
#: How far back the last stored reading of a meter is looked for, and the day its mean step is taken from.
LOOKBACK_DAYS = 30
#: The simulated slot an anomaly plan counts in (the demo meters' reading interval).
SLOT = timedelta(minutes=15)


def wall_clock() -> datetime:
    """Now in Asia/Shanghai (naive): the real-time simulator's clock."""
    return datetime.now(UTC).replace(tzinfo=None) + LOCAL


@dataclass
class SimulatedMeter:
    """Where a meter's simulation stands: its last reading (local time) and its mean step per interval."""

    credit_code: str
    code: str
    kind: str  # cumulative | interval
    ts: datetime  # naive, Asia/Shanghai
    value: float
    step: float  # cumulative: mean counter increase per interval; interval: mean value
    interval: timedelta
    delay: timedelta = timedelta(0)  # real time: how long after its slot the meter reports (staggered)

    def ready_at(self) -> datetime:
        """When the next reading exists and is reported: a counter's at its time, an interval value at its end."""
        label = self.ts + self.interval
        return label + self.delay + (self.interval if self.kind == "interval" else timedelta(0))


def simulated_meters(session: Session, principal: Principal, now: datetime | None = None) -> list[SimulatedMeter]:
    """The automatic real-time meters the caller may read that have readings, with where they stand."""
    now_utc = (now or datetime.now(UTC)).astimezone(UTC)
    rows = session.execute(
        select(Meter, Enterprise.credit_code)
        .join(Enterprise, Enterprise.id == Meter.enterprise_id)
        .where(
            enterprise_filter(principal),
            Meter.kind.in_(("cumulative", "interval")),
            Meter.input_type == "automatic",
            Meter.statistic_type == "realtime",
        )
        .order_by(Enterprise.credit_code, Meter.code)
    ).all()
    by_enterprise: dict[str, list[Meter]] = {}
    for meter, code in rows:
        by_enterprise.setdefault(code, []).append(meter)
    store = readings_store_for(session)
    out: list[SimulatedMeter] = []
    con = duckdb.connect()
    try:
        for number, (code, meters) in enumerate(by_enterprise.items()):
            ids, view = [m.id for m in meters], f"recent_{number}"
            # Simulated readings may already run ahead of the clock (an earlier run): look a year ahead too.
            start, end = now_utc - timedelta(days=LOOKBACK_DAYS), now_utc + timedelta(days=366)
            store.register(con, view, code, ids, start, end)
            stats = con.execute(
                f"WITH last AS (SELECT meter_id, max(ts) AS ts FROM {view} GROUP BY meter_id), "
                f"day AS (SELECT r.meter_id, r.ts, r.value FROM {view} r JOIN last l USING (meter_id) "
                "WHERE r.ts > l.ts - INTERVAL 1 DAY) "
                "SELECT meter_id, max(ts), arg_max(value, ts), arg_min(value, ts), min(ts), avg(value), count(*) "
                "FROM day GROUP BY meter_id"
            ).fetchall()
            found = {int(r[0]): r[1:] for r in stats}
            for meter in meters:
                if meter.id not in found:
                    continue
                last_ts, last, first, first_ts, mean, _count = found[meter.id]
                interval = timedelta(minutes=meter.interval_minutes)
                if meter.kind == "cumulative":
                    steps = (last_ts - first_ts) / interval
                    step = (last - first) / steps if steps > 0 and last >= first else 0.0
                else:
                    step = float(mean)
                out.append(SimulatedMeter(code, meter.code, meter.kind, last_ts + LOCAL, float(last), step, interval))
    finally:
        con.close()
    return out


@dataclass
class AnomalyPlan:
    """When and how the simulator injects anomalies (demo choices, not rules): see the module docstring."""

    first_step: int = 12
    every_steps: int = 36
    spike_factor: float = 4.0
    spike_steps: int = 8
    silent_steps: int = 24


@dataclass
class Injection:
    """An anomaly under way on one meter: ``kind`` spike or silent, until the simulator's step ``until``."""

    kind: str
    meter: SimulatedMeter
    until: int


def last_reading_times(
    session: Session, credit_code: str, meter_ids: list[int], start_utc: datetime, end_utc: datetime
) -> dict[int, datetime]:
    """The time (UTC, naive) of each meter's newest reading in [start, end) — where the simulation of a meter
    resumes, and what the alerts' silent-meter rule compares with its peers."""
    con = duckdb.connect()
    try:
        readings_store_for(session).register(con, "recent", credit_code, meter_ids, start_utc, end_utc)
        rows = con.execute("SELECT meter_id, max(ts) FROM recent GROUP BY meter_id").fetchall()
    finally:
        con.close()
    return {int(meter_id): ts for meter_id, ts in rows}


def next_reading(meter: SimulatedMeter, rng: random.Random, factor: float = 1.0) -> dict[str, Any]:
    """Advance ``meter`` by one interval (its consumption × ``factor``) and return the payload of its new reading."""
    meter.ts += meter.interval
    amount = max(0.0, meter.step * factor * rng.lognormvariate(0.0, 0.05))
    meter.value = round(meter.value + amount if meter.kind == "cumulative" else amount, 2)
    return {"ts": meter.ts.isoformat(), "value": meter.value}


class Simulator:
    """Publishes one step of every meter each ``step_seconds`` (QoS 1) until stopped."""

    def __init__(
        self,
        meters: list[SimulatedMeter],
        *,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        step_seconds: float = 5.0,
        seed: int = 1,
        maintenance: Callable[[], None] | None = None,
        maintenance_seconds: float = LIVE_COMPACT_SECONDS,
        anomalies: AnomalyPlan | None = None,
        clock: Callable[[], datetime] | None = None,
        client_id: str | None = None,
    ) -> None:
        self.meters = meters
        self._clock = clock
        self.started = clock() if clock is not None else None
        self.published = 0
        self.anomalies = anomalies
        self.injections: list[Injection] = []
        self.injected = 0
        self.step_seconds = step_seconds
        self.maintenance, self.maintenance_seconds = maintenance, maintenance_seconds
        self.rng = random.Random(seed)
        self.steps = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or f"dualcarbon-simulator-{seed}")
        if username:
            self.client.username_pw_set(username, password)
        self.host, self.port = host, port

        if self.started is not None:
            self._stagger(self.started)

    def _stagger(self, now: datetime) -> None:
        """Real time: give each meter its reporting delay and skip to its latest reading that exists at ``now``
        when its last one is older — the time in between stays a gap, never back-filled. Meter j of an enterprise's
        k reports (j + e/E)/k of an interval late (enterprise e of E): an enterprise's meters are spread over the
        interval, and the enterprises between them, so the whole city reports evenly."""
        enterprises = list(dict.fromkeys(m.credit_code for m in self.meters))
        rank = {code: number for number, code in enumerate(enterprises)}
        own: dict[str, list[SimulatedMeter]] = {}
        for meter in self.meters:
            own.setdefault(meter.credit_code, []).append(meter)
        for code, meters in own.items():
            for j, meter in enumerate(meters):
                meter.delay = meter.interval * (j + rank[code] / len(enterprises)) / len(meters)
        for meter in self.meters:
            behind = (now - meter.ready_at()) // meter.interval
            if behind > 0:  # the counter keeps its last value: no consumption is invented for the gap
                meter.ts += meter.interval * behind

    def step(self) -> None:
        """Publish what is due: in real time every reading that exists by now, else one interval of every meter."""
        if self._clock is None or self.started is None:
            self._step_all()
            return
        now = self._clock()
        slot = int((now - self.started) / SLOT)
        while self.steps < slot:
            self.steps += 1
            self._inject()
        active = {id(i.meter): i for i in self.injections if i.until > self.steps}
        for meter in self.meters:
            while meter.ready_at() <= now:
                self._publish(meter, active.get(id(meter)))

    def _publish(self, meter: SimulatedMeter, injection: Injection | None) -> None:
        factor = self.anomalies.spike_factor if injection and injection.kind == "spike" and self.anomalies else 1.0
        payload = json.dumps(next_reading(meter, self.rng, factor))
        if injection is None or injection.kind != "silent":
            self.client.publish(f"{TOPIC_ROOT}/{meter.credit_code}/{meter.code}", payload, qos=1)
            self.published += 1

    def _step_all(self) -> None:
        self._inject()
        active = {id(i.meter): i for i in self.injections if i.until > self.steps}
        for meter in self.meters:
            self._publish(meter, active.get(id(meter)))
        self.steps += 1

    def clock(self) -> date:
        """The day (Asia/Shanghai) the alerts evaluate up to: today in real time; stepped, the simulated day every
        meter has reached (meters of longer intervals run further ahead)."""
        if self._clock is not None:
            return self._clock().date()
        return min((m.ts for m in self.meters), default=datetime.now(UTC) + LOCAL).date()

    def _inject(self) -> None:
        plan = self.anomalies
        if plan is None or not self.meters or self.steps < plan.first_step:
            return
        if (self.steps - plan.first_step) % max(plan.every_steps, 1):
            return
        kind = "spike" if self.injected % 2 == 0 else "silent"
        meter = self.meters[(self.injected * 7) % len(self.meters)]
        self.injected += 1
        steps = plan.spike_steps if kind == "spike" else plan.silent_steps
        self.injections = [i for i in self.injections if i.until > self.steps]
        self.injections.append(Injection(kind, meter, self.steps + steps))
        log.info(
            "live monitoring: injecting a %s on %s/%s for %d steps from %s",
            kind, meter.credit_code, meter.code, steps, meter.ts + meter.interval,
        )  # fmt: skip

    def run(self, stop: threading.Event) -> None:
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        last_maintenance = time.monotonic()
        try:
            while not stop.wait(self.step_seconds):
                self.step()
                if self.maintenance is not None and time.monotonic() - last_maintenance >= self.maintenance_seconds:
                    last_maintenance = time.monotonic()
                    self.maintenance()
        finally:
            self.client.loop_stop()
            self.client.disconnect()


@dataclass
class LiveDemo:
    """The running simulator and subscriber; ``stop`` ends both (the subscriber flushes first)."""

    simulator: Simulator
    ingester: MqttIngester
    stop_event: threading.Event
    threads: list[threading.Thread]
    #: Other background work of the serving process to end with it (e.g. the alerts loop, added by the app).
    also_stop: list[Callable[[], object]] = field(default_factory=list)

    def request_stop(self) -> None:
        """Tell the simulator and the subscriber to end (the subscriber flushes what it holds): see :meth:`join`."""
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (in all) for both threads to end; True when they have."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self.threads:
            thread.join(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self.threads)

    def stop(self, timeout: float = 30.0) -> bool:
        """End the simulator, the subscriber and ``also_stop``; True when the threads have ended in ``timeout`` s."""
        self.request_stop()
        for stop in self.also_stop:
            stop()
        return self.join(timeout)


def broker_reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def start_live_demo(
    engine: Engine,
    principal: Principal,
    *,
    host: str = "127.0.0.1",
    port: int = 1883,
    username: str | None = None,
    password: str | None = None,
    step_seconds: float = 5.0,
    flush_seconds: float = LIVE_FLUSH_SECONDS,
    anomalies: AnomalyPlan | None = None,
    realtime: bool = True,
) -> LiveDemo | None:
    """Start the subscriber and the simulator in background threads; None (and one warning) when the broker
    is not reachable or no meter has readings. ``realtime`` false: stepped (tests only; see the module docstring)."""
    if not broker_reachable(host, port):
        log.warning(
            "live monitoring is off: no MQTT broker at %s:%d (start Mosquitto there to see live readings); "
            "the app serves without it",
            host,
            port,
        )
        return None
    with session_scope(engine, write=False) as session:
        meters = simulated_meters(session, principal)
    if not meters:
        log.warning("live monitoring is off: no automatic meter with readings to simulate")
        return None
    stop = threading.Event()
    workspace = engine.url.render_as_string(hide_password=True)
    ingest_id = workspace_client_id("dualcarbon-live-ingest", workspace)
    ingester = MqttIngester(
        principal,
        lambda: session_scope(engine),
        host=host,
        port=port,
        username=username,
        password=password,
        flush_seconds=flush_seconds,
        client_id=ingest_id,
    )
    simulator = Simulator(
        meters,
        host=host,
        port=port,
        username=username,
        password=password,
        step_seconds=step_seconds,
        maintenance=lambda: compact_live_readings(engine),
        anomalies=anomalies,
        clock=wall_clock if realtime else None,
        client_id=workspace_client_id("dualcarbon-simulator", workspace),
    )
    threads = [
        threading.Thread(
            target=_guarded, args=(ingester.run, stop, "subscriber"), name="dualcarbon-live-subscriber", daemon=True
        ),
        threading.Thread(
            target=_guarded, args=(simulator.run, stop, "simulator"), name="dualcarbon-live-simulator", daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    if realtime:
        log.info(
            "live monitoring: simulating %d meters over MQTT %s:%d in real time — each meter reports its 15-min "
            "reading once it exists, the meters staggered over the interval (client id %s)",
            len(meters), host, port, ingest_id,
        )  # fmt: skip
    else:
        log.info(
            "live monitoring: simulating %d meters over MQTT %s:%d — stepped, one 15-min step every %g s "
            "(readings run ahead of the clock)",
            len(meters), host, port, step_seconds,
        )  # fmt: skip
    return LiveDemo(simulator, ingester, stop, threads)


def _guarded(run: Any, stop: threading.Event, name: str) -> None:
    try:
        run(stop)
    except OSError as exc:  # the broker went away between the check and the connect
        log.warning("live monitoring %s stopped: %s", name, exc)


def compact_live_readings(engine: Engine, min_files: int = COMPACT_MIN_FILES) -> None:
    """Merge the small files the live subscriber leaves (as the platform); a failure is logged, never fatal."""
    from dualcarbon.monitoring.service_refresh import compact_readings

    try:
        with session_scope(engine, write=False) as session:
            codes = list(session.scalars(select(Enterprise.credit_code).order_by(Enterprise.id)))
        before = after = 0
        for code in codes:  # one short write transaction per enterprise: the store's write lock is never held
            with session_scope(engine) as session:  # for the whole city's merge (22–29 s under load before)
                stats = compact_readings(session, SYSTEM, credit_code=code, min_files=min_files)
            before, after = before + stats.files_before, after + stats.files_after
        if before:
            log.info("live monitoring: compacted %d files into %d", before, after)
    except Exception:
        log.warning("live monitoring: compaction failed", exc_info=True)
