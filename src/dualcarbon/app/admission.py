"""Admission limit: at most N API requests inside the app at once; the others wait in the event loop.

Why: routes and their dependencies are synchronous and run in a worker-thread pool, and each request holds a
database connection from its first query until its session closes, across several hops between threads. When
more requests are inside than the connection pool holds, threads block waiting for connections that are held
by requests waiting for a thread: the app stalls until the pool's timeout. Letting in no more requests than the
pool has connections (and than there are worker threads) makes that impossible; a waiting request costs only a
coroutine. Only paths under ``/api/`` and ``/public/`` are limited; the web UI's own traffic is not.

A request that has to wait watches its connection meanwhile (what it receives is kept and replayed to the app):
when the client goes away before its turn, it leaves the queue without running and is marked
(:data:`GAVE_UP_QUEUED`), so ``app.api.HttpLatency`` counts it as a disconnect — no work for nobody.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LIMITED_PREFIXES = ("/api/", "/public/")
#: Scope key set on a request whose client went away while it waited for admission (it did not run).
GAVE_UP_QUEUED = "dualcarbon.gave_up_queued"
#: Scope key set (by ``app.api.HttpLatency``) on a request whose client went away before its answer.
CLIENT_GONE = "dualcarbon.client_gone"


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
        semaphore = self._semaphore
        if not semaphore.locked():
            async with semaphore:
                await self.app(scope, receive, send)
            return
        early: list[Message] = []
        admitted, gone = await self._wait(semaphore, receive, early)
        if gone:
            if admitted:
                semaphore.release()
            scope[GAVE_UP_QUEUED] = True
            return

        async def replay() -> Message:
            return early.pop(0) if early else await receive()

        try:
            await self.app(scope, replay, send)
        finally:
            semaphore.release()

    @staticmethod
    async def _wait(semaphore: asyncio.Semaphore, receive: Receive, early: list[Message]) -> tuple[bool, bool]:
        """Wait for a place while reading the connection into ``early``: (admitted, the client went away)."""
        admitted = gone = False
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                nonlocal gone
                while True:  # the request's body, then nothing until a disconnect
                    message = await receive()
                    early.append(message)
                    if message["type"] == "http.disconnect":
                        gone = True
                        group.cancel_scope.cancel()
                        return

            group.start_soon(watch)
            await semaphore.acquire()
            admitted = True
            group.cancel_scope.cancel()
        return admitted, gone

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)
