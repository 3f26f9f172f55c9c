"""Which database errors are transient (the API answers them 503 + Retry-After) and which are not.

Real errors from both stores: on SQLite a deferred transaction that read before another connection
committed cannot write any more (SQLITE_BUSY_SNAPSHOT, "database is locked"); on PostgreSQL a lock not had
within ``lock_timeout`` (55P03). A constraint violation is not transient — it is a bug or a conflict to
report, and stays what it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dualcarbon.store.db import is_transient_lock_error, make_engine


def _region(connection: object, code: str) -> None:
    connection.execute(  # type: ignore[attr-defined]
        text("INSERT INTO region (code, name, level, path) VALUES (:c, :c, 'province', :c)"), {"c": code}
    )


def test_lost_lock_is_transient_and_a_constraint_violation_is_not(engine: Engine) -> None:
    other = make_engine(engine.url, lock_budget=True)
    try:
        with engine.begin() as connection:
            _region(connection, "110000")
        if engine.dialect.name == "sqlite":
            with engine.connect() as stale, other.connect() as writer:
                stale.execute(text("SELECT count(*) FROM region")).scalar_one()  # snapshot taken
                with writer.begin():
                    _region(writer, "120000")
                with pytest.raises(DBAPIError) as lost:
                    _region(stale, "130000")
                stale.rollback()
        else:
            with engine.connect() as holder, other.connect() as waiter:
                holder.execute(text("SELECT code FROM region WHERE code = '110000' FOR UPDATE"))
                waiter.execute(text("SET lock_timeout = 200"))
                with pytest.raises(DBAPIError) as lost:
                    waiter.execute(text("UPDATE region SET name = 'x' WHERE code = '110000'"))
                waiter.rollback()
                holder.rollback()
        assert is_transient_lock_error(lost.value), lost.value
        with engine.connect() as connection, pytest.raises(IntegrityError) as duplicate:
            _region(connection, "110000")
        assert not is_transient_lock_error(duplicate.value)
        assert not is_transient_lock_error(ValueError("database is locked"))  # only real database errors
    finally:
        other.dispose()


def test_a_web_call_that_lost_the_lock_runs_again_with_the_lock_taken_first(world: Any) -> None:
    """ui.web.session.WebContext.call on SQLite: the service reads, another connection commits a write, the
    service's own write fails ("database is locked": its snapshot is stale). The call is rolled back and run
    once more in a transaction that takes the write lock at BEGIN, which succeeds."""
    if world.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL waits on row locks instead; a stale read does not stop a write")
    from dualcarbon.accounts.service_auth import authenticate_secret
    from dualcarbon.core.access import Principal
    from dualcarbon.store.db import writing
    from dualcarbon.ui.web.session import WebContext

    other = make_engine(world.url)
    attempts: list[int] = []

    def service(session: Session, principal: Principal) -> str:
        attempts.append(1)
        session.execute(text("SELECT count(*) FROM region")).scalar_one()  # the snapshot
        if len(attempts) == 1:
            with other.begin() as connection:  # someone else writes meanwhile
                _region(connection, "120000")
        session.execute(text("INSERT INTO region (code, name, level, path) VALUES ('130000', 'b', 'province', 'b')"))
        return principal.username

    ctx = WebContext(
        factory=sessionmaker(world.engine),
        secret=world.tokens["city"],
        principal=Principal(None, "city", (), frozenset(), "zh"),
        display_name="city",
        language="zh",
        csrf="",
        path="/",
        resolve=lambda session, secret, _browser: authenticate_secret(session, secret, False),
        write_factory=sessionmaker(writing(world.engine)),
    )
    try:
        assert ctx.call(service) == "city"
    finally:
        other.dispose()
    assert len(attempts) == 2  # the first attempt lost the lock, the second had it from BEGIN
    with world.engine.connect() as connection:
        codes = set(connection.execute(text("SELECT code FROM region WHERE code IN ('120000', '130000')")).scalars())
    assert codes == {"120000", "130000"}
