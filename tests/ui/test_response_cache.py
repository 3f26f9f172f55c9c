"""The response cache (ui/response_cache.py, store/generation.py, decision 0012): hits run no SQL, and every
write — through the API, a service, a second engine, raw SQL on a connection of its own, another process —
is seen by the very next request, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.pool import NullPool

from dualcarbon.accounts import service_principal_cache, service_tokens
from dualcarbon.accounts.models import ApiToken
from dualcarbon.accounts.service_auth import hash_secret, set_disabled
from dualcarbon.app.api import create_app
from dualcarbon.core.access import SYSTEM
from dualcarbon.registry import service as registry
from dualcarbon.store.db import make_engine, session_scope
from dualcarbon.store.models import Job
from dualcarbon.ui.response_cache import CALLER_TABLES, ResponseCache

ENTERPRISES = "/api/v1/enterprises?limit=10"


class Served:
    """The app over the world's store, counting the SQL statements its engine runs."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.statements = 0
        engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1

    def get(self, path: str, **kwargs: Any) -> tuple[Any, int]:
        """The response, and how many SQL statements answering it ran."""
        before = self.statements
        response = self.client.get(path, **kwargs)
        return response, self.statements - before

    @property
    def cache(self) -> ResponseCache:
        layer: Any = self.client.app.middleware_stack  # type: ignore[attr-defined]
        while not isinstance(layer, ResponseCache):
            layer = layer.app
        return layer


@pytest.fixture
def served(world: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("DUALCARBON_RESPONSE_CACHE_MB", "8")
    # a long principal TTL: what these tests see must come from the data generation, not from an expiry
    monkeypatch.setenv("DUALCARBON_PRINCIPAL_CACHE_SECONDS", "300")
    service_principal_cache.principal_cache.reread_settings()
    service_tokens._touched.clear()
    app = create_app(world.url)
    with TestClient(app) as client:
        yield Served(client)
    app.state.engine.dispose()
    service_principal_cache.principal_cache.reread_settings()


def _warm(served: Served, path: str, headers: dict[str, str]) -> Any:
    """Ask until the answer comes from the cache (the first use of a token also records last_used_at, a
    write that makes the answer of that first request old at once; on PostgreSQL any transaction that
    writes anywhere on the server — other tests' databases too — does the same: decision 0012)."""
    for _ in range(10):
        response, statements = served.get(path, headers=headers)
        assert response.status_code == 200, response.text
        if statements == 0:
            return response
    raise AssertionError(f"{path} never answered from the cache")


def _names(response: Any) -> set[str]:
    return {item["name"] for item in response.json()["items"]}


def _raw_sql(url: str, statement: str) -> None:
    """Run one statement on a DBAPI connection of its own (no session, no event of this process sees it)."""
    engine = create_engine(url, poolclass=NullPool)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(statement)
        connection.commit()
    finally:
        connection.close()
        engine.dispose()


def test_a_repeated_read_is_answered_without_sql(served: Served, world: Any) -> None:
    first = served.get(ENTERPRISES, headers=world.auth("city"))[0]
    again = _warm(served, ENTERPRISES, world.auth("city"))
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers["etag"].startswith('W/"') and "x-request-id" in again.headers
    other_page, statements = served.get("/api/v1/enterprises?limit=10&offset=1", headers=world.auth("city"))
    assert other_page.status_code == 200 and statements > 0  # the full query string is part of the key
    assert served.cache.answers.hits >= 1 and served.cache.answers.misses >= 2


def test_if_none_match_answers_304(served: Served, world: Any) -> None:
    tag = _warm(served, ENTERPRISES, world.auth("city")).headers["etag"]
    response, _ = served.get(ENTERPRISES, headers={**world.auth("city"), "If-None-Match": tag})
    if world.url.startswith("sqlite"):  # on PostgreSQL another database's write may have changed the tag
        assert (response.status_code, response.content) == (304, b"")
        assert response.headers["etag"] == tag
    assert response.status_code in (200, 304)
    stale = served.get(ENTERPRISES, headers={**world.auth("city"), "If-None-Match": 'W/"other"'})[0]
    assert stale.status_code == 200 and stale.json()["total"] == 2


def test_answers_are_never_shared_between_callers(served: Served, world: Any) -> None:
    city = _warm(served, ENTERPRISES, world.auth("city"))
    lucheng, statements = served.get(ENTERPRISES, headers=world.auth("lucheng"))
    assert statements > 0
    assert city.json()["total"] == 2 and lucheng.json()["total"] == 1  # 鹿城 and 龙湾 vs 鹿城 only
    me = _warm(served, "/api/v1/auth/me", world.auth("ent_a"))
    assert me.json()["username"] == "ent_a"
    assert served.get("/api/v1/auth/me", headers=world.auth("ent_b"))[0].json()["username"] == "ent_b"
    nobody, _ = served.get(ENTERPRISES)
    assert nobody.status_code == 401  # the anonymous caller gets no one's answer
    bogus, _ = served.get(ENTERPRISES, headers={"Authorization": "Bearer not-a-token"})
    assert bogus.status_code == 401


def test_anonymous_public_reads_are_shared(served: Served) -> None:
    first, statements = served.get("/public/catalogs")
    assert first.status_code == 200 and statements > 0
    assert _warm(served, "/public/catalogs", {}).content == first.content


def test_a_write_through_the_api_is_seen(served: Served, world: Any) -> None:
    path = f"/api/v1/enterprises/{world.codes['a']}"
    assert _warm(served, path, world.auth("admin")).json()["name"] == "鹿城甲阀门有限公司"
    patched = served.client.patch(path, json={"name": "鹿城甲阀门（新）"}, headers=world.auth("admin"))
    assert patched.status_code == 200, patched.text
    assert served.get(path, headers=world.auth("admin"))[0].json()["name"] == "鹿城甲阀门（新）"


def test_a_write_through_a_service_is_seen(served: Served, world: Any) -> None:
    assert "鹿城甲阀门有限公司" in _names(_warm(served, ENTERPRISES, world.auth("city")))
    with session_scope(world.engine) as session:
        registry.update_enterprise(session, SYSTEM, world.codes["a"], {"name": "服务改名"})
    assert "服务改名" in _names(served.get(ENTERPRISES, headers=world.auth("city"))[0])


def test_a_write_through_a_second_engine_is_seen(served: Served, world: Any) -> None:
    _warm(served, ENTERPRISES, world.auth("city"))
    other = make_engine(world.url)
    try:
        with session_scope(other) as session:
            registry.update_enterprise(session, SYSTEM, world.codes["b"], {"name": "另一引擎改名"})
    finally:
        other.dispose()
    assert "另一引擎改名" in _names(served.get(ENTERPRISES, headers=world.auth("city"))[0])


def test_a_write_in_raw_sql_is_seen(served: Served, world: Any) -> None:
    _warm(served, ENTERPRISES, world.auth("city"))
    _warm(served, "/public/catalogs", {})
    _raw_sql(world.url, f"UPDATE enterprise SET name = '原始SQL改名' WHERE credit_code = '{world.codes['a']}'")
    response, statements = served.get(ENTERPRISES, headers=world.auth("city"))
    assert statements > 0 and "原始SQL改名" in _names(response)
    # the public list names no enterprise: its answer read no table the write changed, so it stays served
    public, statements = served.get("/public/catalogs")
    assert statements == 0 and public.status_code == 200


def test_a_token_revoked_by_another_process_is_refused(served: Served, world: Any) -> None:
    headers = world.auth("city")
    _warm(served, ENTERPRISES, headers)
    script = (
        "import sys\n"
        "from sqlalchemy import select\n"
        "from dualcarbon.accounts.models import ApiToken\n"
        "from dualcarbon.accounts.service_auth import hash_secret\n"
        "from dualcarbon.accounts.service_tokens import revoke_token\n"
        "from dualcarbon.core.access import SYSTEM\n"
        "from dualcarbon.store.db import make_engine, session_scope\n"
        "engine = make_engine(sys.argv[1])\n"
        "with session_scope(engine) as session:\n"
        "    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(sys.argv[2])))\n"
        "    revoke_token(session, SYSTEM, token.id)\n"
        "engine.dispose()\n"
    )
    subprocess.run([sys.executable, "-c", script, world.url, world.tokens["city"]], check=True, timeout=120)
    assert served.get(ENTERPRISES, headers=headers)[0].status_code == 401
    assert served.get("/api/v1/auth/me", headers=headers)[0].status_code == 401


def test_a_role_removed_in_raw_sql_is_seen(served: Served, world: Any) -> None:
    headers = world.auth("city")
    assert _warm(served, ENTERPRISES, headers).json()["total"] == 2
    _raw_sql(
        world.url,
        "DELETE FROM role_assignment WHERE user_id = (SELECT id FROM user_account WHERE username = 'city')",
    )
    response = served.get(ENTERPRISES, headers=headers)[0]
    assert response.status_code == 403 or response.json()["total"] == 0


def test_a_user_disabled_through_a_second_engine_is_refused(served: Served, world: Any) -> None:
    headers = world.auth("lucheng")
    _warm(served, "/api/v1/auth/me", headers)
    other = make_engine(world.url)
    try:
        with session_scope(other) as session:
            set_disabled(session, SYSTEM, "lucheng")
    finally:
        other.dispose()
    assert served.get("/api/v1/auth/me", headers=headers)[0].status_code == 401


def test_an_expired_token_is_not_answered_from_the_cache(
    served: Served, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = world.auth("city")
    _warm(served, ENTERPRISES, headers)
    with session_scope(world.engine) as session:  # expires in a minute: a write, so one more miss, then hits
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(world.tokens["city"])))
        token.expires_at = service_tokens.utcnow() + service_tokens.timedelta(minutes=1)
    _warm(served, ENTERPRISES, headers)
    later = service_tokens.utcnow() + service_tokens.timedelta(minutes=2)
    monkeypatch.setattr(service_principal_cache, "utcnow", lambda: later)
    monkeypatch.setattr(service_tokens, "utcnow", lambda: later)
    assert served.get(ENTERPRISES, headers=headers)[0].status_code == 401


def test_reads_that_depend_on_files_are_not_cached(served: Served, world: Any) -> None:
    headers = world.auth("city")
    for _ in range(3):
        response, statements = served.get("/api/v1/catalogs/1/entries?field=cement", headers=headers)
        assert statements > 0, response.text


def test_memory_is_bounded(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if not world.url.startswith("sqlite"):
        pytest.skip("the bound is the same on every store; PostgreSQL's shared server would invalidate at random")
    monkeypatch.setenv("DUALCARBON_RESPONSE_CACHE_MB", "0.01")  # 10,485 bytes
    app = create_app(world.url)
    with TestClient(app) as client:
        served = Served(client)
        for offset in range(40):
            assert served.get(f"/public/catalogs?offset={offset}")[0].status_code == 200
        answers = served.cache.answers
        assert 0 < answers.bytes <= answers.max_bytes == 10_485
        assert 2 < len(answers) < 40
        assert served.get("/public/catalogs?offset=39")[1] == 0  # the most recent stays
        assert served.get("/public/catalogs?offset=0")[1] > 0  # the oldest went
    app.state.engine.dispose()


def test_off_when_the_setting_is_zero(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALCARBON_RESPONSE_CACHE_MB", "0")
    app = create_app(world.url)
    with TestClient(app) as client:
        served = Served(client)
        for _ in range(3):
            response, statements = served.get("/public/catalogs")
            assert response.status_code == 200 and statements > 0 and "etag" not in response.headers
    app.state.engine.dispose()


def test_a_browser_session_is_its_own_caller_and_logout_ends_it(served: Served, world: Any) -> None:
    login = served.client.post("/api/v1/auth/login", json={"username": "city", "password": world.password})
    assert login.status_code == 200, login.text
    csrf = served.client.cookies.get("dc_csrf")
    assert _warm(served, "/api/v1/auth/me", {}).json()["username"] == "city"  # the session cookie, no token
    assert served.get("/api/v1/auth/me", headers={"Cookie": "dc_session=forged"})[0].status_code == 401
    out = served.client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf or ""})
    assert out.status_code == 204, out.text
    served.client.cookies.set("dc_session", login.cookies.get("dc_session") or "")  # replay the ended session
    assert served.get("/api/v1/auth/me")[0].status_code == 401


def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from dualcarbon.core.settings import InvalidSetting, get_settings

    monkeypatch.setenv("DUALCARBON_RESPONSE_CACHE_MB", "-1")
    with pytest.raises(InvalidSetting) as raised:
        get_settings()
    assert raised.value.field == "DUALCARBON_RESPONSE_CACHE_MB"


# ---- per-table generations (decision 0013): unrelated writes keep answers, related ones are seen at once -----
def _marker(served: Served) -> Any:
    return served.cache.generation.marker()


def test_unrelated_writes_keep_a_hit(served: Served, world: Any) -> None:
    headers = world.auth("city")
    detail = f"/api/v1/enterprises/{world.codes['a']}"
    for path in (ENTERPRISES, detail, "/api/v1/auth/me"):
        _warm(served, path, headers)
    _warm(served, "/public/catalogs", {})
    before = _marker(served)
    # a token's last-use touch (raw SQL, as service_tokens writes it), a job row through a second engine
    _raw_sql(world.url, "UPDATE api_token SET last_used_at = CURRENT_TIMESTAMP")
    other = make_engine(world.url)
    try:
        with session_scope(other) as session:
            session.add(Job(kind="unrelated"))
    finally:
        other.dispose()
    if world.url.startswith("sqlite"):  # the old, global marker did move: the old cache emptied here
        assert _marker(served) != before
    for path in (ENTERPRISES, detail, "/api/v1/auth/me"):
        response, statements = served.get(path, headers=headers)
        assert response.status_code == 200 and statements == 0, path
    assert served.get("/public/catalogs")[1] == 0


def test_a_related_write_by_another_process_in_raw_sql_is_seen(served: Served, world: Any) -> None:
    _warm(served, ENTERPRISES, world.auth("city"))
    script = (
        "import sys\n"
        "from sqlalchemy import create_engine, text\n"
        "engine = create_engine(sys.argv[1])\n"
        "with engine.begin() as connection:\n"
        "    connection.execute(text('UPDATE enterprise SET name = :n WHERE credit_code = :c'),"
        " {'n': '别的进程改名', 'c': sys.argv[2]})\n"
        "engine.dispose()\n"
    )
    subprocess.run([sys.executable, "-c", script, world.url, world.codes["b"]], check=True, timeout=120)
    response, statements = served.get(ENTERPRISES, headers=world.auth("city"))
    assert statements > 0 and "别的进程改名" in _names(response)


def test_a_write_to_a_table_read_only_by_the_caller_resolution_is_seen(served: Served, world: Any) -> None:
    headers = world.auth("ent_a")
    assert _warm(served, "/api/v1/auth/me", headers).json()["display_name"] == "ent_a"
    _raw_sql(world.url, "UPDATE user_account SET display_name = '甲企业' WHERE username = 'ent_a'")
    response, statements = served.get("/api/v1/auth/me", headers=headers)
    assert statements > 0 and response.json()["display_name"] == "甲企业"


def test_a_revoke_after_a_touch_is_seen(served: Served, world: Any) -> None:
    headers = world.auth("city")
    _warm(served, ENTERPRISES, headers)
    _raw_sql(world.url, "UPDATE api_token SET last_used_at = CURRENT_TIMESTAMP")
    assert served.get(ENTERPRISES, headers=headers)[1] == 0  # the touch changed no answer
    revoke = "UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP WHERE token_hash = '{}'"
    _raw_sql(world.url, revoke.format(hash_secret(world.tokens["city"])))
    assert served.get(ENTERPRISES, headers=headers)[0].status_code == 401


def test_caller_tables_are_the_accounts_tables() -> None:
    from dualcarbon.accounts.models import AgencyAssignment, RoleAssignment, User

    assert set(CALLER_TABLES) == {m.__tablename__ for m in (User, ApiToken, RoleAssignment, AgencyAssignment)}
