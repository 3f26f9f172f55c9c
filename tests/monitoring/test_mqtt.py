"""MQTT ingestion against a real Mosquitto started on a spare port with the platform's password/ACL files."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from dualcarbon.monitoring import service_mqtt
from dualcarbon.store.db import session_scope

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def broker(tmp_path: Path, world: Any, admin: Any) -> Any:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    with session_scope(world.engine) as session:
        creds = service_mqtt.write_mosquitto_files(session, admin, tmp_path / "mqtt")
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        # ``user root``: started as root, Mosquitto would otherwise drop to its own user, which cannot read the
        # 0600 files of the test's temporary directory (ignored when the tests do not run as root).
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous false\npersistence false\n"
        f"password_file {tmp_path / 'mqtt' / 'passwords'}\nacl_file {tmp_path / 'mqtt' / 'acl'}\n",
        encoding="utf-8",
    )
    process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port, creds
    process.terminate()
    process.wait(timeout=10)


def _publisher(port: int, user: str, password: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{user}")
    client.username_pw_set(user, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_subscriber_ingests_counts_malformed_and_the_acl_confines_publishers(
    broker: Any, world: Any, meters: dict[str, int], admin: Any
) -> None:
    port, creds = broker
    a, b = world.codes["a"], world.codes["b"]
    ingester = service_mqtt.MqttIngester(
        admin,
        lambda: session_scope(world.engine),
        port=port,
        username=service_mqtt.SUBSCRIBER_USER,
        password=creds[service_mqtt.SUBSCRIBER_USER],
        flush_seconds=0.2,
        client_id="test-ingest",
    )
    stop = threading.Event()
    thread = threading.Thread(target=ingester.run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.5)  # subscribed
    publisher = _publisher(port, a, creds[a])
    reading = b'{"ts": "2024-03-01T00:00:00", "value": 100}'
    publisher.publish(f"dualcarbon/{a}/E1", reading, qos=1).wait_for_publish(5)
    publisher.publish(f"dualcarbon/{a}/E1", b"{not json", qos=1).wait_for_publish(5)
    publisher.publish(f"dualcarbon/{b}/E1", reading, qos=1).wait_for_publish(5)  # not a's prefix: dropped
    publisher.publish(f"dualcarbon/{a}/E1", reading, qos=1).wait_for_publish(5)  # the same again
    publisher.publish(f"dualcarbon/{a}/E1", b'[{"ts": "2024-03-01T00:15:00", "value": 110}]', qos=1)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        got = ingester.stats.receipt
        if got.accepted + got.duplicate >= 3 and ingester.stats.malformed >= 1:
            break
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=10)
    publisher.loop_stop()
    receipt = ingester.stats.receipt
    assert (receipt.accepted, receipt.duplicate, receipt.rejected) == (2, 1, 0)
    assert ingester.stats.malformed == 1


def test_message_parsing() -> None:
    rows = service_mqtt.readings_of_message("dualcarbon/X/M", b'{"ts": "2024-01-01T00:00:00", "value": 1.5}')
    assert rows == [{"credit_code": "X", "meter_code": "M", "ts": "2024-01-01T00:00:00", "value": "1.5"}]
    for topic, payload in (("other/X/M", b"{}"), ("dualcarbon/X", b"{}"), ("dualcarbon/X/M", b"[1]")):
        with pytest.raises(ValueError):
            service_mqtt.readings_of_message(topic, payload)
    assert service_mqtt.mosquitto_hash("pw", b"0" * 12).startswith("$7$101$")
