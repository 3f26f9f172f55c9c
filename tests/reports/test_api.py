"""The period-report API over both backends: the workflow by HTTP, status codes, imports, exports, deadlines."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from dualcarbon.reports.io import AnnualReport, write_annual_report
from dualcarbon.reports.service_content import parse_content

W10 = {
    "energy_lines": [
        {"carrier": "电力", "quantity": 10000, "unit": "MWh"},
        {"carrier": "天然气", "quantity": 500000, "unit": "m³"},
        {"carrier": "柴油", "quantity": 200, "unit": "t", "reported_tce": 305.991},
    ],
    "outputs": [{"product": "电石", "quantity": 1000, "unit": "t"}],
    "economics": {"value_added_10k_yuan": 5000},
}


def _create(client: TestClient, world: Any, user: str = "ent_a", key: str = "a", year: int = 2023) -> int:
    response = client.post(
        f"/api/v1/enterprises/{world.codes[key]}/reports",
        headers=world.auth(user),
        json={"period_kind": "year", "year": year, "content": W10},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _post(client: TestClient, world: Any, user: str, path: str, body: Any = None) -> Any:
    return client.post(f"/api/v1/reports/{path}", headers=world.auth(user), json=body)


def test_flow_by_http(client: TestClient, world: Any) -> None:
    report_id = _create(client, world)
    view = client.get(f"/api/v1/reports/{report_id}", headers=world.auth("ent_a")).json()
    assert view["state"] == "draft" and view["state_label"] == "草稿" and view["version"] == 1
    figures = {row["key"]: row for row in view["figures"]}
    assert figures["total_tce_equivalent"]["computed"] == pytest.approx(2127.57)
    assert figures["energy_lines[2].reported_tce"]["flagged"]  # diesel reported 5 % above 291.42 tce
    assert view["computed"]["carbon"]["grid"]["region"] == "浙江"

    assert _post(client, world, "ent_a", f"{report_id}/submit").json()["state"] == "submitted"
    no_comment = _post(client, world, "city", f"{report_id}/return", {})
    assert no_comment.status_code == 422 and no_comment.json()["field"] == "comment"
    returned = _post(client, world, "city", f"{report_id}/return", {"comment": "柴油数据有误"})
    assert returned.status_code == 200 and returned.json()["state_label"] == "已退回"

    fixed = {
        **W10,
        "energy_lines": [
            *W10["energy_lines"][:2],
            {"carrier": "柴油", "quantity": 200, "unit": "t", "reported_tce": 291.42},
        ],
    }
    put = client.put(f"/api/v1/reports/{report_id}", headers=world.auth("ent_a"), json={"content": fixed})
    assert put.status_code == 200 and put.json()["new_version"] and put.json()["version"] == 2
    assert not put.json()["has_flagged_deviation"]
    same = client.put(f"/api/v1/reports/{report_id}", headers=world.auth("ent_a"), json={"content": fixed})
    assert not same.json()["new_version"] and same.json()["version"] == 2

    assert _post(client, world, "ent_a", f"{report_id}/submit").status_code == 200
    assert _post(client, world, "expert", f"{report_id}/approve").json()["state"] == "approved"
    locked = _post(client, world, "city", f"{report_id}/lock")
    assert locked.json()["state_label"] == "已锁定"
    assert [r["action"] for r in locked.json()["reviews"]] == ["submit", "return", "submit", "approve", "lock"]

    conflict = _post(client, world, "city", f"{report_id}/approve")
    assert conflict.status_code == 409 and conflict.json()["error"] == "Conflict"
    diff = client.get(f"/api/v1/reports/{report_id}/versions/1/diff/2", headers=world.auth("city")).json()
    assert {c["field"]: (c["a"], c["b"]) for c in diff["changes"]}["energy_lines[2].reported_tce"] == (
        pytest.approx(305.991),
        pytest.approx(291.42),
    )


def test_status_codes(client: TestClient, world: Any) -> None:
    report_id = _create(client, world)
    assert client.get(f"/api/v1/reports/{report_id}").status_code == 401
    assert client.get(f"/api/v1/reports/{report_id}", headers=world.auth("ent_b")).status_code == 404
    assert client.get(f"/api/v1/reports/{report_id}", headers=world.auth("longwan")).status_code == 404
    assert _post(client, world, "ent_a", f"{report_id}/submit").status_code == 200
    assert _post(client, world, "longwan", f"{report_id}/approve").status_code == 404
    assert _post(client, world, "ent_a", f"{report_id}/approve").status_code == 403
    read_only = client.post(
        f"/api/v1/reports/{report_id}/approve", headers={"Authorization": f"Bearer {world.read_only_token}"}
    )
    assert read_only.status_code == 403
    assert _post(client, world, "ent_a", f"{report_id}/submit").status_code == 409
    assert (
        client.post(
            f"/api/v1/enterprises/{world.codes['b']}/reports",
            headers=world.auth("ent_a"),
            json={"year": 2023, "content": W10},
        ).status_code
        == 404
    )
    assert client.get("/api/v1/reports/999999", headers=world.auth("admin")).status_code == 404


def test_bad_content_names_the_field(client: TestClient, world: Any) -> None:
    bad = {**W10, "energy_lines": [*W10["energy_lines"][:2], {"carrier": "柴油", "quantity": 200, "unit": "kWh"}]}
    response = client.post(
        f"/api/v1/enterprises/{world.codes['a']}/reports",
        headers=world.auth("ent_a"),
        json={"year": 2023, "content": bad},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "energy_lines[2].unit"
    shape = client.post(
        f"/api/v1/enterprises/{world.codes['a']}/reports",
        headers=world.auth("ent_a"),
        json={"year": 2023, "content": {"energy_lines": [{"carrier": "电力", "unit": "kWh"}]}},
    )
    assert shape.status_code == 422 and shape.json()["field"] == "energy_lines[0].quantity"
    period = client.post(
        f"/api/v1/enterprises/{world.codes['a']}/reports",
        headers=world.auth("ent_a"),
        json={"period_kind": "quarter", "year": 2023, "period": 5, "content": W10},
    )
    assert period.status_code == 422 and period.json()["field"] == "period"


def test_lists_and_review_queue(client: TestClient, world: Any) -> None:
    first = _create(client, world, "ent_b", "b")
    second = _create(client, world, "ent_a", "a")
    _create(client, world, "ent_a", "a", 2022)
    for user, report_id in (("ent_b", first), ("ent_a", second)):
        assert _post(client, world, user, f"{report_id}/submit").status_code == 200
    queue = client.get("/api/v1/reports", params={"state": "submitted"}, headers=world.auth("city")).json()
    assert [item["id"] for item in queue["items"]] == [first, second] and queue["total"] == 2
    assert {"items", "total", "limit", "offset"} <= queue.keys()
    lucheng = client.get("/api/v1/reports", params={"state": "submitted"}, headers=world.auth("lucheng")).json()
    assert [item["id"] for item in lucheng["items"]] == [second]
    own = client.get(f"/api/v1/enterprises/{world.codes['a']}/reports", headers=world.auth("ent_a")).json()
    assert own["total"] == 2 and own["items"][0]["year"] == 2023
    assert client.get(f"/api/v1/enterprises/{world.codes['a']}/reports", headers=world.auth("ent_b")).status_code == 404
    paged = client.get("/api/v1/reports", params={"limit": 1, "offset": 1}, headers=world.auth("province")).json()
    assert paged["total"] == 3 and len(paged["items"]) == 1


def test_export_xlsx(client: TestClient, world: Any) -> None:
    _create(client, world)
    response = client.get("/api/v1/reports/export.xlsx", params={"region_code": "330300"}, headers=world.auth("city"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "统一社会信用代码" and sheet["A2"].value == world.codes["a"]
    assert sheet["F2"].value == "草稿" and sheet.max_row == 2
    empty = client.get("/api/v1/reports/export.xlsx", headers=world.auth("ent_b"))
    sheet = openpyxl.load_workbook(io.BytesIO(empty.content)).active
    assert sheet is not None and sheet.max_row == 1


def test_deadlines_and_overdue(client: TestClient, world: Any) -> None:
    body = {"region_code": "330300", "period_kind": "year", "year": 2023, "deadline": "2024-03-31"}
    put = client.put("/api/v1/periods", headers=world.auth("city"), json=body)
    assert put.status_code == 200 and put.json()["period_label"] == "2023年"
    assert client.put("/api/v1/periods", headers=world.auth("lucheng"), json=body).status_code == 404
    assert client.put("/api/v1/periods", headers=world.auth("ent_a"), json=body).status_code == 403
    report_id = _create(client, world)
    _post(client, world, "ent_a", f"{report_id}/submit")
    overdue = client.get(
        "/api/v1/reports/overdue", params={"region_code": "330300", "as_of": "2024-04-05"}, headers=world.auth("city")
    ).json()
    assert [(i["credit_code"], i["days_overdue"], i["state"]) for i in overdue["items"]] == [
        (world.codes["b"], 5, None)
    ]
    assert (
        client.get("/api/v1/reports/overdue", params={"region_code": "330300"}, headers=world.auth("ent_a")).status_code
        == 403
    )
    deadlines = client.get("/api/v1/periods", params={"region_code": "330302"}, headers=world.auth("ent_a")).json()
    assert deadlines["items"][0]["deadline"] == "2024-03-31"


def test_import_workbook(client: TestClient, world: Any, tmp_path: Path) -> None:
    template = client.get(f"/api/v1/enterprises/{world.codes['a']}/reports/template.xlsx", headers=world.auth("ent_a"))
    assert template.status_code == 200
    assert "能源消费结构表" in openpyxl.load_workbook(io.BytesIO(template.content)).sheetnames

    path = write_annual_report(tmp_path / "a.xlsx", AnnualReport(world.codes["a"], None, 2023, parse_content(W10)))
    book = openpyxl.load_workbook(path)
    book["单位产品综合能耗表"]["D3"] = "一千"  # 产量
    book.save(tmp_path / "bad.xlsx")
    url = f"/api/v1/enterprises/{world.codes['a']}/reports/import"
    with (tmp_path / "bad.xlsx").open("rb") as handle:
        bad = client.post(url, headers=world.auth("ent_a"), files={"file": ("年报.xlsx", handle)})
    assert bad.status_code == 422
    assert bad.json()["problems"] == [
        {"sheet": "单位产品综合能耗表", "row": 3, "column": "产量", "reason": "不是数字：'一千'"}
    ]
    assert client.get(url.replace("/import", ""), headers=world.auth("ent_a")).json()["total"] == 0

    with path.open("rb") as handle:
        good = client.post(
            url, headers=world.auth("ent_a"), files={"file": ("年报.xlsx", handle)}, data={"year": "2023"}
        )
    assert good.status_code == 200, good.text
    assert good.json()["kind"] == "annual" and good.json()["created"]
    report_id = good.json()["report"]["id"]
    workbook = client.get(f"/api/v1/reports/{report_id}/workbook.xlsx", headers=world.auth("city"))
    assert workbook.status_code == 200
    with path.open("rb") as handle:
        other = client.post(
            f"/api/v1/enterprises/{world.codes['b']}/reports/import",
            headers=world.auth("ent_a"),
            files={"file": ("年报.xlsx", handle)},
        )
    assert other.status_code == 404


def test_openapi_lists_the_report_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/enterprises/{credit_code}/reports",
        "/api/v1/reports/{report_id}/submit",
        "/api/v1/reports/{report_id}/approve",
        "/api/v1/reports/{report_id}/return",
        "/api/v1/reports/{report_id}/versions/{a}/diff/{b}",
        "/api/v1/reports/overdue",
        "/api/v1/periods",
        "/api/v1/reports/export.xlsx",
        "/api/v1/enterprises/{credit_code}/reports/import",
    ):
        assert path in paths
