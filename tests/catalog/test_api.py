"""``/api/v1/catalogs``, ``/api/v1/appeals``, ``/api/v1/obligations`` over HTTP (status codes, envelopes)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from dualcarbon.app.api import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, bearer_tokens, yunnan_fixture  # noqa: F401 - the fixture "yunnan"

GENERATE = {"region_code": "530100", "edition": "2023", "half": "2025-H1", "basis": "gb"}


class Api:
    """A test client that sends the bearer token of a world user."""

    def __init__(self, client: TestClient, world: World, tokens: dict[str, str]) -> None:
        self.client, self.world, self.tokens = client, world, tokens

    def __call__(self, method: str, url: str, user: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return self.client.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]


@pytest.fixture
def api(yunnan: World) -> Iterator[Api]:
    world = yunnan
    tokens = bearer_tokens(world)
    app = create_app(world.url)
    with TestClient(app) as client:
        yield Api(client, world, tokens)
    app.state.engine.dispose()


def _published(api: Api) -> int:
    created = api("POST", "/api/v1/catalogs", "city", json=GENERATE)
    assert created.status_code == 201, created.text
    catalog_id = created.json()["id"]
    assert api("POST", f"/api/v1/catalogs/{catalog_id}/publish", "city").status_code == 200
    return int(catalog_id)


def test_generate_and_read(api: Api) -> None:
    created = api("POST", "/api/v1/catalogs", "city", json=GENERATE)
    assert created.status_code == 201
    body = created.json()
    # 98 → 1级, 107 → 2级, 117 and 120 (coke) → 3级, 118 → 未达到3级限定值 (see catalog_fixtures).
    assert body["counts"] == {"grade_1": 1, "grade_2": 1, "grade_3": 2, "fails_limit": 1}
    assert (body["state"], body["state_zh"], body["data_year"], body["input_versions"]) == ("draft", "草稿", 2024, 5)
    catalog_id = body["id"]
    listed = api("GET", "/api/v1/catalogs", "city").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == catalog_id
    assert api("GET", f"/api/v1/catalogs/{catalog_id}", "city").json()["total"] == 5
    page = api("GET", f"/api/v1/catalogs/{catalog_id}/entries?limit=2&offset=0&evidence=true", "city").json()
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (5, 2, 2, 0)
    item = page["items"][0]
    assert {"credit_code", "enterprise_name", "region_code", "tier", "tier_zh", "value", "unit", "evidence"} <= set(
        item
    )
    light = api("GET", f"/api/v1/catalogs/{catalog_id}/entries?offset=4", "city").json()  # no evidence by default
    assert light["total"] == 5 and len(light["items"]) == 1 and "evidence" not in light["items"][0]
    explicit = api("GET", f"/api/v1/catalogs/{catalog_id}/entries?evidence=false&offset=4", "city").json()
    assert explicit == light
    fails = api("GET", f"/api/v1/catalogs/{catalog_id}/entries?tier=fails_limit", "city").json()
    assert [i["credit_code"] for i in fails["items"]] == [api.world.code("D")]
    assert fails["items"][0]["saving_to_benchmark_tce"] == pytest.approx(9000.0)  # (118 − 100) × 500,000 t
    by_field = api("GET", f"/api/v1/catalogs/{catalog_id}/entries", "city", params={"field": "煤制焦炭"}).json()
    assert by_field["total"] == 1
    by_region = api("GET", f"/api/v1/catalogs/{catalog_id}/entries?region_code=530102", "city").json()
    assert by_region["total"] == 2
    review = api("GET", f"/api/v1/catalogs/{catalog_id}/review", "city").json()
    assert [d["region_code"] for d in review["counts_by_district"]] == ["530102", "530103"]


def test_errors_are_json_with_the_right_status(api: Api) -> None:
    assert api("POST", "/api/v1/catalogs", json=GENERATE).status_code == 401
    # A district regulator cannot generate for another district (nor for its city): 404, not 403.
    assert api("POST", "/api/v1/catalogs", "wuhua", json={**GENERATE, "region_code": "530103"}).status_code == 404
    assert api("POST", "/api/v1/catalogs", "wuhua", json=GENERATE).status_code == 404
    assert api("POST", "/api/v1/catalogs", "ent_a", json={**GENERATE, "region_code": "530102"}).status_code == 403
    bad = api("POST", "/api/v1/catalogs", "city", json={**GENERATE, "half": "2025-Q1"})
    assert bad.status_code == 422 and bad.json()["field"] == "half"
    bad = api("POST", "/api/v1/catalogs", "city", json={**GENERATE, "basis": "best"})
    assert bad.status_code == 422 and bad.json()["field"] == "basis"
    assert api("GET", "/api/v1/catalogs/999", "city").status_code == 404
    catalog_id = api("POST", "/api/v1/catalogs", "city", json=GENERATE).json()["id"]
    assert api("GET", f"/api/v1/catalogs/{catalog_id}", "wuhua").status_code == 404  # a city draft
    assert api("GET", f"/api/v1/catalogs/{catalog_id}/verify", "city").status_code == 409  # not published
    assert api("GET", f"/api/v1/catalogs/{catalog_id}/entries?tier=benchmark", "city").status_code == 422


def test_publish_verify_diff_export(api: Api) -> None:
    catalog_id = _published(api)
    again = api("POST", f"/api/v1/catalogs/{catalog_id}/publish", "city")
    assert again.status_code == 409 and again.json()["error"] == "Conflict"
    catalog = api("GET", f"/api/v1/catalogs/{catalog_id}", "city").json()
    assert (catalog["state"], catalog["issue_no"], len(catalog["snapshot_hash"])) == ("published", 1, 64)
    verify = api("GET", f"/api/v1/catalogs/{catalog_id}/verify", "city").json()
    assert verify["matches"] and verify["recomputed_hash"] == catalog["snapshot_hash"]
    diff = api("GET", f"/api/v1/catalogs/{catalog_id}/diff", "city").json()
    assert diff["against_id"] is None and len(diff["added"]) == 5
    export = api("GET", f"/api/v1/catalogs/{catalog_id}/export.xlsx", "city")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(export.content)).sheetnames[:4] == ["1级", "2级", "3级", "未达到3级限定值"]
    # A district regulator sees the published city catalog, limited to its district.
    partial = api("GET", f"/api/v1/catalogs/{catalog_id}/entries", "wuhua").json()
    assert partial["total"] == 2
    assert api("POST", f"/api/v1/catalogs/{catalog_id}/publish", "wuhua").status_code == 403


def test_appeal_flow_over_http(api: Api) -> None:
    catalog_id = _published(api)
    entries = api("GET", f"/api/v1/catalogs/{catalog_id}/entries", "ent_d").json()
    [entry] = entries["items"]  # D's user sees its own entry only
    url = f"/api/v1/catalogs/{catalog_id}/entries/{entry['id']}/appeals"
    body = {"reason": "外购熟料未扣除", "evidence": {"corrected_value": 116, "documents": ["台账.pdf"]}}
    assert api("POST", url, "ent_a", json=body).status_code == 404  # another enterprise's entry
    filed = api("POST", url, "ent_d", json=body)
    assert filed.status_code == 201 and filed.json()["state"] == "filed"
    appeal_id = filed.json()["id"]
    assert api("POST", url, "ent_d", json=body).status_code == 409  # already open
    assert api("GET", "/api/v1/appeals", "ent_d").json()["total"] == 1
    assert api("GET", "/api/v1/appeals", "ent_a").json()["total"] == 0
    assert (
        api(
            "POST", f"/api/v1/appeals/{appeal_id}/decide", "city", json={"decision": "upheld", "text": "成立"}
        ).status_code
        == 409
    )  # before the expert review
    assert api("POST", f"/api/v1/appeals/{appeal_id}/assign", "ent_d", json={"expert": "expert"}).status_code == 403
    assigned = api("POST", f"/api/v1/appeals/{appeal_id}/assign", "city", json={"expert": "expert"})
    assert assigned.status_code == 200 and assigned.json()["state"] == "under_review"
    assert api("POST", f"/api/v1/appeals/{appeal_id}/opinion", "city", json={"opinion": "x"}).status_code == 403
    assert api("POST", f"/api/v1/appeals/{appeal_id}/opinion", "expert", json={"opinion": "属实"}).status_code == 200
    decided = api(
        "POST", f"/api/v1/appeals/{appeal_id}/decide", "city", json={"decision": "upheld", "text": "申辩成立"}
    )
    assert decided.status_code == 200, decided.text
    corrected = decided.json()["corrected_catalog_id"]
    diff = api("GET", f"/api/v1/catalogs/{corrected}/diff", "city").json()
    assert diff["against_id"] == catalog_id and len(diff["changed"]) == 1
    assert diff["changed"][0]["after"]["tier"] == "grade_3"  # 116: 107 < 116 ≤ 117
    assert api("GET", f"/api/v1/catalogs/{catalog_id}", "city").json()["state"] == "superseded"


def test_obligations_over_http(api: Api) -> None:
    listing = api("GET", "/api/v1/obligations?region_code=530100&year=2024&pack=shanghai-baiyi-2022", "city")
    assert listing.status_code == 200 and listing.json()["total"] == 6
    assert api("GET", "/api/v1/obligations?region_code=530103&year=2024", "wuhua").status_code == 404
    assert api("GET", "/api/v1/obligations?region_code=530100&year=2024&pack=nope", "city").status_code == 422
    export = api("GET", "/api/v1/obligations/export.xlsx?region_code=530100&year=2024", "city")
    assert export.status_code == 200 and load_workbook(io.BytesIO(export.content)).sheetnames[0] == "义务清单"


def test_openapi_declares_the_response_models(api: Api) -> None:
    spec = api("GET", "/openapi.json").json()

    def returns(method: str, path: str) -> str:
        responses = spec["paths"][path][method]["responses"]
        ok = responses.get("200") or responses.get("201")
        return str(ok["content"]["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]

    assert returns("get", "/api/v1/catalogs") == "Page_CatalogOut_"
    assert returns("get", "/api/v1/catalogs/{catalog_id}/entries") == "EntryPage"
    assert returns("get", "/api/v1/catalogs/{catalog_id}/verify") == "SnapshotCheck"
    assert returns("get", "/api/v1/catalogs/{catalog_id}/diff") == "CatalogDiff"
    assert returns("post", "/api/v1/appeals/{appeal_id}/decide") == "AppealOut"
    assert returns("get", "/public/catalogs/{catalog_id}/advanced") == "PublicList"
    schemas = spec["components"]["schemas"]
    # The stored evidence is typed in the docs too, and the public list keeps its JSON key "list".
    assert {"row", "reference", "input", "uses_unverified"} <= set(schemas["Evidence"]["properties"])
    assert "list" in schemas["PublicList"]["properties"]


def test_confirmations_over_http(api: Api) -> None:
    # 0 entries (no approved report of 2019): 409 naming the count, then 201 with confirm_empty.
    empty = {**GENERATE, "data_year": 2019}
    refused = api("POST", "/api/v1/catalogs", "city", json=empty)
    assert refused.status_code == 409 and "0 条" in refused.text
    assert api("POST", "/api/v1/catalogs", "city", json={**empty, "confirm_empty": True}).status_code == 201
    # Policy basis: A–D are 无法判定 (BM2023-061 has no 标杆/基准), E is classified.
    created = api("POST", "/api/v1/catalogs", "city", json={**GENERATE, "basis": "policy"})
    assert created.status_code == 201 and created.json()["counts"]["undetermined"] == 4
    catalog_id = created.json()["id"]
    entries = api("GET", f"/api/v1/catalogs/{catalog_id}/entries?tier=undetermined&evidence=false", "city").json()
    assert entries["total"] == 4
    reason = entries["items"][0]["undetermined"]
    assert reason["row_id"] == "BM2023-061" and reason["missing"] == ["标杆水平", "基准水平"]
    assert "dualcarbon reference import" in reason["hint"]
    publish = f"/api/v1/catalogs/{catalog_id}/publish"
    refused = api("POST", publish, "city")
    assert refused.status_code == 409 and "4 条「无法判定」" in refused.text
    assert api("POST", publish + "?confirm_undetermined=3", "city").status_code == 409
    done = api("POST", publish, "city", json={"confirm_undetermined": 4})
    assert done.status_code == 200 and done.json()["state"] == "published"
