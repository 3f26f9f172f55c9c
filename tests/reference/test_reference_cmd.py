"""`dualcarbon reference list|show|validate|import|versions|activate|policies`.

The values written into fixture files are placeholders for the test, not real policy values.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from dualcarbon.app.cli import app
from dualcarbon.reference import ReferenceSet

runner = CliRunner()
WIDE = {"COLUMNS": "250", "DUALCARBON_DATA_DIR": ""}
HEADER = "row_id,benchmark_标杆水平,baseline_基准水平,policy_value_source,policy_value_confidence\n"


def cli(*args: str) -> Result:
    return runner.invoke(app, ["reference", *args], env=WIDE)


def test_list_tables() -> None:
    result = cli("list")
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "efficiency_benchmarks_2023" in line)
    # 142 rows, 139 with blank policy values, none verified, shipped (reference README)
    assert ["142", "139", "142", "shipped"] == [cell.strip() for cell in line.split("│")[2:6]]


def test_list_one_table_and_carriers() -> None:
    result = cli("list", "efficiency_benchmarks_2023")
    assert result.exit_code == 0 and "BM2023-061" in result.stdout and "水泥熟料" in result.stdout
    result = cli("list", "carriers")
    assert result.exit_code == 0 and "electricity" in result.stdout and "电力" in result.stdout
    result = cli("list", "nonsense")
    assert result.exit_code == 2 and "unknown table 'nonsense'" in result.stderr


def test_show_rows() -> None:
    result = cli("show", "BM2023-061")
    assert result.exit_code == 0
    assert "GB 16780-2021" in result.stdout and "version shipped" in result.stdout
    assert "benchmark_标杆水平, baseline_基准水平: NOT verified (values blank)" in result.stdout
    result = cli("show", "CC-036")
    assert result.exit_code == 0 and "0.1229" in result.stdout and "confidence" in result.stdout
    result = cli("show", "GRID-019")
    assert result.exit_code == 0 and "grid_emission_factors" in result.stdout
    result = cli("show", "电力")
    assert result.exit_code == 0 and "conversion coefficient: CC-036" in result.stdout
    result = cli("show", "NOPE-9")
    assert result.exit_code == 2 and result.stderr.startswith("error: id: no reference row 'NOPE-9'")


def test_validate_good_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "BM2023-061,90,110,TEST placeholder,uncertain: test\n", encoding="utf-8")
    result = cli("validate", str(good))
    assert result.exit_code == 0 and "OK: no problems" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "BM2023-061,120,110,,\nBM2023-061,x,1,s,uncertain: t\n", encoding="utf-8")
    result = cli("validate", str(bad))
    assert result.exit_code == 2
    assert "benchmark 120 should be ≤ baseline 110" in result.stdout
    assert "duplicate row id (also row 2)" in result.stdout
    assert "policy_value_source" in result.stdout
    assert result.stderr.startswith("error: bad.csv: 5 problem(s)")


def test_import_versions_show_and_activate(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = tmp_path / "bm.csv"
    path.write_text(HEADER + "BM2023-061,90,110,TEST placeholder,uncertain: test\n", encoding="utf-8")
    result = cli("import", str(path), "--note", "test import", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.stderr
    version = result.stdout.split("as version ")[1].split()[0]
    assert ReferenceSet(data_dir).benchmark_row("BM2023-061").policy_provenance.version == version
    again = cli("import", str(path), "--data-dir", str(data_dir))
    assert again.exit_code == 0 and f"unchanged: identical to version {version}" in again.stdout
    listed = cli("versions", "efficiency_benchmarks_2023", "--data-dir", str(data_dir))
    assert version in listed.stdout and "test import" in listed.stdout
    shown = cli("show", "BM2023-061", "--data-dir", str(data_dir))
    assert f"version: {version}" in shown.stdout and "TEST placeholder" in shown.stdout
    result = cli("activate", "efficiency_benchmarks_2023", "shipped", "--data-dir", str(data_dir))
    assert result.exit_code == 0 and version in result.stdout
    assert ReferenceSet(data_dir).benchmark_row("BM2023-061").benchmark is None
    manifest = json.loads((data_dir / "reference" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["efficiency_benchmarks_2023"][0]["active"] is False


def test_import_of_bad_file_leaves_no_trace(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "BM2023-061,abc,110,s,uncertain: t\n", encoding="utf-8")
    result = cli("import", str(path), "--data-dir", str(data_dir))
    assert result.exit_code == 2 and "'abc' is not a number" in result.stdout
    assert not data_dir.exists()


def test_policies() -> None:
    result = cli("policies")
    assert result.exit_code == 0 and "shanghai-baiyi-2022" in result.stdout and "沪经信节〔2022〕167号" in result.stdout
    result = cli("policies", "shanghai-baiyi-2022")
    assert result.exit_code == 0 and "5000 tce/a ≤ annual_energy_tce" in result.stdout
