"""Authentication and permission errors of the API in Chinese first (English when the caller asks for it):
a read-only token that writes, a browser session without its CSRF header, a request without credentials."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_a_read_only_token_is_told_in_chinese(client: TestClient, world: Any) -> None:
    headers = {"Authorization": f"Bearer {world.read_only_token}"}
    path = f"/api/v1/enterprises/{world.codes['a']}/sites"
    refused = client.post(path, json={"name": "x"}, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["message"] == "此令牌为只读令牌，不能修改数据；请使用带写权限的令牌"
    english = client.post(path, json={"name": "x"}, headers=headers | {"Accept-Language": "en"})
    assert english.status_code == 403 and english.json()["message"] == "this token is read-only"


def test_no_credentials_and_no_csrf_header_are_told_in_chinese(client: TestClient, world: Any) -> None:
    anonymous = client.get("/api/v1/enterprises")
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "请先登录：请求须带 Authorization: Bearer <令牌>"
    assert client.post("/api/v1/auth/login", json={"username": "longwan", "password": world.password}).is_success
    missing = client.post(f"/api/v1/enterprises/{world.codes['b']}/sites", json={"name": "x"})
    assert missing.status_code == 403
    assert missing.json()["message"] == "页面校验码（CSRF）缺失或不符，请刷新页面后重试"
