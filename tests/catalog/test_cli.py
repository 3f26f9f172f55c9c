"""``dualcarbon catalog …`` over the 云南 world (tests/catalog_fixtures.py) on SQLite and PostgreSQL.

The commands find the store through ``DUALCARBON_DATABASE_URL``; the data directory has no imported
reference tables, so the shipped ones are used (the same the world's reports were computed with).
"""

from __future__ import annotations

import getpass
import io
import re
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.store.db import DATA_DIR_ENV, DATABASE_URL_ENV, session_scope
from dualcarbon.store.models import AuditLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, credit_code, yunnan_fixture  # noqa: F401 - yunnan_fixture is "yunnan"

runner = CliRunner()


@pytest.fixture
def store(yunnan: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """The world, reachable by the CLI through the environment."""
    monkeypatch.setenv(DATABASE_URL_ENV, yunnan.url)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    return yunnan


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["catalog", *args])
    return result.exit_code, result.stdout, result.stderr


def generate(basis: str = "gb") -> int:
    code, out, err = cli("generate", "--region", "530100", "--edition", "2023", "--half", "2025-H1", "--basis", basis)
    assert code == 0, err
    found = re.search(r"catalog #(\d+)", out)
    assert found is not None, out
    return int(found.group(1))


def published() -> int:
    catalog_id = generate()
    code, _, err = cli("publish", str(catalog_id))
    assert code == 0, err
    return catalog_id


def test_generate_prints_the_id_and_counts_per_tier(store: World) -> None:
    code, out, _ = cli("generate", "--region", "530100", "--edition", "2023", "--half", "2025-H1", "--basis", "gb")
    assert code == 0
    # 昆明市 2024 approved reports A, B, C, D, E (P never approved, Q in 曲靖). 水泥熟料 GB grades 1级 100 /
    # 2级 107 / 3级 117 kgce/t: A 98 → 1级, B 107 → 2级, C 117 → 3级, D 118 → fails; E (捣固焦炉) → 3级.
    assert re.search(r"^generated catalog #\d+  530100 昆明市  2025-H1  edition 2023  basis gb", out, re.M)
    assert "draft 草稿" in out
    assert "inputs: 5 approved annual report(s) of 2024" in out
    for line in (
        "grade_1 1级: 1",
        "grade_2 2级: 1",
        "grade_3 3级: 2",
        "fails_limit 未达到3级限定值: 1",
        "total 合计: 5",
    ):
        assert f"  {line}\n" in out
    # Same key again: the draft is regenerated, not duplicated; --data-year picks another report year.
    # 0 entries: refused (exit 2, the count named) unless --allow-empty confirms it.
    code, out, err = cli("generate", "--region", "530100", "--half", "2025-H1", "--basis", "gb", "--data-year", "2019")
    assert code == 2 and "0 条" in err and "--allow-empty" in err
    code, out, _ = cli(
        "generate", "--region", "530100", "--half", "2025-H1", "--basis", "gb", "--data-year", "2019", "--allow-empty"
    )
    assert code == 0 and out.startswith("regenerated catalog #") and "total 合计: 0" in out


def test_policy_basis_is_the_default_and_lists_undetermined(store: World) -> None:
    code, out, _ = cli("generate", "--region", "530100", "--half", "2025-H1")
    assert code == 0 and "basis policy (标杆/基准水平（政策）)" in out
    # No 标杆/基准 for 水泥熟料 in the shipped table → A–D 无法判定; 捣固焦炉 110 < 120 ≤ 140 → between.
    assert "  between 介于标杆和基准之间: 1\n" in out and "  undetermined 无法判定: 4\n" in out
    catalog_id = int(re.findall(r"catalog #(\d+)", out)[0])
    assert "publishing needs --confirm-undetermined 4" in out
    code, out, _ = cli("show", str(catalog_id))
    assert code == 0
    assert out.count("参考数据行 BM2023-061（2023年版标杆/基准水平表）的标杆水平、基准水平为空") == 4
    assert "dualcarbon reference import FILE" in out
    # Publishing 4 undetermined entries needs their number, exactly.
    code, _, err = cli("publish", str(catalog_id))
    assert code == 2 and "4 条「无法判定」" in err and "--confirm-undetermined N" in err
    code, _, err = cli("publish", str(catalog_id), "--confirm-undetermined", "3")
    assert code == 2 and "不符" in err
    code, out, err = cli("publish", str(catalog_id), "--confirm-undetermined", "4")
    assert code == 0, err
    assert f"catalog #{catalog_id} published as issue 1 (第1期)" in out


def test_list_and_show(store: World) -> None:
    catalog_id = generate()
    code, out, err = cli("list", "--region", "530100")
    assert code == 0 and err.strip() == "1 of 1 catalog(s)"
    assert out.startswith(f"#{catalog_id}\t530100\t2025-H1\t2023\tgb\tdraft 草稿\tissue -\t5 entries")
    code, out, err = cli("list", "--region", "530300")
    assert code == 0 and out == "" and err.strip() == "0 of 0 catalog(s)"
    code, out, _ = cli("show", str(catalog_id))
    assert code == 0
    assert "snapshot hash: - (draft)" in out and "published: -" in out
    assert "reference versions: conversion_coefficients_gbt2589=" in out
    assert "  fails_limit 未达到3级限定值: 1\n" in out


def test_publish_show_verify_and_tampering(store: World) -> None:
    catalog_id = generate()
    code, out, _ = cli("publish", str(catalog_id))
    assert code == 0 and f"catalog #{catalog_id} published as issue 1 (第1期)" in out
    digest = re.search(r"snapshot hash: ([0-9a-f]{64})", out)
    assert digest is not None
    code, out, _ = cli("show", str(catalog_id))
    assert code == 0 and f"snapshot hash: {digest.group(1)}" in out and "published 已发布 issue 第1期" in out
    code, out, _ = cli("verify", str(catalog_id))
    assert code == 0 and f"reproduces: hash {digest.group(1)}, 5 entries re-classified" in out
    code, _, err = cli("publish", str(catalog_id))  # only a draft can be published: one line, exit 2
    assert code == 2 and err.count("\n") == 1 and "only a draft" in err
    with store.engine.begin() as connection:  # someone edits a published entry behind the service's back
        connection.execute(
            text("UPDATE catalog_entry SET tier = 'grade_1' WHERE catalog_id = :c AND value = 118"), {"c": catalog_id}
        )
    code, out, err = cli("verify", str(catalog_id))
    assert code == 1 and "does NOT reproduce" in err
    assert "stored grade_1, recomputed fails_limit" in out and "snapshot hash: stored" in out


def test_verify_of_a_draft_and_unknown_catalogs_fail_in_one_line(store: World) -> None:
    catalog_id = generate()
    code, out, err = cli("verify", str(catalog_id))
    assert code == 2 and out == "" and err.count("\n") == 1 and "is a draft" in err
    code, out, err = cli("show", "9999")
    assert code == 2 and out == "" and err.strip() == "error: catalog 9999 not found"
    code, _, err = cli("generate", "--region", "530100", "--half", "2025-H3")
    assert code == 2 and err.count("\n") == 1 and "half" in err


def test_diff_first_issue_then_against_an_explicit_catalog(store: World) -> None:
    first = published()
    code, out, _ = cli("diff", str(first))
    assert code == 0
    assert out.splitlines()[0] == (
        f"catalog #{first} against nothing (no previous issue): 5 added, 0 removed, 0 changed, 0 unchanged"
    )
    assert f"+ {credit_code('D')} 盘龙水泥丁有限公司  水泥熟料  118.0 kgce/t  fails_limit 未达到3级限定值" in out
    second = generate()  # a new draft of the same key, same inputs
    code, out, _ = cli("diff", str(second), "--against", str(first))
    assert code == 0 and out.strip() == (
        f"catalog #{second} against #{first}: 0 added, 0 removed, 0 changed, 5 unchanged"
    )


def test_export_writes_the_catalog_workbook(store: World, tmp_path: Path) -> None:
    catalog_id = published()
    out_file = tmp_path / "目录.xlsx"
    code, out, _ = cli("export", str(catalog_id), "-o", str(out_file))
    assert code == 0 and out.strip() == f"catalog #{catalog_id} written: {out_file}"
    book = load_workbook(io.BytesIO(out_file.read_bytes()), read_only=True)
    assert book.sheetnames == ["1级", "2级", "3级", "未达到3级限定值", "汇总", "参考数据说明"]
    code, _, err = cli("export", str(catalog_id), "-o", str(out_file))  # never overwrites silently
    assert code == 2 and "already exists" in err
    assert cli("export", str(catalog_id), "-o", str(out_file), "--force")[0] == 0
    code, _, err = cli("export", str(catalog_id), "-o", str(tmp_path / "x.csv"))
    assert code == 2 and ".xlsx" in err


def test_obligations_printed_and_exported(store: World, tmp_path: Path) -> None:
    code, out, err = cli("obligations", "--region", "530100", "--year", "2024", "--pack", "shanghai-baiyi-2022")
    assert code == 0 and err.strip() == "6 enterprise(s)"  # A–E and P (Q is in 曲靖)
    assert "沪经信节〔2022〕167号" in out.splitlines()[0] and "当量值" in out.splitlines()[0]
    lines = {line.split("\t")[1]: line.split("\t")[2:] for line in out.splitlines()[1:]}
    # A: 15,000 t 原煤 × 0.7143 = 10,714.5 tce ≥ 5,000 (audit) and ≥ 10,000 (energy-management centre).
    assert lines["五华水泥甲有限公司"] == ["10,714.5 tce", "能源审计(适用), 能源管理中心建设(适用)"]
    assert lines["盘龙水泥丁有限公司"] == ["714.3 tce", "无"]  # 1,000 t × 0.7143 = 714.3 tce: nothing
    assert (
        lines["五华水泥庚有限公司"][0] == "-" and "no approved annual report for 2024" in lines["五华水泥庚有限公司"][1]
    )
    out_file = tmp_path / "obligations.xlsx"
    code, out, _ = cli("obligations", "--region", "530100", "--year", "2024", "-o", str(out_file))
    assert code == 0 and out.strip() == f"obligations of 530100 for 2024 written: {out_file}"
    assert load_workbook(out_file, read_only=True).sheetnames == ["义务清单", "规则依据", "说明"]
    code, _, err = cli("obligations", "--region", "530100", "--year", "2024", "--pack", "nowhere")
    assert code == 2 and err.count("\n") == 1 and "no policy pack 'nowhere'" in err


def test_changes_are_audited_as_the_cli_user(store: World) -> None:
    catalog_id = published()
    with session_scope(store.engine) as session:
        rows = session.execute(
            select(AuditLog.action, AuditLog.actor).where(
                AuditLog.entity == "catalog", AuditLog.entity_id == str(catalog_id)
            )
        ).all()
    assert sorted(rows) == [
        ("catalog.generate", f"cli:{getpass.getuser()}"),
        ("catalog.publish", f"cli:{getpass.getuser()}"),
    ]
