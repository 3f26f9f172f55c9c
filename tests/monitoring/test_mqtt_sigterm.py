"""``dualcarbon ingest mqtt`` stopped by SIGTERM (systemd, Docker, ``kill``) flushes what it buffered and prints
its receipt, like Ctrl-C (issue #8 acceptance walk: a subscriber started in the background of a shell script
ignores SIGINT, and SIGTERM used to end it without a flush or a summary)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from dualcarbon.monitoring.service_simulator import broker_reachable
from dualcarbon.store.db import DATABASE_URL_ENV

DUALCARBON = str(Path(sys.executable).with_name("dualcarbon"))
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@pytest.fixture
def broker_port(tmp_path: Path) -> Iterator[int]:
    """An anonymous Mosquitto of the test's own on a spare port (``user root``: it would drop to its own user)."""
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n", encoding="utf-8")
    process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not broker_reachable("127.0.0.1", port, 0.2):
            assert process.poll() is None and time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sigterm_flushes_and_prints_the_receipt(world: Any, meters: dict[str, int], broker_port: int) -> None:
    a = world.codes["a"]
    env = dict(os.environ)
    command = [DUALCARBON, "ingest", "mqtt", "--port", str(broker_port), "--flush-seconds", "3600"]
    if world.url.startswith("postgresql"):
        env[DATABASE_URL_ENV] = world.url
    else:
        env.pop(DATABASE_URL_ENV, None)
        command += ["--data-dir", str(Path(world.url.split("///", 1)[1]).parent)]
    subscriber = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert subscriber.stderr is not None
        assert "subscribed" in subscriber.stderr.readline().decode()
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="sigterm-test")
        publisher.connect("127.0.0.1", broker_port)
        publisher.loop_start()
        sent = [
            publisher.publish(
                f"dualcarbon/{a}/E1",
                json.dumps({"ts": (datetime(2024, 6, 1) + timedelta(minutes=15 * i)).isoformat(), "value": i}),
                qos=1,
            )
            for i in range(5)
        ]
        publisher.publish(f"dualcarbon/{a}/E1", b"{not json", qos=1).wait_for_publish(10)
        for info in sent:
            info.wait_for_publish(10)
        publisher.loop_stop()
        publisher.disconnect()
        time.sleep(1.5)  # delivered to the subscriber, buffered: its flush timer is an hour
    finally:
        subscriber.send_signal(signal.SIGTERM)
        out, err = subscriber.communicate(timeout=60)
    assert subscriber.returncode == 0, err.decode()[-2000:]
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert (summary["accepted"], summary["malformed"]) == (5, 1), err.decode()[-2000:]
