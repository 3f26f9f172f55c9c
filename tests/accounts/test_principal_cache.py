"""The principal cache of ``authenticate_secret``: a hit reads nothing from the database; a committed change to
a token, user, role or agency in this process is seen at once; other writers are bounded by the TTL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from dualcarbon.accounts import service as accounts
from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.accounts.service_auth import (
    authenticate_secret,
    hash_password,
    hash_secret,
    principal_for,
    set_disabled,
)
from dualcarbon.accounts.service_principal_cache import cached_caller, principal_cache
from dualcarbon.core.access import SYSTEM
from dualcarbon.core.errors import AuthenticationFailed
from dualcarbon.store.db import session_scope


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DUALCARBON_PRINCIPAL_CACHE_SECONDS", "5")
    principal_cache.invalidate()
    principal_cache.reread_settings()
    yield
    principal_cache.clock = __import__("time").monotonic
    principal_cache.invalidate()
    principal_cache.reread_settings()


class Statements:
    """Counts the SQL statements an engine runs."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.engine = engine

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


def resolve(world: Any, username: str) -> Any:
    with session_scope(world.engine, write=False) as session:
        return authenticate_secret(session, world.tokens[username])


def test_a_second_resolve_reads_nothing(world: Any) -> None:
    with Statements(world.engine) as first:
        found = resolve(world, "city")
    with Statements(world.engine) as second:
        again = resolve(world, "city")
    assert first.count >= 4  # token, user, roles, agencies (+ BEGIN/COMMIT on SQLite)
    # SQLite: the session still emits its own BEGIN and COMMIT; nothing else. PostgreSQL: nothing at all.
    assert second.count <= 2
    assert again == found and again.principal.username == "city"
    with session_scope(world.engine, write=False) as session:
        assert cached_caller(session, world.tokens["city"]) == found
        assert cached_caller(session, world.tokens["admin"]) is None  # never resolved
        assert cached_caller(session, world.tokens["city"], True) is None  # a bearer token is not a session


def test_revoking_a_token_is_seen_at_once(world: Any) -> None:
    resolve(world, "ent_a")
    with session_scope(world.engine) as session:
        token = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_secret(world.tokens["ent_a"])))
        accounts.revoke(session, SYSTEM, token.one().id)
    with pytest.raises(AuthenticationFailed):
        resolve(world, "ent_a")


def test_disabling_a_user_is_seen_at_once(world: Any) -> None:
    resolve(world, "expert")
    with session_scope(world.engine) as session:
        set_disabled(session, SYSTEM, "expert")
    with pytest.raises(AuthenticationFailed):
        resolve(world, "expert")


def test_role_and_agency_changes_are_seen_at_once(world: Any) -> None:
    before = resolve(world, "city").principal
    assert before.has_role("regulator")
    with session_scope(world.engine) as session:
        city = session.scalars(select(User).where(User.username == "city")).one()
        for assignment in session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == city.id)):
            session.delete(assignment)
    assert resolve(world, "city").principal.grants == ()
    agency_before = resolve(world, "agency").principal.agency_enterprise_ids
    with session_scope(world.engine) as session:
        agency = session.scalars(select(User).where(User.username == "agency")).one()
        session.execute(AgencyAssignment.__table__.delete().where(AgencyAssignment.user_id == agency.id))
    assert len(agency_before) == 1
    assert resolve(world, "agency").principal.agency_enterprise_ids == frozenset()


def test_a_password_change_invalidates_but_a_login_counter_does_not(world: Any) -> None:
    resolve(world, "city")
    generation = principal_cache.generation
    with session_scope(world.engine) as session:
        user = session.scalars(select(User).where(User.username == "ent_b")).one()
        user.failed_logins = 2  # not part of what a secret resolves to
    assert principal_cache.generation == generation
    with session_scope(world.engine) as session:
        user = session.scalars(select(User).where(User.username == "ent_b")).one()
        user.password_hash = hash_password("another-password")
    assert principal_cache.generation > generation
    with session_scope(world.engine, write=False) as session:
        assert cached_caller(session, world.tokens["city"]) is None  # emptied: resolved again on next use


def test_a_rolled_back_change_leaves_no_stale_entry(world: Any) -> None:
    """An entry resolved while a change is in flight is not stored; after the rollback the cache works again."""
    session = Session(world.engine)
    try:
        user = session.scalars(select(User).where(User.username == "city")).one()
        user.disabled = True
        session.flush()  # the change is in flight (not committed)
        generation = principal_cache.generation
        resolve(world, "admin")
        assert principal_cache.generation == generation
        session.rollback()
    finally:
        session.close()
    resolve(world, "city")
    with session_scope(world.engine, write=False) as s:
        assert cached_caller(s, world.tokens["city"]) is not None


def test_another_writer_is_bounded_by_the_ttl(world: Any) -> None:
    """A change this process's ORM does not see (another process, raw SQL) is served stale until the TTL ends."""
    now = [1000.0]
    principal_cache.clock = lambda: now[0]
    principal_cache.reread_settings()
    resolve(world, "lucheng")
    with world.engine.begin() as connection:  # as another process would: no ORM session of ours
        connection.execute(
            text("UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP WHERE token_hash = :h"),
            {"h": hash_secret(world.tokens["lucheng"])},
        )
    now[0] += 4.9  # within the 5 s TTL: still served from the cache
    assert resolve(world, "lucheng").principal.username == "lucheng"
    now[0] += 0.2  # 5.1 s after it was resolved: read again, and refused
    with pytest.raises(AuthenticationFailed):
        resolve(world, "lucheng")


def test_ttl_zero_turns_the_cache_off(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALCARBON_PRINCIPAL_CACHE_SECONDS", "0")
    principal_cache.reread_settings()
    resolve(world, "city")
    with Statements(world.engine) as second:
        resolve(world, "city")
    assert second.count >= 4


def test_principal_for_is_what_the_cache_serves(world: Any) -> None:
    found = resolve(world, "longwan")
    with session_scope(world.engine, write=False) as session:
        user = session.scalars(select(User).where(User.username == "longwan")).one()
        assert principal_for(session, user) == found.principal
