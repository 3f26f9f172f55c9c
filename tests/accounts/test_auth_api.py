"""``/api/v1/auth`` on SQLite and PostgreSQL: bearer tokens, browser sessions with CSRF, own tokens."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from dualcarbon.accounts.models import ApiToken, User
from dualcarbon.store.db import session_scope


def test_token_from_json_and_form(client: TestClient, world: Any) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "city", "password": world.password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["scopes"] == "read write" and body["expires_at"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "city"
    form = client.post(
        "/api/v1/auth/token",
        data={"username": "city", "password": world.password, "scope": "read", "name": "dashboard"},
    )
    assert form.status_code == 200 and form.json()["scopes"] == "read"


def test_bad_credentials_and_input(client: TestClient, world: Any) -> None:
    wrong = client.post("/api/v1/auth/token", json={"username": "city", "password": "nope-nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == {"error": "AuthenticationFailed", "message": "用户名或密码错误", "field": None}
    unknown = client.post("/api/v1/auth/token", json={"username": "ghost", "password": "whatever-1"})
    assert unknown.status_code == 401 and unknown.json()["message"] == wrong.json()["message"]
    english = client.post(
        "/api/v1/auth/token", json={"username": "ghost", "password": "whatever-1"}, headers={"Accept-Language": "en"}
    )
    assert english.json()["message"] == "wrong username or password"
    missing = client.post("/api/v1/auth/token", json={"username": "city"})
    assert missing.status_code == 422 and missing.json() == {
        "error": "InvalidInput",
        "message": "请填写密码",
        "field": "password",
    }
    missing_en = client.post("/api/v1/auth/token", json={"username": "city"}, headers={"Accept-Language": "en-US"})
    assert missing_en.json()["message"] == "Field required" and missing_en.json()["field"] == "password"
    scopes = client.post("/api/v1/auth/token", json={"username": "city", "password": world.password, "scopes": "root"})
    assert scopes.status_code == 422 and scopes.json()["field"] == "scopes"
    assert scopes.json()["message"].startswith("令牌权限范围只能是")
    broken = client.post("/api/v1/auth/token", content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["message"] == "请求内容不是有效的 JSON"


def test_failed_login_is_counted_although_the_request_fails(client: TestClient, world: Any) -> None:
    client.post("/api/v1/auth/token", json={"username": "longwan", "password": "wrong-wrong"})
    with session_scope(world.engine) as session:
        user = session.scalars(select(User).where(User.username == "longwan")).one()
        assert user.failed_logins == 1
    assert client.post("/api/v1/auth/token", json={"username": "longwan", "password": world.password}).is_success
    with session_scope(world.engine) as session:
        assert session.scalars(select(User.failed_logins).where(User.username == "longwan")).one() == 0


def test_browser_login_cookies_me_and_logout(client: TestClient, world: Any) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "lucheng", "password": world.password})
    assert response.status_code == 200, response.text
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["dc_session"] and "samesite=strict" in cookies["dc_session"]
    assert "httponly" not in cookies["dc_csrf"] and "samesite=strict" in cookies["dc_csrf"]
    body = response.json()
    assert body["username"] == "lucheng"
    assert body["roles"] == [
        {
            "role": "regulator",
            "role_label": "监管部门",
            "region_code": "330302",
            "region_name": "鹿城区",
            "enterprise_credit_code": None,
            "enterprise_name": None,
        }
    ]
    assert client.get("/api/v1/auth/me").json()["username"] == "lucheng"  # the cookie alone reads
    csrf = client.cookies["dc_csrf"]
    old_session = client.cookies["dc_session"]
    assert client.post("/api/v1/auth/logout").status_code == 403  # no CSRF header
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    client.cookies.set("dc_session", old_session)
    assert client.get("/api/v1/auth/me").status_code == 401  # the ended session is dead server-side


def test_login_from_another_site_is_refused(client: TestClient, world: Any) -> None:
    response = client.post(
        "/api/v1/auth/login",
        json={"username": "city", "password": world.password},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403 and "dc_session" not in response.cookies


def test_me_for_enterprise_and_agency_users(client: TestClient, world: Any) -> None:
    ent = client.get("/api/v1/auth/me", headers=world.auth("ent_a")).json()
    assert ent["roles"][0]["enterprise_credit_code"] == world.codes["a"]
    assert ent["roles"][0]["enterprise_name"] == "鹿城甲阀门有限公司" and ent["language"] == "zh"
    agency = client.get("/api/v1/auth/me", headers=world.auth("agency")).json()
    assert agency["agency_enterprises"] == [{"credit_code": world.codes["a"], "name": "鹿城甲阀门有限公司"}]


def test_own_tokens(client: TestClient, world: Any) -> None:
    headers = world.auth("ent_a")
    created = client.post(
        "/api/v1/auth/tokens", json={"name": "erp", "scopes": "read", "lifetime_days": 30}, headers=headers
    )
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith(token["prefix"]) and token["scopes"] == "read"
    listed = client.get("/api/v1/auth/tokens", headers=headers).json()
    assert [t["name"] for t in listed["items"]] == ["test", "erp"]
    assert all("token" not in t and "token_hash" not in t for t in listed["items"])
    # someone else's token id is not found
    other = client.delete(f"/api/v1/auth/tokens/{token['id']}", headers=world.auth("ent_b"))
    assert other.status_code == 404
    assert client.delete(f"/api/v1/auth/tokens/{token['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 401
    with session_scope(world.engine) as session:
        assert session.get(ApiToken, token["id"]).revoked_at is not None


def test_disabled_user_loses_tokens(client: TestClient, world: Any) -> None:
    assert client.post("/api/v1/users/ent_b/disable", headers=world.auth("admin")).status_code == 200
    assert client.get("/api/v1/auth/me", headers=world.auth("ent_b")).status_code == 401
    login = client.post("/api/v1/auth/token", json={"username": "ent_b", "password": world.password})
    assert login.status_code == 401 and login.json()["message"] == "该账号已停用，请联系管理员"
