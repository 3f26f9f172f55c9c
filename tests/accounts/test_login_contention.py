"""Simultaneous logins are not serialised behind the password check (brief 8 item 3, issue #7 §2).

argon2 is slow on purpose (tens of milliseconds, more on a loaded server). When the check ran inside the
login's write transaction, SQLite's write lock was held for the whole hash: 20 logins at once queued on it
and those past the lock budget (5 s) answered 503. Here each check is made slower (0.4 s, by wrapping the
hasher) so that 20 serialised checks (20 × 0.4 s = 8 s) would overrun the 5 s budget: every login must
still answer 200, and the failure counter must stay exact when the password is wrong.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dualcarbon.accounts import service_auth
from dualcarbon.accounts.models import User
from dualcarbon.core.settings import security_settings
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import parallel_requests

N = 20
SLOW_CHECK_S = 0.4


class _SlowHasher:
    """The real hasher, with each verification taking at least SLOW_CHECK_S (sleep releases the GIL, as
    argon2's C code does)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def verify(self, hash_: str, password: str) -> bool:
        time.sleep(SLOW_CHECK_S)
        return bool(self.real.verify(hash_, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def slow_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_auth, "_hasher", _SlowHasher(service_auth._hasher))


def test_twenty_logins_at_once_all_succeed(world: Any, slow_hasher: None) -> None:
    from dualcarbon.app.api import create_app

    app = create_app(world.url)
    with TestClient(app, raise_server_exceptions=False) as client:
        responses = parallel_requests(
            N, lambda _i: client.post("/api/v1/auth/token", json={"username": "city", "password": world.password})
        )
    app.state.engine.dispose()
    assert [r.status_code for r in responses] == [200] * N, [(r.status_code, r.text[:120]) for r in responses]


def test_wrong_passwords_at_once_are_each_counted(world: Any, slow_hasher: None) -> None:
    from dualcarbon.app.api import create_app

    failures = security_settings().max_failed_logins - 1  # one short of the lock: each must be counted
    assert failures >= 2
    app = create_app(world.url)
    with TestClient(app, raise_server_exceptions=False) as client:
        responses = parallel_requests(
            failures,
            lambda _i: client.post("/api/v1/auth/token", json={"username": "city", "password": "wrong-password"}),
        )
    app.state.engine.dispose()
    assert [r.status_code for r in responses] == [401] * failures
    with session_scope(world.engine, write=False) as session:
        user = session.scalars(select(User).where(User.username == "city")).one()
        assert user.failed_logins == failures and user.locked_until is None
