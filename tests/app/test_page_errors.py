"""A page a service refuses for this request (here: the administrator, who has no region of their own, opens
/audits without choosing one) shows the reason in the user's language with status 400 — never a 500.

Pages are fetched by a child process (the web UI mounts once per process), on SQLite only: the rendering of an
error does not depend on the store.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FETCH = """
import json, sys
from fastapi.testclient import TestClient
from dualcarbon.app.web import create_web_app
url, data_dir, password, paths = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = create_web_app(url, data_dir=data_dir)
out = {}
with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
    client.post("/web/login", data={"username": "admin", "password": password, "next": "/"},
                headers={"origin": "http://testserver"}, follow_redirects=False)
    for path in paths:
        page = client.get(path)
        out[path] = [page.status_code, page.text]
app.state.engine.dispose()
print(json.dumps(out))
"""


def test_a_refused_request_is_a_page_with_its_reason_not_a_500(world: Any, tmp_path: Path) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    paths = ["/audits", "/audits?lang=en"]
    done = subprocess.run(
        [sys.executable, "-c", FETCH, world.url, str(tmp_path), world.password, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pages = json.loads(done.stdout.strip().splitlines()[-1])
    status, html = pages["/audits"]
    assert status == 400, (status, html[-1500:])
    shown = html.split('"data-testid":"page-error"', 1)[1][:800]  # NiceGUI sends the element tree as JSON
    assert "请选择地区" in shown and "give region_code" not in shown, shown
    status, html = pages["/audits?lang=en"]
    assert status == 400 and '"data-testid":"page-error"' in html
