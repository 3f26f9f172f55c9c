"""`dualcarbon template assess` and `dualcarbon assess` (cli/assess_cmd.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()


def test_template_command(tmp_path: Path) -> None:
    target = tmp_path / "survey.xlsx"
    result = runner.invoke(app, ["template", "assess", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "企业能效调查情况表" in openpyxl.load_workbook(target).sheetnames


def test_assess_example_gb(tmp_path: Path) -> None:
    target = tmp_path / "catalog.xlsx"
    result = runner.invoke(app, ["assess", "--example", "--basis", "gb", "-o", str(target), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "1级" in result.output
    assert openpyxl.load_workbook(target, read_only=True).sheetnames[0] == "汇总"


def test_assess_policy_blocks_without_keep_going(tmp_path: Path) -> None:
    target = tmp_path / "catalog.xlsx"
    result = runner.invoke(app, ["assess", "--example", "-o", str(target)])
    assert result.exit_code == 2
    assert "nothing written" in result.output and "dualcarbon reference import" in result.output
    assert not target.exists()
    kept = runner.invoke(app, ["assess", "--example", "-o", str(target), "--keep-going"])
    assert kept.exit_code == 0 and target.exists()


def test_assess_reports_problems(
    tmp_path: Path, write_csv: Callable[..., Path], survey_row: Callable[..., dict[str, Any]]
) -> None:
    path = write_csv([survey_row(region="32050")])
    result = runner.invoke(app, ["assess", str(path), "--basis", "gb"])
    assert result.exit_code == 2
    assert "行政区划代码" in result.output and "6 digits" in result.output


def test_assess_bad_arguments(tmp_path: Path) -> None:
    assert runner.invoke(app, ["assess"]).exit_code == 2
    missing = runner.invoke(app, ["assess", str(tmp_path / "nope.xlsx")])
    assert missing.exit_code == 2 and "file not found" in missing.output
    wrong = runner.invoke(app, ["assess", "--example", "--basis", "both"])
    assert wrong.exit_code == 2 and "--basis" in wrong.output
    text = tmp_path / "survey.txt"
    text.write_text("x")
    assert "must be .xlsx or .csv" in runner.invoke(app, ["assess", str(text)]).output


def test_policy_basis_after_an_import(
    tmp_path: Path,
    write_csv: Callable[..., Path],
    survey_row: Callable[..., dict[str, Any]],
    credit_code: Callable[..., str],
) -> None:
    # Test input only: the W18 worked-example values (标杆 100, 基准 117 kgce/t) imported for BM2023-061,
    # standing in for the official 723号 numbers an administrator would import.
    policy = tmp_path / "policy.csv"
    policy.write_text(
        "row_id,benchmark_标杆水平,baseline_基准水平,policy_value_source,policy_value_confidence\n"
        "BM2023-061,100,117,test fixture (W18 worked example),uncertain: test values\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    imported = runner.invoke(app, ["reference", "import", str(policy), "--data-dir", str(data_dir)])
    assert imported.exit_code == 0, imported.output
    survey = write_csv([survey_row(credit_code=credit_code(n), value=v) for n, v in ((1, 98), (2, 110), (3, 120))])
    target = tmp_path / "catalog.xlsx"
    result = runner.invoke(app, ["assess", str(survey), "-o", str(target), "--data-dir", str(data_dir), "-q"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(target, read_only=True)
    counts = {name: book[name].max_row - 1 for name in ("能效标杆水平以上", "介于标杆和基准之间", "能效基准水平以下")}
    assert counts == {"能效标杆水平以上": 1, "介于标杆和基准之间": 1, "能效基准水平以下": 1}  # 98 / 110 / 120
    notes = " ".join(str(v) for row in book["参考数据说明"].iter_rows(values_only=True) for v in row if v)
    assert "未经核实" in notes
