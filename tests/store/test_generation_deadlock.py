"""PostgreSQL generation counters: two transactions writing two tables in opposite orders do not deadlock.

The counters are bumped by a statement trigger in the writing transaction, which keeps the counter row locked
until it ends. With migration 0022's body (slot ``pg_backend_pid() % 16``), two backends of one slot writing
``enterprise`` then ``meter`` and ``meter`` then ``enterprise`` each held one counter row and waited for the
other's: PostgreSQL's deadlock detector rolled one back. Since 0023 a transaction bumps in a slot it holds alone
(store/generation.py), so the same two transactions both commit. The test runs both bodies on a real server: the
old one must deadlock (so the set-up does reach the case), the current one must not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from dualcarbon.store.generation import GENERATION_TABLE, PG_FUNCTION, PG_SLOT_SETTING

pytestmark = pytest.mark.postgres

FIRST, SECOND = "enterprise", "meter"


_M0023 = import_module("dualcarbon.store.migrations.versions.0023_generation_slot_per_transaction")
OLD_SLOTS = _M0023.PG_SLOTS_0022  # 0022's slot: pg_backend_pid() % 16


@pytest.fixture
def pg_engine(pg_template: str, pg_database: Callable[..., str]) -> Iterator[Engine]:
    engine = create_engine(pg_database(pg_template), poolclass=NullPool)
    yield engine
    engine.dispose()


def _same_slot_pair(engine: Engine) -> tuple[Connection, Connection, list[Connection]]:
    """Two connections whose backends fall in the same 0022 slot, ``pid % 16`` (others opened on the way, to close)."""
    opened: list[Connection] = []
    by_slot: dict[int, Connection] = {}
    for _ in range(OLD_SLOTS + 1):  # pigeonhole: 17 backends share a slot
        connection = engine.connect()
        opened.append(connection)
        slot = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one()) % OLD_SLOTS
        if slot in by_slot:
            return by_slot[slot], connection, opened
        by_slot[slot] = connection
    raise AssertionError("unreachable")


def _touch(connection: Connection, table: str) -> None:
    # a statement trigger fires for a statement that changes no row too: a bump without data
    connection.execute(text(f'UPDATE "{table}" SET id = id WHERE false'))


def _counter(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        query = text(f"SELECT coalesce(sum(counter), 0) FROM {GENERATION_TABLE} WHERE table_name = :t")
        return int(connection.execute(query, {"t": table}).scalar_one())


def _opposite_orders(engine: Engine) -> list[BaseException]:
    """T1 writes FIRST then SECOND, T2 SECOND then FIRST, interleaved; both commit unless an error. The errors."""
    one, two, opened = _same_slot_pair(engine)
    errors: list[BaseException] = []
    try:
        for connection in (one, two):
            connection.execute(text("SET lock_timeout = '20s'"))  # a hang fails the test instead of blocking it
            connection.commit()
        _touch(one, FIRST)
        _touch(two, SECOND)

        def one_then() -> None:
            try:
                _touch(one, SECOND)
                one.commit()
            except DBAPIError as exc:
                errors.append(exc)
                one.rollback()

        thread = threading.Thread(target=one_then)
        thread.start()
        thread.join(0.5)  # T1 now waits for T2 (old body) or has gone on (current body)
        try:
            _touch(two, FIRST)
            two.commit()
        except DBAPIError as exc:
            errors.append(exc)
            two.rollback()
        thread.join(30)
        assert not thread.is_alive()
    finally:
        for connection in opened:
            connection.close()
    return errors


def _sqlstate(exc: BaseException) -> Any:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def test_the_0022_body_deadlocked_on_counter_rows(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        connection.execute(text(_M0023._PG_FUNCTION_0022))
    errors = _opposite_orders(pg_engine)
    assert [_sqlstate(e) for e in errors] == ["40P01"]  # deadlock_detected: one of the two rolled back


def test_writers_in_opposite_table_orders_both_commit(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:  # the store is at head: the current body already; set it again anyway
        connection.execute(text(PG_FUNCTION))
    before = {t: _counter(pg_engine, t) for t in (FIRST, SECOND)}
    errors = _opposite_orders(pg_engine)
    assert errors == []
    assert {t: _counter(pg_engine, t) for t in (FIRST, SECOND)} == {t: n + 2 for t, n in before.items()}


def _by_slot(engine: Engine) -> dict[tuple[str, int], int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT table_name, slot, counter FROM {GENERATION_TABLE} WHERE table_name IN (:a, :b)"),
            {"a": FIRST, "b": SECOND},
        ).all()
    return {(str(t), int(s)): int(c) for t, s, c in rows}


def test_a_transaction_bumps_every_table_in_the_one_slot_it_holds(pg_engine: Engine) -> None:
    before = _by_slot(pg_engine)
    one, two, opened = _same_slot_pair(pg_engine)
    try:
        for connection in (one, two):
            _touch(connection, FIRST)
            _touch(connection, SECOND)
        held = [int(c.execute(text(f"SELECT current_setting('{PG_SLOT_SETTING}')")).scalar_one()) for c in (one, two)]
        assert held[0] != held[1]  # two transactions at once never share a slot (here: one 0022 slot)
        for connection in (one, two):
            connection.commit()
    finally:
        for connection in opened:
            connection.close()
    after = _by_slot(pg_engine)
    grown = {key: n - before.get(key, 0) for key, n in after.items() if n != before.get(key, 0)}
    assert grown == {(t, s): 1 for t in (FIRST, SECOND) for s in held}
