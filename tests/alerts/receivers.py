"""Local receivers for the channel and upload tests: an HTTP server with a scripted answer per request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    #: request number (0-based) → ("status", code) or ("sleep", seconds then 200)
    script: Callable[[int], tuple[str, float]] = lambda n: ("status", 200)


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                number = len(receiver.requests)
                action, value = receiver.script(number)
                status = 200 if action == "sleep" else int(value)
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body, status))
            if action == "sleep":
                time.sleep(value)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            try:
                self.wfile.write(b"{}")
            except OSError:
                pass  # the client gave up (timeout)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
