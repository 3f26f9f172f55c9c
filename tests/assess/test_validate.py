"""Validation of surveys: every problem with row (Excel numbering), column (Chinese header), reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.assess.pipeline import assess_survey
from dualcarbon.core.errors import InvalidInput
from dualcarbon.reference import ReferenceSet

MakeCsv = Callable[..., Path]
Row = Callable[..., dict[str, Any]]


def problems(path: Path, reference: ReferenceSet, basis: str = "gb") -> list[tuple[int, str, str]]:
    result = assess_survey(path, reference, basis=basis)  # type: ignore[arg-type]
    return [(i.row, i.column, i.reason) for i in result.issues]


def test_clean_survey_has_no_issues(write_csv: MakeCsv, survey_row: Row, reference: ReferenceSet) -> None:
    result = assess_survey(write_csv([survey_row()]), reference, basis="gb")
    assert result.issues == [] and result.classified.height == 1
    # 105 kgce/t against 水泥熟料 grades 100/107/117 → 2级
    assert result.classified["tier"].to_list() == ["grade_2"]


def test_each_problem_names_row_and_column(
    write_csv: MakeCsv, survey_row: Row, credit_code: Callable[..., str], reference: ReferenceSet
) -> None:
    good = credit_code(1)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        survey_row(credit_code=wrong_check),  # row 2
        survey_row(credit_code=credit_code(3), region="990101"),  # row 3: no province 99
        survey_row(credit_code=credit_code(4), output=-5),  # row 4
        survey_row(credit_code=credit_code(5), value="abc"),  # row 5
        survey_row(credit_code=credit_code(6), product="水泥熟料块"),  # row 6: unknown product
        survey_row(credit_code=credit_code(7), output_unit="重量箱"),  # row 7: not tonnes
        survey_row(
            credit_code=credit_code(8), field="炼铁", product="高炉", indicator=None, value_unit="kWh/t"
        ),  # row 8: 高炉 has no kWh/t indicator
        survey_row(credit_code=credit_code(9), value=None),  # row 9: nothing to compute from
        survey_row(credit_code=credit_code(10)),  # row 10
        survey_row(credit_code=credit_code(10)),  # row 11: duplicate of row 10
        survey_row(credit_code=credit_code(12), name=None),  # row 12
    ]
    found = problems(write_csv(rows), reference)
    by_row = {r: (c, t) for r, c, t in found}
    expected_check = good[17]
    assert by_row[2][0] == "统一社会信用代码" and f"expected '{expected_check}'" in by_row[2][1]
    assert by_row[3][0] == "行政区划代码" and "99" in by_row[3][1]
    assert by_row[4] == ("产量", "不能为负数")
    assert by_row[5] == ("单位产品能耗", "不是数字：'abc'")
    assert by_row[6][0] == "产品或工序" and "熟料单位产品综合能耗" not in by_row[6][1] and "水泥熟料" in by_row[6][1]
    assert by_row[7][0] == "产量单位" and "重量箱" in by_row[7][1]
    assert by_row[8][0] == "能耗单位" and "kWh/t" in by_row[8][1]
    assert by_row[9][0] == "单位产品能耗" and "为空" in by_row[9][1]
    assert 10 not in by_row
    assert by_row[11][0] == "产品或工序" and "与第10行重复" in by_row[11][1]
    assert by_row[12] == ("企业名称", "必填项为空")
    assert [r for r, _, _ in found] == sorted(r for r, _, _ in found)


def test_blank_lines_keep_excel_numbering(write_csv: MakeCsv, survey_row: Row, reference: ReferenceSet) -> None:
    empty: dict[str, Any] = {}
    rows = [survey_row(), empty, survey_row(credit_code="bad")]  # the bad row is line 4 of the file
    assert [(r, c) for r, c, _ in problems(write_csv(rows), reference)] == [(4, "统一社会信用代码")]


def test_missing_required_header(write_csv: MakeCsv, survey_row: Row, reference: ReferenceSet) -> None:
    path = write_csv([survey_row()], headers=["统一社会信用代码", "企业名称"])
    with pytest.raises(InvalidInput, match="行政区划代码"):
        assess_survey(path, reference)


def test_derived_unit_consumption(
    write_csv: MakeCsv, survey_row: Row, credit_code: Callable[..., str], reference: ReferenceSet
) -> None:
    def derived(**values: Any) -> dict[str, Any]:
        """A row of 10,000 t output without a reported unit consumption: the assessment derives it."""
        return survey_row(indicator=None, output=10_000, value=None, **values)

    rows = [
        # 综合能耗 1,000 tce / 10,000 t = 100 kgce/t → 硅铁 综合能耗 grade 1级 1700? No: 100 ≤ 1700 → 1级
        derived(field="铁合金", product="硅铁", value_unit="kgce/t", comprehensive_tce=1000),
        # 1,000 t 原煤 × 0.7143 kgce/kg = 714,300 kgce; 100 万kWh × 0.1229 kgce/kWh = 122,900 kgce;
        # (714,300 + 122,900) kgce / 10,000 t = 83.72 kgce/t
        derived(
            credit_code=credit_code(2),
            field="铁合金",
            product="硅铁",
            value_unit="kgce/t",
            raw_coal=1000,
            electricity=100,
        ),
        # 电石 电炉电耗: 3,100 万kWh = 31,000,000 kWh / 10,000 t = 3,100 kWh/t
        derived(credit_code=credit_code(3), field="电石", product="电石", value_unit="kWh/t", electricity=3100),
    ]
    result = assess_survey(write_csv(rows), reference, basis="gb")
    assert result.issues == []
    values = dict(zip(result.classified["_row"], result.classified["value_r"], strict=True))
    assert values[2] == pytest.approx(100)
    assert values[3] == pytest.approx(83.72)
    assert values[4] == pytest.approx(3100)
    sources = dict(zip(result.classified["_row"], result.classified["value_source"], strict=True))
    assert sources[2] == "由综合能耗计算" and "CC-002" in sources[3] and "CC-036" in sources[3]
    assert {use.row_id for use in result.coefficients} == {"CC-002", "CC-036"}


def test_csv_in_gb18030_and_number_spellings(tmp_path: Path, survey_row: Row, reference: ReferenceSet) -> None:
    record = survey_row(output="1,000,000", value=" １０５ ")
    from dualcarbon.assess.columns import SURVEY_COLUMNS

    lines = [",".join(c.header for c in SURVEY_COLUMNS)]
    lines.append(
        ",".join(f'"{record.get(c.key, "")}"' if record.get(c.key) is not None else "" for c in SURVEY_COLUMNS)
    )
    path = tmp_path / "gbk.csv"
    path.write_bytes("\n".join(lines).encode("gb18030"))
    result = assess_survey(path, reference, basis="gb")
    assert result.issues == []
    assert result.classified["output"].to_list() == [1_000_000] and result.classified["value_r"].to_list() == [105]


def test_xlsx_cells_of_the_wrong_type(
    tmp_path: Path, survey_row: Row, credit_code: Callable[..., str], reference: ReferenceSet
) -> None:
    import xlsxwriter

    from dualcarbon.assess.columns import SURVEY_COLUMNS

    path = tmp_path / "survey.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("企业能效调查情况表")
    # headers in another spelling (full-width brackets, spaces): recognised all the same
    headers = [c.header.replace("(", "（").replace(")", "）") for c in SURVEY_COLUMNS]
    headers[0] = " 统一社会信用代码 "
    sheet.write_row(0, 0, headers)
    rows = [
        survey_row(region=329901),  # region typed as a number
        survey_row(credit_code=credit_code(2), output="12,000", value="abc"),  # text in number cells
        survey_row(credit_code=credit_code(3), comprehensive_tce="n/a", value=None),
    ]
    for r, record in enumerate(rows, start=1):
        sheet.write_row(r, 0, [record.get(c.key) for c in SURVEY_COLUMNS])
    book.close()
    found = problems(path, reference)
    assert (3, "单位产品能耗", "不是数字：'abc'") in found
    assert (4, "综合能耗(tce)", "不是数字：'n/a'") in found
    assert {r for r, _, _ in found} == {3, 4}  # row 2 (numeric region) and 12,000 are fine
