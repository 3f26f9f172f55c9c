"""A second SQLite connection that holds the database write lock for a while (tests of the lock budget)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url


def sqlite_file(url: str) -> str:
    database = make_url(url).database
    assert database, url
    return database


@contextmanager
def write_lock_held(url: str, seconds: float) -> Iterator[None]:
    """Take SQLite's write lock (BEGIN IMMEDIATE) in another thread and keep it ``seconds``; the block runs
    meanwhile. The lock is given up (rolled back) after ``seconds`` whether the block is done or not."""
    ready = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(sqlite_file(url), isolation_level=None, timeout=10)
        try:
            connection.execute("BEGIN IMMEDIATE")
            ready.set()
            time.sleep(seconds)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert ready.wait(10), "could not take the write lock"
    try:
        yield
    finally:
        thread.join()


def write_lock_free(url: str) -> bool:
    """True when the write lock can be taken right now (no other transaction holds it)."""
    connection = sqlite3.connect(sqlite_file(url), isolation_level=None, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
