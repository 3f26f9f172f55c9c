"""The catalog workbook: sheets, counts, reading it back, keep-going sheets, atomic output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from dualcarbon.assess.catalog import write_catalog
from dualcarbon.assess.example import example_path
from dualcarbon.assess.pipeline import assess_survey
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference import ReferenceSet
from dualcarbon.workbooks import catalog as catalog_writer

GB_SHEETS = ["1级", "2级", "3级", "未达到3级限定值"]
POLICY_SHEETS = ["能效标杆水平以上", "介于标杆和基准之间", "能效基准水平以下"]


def test_gb_catalog_of_the_example(tmp_path: Path, reference: ReferenceSet) -> None:
    result = assess_survey(example_path(), reference, basis="gb")
    target = tmp_path / "catalog.xlsx"
    write_catalog(result, target)
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == ["汇总", *GB_SHEETS, "参考数据说明"]
    counts = result.tier_counts()
    for tier, name in zip(["grade_1", "grade_2", "grade_3", "fails_limit"], GB_SHEETS, strict=True):
        frame = pl.read_excel(target, sheet_name=name)  # calamine reads the spliced rows
        assert frame.height == counts[tier]
        assert set(frame["能效水平"]) == {name}
        assert frame["原表行号"].is_sorted()
    first = pl.read_excel(target, sheet_name="1级")
    assert {"统一社会信用代码", "与1级差距", "达到3级限定值需节能量(tce/年)", "参考行"} <= set(first.columns)
    # openpyxl reads the same cells (cells are written without references, in order)
    sheet = openpyxl.load_workbook(target)["1级"]
    header = [c.value for c in sheet[1]]
    values = [c.value for c in sheet[2]]
    assert len(values) == len(header) and values[header.index("能效水平")] == "1级"
    summary = [row for row in openpyxl.load_workbook(target)["汇总"].iter_rows(values_only=True) if any(row)]
    assert any(row[0] == "按行政区划" for row in summary)
    reference_text = " ".join(
        str(v)
        for row in openpyxl.load_workbook(target)["参考数据说明"].iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    assert "BM2023-061" in reference_text and "GB 限额标准的等级值不是政策文件的标杆水平" in reference_text


def test_policy_basis_refuses_then_keeps_going(tmp_path: Path, reference: ReferenceSet) -> None:
    result = assess_survey(example_path(), reference, basis="policy")
    target = tmp_path / "catalog.xlsx"
    with pytest.raises(InvalidInput, match="nothing written"):
        write_catalog(result, target)
    assert not target.exists()
    write_catalog(result, target, keep_going=True)
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == ["汇总", *POLICY_SHEETS, "无法判定", "参考数据说明"]
    undetermined = pl.read_excel(target, sheet_name="无法判定")
    assert undetermined.height == result.undetermined.height > 0
    assert undetermined["无法判定原因"].str.contains("dualcarbon reference import").all()
    text = " ".join(str(v) for row in book["参考数据说明"].iter_rows(values_only=True) for v in row if v)
    # the three policy rows with values come from a third-party demo pack: the catalog says so
    assert "未经核实" in text


def test_issues_sheet_with_keep_going(
    tmp_path: Path,
    write_csv: Callable[..., Path],
    survey_row: Callable[..., dict[str, Any]],
    credit_code: Callable[..., str],
    reference: ReferenceSet,
) -> None:
    path = write_csv([survey_row(), survey_row(credit_code=credit_code(2), output=-1)])
    result = assess_survey(path, reference, basis="gb")
    target = tmp_path / "catalog.xlsx"
    write_catalog(result, target, keep_going=True)
    issues = pl.read_excel(target, sheet_name="校验问题")
    assert issues.rows() == [(3, "产量", "不能为负数")]
    assert pl.read_excel(target, sheet_name="2级").height == 1


def test_output_is_atomic(tmp_path: Path, reference: ReferenceSet, monkeypatch: pytest.MonkeyPatch) -> None:
    result = assess_survey(example_path(), reference, basis="gb")
    target = tmp_path / "catalog.xlsx"
    target.write_bytes(b"previous catalog")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(catalog_writer, "splice", broken)  # fails after the workbook is made
    with pytest.raises(OSError, match="disk full"):
        write_catalog(result, target)
    assert target.read_bytes() == b"previous catalog"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.xlsx"]  # no temporary files left
