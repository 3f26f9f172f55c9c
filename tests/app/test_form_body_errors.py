"""A form body that cannot be parsed (broken multipart) is answered in the platform's error shape
``{"error", "message", "field"}``, Chinese first — not Starlette's bare 400 ``{"detail": …}``."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

BROKEN = b"--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--\r\n"  # a part without a name


def test_a_broken_multipart_body_gets_the_error_envelope(client: TestClient, world: Any) -> None:
    for path in ("/api/v1/auth/token", "/api/v1/auth/login"):
        answer = client.post(path, headers={"content-type": "multipart/form-data; boundary=x"}, content=BROKEN)
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert set(body) == {"error", "message", "field"} and "detail" not in body, body
        assert body["error"] == "InvalidInput" and body["field"] == "body"
        assert body["message"].startswith("请求中的表单数据无法解析") and " / the form data" in body["message"]
    english = client.post(
        "/api/v1/auth/token",
        headers={"content-type": "multipart/form-data; boundary=x", "Accept-Language": "en"},
        content=BROKEN,
    ).json()
    assert english["message"].startswith("the form data of the request cannot be read ("), english


def test_other_http_errors_keep_their_answer(client: TestClient, world: Any) -> None:
    assert client.get("/api/v1/no-such-thing").status_code == 404
