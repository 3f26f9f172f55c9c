"""Unknown API paths answer JSON, not the web UI's HTML page, even with the UI mounted at /."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from dualcarbon.app.web import create_web_app


def test_unknown_api_path_is_json_404_and_wrong_method_is_405(tmp_path: Path) -> None:
    app = create_web_app(data_dir=tmp_path)
    with TestClient(app) as client:
        missing = client.get("/api/v1/no-such-thing")
        assert missing.status_code == 404
        assert missing.json()["error"] == "NotFound"
        wrong = client.delete("/api/v1/enterprises")
        assert wrong.status_code == 405
        assert "GET" in wrong.headers["allow"]
        assert client.get("/api/v1/enterprises").status_code == 401  # the real route still answers
        assert client.get("/login").status_code == 200  # and the UI is still there
