"""``/api/v1/enterprises`` on SQLite and PostgreSQL: list envelope and filters, create, detail, edit, sites,
units, import (multipart, dry run, report) and the Excel export."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import xlsxwriter
from fastapi.testclient import TestClient

from dualcarbon.domain.identifiers import make_credit_code

NEW_CODE = make_credit_code("91330302MA2DD0004")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def new_enterprise(**overrides: Any) -> dict[str, Any]:
    return {
        "credit_code": NEW_CODE,
        "name": "鹿城丁机械有限公司",
        "region_code": "330302",
        "industry_code": "C3411",
        "above_scale": True,
        "key_energy_user": False,
    } | overrides


def test_list_envelope_items_and_filters(client: TestClient, world: Any) -> None:
    response = client.get("/api/v1/enterprises", headers=world.auth("city"))
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 50, 0)
    first = body["items"][0]
    assert {
        "credit_code",
        "name",
        "region_code",
        "region_name",
        "industry_code",
        "above_scale",
        "key_energy_user",
    } <= set(first)
    assert (first["credit_code"], first["region_name"]) == (world.codes["a"], "鹿城区")
    admin = world.auth("admin")

    def codes(**params: Any) -> list[str]:
        return [
            i["credit_code"] for i in client.get("/api/v1/enterprises", params=params, headers=admin).json()["items"]
        ]

    assert codes(region_code="330300") == [world.codes["a"], world.codes["b"]]
    assert codes(q="西湖") == [world.codes["c"]]
    assert codes(key_energy_user="false") == [world.codes["c"]]
    assert codes(field="水泥熟料") == [world.codes["b"]]
    page = client.get("/api/v1/enterprises", params={"limit": 2, "offset": 2}, headers=admin).json()
    assert (page["total"], len(page["items"])) == (3, 1)
    assert client.get("/api/v1/enterprises", params={"limit": 0}, headers=admin).status_code == 422


def test_create_and_errors(client: TestClient, world: Any) -> None:
    headers = world.auth("lucheng")
    created = client.post("/api/v1/enterprises", json=new_enterprise(), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["region_name"] == "鹿城区" and created.json()["sites"] == []
    again = client.post("/api/v1/enterprises", json=new_enterprise(), headers=headers)
    assert again.status_code == 409 and again.json()["field"] == "credit_code"
    bad = client.post("/api/v1/enterprises", json=new_enterprise(credit_code=NEW_CODE[:-1] + "I"), headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "credit_code"
    assert (
        bad.json()["message"] == "统一社会信用代码第 18 位的「I」不是可用字符（只用数字和大写字母，不用 I、O、S、V、Z）"
    )
    english = client.post(
        "/api/v1/enterprises",
        json=new_enterprise(credit_code=NEW_CODE[:-1] + "I"),
        headers=headers | {"Accept-Language": "en"},
    )
    assert "position 18" in english.json()["message"]
    other = make_credit_code("91330303MA2EE0005")
    outside = client.post(
        "/api/v1/enterprises", json=new_enterprise(credit_code=other, region_code="330303"), headers=headers
    )
    assert outside.status_code == 403 and outside.json()["field"] == "region_code"
    extra = client.post("/api/v1/enterprises", json=new_enterprise(colour="red"), headers=headers)
    assert extra.status_code == 422 and extra.json()["field"] == "colour"


def test_detail_patch_sites_units(client: TestClient, world: Any) -> None:
    code, headers = world.codes["b"], world.auth("longwan")
    detail = client.get(f"/api/v1/enterprises/{code}", headers=headers).json()
    assert [u["benchmark_row_id"] for u in detail["production_units"]] == ["BM2023-061"]
    patched = client.patch(
        f"/api/v1/enterprises/{code}", json={"contact": "王工", "version": detail["version"]}, headers=headers
    )
    assert patched.status_code == 200 and patched.json()["contact"] == "王工"
    stale = client.patch(
        f"/api/v1/enterprises/{code}", json={"contact": "李工", "version": detail["version"]}, headers=headers
    )
    assert stale.status_code == 409
    null = client.patch(f"/api/v1/enterprises/{code}", json={"name": None}, headers=headers)
    assert null.status_code == 422 and null.json()["field"] == "name"
    site = client.post(f"/api/v1/enterprises/{code}/sites", json={"name": "二厂区"}, headers=world.auth("ent_b"))
    assert site.status_code == 201
    unit = client.post(
        f"/api/v1/enterprises/{code}/units",
        headers=world.auth("ent_b"),
        json={
            "name": "2号熟料线",
            "capacity": 5000,
            "capacity_unit": "t/d",
            "benchmark_row_id": "BM2023-061",
            "site_id": site.json()["id"],
        },
    )
    assert unit.status_code == 201 and unit.json()["field"] == "水泥熟料"
    moved = client.patch(
        f"/api/v1/enterprises/{code}/units/{unit.json()['id']}", json={"capacity": 5500}, headers=world.auth("ent_b")
    )
    assert moved.json()["capacity"] == 5500
    bad_unit = client.post(
        f"/api/v1/enterprises/{code}/units",
        headers=headers,
        json={"name": "x", "capacity": 1, "capacity_unit": "t", "benchmark_row_id": "NOPE"},
    )
    assert bad_unit.status_code == 422 and bad_unit.json()["field"] == "benchmark_row_id"
    assert client.get("/api/v1/enterprises/NOTACODE", headers=headers).status_code == 404


def _workbook(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["信用代码", "企业名称", "行政区划代码", "行业代码"])
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    workbook.close()
    return buffer.getvalue()


def test_import_dry_run_commit_and_report(client: TestClient, world: Any) -> None:
    headers = world.auth("city")
    content = _workbook([[NEW_CODE, "鹿城丁机械有限公司", "330302", "C3411"]])
    upload = {"file": ("企业.xlsx", content, XLSX)}
    form = {"map": ["信用代码=统一社会信用代码"]}
    dry = client.post("/api/v1/enterprises/import?dry_run=true", files=upload, data=form, headers=headers)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["committed"], dry.json()["file"]) == (1, False, "企业.xlsx")
    assert client.get(f"/api/v1/enterprises/{NEW_CODE}", headers=headers).status_code == 404
    done = client.post(
        "/api/v1/enterprises/import", files=upload, data={"mapping": '{"信用代码": "credit_code"}'}, headers=headers
    )
    assert done.status_code == 200 and done.json()["committed"]
    assert client.get(f"/api/v1/enterprises/{NEW_CODE}", headers=headers).status_code == 200
    bad = _workbook([[NEW_CODE[:-1] + "I", "x", "330302", "C3411"]])
    refused = client.post(
        "/api/v1/enterprises/import", files={"file": ("bad.xlsx", bad, XLSX)}, data=form, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["report"]["problems"][0]["row"] == 2
    assert refused.json()["report"]["problems"][0]["column"] == "信用代码"
    wrong_type = client.post(
        "/api/v1/enterprises/import", files={"file": ("x.pdf", b"%PDF", "application/pdf")}, headers=headers
    )
    assert wrong_type.status_code == 422 and wrong_type.json()["field"] == "file"
    template = client.get("/api/v1/enterprises/import/template.xlsx", headers=headers)
    assert template.status_code == 200 and template.headers["content-type"] == XLSX


def test_export_is_the_filtered_list_with_chinese_headers(client: TestClient, world: Any) -> None:
    response = client.get(
        "/api/v1/enterprises/export.xlsx", params={"key_energy_user": "true"}, headers=world.auth("province")
    )
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["统一社会信用代码", "企业名称", "行政区划代码", "行政区划名称", "行业代码"]
    assert [(r[0], r[3], r[7]) for r in rows[1:]] == [
        (world.codes["a"], "鹿城区", "是"),
        (world.codes["b"], "龙湾区", "是"),
    ]


def test_regions_tree_and_admin_routes(client: TestClient, world: Any) -> None:
    tree = client.get("/api/v1/regions").json()["items"]
    assert [(n["code"], [c["code"] for c in n["children"]]) for n in tree] == [("330000", ["330100", "330300"])]
    wenzhou = client.get("/api/v1/regions", params={"root": "330300", "depth": 0}).json()["items"]
    assert wenzhou == [{"code": "330300", "name": "温州市", "level": "city", "children": []}]
    added = client.post("/api/v1/regions", json=[{"code": "330304", "name": "瓯海区"}], headers=world.auth("admin"))
    assert added.json() == {"created": 1, "renamed": 0, "unchanged": 0}
    assert client.post("/api/v1/regions", json=[], headers=world.auth("city")).status_code == 403
