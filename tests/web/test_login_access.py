"""Browser tests of signing in and out, lockout, refused pages and the language switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Server, shot
from .fixture_data import PASSWORD

pytestmark = pytest.mark.browser


def test_login_refuses_a_bad_password_then_signs_in_and_out(page: Any, server: Server, artifacts: Path) -> None:
    page.goto("/enterprises")
    page.wait_for_url("**/login?next=%2Fenterprises")
    shot(page, artifacts, "login")
    page.locator("input[name=username]").fill("ent_a")
    page.locator("input[name=password]").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert error.inner_text() == "用户名或密码错误。"
    shot(page, artifacts, "login-error")

    assert page.locator("input[name=username]").input_value() == "ent_a"  # kept for the retry
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/enterprises")
    page.get_by_text(server.world.names["A"]).wait_for()
    assert server.world.names["B"] not in page.content()  # only the own enterprise is listed

    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["dc_session"]["httpOnly"] is True
    assert cookies["dc_session"]["sameSite"] == "Strict"
    assert cookies["dc_csrf"]["sameSite"] == "Strict"

    # The browser's session works for the API too (same cookies).
    me = page.request.get("/api/v1/auth/me")
    assert me.status == 200
    assert me.json()["username"] == "ent_a"

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login?bye=1")
    page.get_by_text("您已退出登录。").wait_for()
    page.goto("/")
    page.wait_for_url("**/login?next=%2F")


def test_repeated_failures_lock_the_account(page: Any, server: Server) -> None:
    for _ in range(5):  # DUALCARBON_MAX_FAILED_LOGINS defaults to 5
        page.goto("/login")
        page.locator("input[name=username]").fill("lockme")
        page.locator("input[name=password]").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        page.get_by_test_id("login-error").wait_for()
    page.locator("input[name=password]").fill(PASSWORD)  # right password, but the account is locked now
    page.get_by_role("button", name="登录").click()
    message = page.get_by_test_id("login-error")
    message.wait_for()
    assert "锁定" in message.inner_text()
    assert "/login" in page.url


def test_forbidden_pages_show_the_refusal_and_no_data(page: Any, server: Server, login: Any, artifacts: Path) -> None:
    world = server.world
    login(page, "ent_a")
    response = page.goto(f"/enterprises/{world.codes['B']}")
    assert response.status == 403
    page.get_by_test_id("refusal").wait_for()
    assert "无权访问" in page.get_by_test_id("refusal").inner_text()
    visible = page.locator("body").inner_text()
    assert world.names["B"] not in visible and world.codes["B"] not in visible
    assert world.names["B"] not in page.content()
    shot(page, artifacts, "refused-enterprise")

    for path in ("/audit", "/review", f"/reports/{world.reports[('B', 2025)]}"):
        response = page.goto(path)
        assert response.status == 403, path
        page.get_by_test_id("refusal").wait_for()
        assert world.names["B"] not in page.content()

    page.context.clear_cookies()
    login(page, "lc_reg")  # 鹿城 district regulator: 龙湾's enterprise B is outside its subtree
    assert page.goto(f"/enterprises/{world.codes['B']}").status == 403
    page.goto("/enterprises")
    page.get_by_text(world.names["A"]).wait_for()
    assert world.names["B"] not in page.content()


def test_the_api_refuses_the_same_things(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        token = client.post("/api/v1/auth/token", json={"username": "ent_a", "password": PASSWORD})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        other = client.get(f"/api/v1/enterprises/{server.world.codes['B']}", headers=headers)
        assert other.status_code == 404  # out of scope is "not found": existence is not revealed


def test_language_switch_to_english_and_back(page: Any, server: Server, login: Any, artifacts: Path) -> None:
    login(page, "wz_city")
    page.get_by_test_id("lang-en").click()
    page.get_by_role("link", name="Enterprises").wait_for()
    page.get_by_role("button", name="Log out").wait_for()
    assert page.title() == "Home · Dual Carbon"
    page.goto("/enterprises")
    page.get_by_text("Credit code").first.wait_for()
    page.get_by_role("button", name="Export Excel").first.wait_for()
    shot(page, artifacts, "enterprises-en")
    page.get_by_test_id("lang-zh").click()
    page.get_by_role("link", name="企业名录").wait_for()
    page.get_by_text("统一社会信用代码").first.wait_for()
    assert page.title() == "企业名录 · 双碳平台"


def test_pages_load_nothing_from_the_internet(page: Any, server: Server, login: Any) -> None:
    outside: list[str] = []

    def record(request: Any) -> None:
        if not request.url.startswith((server.base_url, "data:", "blob:")):
            outside.append(request.url)

    page.on("request", record)
    login(page, "wz_city")
    for path in ("/", "/enterprises", f"/catalogs/{server.world.catalog_id}", "/published"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert outside == []
    html = httpx.get(server.url("/login")).text
    assert "https://" not in html and "http://" not in html


def test_login_from_another_site_is_refused_and_logout_needs_the_csrf_value(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, follow_redirects=False) as client:
        foreign = client.post(
            "/web/login", data={"username": "ent_a", "password": PASSWORD}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 303
        assert foreign.headers["location"].startswith("/login?error=origin")
        assert "dc_session" not in foreign.headers.get("set-cookie", "")

        signed_in = client.post("/web/login", data={"username": "ent_a", "password": PASSWORD, "next": "/"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
        assert client.get("/api/v1/auth/me").status_code == 200

        client.post("/web/logout", data={"csrf": "wrong"})  # a forged logout ends nothing…
        client.cookies.set("dc_session", signed_in.cookies["dc_session"])
        client.cookies.set("dc_csrf", signed_in.cookies["dc_csrf"])
        assert client.get("/api/v1/auth/me").status_code == 200
        client.post("/web/logout", data={"csrf": signed_in.cookies["dc_csrf"]})  # …the real one does
        client.cookies.set("dc_session", signed_in.cookies["dc_session"])
        assert client.get("/api/v1/auth/me").status_code == 401
