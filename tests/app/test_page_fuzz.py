"""Hostile requests to every web page (server-side HTML, not a browser), as every role of the seeded world.

Every GET page route of the app (enumerated from the app, so a new page is covered without editing this
file) is requested with hostile query strings — huge and negative numbers, unknown enum values, SQL and HTML
injection text, impossible dates, unicode with control characters, repeated parameters — and hostile path
parameters beside real ones. Every answer must be below 500, must not reflect the injected markup
unescaped, and a 4xx answer must be a page that says what is wrong in the user's language (Chinese by
default, English with the ``dc_lang`` cookie). The checks are in ``page_fuzz_child.py`` (one web UI per process).

Bounded by default (each user takes a different slice of the hostile values, so that together the users
send every value to every page); ``DUALCARBON_PAGE_FUZZ_WIDE=1`` sends every value to every page as every
user, in both languages. SQLite only: page rendering does not depend on the store.

The HTTP forms of the web app (login, logout) are posted with missing and garbage fields and without their
CSRF defence (another site's origin, a missing CSRF field).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

CHILD = Path(__file__).with_name("page_fuzz_child.py")
USERS = ["ent_a", "admin", "lucheng", "city", "expert", "agency"]
WIDE = os.environ.get("DUALCARBON_PAGE_FUZZ_WIDE") == "1"


def _sqlite_only(world: Any) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")


@pytest.mark.timeout(6000 if WIDE else 900)
def test_hostile_queries_to_every_page_as_every_role(world: Any, tmp_path: Path) -> None:
    _sqlite_only(world)
    ids = {"credit_code": world.codes["a"], "credit_code_b": world.codes["b"], "code": "330302", "_id": "1"}
    spec = {"users": USERS, "wide": WIDE, "ids": ids}
    done = subprocess.run(
        [sys.executable, str(CHILD), world.url, str(tmp_path), world.password, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=5800 if WIDE else 850,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["routes"]) > 30, result["routes"]  # the enumeration found the pages
    assert result["requests"] > len(result["routes"]) * len(USERS)
    findings = result["findings"]
    assert not findings, f"{len(findings)} of {result['requests']} answers:\n" + "\n".join(findings[:80])


def _web_client(world: Any) -> Any:
    from dualcarbon.app.api import create_app

    app = create_app(world.url)  # the session routes are the API app's (the pages are not needed here)
    from dualcarbon.accounts.pages import install_session_routes

    install_session_routes(app)
    return app


GARBAGE_LOGINS: list[dict[str, Any]] = [
    {},
    {"username": ""},
    {"password": "x"},
    {"username": "admin"},
    {"username": "<script>dcx(1)</script>", "password": "x" * 10_000},
    {"username": "' OR 1=1 --", "password": "' OR 1=1 --"},
    {"username": "测试\u0000", "password": "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")},
    {"username": "admin", "password": "wrong", "next": "https://evil.example/"},
    {"username": "admin", "password": "wrong", "next": "//evil.example/x"},
    {"username": ["a", "b"], "password": ["c", "d"]},
]


@pytest.mark.parametrize("form", GARBAGE_LOGINS)
def test_garbage_login_forms_are_refused_with_a_reason(world: Any, form: dict[str, Any]) -> None:
    _sqlite_only(world)
    app = _web_client(world)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        answer = client.post("/web/login", data=form, follow_redirects=False)
        assert answer.status_code == 303, answer.text[:300]
        target = answer.headers["location"]
        assert target.startswith("/login?error="), target  # never logged in, never sent off-site
        assert "evil.example" not in target  # an off-site ``next`` is dropped
        assert "dc_session" not in client.cookies
    app.state.engine.dispose()


def test_login_from_another_site_is_refused(world: Any) -> None:
    _sqlite_only(world)
    app = _web_client(world)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        form = {"username": "admin", "password": world.password}
        answer = client.post(
            "/web/login", data=form, headers={"origin": "https://evil.example"}, follow_redirects=False
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/login?error=origin"
        assert "dc_session" not in client.cookies
        referer = {"referer": "https://evil.example/page"}
        answer = client.post("/web/login", data=form, headers=referer, follow_redirects=False)
        assert answer.headers["location"] == "/login?error=origin"
    app.state.engine.dispose()


def test_logout_and_api_writes_without_the_csrf_token_change_nothing(world: Any) -> None:
    """A forged logout (no CSRF field, or a wrong one) does not end the session; an API write with the session
    cookie but without the X-CSRF-Token header is refused with a reason, in Chinese first."""
    _sqlite_only(world)
    app = _web_client(world)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        client.post("/web/login", data={"username": "admin", "password": world.password}, follow_redirects=False)
        session, csrf = client.cookies["dc_session"], client.cookies["dc_csrf"]
        cookies = {"dc_session": session, "dc_csrf": csrf}
        for form in ({}, {"csrf": ""}, {"csrf": "wrong"}, {"csrf": csrf + "x"}):
            with TestClient(app, base_url="http://testserver", cookies=cookies) as forged:
                forged.post("/web/logout", data=form, follow_redirects=False)
            still = client.get("/api/v1/auth/me")
            assert still.status_code == 200, (form, still.text)
        body = [{"code": "330399", "name": "测试区", "parent_code": "330300"}]
        for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "wrong"}):
            refused = client.post("/api/v1/regions", json=body, headers=headers)
            assert refused.status_code == 403, (headers, refused.status_code, refused.text[:300])
            assert "CSRF" in refused.json()["message"] and "页面校验码" in refused.json()["message"]
        assert "330399" not in client.get("/api/v1/regions").text  # nothing was created
        client.post("/web/logout", data={"csrf": csrf}, follow_redirects=False)
        with TestClient(app, base_url="http://testserver", cookies=cookies) as after:
            assert after.get("/api/v1/auth/me").status_code == 401  # the real logout ends the session
    app.state.engine.dispose()
