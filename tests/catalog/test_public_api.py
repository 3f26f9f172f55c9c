"""``/public``: only catalogs in force, only the published fields, no login."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dualcarbon.app.api import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, bearer_tokens, yunnan_fixture  # noqa: F401 - the fixture "yunnan"

GENERATE = {"region_code": "530100", "edition": "2023", "half": "2025-H1", "basis": "gb"}
PUBLIC_FIELDS = {"enterprise_name", "credit_code", "product", "tier", "tier_zh"}


@pytest.fixture
def setup(yunnan: World) -> Iterator[tuple[TestClient, World, dict[str, dict[str, str]]]]:
    world = yunnan
    headers = {user: {"Authorization": f"Bearer {token}"} for user, token in bearer_tokens(world).items()}
    app = create_app(world.url)
    with TestClient(app) as client:
        yield client, world, headers
    app.state.engine.dispose()


def test_public_sees_only_published_catalogs(setup: tuple[TestClient, World, dict[str, dict[str, str]]]) -> None:
    client, world, auth = setup
    draft = client.post("/api/v1/catalogs", json=GENERATE, headers=auth["city"]).json()["id"]
    assert client.get("/public/catalogs").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert client.get(f"/public/catalogs/{draft}/advanced").status_code == 404
    assert client.post(f"/api/v1/catalogs/{draft}/publish", headers=auth["city"]).status_code == 200
    listed = client.get("/public/catalogs").json()
    [item] = listed["items"]
    assert (item["id"], item["issue_no"], item["region_name"], item["half"]) == (draft, 1, "昆明市", "2025-H1")
    assert item["counts"] == {"grade_1": 1, "grade_2": 1, "grade_3": 2, "fails_limit": 1}
    assert "snapshot_hash" not in item and "reference_versions" not in item
    advanced = client.get(f"/public/catalogs/{draft}/advanced").json()
    assert advanced["list_zh"] == "能效先进名单"
    assert advanced["items"] == [
        {
            "enterprise_name": "五华水泥甲有限公司",
            "credit_code": world.code("A"),
            "product": "水泥熟料",
            "tier": "grade_1",
            "tier_zh": "1级",
        }
    ]
    backward = client.get(f"/public/catalogs/{draft}/backward").json()
    assert [i["credit_code"] for i in backward["items"]] == [world.code("D")]
    assert all(set(i) == PUBLIC_FIELDS for i in backward["items"])
    assert client.get("/public/catalogs?region_code=530300").json()["total"] == 0
    assert client.get("/public/catalogs/999/backward").status_code == 404


def test_superseded_issue_disappears_for_the_public(
    setup: tuple[TestClient, World, dict[str, dict[str, str]]],
) -> None:
    client, _, auth = setup
    first = client.post("/api/v1/catalogs", json=GENERATE, headers=auth["city"]).json()["id"]
    client.post(f"/api/v1/catalogs/{first}/publish", headers=auth["city"])
    [entry] = client.get(f"/api/v1/catalogs/{first}/entries", headers=auth["ent_d"]).json()["items"]
    appeal = client.post(
        f"/api/v1/catalogs/{first}/entries/{entry['id']}/appeals",
        headers=auth["ent_d"],
        json={"reason": "数据有误", "evidence": {"corrected_value": 116}},
    ).json()["id"]
    client.post(f"/api/v1/appeals/{appeal}/assign", headers=auth["city"], json={"expert": "expert"})
    client.post(f"/api/v1/appeals/{appeal}/opinion", headers=auth["expert"], json={"opinion": "属实"})
    second = client.post(
        f"/api/v1/appeals/{appeal}/decide", headers=auth["city"], json={"decision": "upheld", "text": "成立"}
    ).json()["corrected_catalog_id"]
    assert client.get(f"/public/catalogs/{first}/backward").status_code == 404
    [item] = client.get("/public/catalogs").json()["items"]
    assert (item["id"], item["issue_no"]) == (second, 2)
    # D is now 3级 (116 kgce/t): the backward list of the corrected issue is empty.
    assert client.get(f"/public/catalogs/{second}/backward").json()["total"] == 0
