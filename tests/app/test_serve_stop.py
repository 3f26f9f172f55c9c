"""`dualcarbon serve --live` stops in order on Ctrl+C (SIGINT) and SIGTERM, whenever the signal comes: during
start-up, just after the background loops started, and while serving with the alert loop evaluating. Exit code 0,
no traceback, no abort (a daemon thread left inside DuckDB while the interpreter finalises aborts with 134).

Real processes: a reduced demo store (SQLite), a private Mosquitto on a free port, the installed ``dualcarbon``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from dualcarbon.demo import DemoSpec, build_demo, latest_complete_year
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import init_store

DUALCARBON = str(Path(sys.executable).parent / "dualcarbon")
SPEC = DemoSpec(
    enterprises=30,
    districts=5,
    seed=7,
    latest_year=latest_complete_year(date.today()),
    meter_enterprises=2,
    meter_days=14,
)
#: Seconds a served process has to start or to stop here (a shared, loaded machine starts it in ~30 s).
START_S, STOP_S = 240.0, 120.0
#: The four points share one demo store and one broker (module fixtures): one xdist worker runs them all.
pytestmark = pytest.mark.xdist_group("serve_stop")


@pytest.fixture(scope="module")
def served_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("serve-stop")
    engine = init_store(directory)
    try:
        build_demo(engine, SPEC, shipped_reference())
    finally:
        engine.dispose()
    return directory


# (the line of output after which the signal is sent, seconds after it, the signal)
POINTS = {
    "start-up, before the loops": ("dualcarbon: serving", 0.0, signal.SIGINT),
    "loops just started": ("live monitoring:", 0.0, signal.SIGINT),
    "serving, alerts evaluating": ("Application startup complete", 4.0, signal.SIGINT),
    "serving, SIGTERM": ("Application startup complete", 4.0, signal.SIGTERM),
}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
def test_serve_live_stops_in_order(
    served_dir: Path, mqtt_broker: int, free_port: Callable[[], int], point: str
) -> None:
    marker, after_s, sig = POINTS[point]
    command = [DUALCARBON, "serve", "--data-dir", str(served_dir), "--live", "--port", str(free_port())]
    command += ["--mqtt-port", str(mqtt_broker), "--live-step-seconds", "0.5", "--alerts-seconds", "1"]
    command += ["--deliver-seconds", "0.5"]
    env = {**os.environ, "PYTHONFAULTHANDLER": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(START_S), "".join(lines[-40:])
        time.sleep(after_s)
        process.send_signal(sig)
        code = process.wait(timeout=STOP_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=10)
    output = "".join(lines)
    assert code == 0, f"exit code {code} at {point!r}:\n{output[-4000:]}"
    assert "Traceback" not in output and "Fatal Python error" not in output and "internal error" not in output, output
