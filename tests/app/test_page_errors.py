"""A page a service refuses for this request (here: the administrator, who has no region of their own, opens
/audits without choosing one) shows the reason in the user's language with status 400 — never a 500.

SQLite only: the rendering of an error does not depend on the store.
"""

from __future__ import annotations

from typing import Any

import pytest


def test_a_refused_request_is_a_page_with_its_reason_not_a_500(world: Any, fetch_pages: Any) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    pages = fetch_pages(["admin"], ["/audits", "/audits?lang=en"])
    status, html = pages["admin/audits"]
    assert status == 400, (status, html[-1500:])
    shown = html.split('"data-testid":"page-error"', 1)[1][:800]  # NiceGUI sends the element tree as JSON
    assert "请选择地区" in shown and "give region_code" not in shown, shown
    status, html = pages["admin/audits?lang=en"]
    assert status == 400 and '"data-testid":"page-error"' in html
