"""The 补贴申请 and asset pages render in Chinese for a logged-in regulator (server-side HTML, no browser):
the application's page shows its amount and the trace of the computation.

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

from dualcarbon.assets import service_datacentres, service_pv
from dualcarbon.assets.schemas import DatacentreIn, PvIn
from dualcarbon.reference.policy import load_pack
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies.models import SubsidyApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from subsidy_helpers import storage_applications, who

FETCH = """
import json, sys
from fastapi.testclient import TestClient
from dualcarbon.app.web import create_web_app
url, data_dir, password, paths = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = create_web_app(url, data_dir=data_dir)
out = {}
with TestClient(app, base_url="http://testserver") as client:
    login = client.post("/web/login", data={"username": "city", "password": password, "next": "/"},
                        headers={"origin": "http://testserver"}, follow_redirects=False)
    out["login"] = login.headers.get("location", "")
    for path in paths:
        page = client.get(path)
        out[path] = [page.status_code, page.text]
app.state.engine.dispose()
print(json.dumps(out))
"""


def test_pages_render_with_the_trace(world: Any, tmp_path: Path) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    (app_id,) = storage_applications(world, ["2023-03"], 5_000)  # 1 000 kWh × 0.8 元/kWh = 800 元
    with session_scope(world.engine) as session:  # a result with a pack decision (the storage rule has none)
        row = session.get(SubsidyApplication, app_id)
        decision = load_pack("longgang-2022").incentive("retrofit").decisions[0].model_dump()
        row.result = {**row.result, "decisions": [decision]}
    with session_scope(world.engine) as session:
        ent_a = who(session, "ent_a")
        pv = service_pv.create_pv(
            session,
            ent_a,
            PvIn(
                credit_code=world.codes["a"],
                name="东厂房光伏",
                roof_type="sloped",
                module_height_m=0.4,
                capacity_kwp=80,
                connection_mode="全额上网",
            ),
        )
        dc = service_datacentres.create_datacentre(
            session, ent_a, DatacentreIn(credit_code=world.codes["a"], name="甲数据中心", racks=300)
        )
    paths = [
        f"/subsidies/{app_id}",
        "/subsidies",
        "/assets/pv",
        "/assets/storage",
        "/assets/datacentres",
        "/assets/green",
        f"/assets/pv/{pv.id}",
        f"/assets/datacentres/{dc.id}",
        "/subsidies/new",
    ]
    done = subprocess.run(
        [sys.executable, "-c", FETCH, world.url, str(tmp_path), world.password, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pages = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in pages["login"]
    status, html = pages[f"/subsidies/{app_id}"]
    assert status == 200
    # the trace in Chinese (condition_zh) on a Chinese page, not the contract's "amount = discharge_kwh × 0.8 元/kWh"
    assert "计算过程" in html and "补助金额 = 实际放电量 × 0.8 元/kWh" in html
    assert "amount = discharge_kwh" not in html and "实际放电量 来源：储能" in html
    assert "800.00" in html and "已申报" in html
    # the pack's decision (政策解释说明) in Chinese (decision_zh …), not the pack's English
    assert "政策解释说明" in html and "恰为 500 万元时——适用 17 %" in html and "故 500万元 属于" in html
    assert "exactly 500 万元" not in html
    for path, title in (
        ("/subsidies", "补贴申请"),
        ("/assets/pv", "光伏"),
        ("/assets/storage", "储能"),
        ("/assets/datacentres", "数据中心"),
        ("/assets/green", "绿色制造"),
    ):
        assert pages[path][0] == 200 and title in pages[path][1], path
    assert "屋顶覆盖率与新增装机目标" in pages["/assets/pv"][1]  # the regulator's targets panel
    assert "绿色制造名单数量目标" in pages["/assets/green"][1]
    pv_page = pages[f"/assets/pv/{pv.id}"][1]
    assert "东厂房光伏" in pv_page and "坡屋面" in pv_page  # 0.4 m above a sloped roof: over the 30 cm limit
    assert "甲数据中心" in pages[f"/assets/datacentres/{dc.id}"][1]
    assert pages["/subsidies/new"][0] == 200 and "提交申报" in pages["/subsidies/new"][1]
