"""The 告警 page renders in Chinese for a logged-in regulator (server-side HTML, no browser) with the alerts of
the region it links from; another region's regulator sees none.

The web UI mounts once per process (``app.web.mount_web``), so the pages are fetched by a child process; the
rendering does not depend on the store, so this runs on SQLite only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.alerts import service_alerts
from dualcarbon.store.db import session_scope

from .test_evaluate import DAY, plant

FETCH = """
import json, sys
from fastapi.testclient import TestClient
from dualcarbon.app.web import create_web_app
url, data_dir, password, paths = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = create_web_app(url, data_dir=data_dir)
out = {}
for user in ("city", "longwan"):
    with TestClient(app, base_url="http://testserver") as client:
        client.post("/web/login", data={"username": user, "password": password, "next": "/"},
                    headers={"origin": "http://testserver"}, follow_redirects=False)
        for path in paths:
            page = client.get(path)
            out[user + path] = [page.status_code, page.text]
app.state.engine.dispose()
print(json.dumps(out))
"""


def test_alerts_page_renders_the_regions_alerts(world: Any, tmp_path: Path, admin, reference) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    plant(world, tmp_path, admin, reference)
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
    path = "/alerts?region=330302"
    done = subprocess.run(
        [sys.executable, "-c", FETCH, world.url, str(tmp_path), world.password, json.dumps([path])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pages = json.loads(done.stdout.strip().splitlines()[-1])
    status, html = pages["city" + path]
    assert status == 200 and "告警" in html and "未处理" in html
    assert "计量器具 S1 用能异常（1 个小时）" in html and "鹿城甲阀门有限公司" in html
    status, html = pages["longwan" + path]
    assert status == 200 and "用能异常（" not in html
