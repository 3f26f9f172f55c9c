"""Simultaneous publishes of one study (one wins, the others get Conflict = 409), recompute after a factor
import, and ``dualcarbon footprint compute|show|list|publish`` on the world store (both stores)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.footprint import service
from dualcarbon.footprint.models import FootprintStudy
from dualcarbon.footprint.schemas import MaterialLine, StudyIn, VersionIn
from dualcarbon.reference.tables import shipped_reference
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV, session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: race_helpers (importlib mode)
sys.path.insert(0, str(Path(__file__).resolve().parent))  # footprint_helpers
from footprint_helpers import approved_report, import_steel_factor, who

from race_helpers import race

N = 3
runner = CliRunner()


def _spec(world: Any) -> StudyIn:
    return StudyIn(
        credit_code=world.codes["b"],
        year=2024,
        product="产品甲",
        materials=[MaterialLine(material="钢材", quantity=500, unit="t")],
    )


def test_simultaneous_publishes_one_wins(world: Any, tmp_path: Path) -> None:
    approved_report(world)
    reference = import_steel_factor(tmp_path / "data")
    with session_scope(world.engine) as session:
        study_id = service.create_study(session, who(session, "ent_b"), _spec(world), reference=reference).id

    def prepare(session: Session) -> object:
        return session.get(FootprintStudy, study_id)

    def act(session: Session) -> None:
        service.publish(session, who(session, "longwan"), study_id, VersionIn(lock_version=0))

    assert race(world.engine, N, act, prepare) == {"ok": 1, "Conflict": N - 1}
    with session_scope(world.engine, write=False) as session:
        audited = session.scalars(select(AuditLog).where(AuditLog.action == "footprint.publish")).all()
        assert len(audited) == 1


def test_recompute_after_the_factor_is_imported(world: Any, tmp_path: Path) -> None:
    approved_report(world)
    with session_scope(world.engine) as session:
        draft = service.create_study(session, who(session, "ent_b"), _spec(world), reference=shipped_reference())
    # shipped: 钢材 blank → no total; the allocated part alone: 0.6 × 1,100 = 660 tCO₂ (no process entered)
    assert draft.total_tco2e is None and draft.result.known_tco2e == pytest.approx(660.0)
    reference = import_steel_factor(tmp_path / "data")
    with session_scope(world.engine) as session:
        again = service.recompute(
            session, who(session, "ent_b"), draft.id, VersionIn(lock_version=0), reference=reference
        )
    # 660 + 500 t × 2,000 kg/t ÷ 1,000 = 660 + 1,000 = 1,660 tCO₂e
    assert again.total_tco2e == pytest.approx(1660.0) and again.lock_version == 1 and again.complete


def test_cli_compute_show_list_publish(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    approved_report(world)
    data_dir = tmp_path / "data"
    import_steel_factor(data_dir)
    monkeypatch.setenv(DATABASE_URL_ENV, world.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    bill = tmp_path / "bill.csv"
    with bill.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["材料", "数量", "单位"], ["钢材", "250", "t"], ["", "", ""]])
    code = world.codes["b"]
    args = ["footprint", "compute", "--enterprise", code, "--product", "产品乙", "--year", "2024"]
    made = runner.invoke(app, [*args, "--materials", str(bill), "--json"])
    assert made.exit_code == 0, made.output
    got = json.loads(made.stdout)
    # 0.4 × 1,100 = 440 tCO₂ allocated + 250 t × 2,000 kg/t ÷ 1,000 = 500 → 940 tCO₂e; 940 / 400 t = 2.35 tCO₂e/t
    assert got["total_tco2e"] == pytest.approx(940.0) and got["per_unit_tco2e"] == pytest.approx(2.35)
    shown = runner.invoke(app, ["footprint", "show", str(got["id"])])
    assert shown.exit_code == 0 and "940.0000 tCO2e" in shown.stdout and "material\t钢材\t500.0000" in shown.stdout
    listed = runner.invoke(app, ["footprint", "list", "--enterprise", code])
    assert f"#{got['id']}\t{code}\t产品乙\t2024\t940.0000 tCO2e\t草稿" in listed.stdout
    done = runner.invoke(app, ["footprint", "publish", str(got["id"]), "--lock-version", "0"])
    assert done.exit_code == 0 and "published (940.0000 tCO2e)" in done.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("material,quantity,unit\n钢材,-5,t\n", encoding="utf-8")
    refused = runner.invoke(app, [*args, "--materials", str(bad)])
    assert refused.exit_code == 2 and "bad.csv row 2, column quantity" in refused.output
    no_header = tmp_path / "none.csv"
    no_header.write_text("name,amount\n钢材,5\n", encoding="utf-8")
    refused = runner.invoke(app, [*args, "--materials", str(no_header)])
    assert refused.exit_code == 2 and "lacks material, quantity, unit" in refused.output
