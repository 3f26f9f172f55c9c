"""Reference values cited as a person would: document or standard, annex or table — never our remarks."""

from __future__ import annotations

import pytest

from dualcarbon.reference import shipped_reference
from dualcarbon.reference.citation import benchmark_citations, document_citation, row_citation, standard_citation


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("GB 16780-2021 水泥单位产品能源消耗限额", "GB 16780-2021《水泥单位产品能源消耗限额》"),
        (
            "GB 36889-2025 化学纤维单位产品能源消耗限额（代替GB 36889-2018）",
            "GB 36889-2025《化学纤维单位产品能源消耗限额》",
        ),
        ("GB/T 2589 附录A (per P2)", "GB/T 2589 附录A"),
        ("GB/T 2589-2008 附录B (耗能工质; attribution from an audit)", "GB/T 2589-2008 附录B"),
        ("GB/T 32151.22-2024 附录 C", "GB/T 32151.22-2024 附录C"),
        ("T/CISA 416-2024 (steel sector group standard, not GB/T 2589)", "T/CISA 416-2024"),
        ("GB/T 2589: 等价值 = 上年度供电标准煤耗 - method only", "GB/T 2589"),  # our note is no title
        ("statistical reference table", ""),  # names no standard: nothing invented
        ("limit standard not identified in our sources", ""),
    ],
)
def test_standard_citation(text: str, cited: str) -> None:
    assert standard_citation(text) == cited


def test_policy_document_without_our_remarks() -> None:
    source = "发改产业〔2023〕723号《工业重点领域能效标杆水平和基准水平（2023年版）》 (primary text not retrieved)"
    assert document_citation(source) == "发改产业〔2023〕723号《工业重点领域能效标杆水平和基准水平（2023年版）》"
    assert document_citation("GitHub adgo07/ECQuota-Insight:data/definitions/gb-30251-2024.json") == ""


def test_rows_of_the_shipped_tables() -> None:
    reference = shipped_reference()
    policy, grades = benchmark_citations(reference.benchmark_row("BM2023-061"))
    assert policy.startswith("发改产业〔2023〕723号《") and "(" not in policy
    assert grades == "GB 16780-2021《水泥单位产品能源消耗限额》"
    assert row_citation(reference, "conversion_coefficients_gbt2589", "CC-002") == "GB/T 2589 附录A"
    assert row_citation(reference, "conversion_coefficients_gbt2589", "CC-999") == ""
