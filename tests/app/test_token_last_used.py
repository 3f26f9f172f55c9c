"""``last_used_at`` of a bearer token is recorded after the request commits, once per interval, and a burst
of requests with one token does not make them fight over the token row (docs/benchmarks.md, Platform)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from dualcarbon.accounts import service_tokens
from dualcarbon.accounts.models import ApiToken
from dualcarbon.accounts.service_auth import hash_secret
from dualcarbon.store.db import session_scope


def _last_used(world: Any, username: str) -> Any:
    with session_scope(world.engine, write=False) as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(world.tokens[username])))
        return token.last_used_at


def test_use_records_last_used_at(client: TestClient, world: Any) -> None:
    service_tokens._touched.clear()
    assert _last_used(world, "admin") is None
    assert client.get("/api/v1/auth/me", headers=world.auth("admin")).status_code == 200
    assert _last_used(world, "admin") is not None


def test_a_burst_with_one_fresh_token_has_no_errors(client: TestClient, world: Any) -> None:
    service_tokens._touched.clear()
    headers = world.auth("admin")

    def call(_: int) -> int:
        return client.get("/api/v1/enterprises?limit=5", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(call, range(64)))
    assert statuses == [200] * 64
    assert _last_used(world, "admin") is not None
