"""The material emission-factor table kept by administrators (both stores): template, check, import as a new
version (CSV and .xlsx, all rows or none), read back with version and source, used by the footprint lookup,
refused to non-administrators, audited.

The factor values here are test values (source "test fixture", confidence "uncertain: …"), not official ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dualcarbon.app.api import create_app
from dualcarbon.core.errors import InvalidInput
from dualcarbon.domain import footprint as fp
from dualcarbon.footprint import io_factors, service_factors
from dualcarbon.reference.imports import read_manifest
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

URL = "/api/v1/footprints/factors"
GOOD = [
    # material, unit, kgco2e_per_unit, data_year, boundary, source, confidence
    ["钢材", "t", "2000", "2022", "cradle-to-gate", "test fixture", "uncertain: test value, not official"],
    ["紫铜", "kg", "4.5", "2021", "cradle-to-gate", "test fixture", "uncertain: test value, not official"],
]
HEADER = ["material", "unit", "kgco2e_per_unit", "data_year", "boundary", "source", "confidence"]


def as_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


class Api:
    def __init__(self, client: TestClient, world: Any, data_dir: Path) -> None:
        self.client, self.world, self.data_dir = client, world, data_dir

    def __call__(self, method: str, url: str, user: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, url, headers=self.world.auth(user), **kw)


@pytest.fixture
def api(world: Any, tmp_path: Path) -> Iterator[Api]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app = create_app(world.url, data_dir=data_dir)
    with TestClient(app) as client:
        yield Api(client, world, data_dir)
    app.state.engine.dispose()


def upload(api: Api, user: str, name: str, content: bytes, **params: Any) -> httpx.Response:
    return api("POST", URL, user, files={"file": (name, content)}, data={"note": "test"}, params=params)


def test_check_names_every_problem_and_stores_nothing(tmp_path: Path) -> None:
    bad = [
        ["钢材", "t", "-5", "2022", "cradle-to-gate", "test fixture", "uncertain: test"],
        ["水泥", "bananas", "900", "1890", "cradle-to-gate", "", "maybe"],
        ["钢材", "t", "1", "2022", "cradle-to-gate", "x", "verified: x"],
        ["玻璃", "t", "abc", "", "", "x", "verified: x"],
        ["浮法玻璃", "kg", "1", "2020", "cradle-to-gate", "x", "verified: x"],
    ]
    checked = service_factors.check_factors(as_csv(bad), "bad.csv", ReferenceSet(None))
    found = {(p.row, p.column) for p in checked.problems}
    assert found == {
        (2, "kgco2e_per_unit"),  # −5 is not > 0
        (3, "unit"),
        (3, "data_year"),  # 1890 before 1990
        (3, "source"),  # required
        (3, "confidence"),  # not verified/uncertain
        (4, "material"),  # 钢材 again (also on row 2)
        (5, "kgco2e_per_unit"),
        (5, "data_year"),
        (5, "boundary"),
        (6, "unit"),  # fills MEF-104 (平板玻璃, alias 浮法玻璃), whose factor is per t
    }
    with pytest.raises(InvalidInput, match="problem"):
        service_factors.import_factors(
            None,  # type: ignore[arg-type]  # refused before any write
            _admin(),
            as_csv(bad),
            "bad.csv",
            tmp_path,
            ReferenceSet(None),
        )
    assert not (tmp_path / "reference").exists()


def _admin() -> Any:
    from dualcarbon.core.access import Grant, Principal

    return Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def test_template_reads_back_in_both_formats() -> None:
    header, rows = io_factors.read_factor_rows(io_factors.template_csv(), "t.csv")
    assert (header, rows) == (1, [])
    book = openpyxl.load_workbook(io.BytesIO(io_factors.template_xlsx()))
    assert [c.value for c in book.worksheets[0][1]][:3] == ["材料", "单位", "排放因子"]
    assert book.sheetnames == ["材料排放因子", "说明"]


def test_import_over_http_fills_adds_versions_and_audits(api: Api) -> None:
    template = api("GET", f"{URL}/template", "city")
    assert template.status_code == 200 and template.text.lstrip("\ufeff").startswith("material,unit,kgco2e_per_unit")
    denied = upload(api, "city", "factors.csv", as_csv(GOOD))
    assert denied.status_code == 403  # a regulator may read, not import
    dry = upload(api, "admin", "factors.csv", as_csv(GOOD), dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["updates"] == ["MEF-101"] and dry.json()["additions"] == ["MEF-U001"]
    assert not (api.data_dir / "reference").exists()  # a dry run stores nothing

    done = upload(api, "admin", "factors.csv", as_csv(GOOD))
    assert done.status_code == 200, done.text
    version = done.json()["version"]
    assert done.json()["created"] is True and version
    again = upload(api, "admin", "factors.csv", as_csv(GOOD))
    assert again.json()["created"] is False and again.json()["version"] == version  # identical file: no new version
    assert len(read_manifest(api.data_dir)["tables"]["material_emission_factors"]) == 1

    rows = {r["material"]: r for r in api("GET", URL, "ent_a").json()}
    steel, copper = rows["钢材"], rows["紫铜"]
    assert (steel["row_id"], steel["kgco2e_per_unit"], steel["version"]) == ("MEF-101", 2000.0, version)
    assert steel["aliases"] == ["钢", "钢板", "型钢", "steel"]  # the shipped row's aliases kept
    assert (copper["row_id"], copper["unit"], copper["data_year"], copper["source"]) == (
        "MEF-U001",
        "kg",
        2021,
        "test fixture",
    )
    assert rows["电解铝"]["kgco2e_per_unit"] is None  # still blank: nothing estimated
    # the footprint lookup now finds both (by name or alias), with the import's version
    reference = load_reference(api.data_dir)
    assert fp.material_factor(reference, "钢板").kgco2e_per_unit == 2000.0
    assert fp.material_factor(reference, "紫铜").provenance.version == version

    with session_scope(api.world.engine, write=False) as session:
        audits = session.scalars(select(AuditLog).where(AuditLog.action == "footprint.factors.import")).all()
        assert len(audits) == 2 and audits[0].actor == "admin"


def test_xlsx_import_and_bad_file_over_http(api: Api) -> None:
    book = openpyxl.load_workbook(io.BytesIO(io_factors.template_xlsx()))
    sheet = book.worksheets[0]
    sheet.append(["聚乙烯", "t", 1800, 2020, "cradle-to-gate", "test fixture", "uncertain: test value"])
    buffer = io.BytesIO()
    book.save(buffer)
    done = upload(api, "admin", "pe.xlsx", buffer.getvalue())
    assert done.status_code == 200, done.text
    assert done.json()["updates"] == ["MEF-105"]  # the shipped blank 聚乙烯 row filled
    bad = upload(api, "admin", "bad.csv", as_csv([["铜", "t", "0", "2020", "cradle-to-gate", "x", "verified: x"]]))
    assert bad.status_code == 422 and "kgco2e_per_unit" in bad.text
    unknown = upload(api, "admin", "u.csv", as_csv([["x"]], header=["material", "colour"]))
    assert unknown.status_code == 422 and "colour" in unknown.text
    wrong = upload(api, "admin", "f.pdf", b"%PDF")
    assert wrong.status_code == 422


def test_cli_template_and_validate(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dualcarbon.app.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["footprint", "factors", "template", "-o", str(tmp_path / "t.xlsx")])
    assert made.exit_code == 0 and (tmp_path / "t.xlsx").exists()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(as_csv(GOOD))
    bad.write_bytes(as_csv([["钢材", "t", "2000", "2022", "cradle-to-gate", "", "uncertain: x"]]))
    data = ["--data-dir", str(tmp_path / "data")]
    ok = runner.invoke(app, ["footprint", "factors", "validate", str(good), *data])
    assert ok.exit_code == 0 and "MEF-101" in ok.output and "MEF-U001" in ok.output
    refused = runner.invoke(app, ["footprint", "factors", "validate", str(bad), *data])
    assert refused.exit_code == 2 and "source" in refused.output
