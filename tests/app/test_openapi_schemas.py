"""The OpenAPI document describes what the reports and registry endpoints return (their ``response_model``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dualcarbon.app.api import create_app

SUBJECT_PATHS = ("/api/v1/reports", "/api/v1/enterprises", "/api/v1/periods")


def _document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(f"sqlite+pysqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        with TestClient(app) as client:
            document: dict[str, Any] = client.get("/openapi.json").json()
    finally:
        app.state.engine.dispose()
    return document


def test_reports_and_registry_json_answers_have_schemas(tmp_path: Path) -> None:
    document = _document(tmp_path)
    found = {}
    for path, operations in document["paths"].items():
        if not path.startswith(SUBJECT_PATHS) or path.endswith(".xlsx"):
            continue
        for method, operation in operations.items():
            success = next(code for code in operation["responses"] if code.startswith("2"))
            schema = operation["responses"][success]["content"]["application/json"]["schema"]
            found[f"{method.upper()} {path}"] = schema["$ref"].rsplit("/", 1)[-1]
    assert found["GET /api/v1/reports/{report_id}"] == "ReportDetail"
    assert found["PUT /api/v1/reports/{report_id}"] == "SavedReport"
    assert found["GET /api/v1/reports"] == "Page_ReportSummary_"
    assert found["GET /api/v1/reports/{report_id}/versions/{a}/diff/{b}"] == "VersionDiff"
    assert found["POST /api/v1/enterprises/{credit_code}/reports/import"] == "ReportImportReceipt"
    assert found["GET /api/v1/periods"] == "DeadlineList"
    assert found["GET /api/v1/reports/overdue"] == "Page_OverdueOut_"
    assert found["GET /api/v1/enterprises"] == "Page_EnterpriseItem_"
    assert found["GET /api/v1/enterprises/{credit_code}"] == "EnterpriseDetail"
    assert found["POST /api/v1/enterprises/import"] == "EnterpriseImportReport"
    assert found["PATCH /api/v1/enterprises/{credit_code}/units/{unit_id}"] == "UnitOut"
    assert len(found) >= 24  # every JSON operation of the two subjects has one (KeyError above otherwise)

    schemas = document["components"]["schemas"]
    computed = schemas["ComputedFigures"]["properties"]
    assert "schema" in computed and "schema_" not in computed  # the stored key, as the API writes it
    assert set(schemas["ReportDetail"]["required"]) >= {"computed", "figures", "year_on_year", "versions", "reviews"}
