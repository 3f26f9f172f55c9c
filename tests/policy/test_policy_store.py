"""`dualcarbon policy list | show | validate | import` and `/api/v1/policy/packs`: packs versioned in the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import PermissionDenied
from dualcarbon.policy import service
from dualcarbon.policy.models import PolicyPackVersion
from dualcarbon.reference.policy import packs_dir
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV, session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
from race_helpers import race

runner = CliRunner()
ADMIN = Principal(user_id=None, username="cli:test", grants=(Grant("admin"),))
REGULATOR = Principal(user_id=None, username="city", grants=(Grant("regulator", region_code="330300"),))


@pytest.fixture
def store(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(DATABASE_URL_ENV, world.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    return world


def _amended_longgang(tmp_path: Path) -> Path:
    text = (packs_dir() / "longgang-2022.yaml").read_text(encoding="utf-8")
    path = tmp_path / "longgang-amended.yaml"
    path.write_text(text.replace("rate: 0.8, rate_unit: 元/kWh", "rate: 0.6, rate_unit: 元/kWh"), encoding="utf-8")
    return path


def test_import_versions_and_in_force(store: Any, tmp_path: Path) -> None:
    path = _amended_longgang(tmp_path)
    with session_scope(store.engine) as session:
        first = service.import_file(session, ADMIN, path)
        again = service.import_file(session, ADMIN, path)
    assert (first["version"], first["created"]) == (1, True)
    assert (again["version"], again["created"]) == (1, False)  # the identical text is one version
    with session_scope(store.engine) as session:
        shown = service.show_pack(session, REGULATOR, "longgang")
        shipped = service.show_pack(session, REGULATOR, "longgang-2022", "shipped")
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "policy.import")).all()
    assert shown["in_force"] == 1 and shown["is_in_force"] is True
    assert [(v["version"], v["in_force"]) for v in shown["versions"]] == [("shipped", False), (1, True)]
    storage = next(rule for rule in shown["pack"]["rules"] if rule["key"] == "storage")
    assert storage["amount"]["rate"] == 0.6  # the imported text, not the shipped one
    assert shipped["is_in_force"] is False
    assert [(row.entity_id, row.actor) for row in audit] == [("longgang-2022@1", "cli:test")]


def test_import_needs_an_administrator(store: Any, tmp_path: Path) -> None:
    with session_scope(store.engine) as session, pytest.raises(PermissionDenied):
        service.import_file(session, REGULATOR, _amended_longgang(tmp_path))


def test_cli_validate_import_list_show(store: Any, tmp_path: Path) -> None:
    path = _amended_longgang(tmp_path)
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 0 and "valid policy pack 'longgang-2022'" in result.stdout
    result = runner.invoke(app, ["policy", "import", str(path)])
    assert result.exit_code == 0 and "version 1 (in force)" in result.stdout
    result = runner.invoke(app, ["policy", "list", "--json"])
    items = {item["id"]: item for item in json.loads(result.stdout)}
    assert items["longgang-2022"]["in_force"] == 1 and items["yunnan-2022"]["in_force"] == "shipped"
    assert items["yunnan-2022"]["status"] == "draft"
    result = runner.invoke(app, ["policy", "show", "longgang"])
    assert result.exit_code == 0 and "versions: shipped, 1*" in result.stdout
    assert "龙港市制造业节能改造行动方案" in result.stdout and "（附则 1）" not in result.stdout
    english = runner.invoke(app, ["policy", "show", "longgang", "--language", "en"])
    assert english.exit_code == 0
    assert "Longgang action plan for energy-saving retrofits in manufacturing" in english.stdout
    assert "3. Main tasks (1) 1. Identifying high-consumption enterprises precisely" in english.stdout
    assert "精准排摸高耗企业" not in english.stdout
    listed = runner.invoke(app, ["policy", "list", "--language", "en"])
    assert "Longgang action plan for energy-saving retrofits in manufacturing" in listed.stdout
    wrong = runner.invoke(app, ["policy", "list", "--language", "fr"])
    assert wrong.exit_code == 2 and "--language must be zh or en" in wrong.stderr


def test_cli_validate_names_line_and_field(tmp_path: Path) -> None:
    text = (packs_dir() / "longgang-2022.yaml").read_text(encoding="utf-8")
    broken = text.replace(
        "- {fact: annual_saving_tce, min: 30, min_inclusive: true,", "- {fact: annual_saving_tce, min: 30,", 1
    )
    line = next(n for n, row in enumerate(broken.splitlines(), start=1) if "{fact: annual_saving_tce, min: 30," in row)
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 2
    assert f"broken.yaml line {line}: rules[2].eligible.all[0].any[0]" in result.stderr
    assert "min_inclusive" in result.stderr


def test_cli_validate_bad_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("schema: dualcarbon.policy-pack/1\nid: x\n  title_zh: [\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 2 and "bad.yaml line 3" in result.stderr


def test_api_lists_and_shows(client: TestClient, world: Any) -> None:
    response = client.get("/api/v1/policy/packs", headers=world.auth("ent_a"))
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()]
    assert "longgang-2022" in ids and "fujian-2025" in ids
    response = client.get("/api/v1/policy/packs/longgang", headers=world.auth("ent_a"))
    body = response.json()
    assert response.status_code == 200 and body["id"] == "longgang-2022" and body["in_force"] == "shipped"
    assert {rule["key"] for rule in body["pack"]["rules"]} == {
        "pv",
        "storage",
        "retrofit",
        "emc",
        "loan",
        "green",
        "diagnosis",
    }
    assert client.get("/api/v1/policy/packs/atlantis", headers=world.auth("ent_a")).status_code == 404
    assert client.get("/api/v1/policy/packs/longgang?version=x", headers=world.auth("ent_a")).status_code == 422
    assert client.get("/api/v1/policy/packs").status_code == 401
    payload = {"pack": "longgang", "rule": "storage", "facts": {"discharge_kwh": 1000}}
    response = client.post("/api/v1/calc/subsidy", json=payload, headers=world.auth("ent_a"))
    assert response.status_code == 200 and response.json()["amount_yuan"] == 800  # 1000 kWh × 0.8 元
    payload["facts"] = {"discharge_kwh": -1}
    response = client.post("/api/v1/calc/subsidy", json=payload, headers=world.auth("ent_a"))
    assert response.status_code == 422 and response.json()["field"] == "facts.discharge_kwh"


def test_pack_in_force_follows_imports(store: Any, tmp_path: Path) -> None:
    with session_scope(store.engine) as session:
        assert service.pack_in_force(session, "longgang").incentive("storage").amount.rate == 0.8  # shipped
        service.import_file(session, ADMIN, _amended_longgang(tmp_path))
        assert service.pack_in_force(session, "longgang-2022").incentive("storage").amount.rate == 0.6


def test_simultaneous_imports_never_share_a_version(store: Any, tmp_path: Path) -> None:
    text = (packs_dir() / "longgang-2022.yaml").read_text(encoding="utf-8")
    paths = []
    for n in range(3):  # three different texts of one pack id
        path = tmp_path / f"v{n}.yaml"
        path.write_text(text.replace("rate: 0.8, rate_unit: 元/kWh", f"rate: 0.{n + 1}, rate_unit: 元/kWh"), "utf-8")
        paths.append(path)
    queue = list(paths)

    def act(session: Any) -> None:
        service.import_file(session, ADMIN, queue.pop())

    outcomes = race(store.engine, 3, act, lambda session: service._rows(session, "longgang-2022"))
    assert set(outcomes) <= {"ok", "Conflict"} and outcomes["ok"] >= 1
    with session_scope(store.engine, write=False) as session:
        versions = session.scalars(select(PolicyPackVersion.version).order_by(PolicyPackVersion.version)).all()
    # SQLite serialises the writers (each imports the next version); PostgreSQL lets losers fail with 409
    assert versions == list(range(1, outcomes["ok"] + 1))
