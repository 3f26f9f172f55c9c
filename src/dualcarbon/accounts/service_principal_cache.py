"""The principal cache: the resolved caller per (store, token hash) for a few seconds, emptied on every
committed change to users, roles, agency assignments or tokens in this process (decision 0011); within a
request that read the store's data generation (the response cache's middleware), an entry is served only
while that generation is the one it was resolved under, so a change made by another process counts too
(decision 0012).

:func:`dualcarbon.accounts.service_auth.authenticate_secret` fills and reads it; :func:`cached_caller` reads it
without touching the database (``app.state.cached_caller``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.core.access import Authenticated
from dualcarbon.core.settings import security_settings
from dualcarbon.store.base import utcnow
from dualcarbon.store.generation import request_generation


def cached_caller(session: Session, secret: str, session_only: bool = False) -> Authenticated | None:
    """The caller behind ``secret`` when the principal cache still holds it, else None. No database access:
    ``session`` only names the store (``app.state.cached_caller``, which lets the request plumbing skip a
    worker thread for the lookup)."""
    return principal_cache.get(database_of(session), secret, session_only)


def still_cached(database: object, secret: str, session_only: bool) -> bool:
    """True while the principal cache serves ``secret`` on ``database`` (an engine's URL): resolved under
    the request's data generation, not expired, within the TTL. The response cache asks this before it
    serves a caller's cached answer (``app.api``)."""
    return principal_cache.get(database, secret, session_only) is not None


def database_of(session: Session) -> object:
    """Which store a session works on (its engine's URL): one process may serve several (tests do)."""
    bind = session.get_bind()
    return getattr(bind, "url", None) or id(bind)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# ---- the principal cache -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    authenticated: Authenticated
    expires_at: datetime | None  # the token's own expiry (naive UTC, as stored)
    stored: float  # PrincipalCache.clock() when resolved
    generation: int
    data_generation: Hashable | None  # the store's data generation when resolved (None: not known)


class PrincipalCache:
    """Resolved secrets of this process, keyed by store and the secret's SHA-256, for at most ``ttl`` seconds.

    Invalidation: every committed change to a user, role assignment, agency assignment or token row made
    through an ORM session of this process (revoke, disable, role change, password change, logout …) bumps
    ``generation`` (:func:`_note_auth_change`), which empties the cache; entries resolved while such a
    change was in flight carry the older generation and are never served. Within a request that read the
    store's data generation (:data:`~dualcarbon.store.generation.request_generation`), an entry is served
    only under the data generation it was resolved under, which covers every other process's changes too.
    Elsewhere another process's changes are not seen: there the TTL (``DUALCARBON_PRINCIPAL_CACHE_SECONDS``,
    default 5 s) bounds how long a revoked token or a removed role keeps working. 0 turns the cache off.
    """

    MAX_ENTRIES = 10_000
    _SETTINGS_EVERY = 1.0  # seconds between re-reads of the TTL setting (reading settings parses the env)

    def __init__(self) -> None:
        self._entries: dict[tuple[object, str, bool], _Entry] = {}
        self._lock = threading.Lock()
        self.generation = 0
        self._ttl = 0.0
        self._ttl_read = -1e9
        self.clock = time.monotonic  # replaceable in tests

    def ttl(self) -> float:
        now = self.clock()
        if now - self._ttl_read > self._SETTINGS_EVERY:
            self._ttl = security_settings().principal_cache_seconds
            self._ttl_read = now
        return self._ttl

    def reread_settings(self) -> None:
        """Read ``principal_cache_seconds`` again on the next use (tests that change the environment)."""
        self._ttl_read = -1e9

    def get(self, database: object, secret: str, session_only: bool) -> Authenticated | None:
        entry = self._entries.get((database, hash_secret(secret.strip()), session_only))
        if entry is None or entry.generation != self.generation:
            return None
        current = request_generation.get()
        if current is not None and entry.data_generation != current:
            return None  # the store changed since (in any process)
        if self.clock() - entry.stored > self.ttl():
            return None
        if entry.expires_at is not None and entry.expires_at <= utcnow():
            return None
        return entry.authenticated

    def put(
        self,
        database: object,
        secret: str,
        session_only: bool,
        found: Authenticated,
        expires_at: datetime | None,
        generation: int,
    ) -> None:
        if self.ttl() <= 0:
            return
        entry = _Entry(found, expires_at, self.clock(), generation, request_generation.get())
        with self._lock:
            if generation != self.generation:
                return  # an auth change committed while this was being resolved
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[(database, hash_secret(secret.strip()), session_only)] = entry

    def invalidate(self) -> None:
        """Forget every entry (called after any committed change to users, roles, agencies or tokens)."""
        with self._lock:
            self.generation += 1
            self._entries.clear()


principal_cache = PrincipalCache()

# Which changes make a cached principal wrong. A new token or user cannot be in the cache; a token's
# last_used_at or a user's failed-login counter does not change what a secret resolves to.
_AUTH_TABLES = (User, ApiToken, RoleAssignment, AgencyAssignment)
_RELEVANT_UPDATES: dict[type, frozenset[str] | None] = {
    User: frozenset({"username", "display_name", "password_hash", "disabled", "language"}),
    ApiToken: frozenset({"token_hash", "scopes", "expires_at", "revoked_at", "user_id"}),
    RoleAssignment: None,  # any change
    AgencyAssignment: None,
}
_FLAG = "dualcarbon.auth_changed"


def _relevant(instance: object, deleted: bool = False) -> bool:
    kind = type(instance)
    if kind not in _RELEVANT_UPDATES:
        return False
    names = _RELEVANT_UPDATES[kind]
    if deleted or names is None:
        return True
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    new = any(isinstance(obj, (RoleAssignment, AgencyAssignment)) for obj in session.new)
    if new or any(_relevant(obj) for obj in session.dirty) or any(_relevant(obj, True) for obj in session.deleted):
        _note_auth_change(session)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    """Bulk UPDATE/DELETE statements on the auth tables (``session.execute(update(User)…)``)."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or table.name not in {model.__tablename__ for model in _AUTH_TABLES}:
        return
    if state.is_update and table.name == ApiToken.__tablename__:
        values = getattr(state.statement, "_values", None) or {}
        if {getattr(key, "key", str(key)) for key in values} <= {"last_used_at"}:
            return  # the last-use timestamp only
    _note_auth_change(state.session)


def _note_auth_change(session: Session) -> None:
    """Invalidate now (entries resolved from here on are not stored) and again when the change commits."""
    principal_cache.invalidate()
    if not session.info.get(_FLAG):
        session.info[_FLAG] = True
        event.listen(session, "after_commit", _after_auth_commit, once=True)
        event.listen(session, "after_rollback", _forget_flag, once=True)


def _after_auth_commit(session: Session) -> None:
    session.info.pop(_FLAG, None)
    principal_cache.invalidate()


def _forget_flag(session: Session) -> None:
    session.info.pop(_FLAG, None)
