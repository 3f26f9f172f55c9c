"""A read through the request plumbing (``ui/api.py``) costs one worker-thread hop once the caller is cached:
the session is made and a read transaction ended in the event loop, the caller comes from the principal
cache, and the parsing dependencies are ``async``. Counted at ``anyio.to_thread.run_sync``, through which
Starlette and FastAPI send every sync call to a worker thread."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dualcarbon.accounts.service_principal_cache import principal_cache
from dualcarbon.registry.models import Enterprise
from dualcarbon.ui.api import Caller, DbSession, Paging


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setenv("DUALCARBON_PRINCIPAL_CACHE_SECONDS", "5")
    principal_cache.invalidate()
    principal_cache.reread_settings()
    seen: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        target = getattr(func, "func", func)
        seen.append(getattr(target, "__qualname__", repr(target)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    yield seen
    principal_cache.invalidate()


@pytest.fixture
def probe(client: TestClient) -> TestClient:
    """A plain ``def`` read route on the app using the plumbing's dependencies (fixed, whatever the
    subjects' routes become)."""

    def count_enterprises(caller: Caller, session: DbSession, page: Paging) -> dict[str, Any]:
        total = session.scalar(select(func.count(Enterprise.id)))
        return {"user": caller.username, "total": total, "limit": page.limit}

    # response_model=None: a response model on a plain ``def`` route costs FastAPI a second hop (it
    # validates the returned value in a worker thread); hot routes return a ready Response instead.
    client.app.add_api_route(  # type: ignore[attr-defined]
        "/api/v1/_probe", count_enterprises, methods=["GET"], response_model=None
    )
    client.app.router.routes.insert(0, client.app.router.routes.pop())  # type: ignore[attr-defined]
    return client


def test_a_cached_read_takes_one_thread_hop(probe: TestClient, world: Any, hops: list[str]) -> None:
    headers = world.auth("city")
    first = probe.get("/api/v1/_probe?limit=7", headers=headers)
    assert first.status_code == 200 and first.json() == {"user": "city", "total": 3, "limit": 7}
    assert any("authenticate_secret" in name for name in hops)  # the first use resolves in a worker thread
    # the token's first use wrote its last_used_at: a commit, which moves the data generation, so the caller is
    # resolved once more under the new generation (accounts/service_principal_cache.py); from then on it is cached
    probe.get("/api/v1/_probe?limit=7", headers=headers)
    hops.clear()
    again = probe.get("/api/v1/_probe?limit=7", headers=headers)
    assert again.json() == first.json()
    assert hops == ["_run_sync_endpoint"], hops  # the route's own hop, nothing else


def test_a_write_is_ended_in_a_worker_thread(client: TestClient, world: Any, hops: list[str]) -> None:
    headers = world.auth("admin")
    client.get("/api/v1/auth/me", headers=headers)  # cache the caller
    hops.clear()
    created = client.post("/api/v1/auth/tokens", headers=headers, json={"name": "hop test", "scopes": "read"})
    assert created.status_code == 201, created.text
    assert "_end" in hops  # the commit of a write never runs on the event loop


def test_a_catalog_entries_page_takes_one_thread_hop(client: TestClient, world: Any, hops: list[str]) -> None:
    """A hot read route that returns its page pre-serialised (a ``Response``): one hop end to end."""
    headers = world.auth("city")
    generated = client.post(
        "/api/v1/catalogs",
        headers=headers,
        json={"region_code": "330300", "half": "2025-H1", "basis": "gb", "confirm_empty": True},
    )
    assert generated.status_code == 201, generated.text
    path = f"/api/v1/catalogs/{generated.json()['id']}/entries?limit=1"
    assert client.get(path, headers=headers).status_code == 200
    hops.clear()
    page = client.get(path + "&offset=0", headers=headers)  # another URL: not an answer the response cache holds
    assert page.status_code == 200 and "evidence" not in (page.json()["items"] or [{}])[0]
    assert hops == ["_run_sync_endpoint"], hops
    hops.clear()
    again = client.get(path + "&offset=0", headers=headers)  # the same URL, nothing written since: the cache answers
    assert again.content == page.content
    assert hops == [], hops
