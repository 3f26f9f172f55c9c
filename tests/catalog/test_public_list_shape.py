"""``/public/catalogs/{id}/advanced|backward`` answer the shape their OpenAPI schema (``PublicList``) documents:
the list's name under ``list`` (not the internal ``kind``), and the catalog with its counts per tier as
``/public/catalogs`` gives them (found by a schemathesis run against the demo: ST108 "'list' is a required
property", "'kind' was unexpected")."""

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


@pytest.fixture
def client(yunnan: World) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(yunnan.url)
    with TestClient(app) as test_client:
        yield test_client, {"Authorization": f"Bearer {bearer_tokens(yunnan)['city']}"}
    app.state.engine.dispose()


@pytest.mark.parametrize("kind", ["advanced", "backward"])
def test_a_public_list_has_the_documented_fields(client: tuple[TestClient, dict[str, str]], kind: str) -> None:
    api, city = client
    catalog_id = api.post("/api/v1/catalogs", json=GENERATE, headers=city).json()["id"]
    assert api.post(f"/api/v1/catalogs/{catalog_id}/publish", headers=city).status_code == 200
    schema = api.get("/openapi.json").json()["components"]["schemas"]["PublicList"]
    answer = api.get(f"/public/catalogs/{catalog_id}/{kind}")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == set(schema["properties"]) and set(schema["required"]) <= set(body)
    assert body["list"] == kind
    [listed] = api.get("/public/catalogs").json()["items"]
    assert body["catalog"] == listed
    assert body["catalog"]["counts"] == {"grade_1": 1, "grade_2": 1, "grade_3": 2, "fails_limit": 1}
