"""The 告警 page renders in Chinese for a logged-in regulator (server-side HTML, no browser) with the alerts of
the region it links from; another region's regulator sees none.

The web UI mounts once per process (``app.web.mount_web``), so the pages are fetched by a child process; the
rendering does not depend on the store, so this runs on SQLite only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dualcarbon.alerts import service_alerts
from dualcarbon.store.db import session_scope

from .test_evaluate import DAY, plant


def test_alerts_page_renders_the_regions_alerts(world: Any, tmp_path: Path, admin, reference, fetch_pages) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    plant(world, tmp_path, admin, reference)
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
    path = "/alerts?region=330302"
    pages = fetch_pages(["city", "longwan"], [path])
    status, html = pages["city" + path]
    assert status == 200 and "告警" in html and "未处理" in html
    assert "计量器具 S1 用能异常（1 个小时）" in html and "鹿城甲阀门有限公司" in html
    status, html = pages["longwan" + path]
    assert status == 200 and "用能异常（" not in html
