"""The external sink of audit checkpoints: each line POSTed as JSON to ``DUALCARBON_AUDIT_SINK_URL``.

A daemon thread sends them in order, so a slow or dead sink never delays a commit; every failure is logged
(logger ``dualcarbon.audit``) and dropped, never retried or raised. A copy the attacker cannot rewrite is
what the sink is for (docs/audit.md); the sink is expected to keep what it receives.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import urllib.request

log = logging.getLogger("dualcarbon.audit")

SINK_TIMEOUT_SECONDS = 5.0

_sink_queue: queue.Queue[tuple[str, bytes]] = queue.Queue()
_sink_thread: threading.Thread | None = None
_sink_pid = 0
_sink_lock = threading.Lock()


def send_to_sink(url: str, line: bytes) -> None:
    """Queue one checkpoint line for the sink at ``url``; a background thread POSTs it."""
    global _sink_thread, _sink_pid
    if not url.startswith(("http://", "https://")):
        log.error("DUALCARBON_AUDIT_SINK_URL must be an http(s) URL, got %r; checkpoint not sent", url)
        return
    with _sink_lock:
        if _sink_thread is None or _sink_pid != os.getpid() or not _sink_thread.is_alive():
            _sink_thread = threading.Thread(target=_sink_worker, name="audit-sink", daemon=True)
            _sink_pid = os.getpid()
            _sink_thread.start()
    _sink_queue.put((url, line))


def _sink_worker() -> None:
    while True:
        url, line = _sink_queue.get()
        try:
            request = urllib.request.Request(
                url, data=line.rstrip(b"\n"), headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=SINK_TIMEOUT_SECONDS) as response:
                response.read()
        except Exception as exc:  # any failure: log it, keep going
            log.error("audit checkpoint not delivered to the sink %s: %s", url, exc)
        finally:
            _sink_queue.task_done()


def flush_sink(timeout: float = 3.0) -> bool:
    """Wait up to ``timeout`` seconds until queued checkpoints have been sent (or failed); True if all done."""
    deadline = time.monotonic() + timeout
    while _sink_queue.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
