"""The 规则包 pages (server-side HTML, no browser): the list and one pack in Chinese and English for a logged-in
enterprise user and a regulator, an imported version marked in force, an unknown pack as the not-found page, and
the login redirect without a session.

Facts from the shipped pack longgang-2022 (龙港市制造业节能改造行动方案): the boundary convention 附则 1
“以上”均包含本数。 (English rendering: "Or more" (以上) always includes the number itself.), the storage subsidy
0.8 元/kWh, the retrofit tiers 14 % / 17 % / 22 % with the 500万元 cap per project, valid to 2023-12-31.

The web UI mounts once per process (``app.web.mount_web``), so a child process fetches the pages; the rendering
does not depend on the store, so this runs on SQLite only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.core.access import Grant, Principal
from dualcarbon.policy import service
from dualcarbon.reference.policy import packs_dir
from dualcarbon.store.db import session_scope

FETCH = """
import json, sys
from fastapi.testclient import TestClient
from dualcarbon.app.web import create_web_app
url, data_dir, password, plan = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = create_web_app(url, data_dir=data_dir)
out = {}
with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
    for path in plan["anonymous"]:
        page = client.get(path, follow_redirects=False)
        out["anonymous" + path] = [page.status_code, page.headers.get("location", "")]
for user in plan["users"]:
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        login = client.post("/web/login", data={"username": user, "password": password, "next": "/"},
                            headers={"origin": "http://testserver"}, follow_redirects=False)
        assert "error" not in login.headers.get("location", ""), login.headers
        for language in ("zh", "en"):
            client.get(f"/web/lang/{language}?next=/")
            for path in plan["paths"]:
                page = client.get(path)
                out[f"{user} {language} {path}"] = [page.status_code, page.text]
app.state.engine.dispose()
print(json.dumps(out))
"""
PATHS = [
    "/policy",
    "/policy/longgang-2022",
    "/policy/longgang",
    "/policy/longgang-2022?version=shipped",
    "/policy/no-such-pack",
    "/policy/Not_An_Id",
    "/policy/hangzhou-warning",
    "/policy/national",
]
ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def _fetch(world: Any, tmp_path: Path, users: list[str]) -> dict[str, list[Any]]:
    plan = {"anonymous": ["/policy", "/policy/longgang-2022"], "users": users, "paths": PATHS}
    done = subprocess.run(
        [sys.executable, "-c", FETCH, world.url, str(tmp_path), world.password, json.dumps(plan)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, list[Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _import_longgang_version(world: Any, tmp_path: Path) -> None:
    """Version 1 of longgang-2022, imported by an administrator: the shipped text with one note changed (holding
    markup, which the page must show as text)."""
    text = (packs_dir() / "longgang-2022.yaml").read_text(encoding="utf-8")
    changed = text.replace(
        "    note: paid to the storage operator (储能运营主体)", "    note: imported copy; paid to the <b>operator</b>"
    )
    assert changed != text
    path = tmp_path / "longgang-2022.yaml"
    path.write_text(changed, encoding="utf-8")
    with session_scope(world.engine) as session:
        assert service.import_file(session, ADMIN, path)["version"] == 1


def test_policy_pages_in_chinese_and_english(world: Any, tmp_path: Path) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    _import_longgang_version(world, tmp_path)
    pages = _fetch(world, tmp_path, ["ent_a", "city"])

    # no session: the login page, remembering where the reader wanted to go
    assert pages["anonymous/policy"] == [303, "/login?next=%2Fpolicy"]
    assert pages["anonymous/policy/longgang-2022"] == [303, "/login?next=%2Fpolicy%2Flonggang-2022"]

    for user in ("ent_a", "city"):  # an enterprise user and a regulator see the same public texts
        status, html = pages[f"{user} zh /policy"]
        assert status == 200, user
        assert "龙港市制造业节能改造行动方案" in html and "longgang-2022" in html and "hangzhou-warning" in html
        assert "已失效" in html and "现行有效" in html  # longgang ended 2023-12-31; national (2018-) is in force
        assert "未载明 至 2023-12-31" in html  # the start is not in our copy of the text
        assert "资金规则 7" in html and "第 1 版（导入）" in html  # longgang's 7 money rules; its import in force

        status, html = pages[f"{user} zh /policy/longgang-2022"]
        assert status == 200, user
        assert "附则 1" in html and "“以上”均包含本数。" in html  # the boundary convention, quoted
        assert "对于实际投运储能项目，按照实际放电量给予储能运营主体0.8元/千瓦时的补贴。" in html  # a clause's text
        assert "补助金额 = 实际放电量 × 0.8 元/kWh" in html  # what the storage rule says, readable
        assert "一年内生产性设备与信息化投入 100万元（含）至 200万元（不含） → 14%" in html  # a tier, boundaries stated
        assert "每个项目不超过 500万元" in html  # the retrofit cap
        assert "longgang-2022.subsidy.storage" in html  # the item's id
        assert "imported copy; paid to the" in html  # the version in force is the import
        # a pack's text is text, not markup: escaped by the page (&lt;b&gt;), then once more by the page's frame
        assert "paid to the &amp;lt;b&amp;gt;operator&amp;lt;/b&amp;gt;" in html
        assert "Original:" not in html and "Energy-storage projects actually in operation" not in html

    # an alias answers as the id; the shipped version is still readable, marked as not in force
    assert pages["city zh /policy/longgang"][0] == 200 and "“以上”均包含本数。" in pages["city zh /policy/longgang"][1]
    status, html = pages["city zh /policy/longgang-2022?version=shipped"]
    assert status == 200 and "当前显示：随平台发布；在用版本：第 1 版（导入）" in html
    assert "paid to the storage operator" in html and "imported copy" not in html

    # English: our renderings with the Chinese original beside them
    status, html = pages["city en /policy"]
    assert status == 200 and "Longgang action plan for energy-saving retrofits in manufacturing" in html
    assert "not stated – 2023-12-31" in html and "Money rules 7" in html
    status, html = pages["city en /policy/longgang-2022"]
    assert status == 200
    assert "always includes the number itself." in html and "Original: “以上”均包含本数。" in html
    assert "Supplementary provisions 1" in html and "Original: 附则 1" in html
    assert "Energy-storage projects actually in operation receive" in html
    assert "amount = Actual discharge × 0.8 yuan/kWh" in html
    assert "Original: 龙港市制造业节能改造行动方案" in html  # the title's original under our rendering

    # other kinds: warning bands with their boundaries; the national catalog schedule
    status, html = pages["city zh /policy/hangzhou-warning"]
    assert status == 200 and "橙色：降幅差距 1 个百分点（含）至 2 个百分点（含）" in html
    status, html = pages["city en /policy/hangzhou-warning"]
    assert status == 200 and "Orange: 1 percentage points ≤ shortfall in decline ≤ 2 percentage points" in html
    assert (
        pages["city zh /policy/national"][0] == 200 and "能效清单目录时间安排" in pages["city zh /policy/national"][1]
    )

    # an unknown pack (or an address that is no pack id): the not-found page, never a refusal or a 500
    for language, title in (("zh", "页面不存在"), ("en", "Page not found")):
        for path in ("/policy/no-such-pack", "/policy/Not_An_Id"):
            status, html = pages[f"city {language} {path}"]
            assert status == 404 and title in html, (language, path)
            assert "refusal" not in html
