"""A client that goes away mid-request is a quiet, counted event: no traceback, no 500 (app/api.py).

* The served app (API + NiceGUI under uvicorn, in a child process: the web UI mounts once per process) gets
  requests whose connection is reset after 0–200 ms: NiceGUI static files (a FileResponse stops on the
  disconnect; before it started, NiceGUI's BaseHTTPMiddleware raised "RuntimeError: No response returned." and
  uvicorn logged "Exception in ASGI application" with a traceback) and an Excel download. The log must hold no
  traceback, ``/metrics`` counts the disconnects, and the server still answers.
* Waiting for admission (max 1 in flight): a request whose client goes away while queued leaves without
  running and is counted ``queued``; a request whose client stays is admitted and answered, its body replayed.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nicegui
from sqlalchemy.orm import sessionmaker
from starlette.types import Message, Receive, Scope, Send

from dualcarbon.alerts.service_metrics import Metrics
from dualcarbon.app.admission import AdmissionLimit
from dualcarbon.app.api import CLIENT_CLOSED_REQUEST, HttpLatency

CHILD = """
import sys
import uvicorn
from dualcarbon.app.web import create_web_app

app = create_web_app(sys.argv[1], data_dir=sys.argv[2])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="info")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def _drop(port: int, path: str, after_s: float) -> None:
    """Send a GET and reset the connection after ``after_s`` (a browser leaving, a killed download)."""
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: testserver\r\n\r\n".encode())
        time.sleep(after_s)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_disconnect_mid_request_logs_no_traceback_and_is_counted(world: Any, tmp_path: Path) -> None:
    port = _free_port()
    # as served: NiceGUI leaves out its GZip middleware under pytest (PYTEST_CURRENT_TEST), and with it the case
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, world.url, str(tmp_path), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert child.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        static = f"/_nicegui/{nicegui.__version__}/static/nicegui.js"
        paths = [static, f"/_nicegui/{nicegui.__version__}/static/quasar.important.css", "/api/v1/projects/cases.xlsx"]
        threads = [
            threading.Thread(target=_drop, args=(port, path, after))
            for path in paths
            for after in (0.0, 0.01, 0.05, 0.2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(1.0)
        status, metrics = _get(port, "/metrics")
        assert status == 200 and _get(port, static)[0] == 200  # the server still answers
    finally:
        child.terminate()
        log, _ = child.communicate(timeout=60)
    assert "Traceback" not in log and "No response returned" not in log, log[-3000:]
    assert "Exception in ASGI application" not in log
    counted = re.search(r'dualcarbon_http_client_disconnects_total\{stage="in_flight"\} (\S+)', metrics)
    assert counted is not None and float(counted.group(1)) >= 1  # the dropped static files, counted


def _scope(path: str = "/api/v1/things", method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}


def test_a_client_that_leaves_while_queued_never_runs_and_one_that_stays_is_answered() -> None:
    metrics = Metrics(sessionmaker())
    ran: list[bytes] = []
    release = asyncio.Event()

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        body = (await receive()).get("body", b"")
        ran.append(body)
        if body == b"first":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    app = HttpLatency(AdmissionLimit(inner, max_in_flight=1), metrics=metrics)

    def client(body: bytes, leave: asyncio.Event | None) -> tuple[Receive, list[Message]]:
        messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[Message] = []

        async def receive() -> Message:
            if messages:
                return messages.pop(0)
            if leave is None:
                await asyncio.Event().wait()  # never leaves
            else:
                await leave.wait()
            return {"type": "http.disconnect"}

        return receive, sent

    async def scenario() -> dict[str, Any]:
        first_receive, first_sent = client(b"first", None)
        leave = asyncio.Event()
        gone_receive, gone_sent = client(b"gone", leave)
        stay_receive, stay_sent = client(b"stays", None)

        async def send_to(sent: list[Message]) -> Any:
            async def send(message: Message) -> None:
                sent.append(message)

            return send

        first_scope, gone_scope, stay_scope = _scope(), _scope(), _scope()
        first = asyncio.create_task(app(first_scope, first_receive, await send_to(first_sent)))
        await asyncio.sleep(0.05)
        gone = asyncio.create_task(app(gone_scope, gone_receive, await send_to(gone_sent)))
        stay = asyncio.create_task(app(stay_scope, stay_receive, await send_to(stay_sent)))
        await asyncio.sleep(0.05)
        leave.set()  # the second client goes away while both wait behind the first
        await asyncio.wait_for(gone, 2)
        release.set()
        await asyncio.wait_for(asyncio.gather(first, stay), 2)
        return {"gone_sent": gone_sent, "stay_sent": stay_sent, "gone_scope": gone_scope}

    # in a thread of its own: a worker that ran the browser tests keeps Playwright's event loop running in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        out = pool.submit(asyncio.run, scenario()).result()
    assert ran == [b"first", b"stays"]  # the queued request whose client left never ran
    assert out["gone_sent"] == []
    assert [m.get("status") for m in out["stay_sent"] if m["type"] == "http.response.start"] == [200]
    assert [m.get("body") for m in out["stay_sent"] if m["type"] == "http.response.body"] == [b"stays"]  # replayed
    assert metrics.disconnects.labels("queued")._value.get() == 1
    assert metrics.disconnects.labels("in_flight")._value.get() == 0
    observed = {
        s.labels["status"]: s.value for s in next(iter(metrics.http.collect())).samples if s.name.endswith("_count")
    }
    assert observed == {f"{CLIENT_CLOSED_REQUEST // 100}xx": 1.0, "2xx": 2.0}
