"""Run one action from many threads at once, each in its own transaction, and sort out who won.

The suite runs with ``--import-mode=importlib``: a test module imports this helper after putting ``tests/``
on ``sys.path`` itself (as with ``catalog_fixtures``).

``race(engine, n, prepare, act)``: every thread opens its own session (``session_scope``, so on SQLite the
write lock is taken at BEGIN), runs ``prepare(session)`` — on PostgreSQL this loads the rows the action will
check, so every thread has read the old state before any thread writes — waits until all threads have
prepared, then runs ``act(session)`` and commits. On SQLite ``BEGIN IMMEDIATE`` lets only one thread into
its transaction at a time, so there the threads line up before preparing instead (a barrier inside would
wait forever). Outcomes are ``"ok"`` or the exception's class name.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dualcarbon.store.db import make_engine, session_scope


def race(
    engine: Engine,
    n: int,
    act: Callable[[Session], Any],
    prepare: Callable[[Session], Any] | None = None,
    *,
    timeout_s: float = 60.0,
) -> Counter[str]:
    """``act`` from ``n`` threads at once; a count of outcomes (``"ok"`` or an exception class name)."""
    inside = engine.dialect.name != "sqlite"
    engine = make_engine(engine.url, pool_size=n, max_overflow=0)  # a connection for every thread
    barrier = threading.Barrier(n, timeout=timeout_s)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            if not inside:
                barrier.wait()
            with session_scope(engine) as session:
                # keep what prepare loaded referenced: the identity map holds objects only weakly
                kept = prepare(session) if prepare is not None else None
                if inside:
                    barrier.wait()
                act(session)
                del kept
            outcome = "ok"
        except Exception as exc:
            outcome = type(exc).__name__
            if outcome not in ("Conflict",):
                outcome = f"{outcome}: {exc}"[:300]
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_s)
    engine.dispose()
    assert len(outcomes) == n, f"only {len(outcomes)} of {n} threads finished"
    return Counter(outcomes)


def parallel_requests(n: int, request: Callable[[int], Any], *, timeout_s: float = 60.0) -> list[Any]:
    """``request(i)`` for i in 0..n-1 from ``n`` threads released together; the results in order of i."""
    barrier = threading.Barrier(n, timeout=timeout_s)
    results: list[Any] = [None] * n

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = request(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_s)
    return results
