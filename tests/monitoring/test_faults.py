"""Fault tests of the ingestion (issue #8 §9), against a real Mosquitto and on SQLite (Parquet) and PostgreSQL.

* ``kill -9`` of ``dualcarbon ingest FILE`` inside the commit of a batch spanning two months: no half batch is
  ever visible, and re-sending the file stores every row exactly once;
* a broker restart while ``dualcarbon ingest mqtt`` runs: the subscriber reconnects, QoS 1 redelivery makes no
  duplicates and nothing is lost;
* a counter reset, a day arriving a week late, bad JSON, an unknown meter and a meter of another enterprise,
  all through the live subscriber, which keeps running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from dualcarbon.monitoring import service_meters, service_mqtt, service_rollups
from dualcarbon.monitoring.store_readings import TEST_PAUSE_ENV, ParquetReadingsStore
from dualcarbon.store.db import DATABASE_URL_ENV, session_scope

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
DUALCARBON = str(Path(sys.executable).with_name("dualcarbon"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: Any, seconds: float = 20.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def _cli_env(world: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(TEST_PAUSE_ENV, None)
    if world.url.startswith("postgresql"):
        env[DATABASE_URL_ENV] = world.url
    else:
        env.pop(DATABASE_URL_ENV, None)
    return env


def _cli(world: Any, *args: str) -> list[str]:
    command = [DUALCARBON, *args]
    if not world.url.startswith("postgresql"):
        command += ["--data-dir", str(Path(world.url.split("///", 1)[1]).parent)]
    return command


def _stored(world: Any, credit_code: str) -> int:
    """Readings of the enterprise visible to a reader right now."""
    if world.url.startswith("postgresql"):
        with world.engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM meter_reading")).scalar_one())
    root = Path(world.url.split("///", 1)[1]).parent / "monitoring"
    return ParquetReadingsStore(root).count(credit_code)


# ---- kill -9 mid-batch ---------------------------------------------------------------------------------
def test_kill_9_inside_the_commit_leaves_no_half_batch_and_a_resend_stores_each_row_once(
    world: Any, meters: dict[str, int], tmp_path: Path
) -> None:
    a = world.codes["a"]
    # 40 days of hourly readings from 2024-02-10 (Asia/Shanghai): 960 rows in two month partitions (Feb, Mar).
    start = datetime(2024, 2, 10)
    rows = [f"{a},E1,{(start + timedelta(hours=h)).isoformat()},{1000 + 5 * h}" for h in range(40 * 24)]
    file = tmp_path / "batch.csv"
    file.write_text("credit_code,meter_code,ts,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    env = _cli_env(world) | {TEST_PAUSE_ENV: "60"}
    command = _cli(world, "ingest", str(file))
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()  # blocks until the writer is inside its commit
        assert TEST_PAUSE_ENV in line, line
        if not world.url.startswith("postgresql"):
            # The first month's file is renamed into its partition, the second still staged: the crash window.
            readings = Path(world.url.split("///", 1)[1]).parent / "monitoring" / "readings" / f"enterprise={a}"
            assert [p.name for p in sorted(readings.iterdir())] == ["month=2024-02"]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    # All or nothing: SQLite/Parquet rolls the committed journal forward (960); PostgreSQL rolled back (0).
    visible = _stored(world, a)
    assert visible in (0, 960)
    assert visible == (0 if world.url.startswith("postgresql") else 960)
    again = subprocess.run(_cli(world, "ingest", str(file)), env=_cli_env(world), capture_output=True, check=True)
    receipt = json.loads(again.stdout)
    assert receipt["accepted"] + receipt["duplicate"] == 960
    assert (receipt["conflict"], receipt["rejected"]) == (0, 0)
    assert receipt["accepted"] == 960 - visible
    assert _stored(world, a) == 960  # each row exactly once


# ---- the broker ----------------------------------------------------------------------------------------
class Broker:
    """Mosquitto on a spare port with the platform's password/ACL files and persistence (restartable)."""

    def __init__(self, directory: Path, credentials: dict[str, str]) -> None:
        self.port = _free_port()
        self.credentials = credentials
        self.conf = directory / "mosquitto.conf"
        (directory / "db").mkdir()
        self.conf.write_text(
            # ``user root``: see tests/monitoring/test_mqtt.py (root would otherwise drop to mosquitto).
            f"user root\nlistener {self.port} 127.0.0.1\nallow_anonymous false\n"
            f"persistence true\npersistence_location {directory / 'db'}/\n"
            f"password_file {directory / 'mqtt' / 'passwords'}\nacl_file {directory / 'mqtt' / 'acl'}\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False

        assert _wait(listening, 10), "mosquitto did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: Mosquitto saves its persistence file, as on a service restart
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def broker(tmp_path: Path, world: Any, admin: Any) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    with session_scope(world.engine) as session:
        credentials = service_mqtt.write_mosquitto_files(session, admin, tmp_path / "mqtt")
    broker = Broker(tmp_path, credentials)
    broker.start()
    yield broker
    broker.stop()


def _publisher(broker: Broker, user: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{user}-{time.monotonic_ns()}")
    client.username_pw_set(user, broker.credentials[user])
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def test_broker_restart_while_the_subscriber_runs_loses_nothing_and_doubles_nothing(
    world: Any, meters: dict[str, int], broker: Broker
) -> None:
    a = world.codes["a"]
    n = 200
    subscriber = subprocess.Popen(
        _cli(
            world,
            "ingest",
            "mqtt",
            "--port",
            str(broker.port),
            "--username",
            service_mqtt.SUBSCRIBER_USER,
            "--password",
            broker.credentials[service_mqtt.SUBSCRIBER_USER],
            "--flush-seconds",
            "0.5",
        ),
        env=_cli_env(world),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert subscriber.stderr is not None
        assert "subscribed" in subscriber.stderr.readline().decode()
        time.sleep(1.0)  # its SUBSCRIBE has reached the broker
        publisher = _publisher(broker, a)

        def reading(i: int) -> bytes:  # 15-min counter readings of a/E1, 10 kWh apart
            ts = datetime(2024, 5, 1) + timedelta(minutes=15 * i)
            return json.dumps({"ts": ts.isoformat(), "value": 10.0 * i}).encode()

        first = [publisher.publish(f"dualcarbon/{a}/E1", reading(i), qos=1) for i in range(n // 2)]
        for info in first:
            info.wait_for_publish(10)
        broker.stop()  # mid-way: some of the first half are not yet flushed nor acknowledged by the subscriber
        time.sleep(0.5)
        broker.start()
        assert _wait(publisher.is_connected, 20), "the publisher did not reconnect"
        rest = [publisher.publish(f"dualcarbon/{a}/E1", reading(i), qos=1) for i in range(n // 2, n)]
        for info in rest:
            info.wait_for_publish(20)
        assert _wait(lambda: _stored(world, a) >= n, 30), f"stored {_stored(world, a)} of {n}"
        time.sleep(1.5)  # any late redelivery would arrive now
        publisher.loop_stop()
        publisher.disconnect()
    finally:
        subscriber.send_signal(signal.SIGINT)
        out, err = subscriber.communicate(timeout=20)
    assert _stored(world, a) == n  # nothing lost, nothing doubled
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["accepted"] == n, err.decode()[-2000:]
    assert (summary["conflict"], summary["rejected"], summary["malformed"]) == (0, 0, 0)


# ---- bad messages, a reset and a late day through the live subscriber --------------------------------
def test_reset_late_day_and_bad_messages_through_the_live_subscriber(
    world: Any, meters: dict[str, int], broker: Broker, tmp_path: Path, admin: Any, reference: Any, write_csv: Any
) -> None:
    a, b = world.codes["a"], world.codes["b"]
    # A meter only enterprise b has: a's publisher names it under a's own prefix.
    path = write_csv(
        tmp_path / "b_meter.csv",
        ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier"],
        [[b, "B9", "electricity", "kWh", "cumulative", 1]],
    )
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
    ingester = service_mqtt.MqttIngester(
        admin,
        lambda: session_scope(world.engine),
        port=broker.port,
        username=service_mqtt.SUBSCRIBER_USER,
        password=broker.credentials[service_mqtt.SUBSCRIBER_USER],
        flush_seconds=0.2,
        client_id="test-faults",
    )
    stop = threading.Event()
    thread = threading.Thread(target=ingester.run, args=(stop,), daemon=True)
    thread.start()
    publisher = _publisher(broker, a)
    time.sleep(0.5)
    try:

        def send(meter: str, payload: Any, prefix: str = a) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            publisher.publish(f"dualcarbon/{prefix}/{meter}", data, qos=1).wait_for_publish(10)

        # a/E3: cumulative, no counter_max. Hourly on 2024-06-01: 500, 520, 540, then reset to 3, 23, 43.
        send("E3", [{"ts": f"2024-06-01T{h:02d}:00:00", "value": v} for h, v in enumerate([500, 520, 540, 3, 23, 43])])
        # a/G1: interval gas, one reading a day (00:00) for 2024-06-01..07 except 06-04, which comes a week late.
        send("G1", [{"ts": f"2024-06-{d:02d}T00:00:00", "value": 10.0 * d} for d in (1, 2, 3, 5, 6, 7)])
        send("E1", b"{not json")  # bad JSON
        send("NOPE", {"ts": "2024-06-01T00:00:00", "value": 1})  # unknown meter
        send("B9", {"ts": "2024-06-01T00:00:00", "value": 1})  # b's meter named under a's prefix
        send("E1", {"ts": "2024-06-01T00:00:00", "value": 1}, prefix=b)  # outside a's prefix: the ACL drops it
        assert _wait(lambda: ingester.stats.receipt.accepted >= 12 and ingester.stats.receipt.rejected >= 2)
        hourly = _rollups(world, admin, reference, "E3", "hour", date(2024, 6, 1))
        day = _rollups(world, admin, reference, "G1", "day", date(2024, 6, 1), date(2024, 6, 7))
        assert day[3]["energy"] is None and "no_data" in day[3]["flags"]  # 06-04 not there yet
        send("G1", {"ts": "2024-06-04T00:00:00", "value": 40.0})  # the late day (sent "a week later")
        assert _wait(lambda: ingester.stats.receipt.accepted >= 13)
        late = _rollups(world, admin, reference, "G1", "day", date(2024, 6, 1), date(2024, 6, 7))
        send("E1", {"ts": "2024-06-01T00:00:00", "value": 7})  # still running after all of the above
        assert _wait(lambda: ingester.stats.receipt.accepted >= 14)
    finally:
        stop.set()
        thread.join(timeout=10)
        publisher.loop_stop()
    stats = ingester.stats
    # 6 (E3) + 6 (G1) + 1 late G1 + 1 E1 = 14 accepted; NOPE and B9 rejected; one malformed; b's topic never arrives.
    assert (stats.receipt.accepted, stats.receipt.rejected, stats.malformed) == (14, 2, 1)
    reasons = sorted(p.reason for p in stats.receipt.problems)
    assert reasons == [
        f"meter_code: no meter 'B9' of enterprise {a} that you may write to",
        f"meter_code: no meter 'NOPE' of enterprise {a} that you may write to",
    ]
    # The reset: interval 02:00→03:00 (540 → 3) is unknown and flagged, never negative; the others are 20 kWh.
    energies = [p["energy"] for p in hourly[:5]]
    assert energies == [20.0, 20.0, None, 20.0, 20.0]
    assert "counter_reset" in hourly[2]["flags"]
    assert all(p["energy"] is None or p["energy"] >= 0 for p in hourly)
    # The late day shows in the day rollups once it arrived: 40 m3 on 06-04; the other days unchanged.
    assert [p["energy"] for p in late] == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    assert [p["energy"] for p in day] == [10.0, 20.0, 30.0, None, 50.0, 60.0, 70.0]


def _rollups(
    world: Any, admin: Any, reference: Any, meter: str, interval: str, first: date, last: date | None = None
) -> list[dict[str, Any]]:
    with session_scope(world.engine, write=False) as session:
        result = service_rollups.meter_rollups(
            session, admin, interval, first, last or first, reference, credit_code=world.codes["a"], meter_code=meter
        )
    return [p.model_dump(mode="json") for p in result.periods]


# ---- a burst beyond Mosquitto's default queue ---------------------------------------------------------
def test_a_burst_beyond_the_default_broker_queue_is_stored_whole_with_the_written_broker_settings(
    world: Any, meters: dict[str, int], tmp_path: Path, admin: Any
) -> None:
    """The subscriber acknowledges after each commit, so with Mosquitto's defaults (20 in flight, 1,000 queued)
    a burst of 3,000 messages overflowed the queue and lost readings. ``mqtt acl`` now writes broker.conf with
    the window and no queue limit; with it (and --max-pending at the same window) every reading arrives once."""
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    with session_scope(world.engine) as session:
        credentials = service_mqtt.write_mosquitto_files(session, admin, tmp_path / "mqtt")
    broker = Broker(tmp_path, credentials)
    written = (tmp_path / "mqtt" / "broker.conf").read_text(encoding="utf-8").splitlines()
    settings = [line for line in written if line.startswith(("max_inflight_messages", "max_queued_messages"))]
    assert settings == [f"max_inflight_messages {service_mqtt.SUBSCRIBER_WINDOW}", "max_queued_messages 0"]
    broker.conf.write_text(broker.conf.read_text(encoding="utf-8") + "\n".join(settings) + "\n", encoding="utf-8")
    broker.start()
    a, n = world.codes["a"], 3000
    subscriber = subprocess.Popen(
        _cli(
            world,
            "ingest",
            "mqtt",
            "--port",
            str(broker.port),
            "--username",
            service_mqtt.SUBSCRIBER_USER,
            "--password",
            credentials[service_mqtt.SUBSCRIBER_USER],
            "--max-pending",
            str(service_mqtt.SUBSCRIBER_WINDOW),
            "--flush-seconds",
            "0.5",
        ),
        env=_cli_env(world),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert subscriber.stderr is not None
        assert "subscribed" in subscriber.stderr.readline().decode()
        time.sleep(1.0)
        publisher = _publisher(broker, a)
        start = datetime(2024, 6, 1)
        infos = [
            publisher.publish(
                f"dualcarbon/{a}/E1",
                json.dumps({"ts": (start + timedelta(minutes=15 * i)).isoformat(), "value": 5.0 * i}).encode(),
                qos=1,
            )
            for i in range(n)
        ]
        for info in infos:
            info.wait_for_publish(30)
        assert _wait(lambda: _stored(world, a) >= n, 60), f"stored {_stored(world, a)} of {n}"
        publisher.loop_stop()
        publisher.disconnect()
    finally:
        subscriber.send_signal(signal.SIGINT)
        out, err = subscriber.communicate(timeout=30)
        broker.stop()
    assert _stored(world, a) == n
    summary = json.loads(out.decode().strip().splitlines()[-1])
    # every reading accepted exactly once; a redelivery (the connection may drop while a busy machine commits)
    # is only ever a duplicate, never a second row
    assert (summary["accepted"], summary["conflict"], summary["rejected"]) == (n, 0, 0), (summary, err.decode()[-2000:])
