"""Admission limit: at most N API requests inside the app at once; the others wait in the event loop.

Why: routes and their dependencies are synchronous and run in a worker-thread pool, and each request holds a
database connection from its first query until its session closes, across several hops between threads. When
more requests are inside than the connection pool holds, threads block waiting for connections that are held
by requests waiting for a thread: the app stalls until the pool's timeout. Letting in no more requests than the
pool has connections (and than there are worker threads) makes that impossible; a waiting request costs only a
coroutine. Only paths under ``/api/`` and ``/public/`` are limited; the web UI's own traffic is not.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

LIMITED_PREFIXES = ("/api/", "/public/")


class AdmissionLimit:
    """ASGI middleware with a semaphore around limited HTTP requests."""

    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max(1, max_in_flight)
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:  # created lazily inside the running loop
            self._semaphore = asyncio.Semaphore(self.max_in_flight)
        async with self._semaphore:
            await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)
