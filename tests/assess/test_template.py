"""The survey template: sheets, headers, drop-downs, and the round trip template → fill → assess."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from dualcarbon.assess.catalog import write_catalog
from dualcarbon.assess.columns import SURVEY_COLUMNS
from dualcarbon.assess.pipeline import assess_survey
from dualcarbon.assess.template import EXAMPLE_ROW, write_survey_workbook
from dualcarbon.domain.identifiers import make_credit_code, validate_credit_code
from dualcarbon.reference import ReferenceSet


def test_template_layout(tmp_path: Path, reference: ReferenceSet) -> None:
    path = tmp_path / "survey.xlsx"
    write_survey_workbook(path, reference)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["填表说明", "企业能效调查情况表", "产品名称对照"]
    data = book["企业能效调查情况表"]
    assert [c.value for c in data[1]] == [c.header for c in SURVEY_COLUMNS]
    assert data.max_row == 1  # no data rows: the example sits on the instructions sheet
    validations = {str(v.sqref).split(":")[0][:1]: v for v in data.data_validations.dataValidation}
    assert validations["D"].formula1.startswith("'产品名称对照'!$H$2")  # 重点领域 from the product sheet
    assert "万吨" in validations["H"].formula1  # 产量单位 list
    products = pl.read_excel(path, sheet_name="产品名称对照")
    assert {"电石", "铁合金", "炼铁"} <= set(products["重点领域"].drop_nulls())
    assert "高炉" in " ".join(products["可识别的简称"].drop_nulls())
    instructions = " ".join(str(c) for row in book["填表说明"].iter_rows(values_only=True) for c in row if c)
    assert "统一社会信用代码" in instructions and EXAMPLE_ROW["credit_code"] in instructions
    assert validate_credit_code(str(EXAMPLE_ROW["credit_code"]))


def test_round_trip(tmp_path: Path, reference: ReferenceSet) -> None:
    template = tmp_path / "survey.xlsx"
    write_survey_workbook(template, reference)
    book = openpyxl.load_workbook(template)
    sheet = book["企业能效调查情况表"]
    columns = [c.key for c in SURVEY_COLUMNS]
    filled = [
        # 水泥熟料 98 kgce/t → 1级 (≤ 100)
        {
            "credit_code": make_credit_code("91329901000000001"),
            "name": "示例甲",
            "region": "329901",
            "field": "水泥熟料",
            "product": "熟料",
            "indicator": "熟料单位产品综合能耗",
            "output": 500000,
            "output_unit": "吨",
            "value": 98,
            "value_unit": "kgce/t",
        },
        # 电石 3,100 kWh/t → 3级 (3080 < 3100 ≤ 3200); to 1级 100 × 100,000 t × 0.1229 / 1000 = 1,229 tce
        {
            "credit_code": make_credit_code("91329902000000002"),
            "name": "示例乙",
            "region": "329902",
            "field": "电石",
            "product": "电石",
            "output": 10,
            "output_unit": "万吨",
            "value": 3100,
            "value_unit": "kWh/t",
        },
        # 转炉 −29 kgce/t → 2级 (−30 < −29 ≤ −28)
        {
            "credit_code": make_credit_code("91329903000000003"),
            "name": "示例丙",
            "region": "329903",
            "field": "炼钢",
            "product": "转炉",
            "output": 2000000,
            "output_unit": "吨",
            "value": -29,
            "value_unit": "kgce/t",
        },
    ]
    for r, record in enumerate(filled, start=2):
        for c, key in enumerate(columns, start=1):
            if key in record:
                sheet.cell(row=r, column=c, value=record[key])
    book.save(template)
    result = assess_survey(template, reference, basis="gb")
    assert result.issues == []
    tiers = dict(zip(result.classified["_row"], result.classified["tier"], strict=True))
    assert tiers == {2: "grade_1", 3: "grade_3", 4: "grade_2"}
    saving = result.classified.filter(pl.col("_row") == 3)["saving_upper_tce"].item()
    assert saving == pytest.approx(1229)
    write_catalog(result, tmp_path / "catalog.xlsx")
    assert pl.read_excel(tmp_path / "catalog.xlsx", sheet_name="3级")["企业名称"].to_list() == ["示例乙"]


def test_template_is_deterministic(tmp_path: Path, reference: ReferenceSet) -> None:
    write_survey_workbook(tmp_path / "a.xlsx", reference)
    write_survey_workbook(tmp_path / "b.xlsx", reference)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
