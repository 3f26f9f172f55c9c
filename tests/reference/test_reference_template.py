"""`dualcarbon reference template TABLE -o FILE`: the fill-in workbook, importable back as is.

The values typed into the template (91.5, 104 …) are placeholders for the test, not real policy values.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner, Result

from dualcarbon.app.cli import app
from dualcarbon.reference import ReferenceSet, shipped_reference
from dualcarbon.reference.catalogue import blank_rows
from dualcarbon.workbooks.reference_template import HEADER_ROW, SHEET, template_csv

runner = CliRunner()
WIDE = {"COLUMNS": "250", "DUALCARBON_DATA_DIR": ""}
TABLE = "efficiency_benchmarks_2023"
PLACEHOLDER = "TEST FIXTURE placeholder, not a real value"


def cli(*args: str) -> Result:
    return runner.invoke(app, ["reference", *args], env=WIDE)


def _fill(path: Path, values: dict[str, tuple[str, str]]) -> None:
    """Type 标杆/基准 and their source and confidence into the template rows of ``values`` (as a person would)."""
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    header = [cell.value for cell in sheet[HEADER_ROW + 1]]
    col = {name: header.index(name) + 1 for name in header if name}
    filled = 0
    for row in sheet.iter_rows(min_row=HEADER_ROW + 2):
        row_id = row[0].value
        if row_id in values:
            benchmark, baseline = values[row_id]
            number = row[0].row
            sheet.cell(number, col["benchmark_标杆水平"], float(benchmark))  # typed as numbers
            sheet.cell(number, col["baseline_基准水平"], float(baseline))
            sheet.cell(number, col["policy_value_source"], PLACEHOLDER)
            sheet.cell(number, col["policy_value_confidence"], "uncertain: test")
            filled += 1
    assert filled == len(values)
    book.save(path)


def test_template_has_every_row_and_imports_back(tmp_path: Path) -> None:
    data_dir, target = tmp_path / "data", tmp_path / "bm2023.xlsx"
    shipped = shipped_reference()
    result = cli("template", TABLE, "-o", str(target), "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    rows = shipped.tables[TABLE].rows
    assert f"({len(rows)} rows of {TABLE}; {len(blank_rows(shipped, TABLE))} with blank values" in result.output

    sheet = openpyxl.load_workbook(target)[SHEET]
    assert sheet.cell(1, 1).value == f"{TABLE} 参考数据填写表"  # the title
    header = [cell.value for cell in sheet[HEADER_ROW + 1]]
    assert header[:6] == ["row_id", "sector", "field_重点领域", "product_or_process", "indicator", "unit"]
    assert header[6:] == ["benchmark_标杆水平", "baseline_基准水平", "policy_value_source", "policy_value_confidence"]
    body = list(sheet.iter_rows(min_row=HEADER_ROW + 2, values_only=True))
    assert [r[0] for r in body] == [r["row_id"] for r in rows]  # every row, in table order
    first = next(r for r in body if r[0] == "BM2023-061")
    assert first[2:6] == ("水泥熟料", "水泥熟料", "熟料单位产品综合能耗", "kgce/t")
    assert first[6] in (None, "") and first[7] in (None, "")  # blank in the shipped data: blank in the template

    # as written, the template validates (nothing filled in is nothing wrong)
    assert cli("validate", str(target)).exit_code == 0

    _fill(target, {"BM2023-061": ("91.5", "104"), "BM2023-022": ("300", "315")})
    csv_text = template_csv(target).decode("utf-8")
    assert ",91.5,104," in csv_text and ",300,315," in csv_text  # typed numbers come back as written
    imported = cli("import", str(target), "--data-dir", str(data_dir), "--note", "test")
    assert imported.exit_code == 0, imported.output
    assert "imported bm2023.xlsx into efficiency_benchmarks_2023 as version" in imported.output

    active = ReferenceSet(data_dir)
    clinker, caustic = active.benchmark_row("BM2023-061"), active.benchmark_row("BM2023-022")
    assert (clinker.benchmark, clinker.baseline) == (91.5, 104)
    assert (caustic.benchmark, caustic.baseline) == (300, 315)
    assert clinker.policy_provenance.source == PLACEHOLDER
    assert clinker.policy_provenance.version == active.versions()[TABLE]  # the imported version is active
    # the GB 16780 grades the template did not touch stay as shipped (100 / 107 / 117)
    assert (clinker.grade_1, clinker.grade_2, clinker.grade_3) == (100, 107, 117)
    assert len(blank_rows(active, TABLE)) == len(blank_rows(shipped, TABLE)) - 2


def test_filled_value_without_source_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    assert cli("template", TABLE, "-o", str(target)).exit_code == 0
    book = openpyxl.load_workbook(target)
    sheet = book[SHEET]
    sheet.cell(HEADER_ROW + 2, 7, 90.0)  # a 标杆 value with no source or confidence
    book.save(target)
    result = cli("import", str(target), "--data-dir", str(tmp_path / "data"))
    assert result.exit_code == 2
    assert "policy_value_source" in result.output and "nothing imported" in result.output
    assert not (tmp_path / "data" / "reference").exists()


def test_template_needs_xlsx_name(tmp_path: Path) -> None:
    result = cli("template", TABLE, "-o", str(tmp_path / "t.csv"))
    assert result.exit_code == 2 and ".xlsx" in result.output
