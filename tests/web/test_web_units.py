"""Tests of the web UI's plain parts (no browser): translation tables, redirects, Excel export, half-years."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl

from dualcarbon.catalog.pages import default_half
from dualcarbon.ui.web.i18n import LANGUAGES, normalise_language, table, translate
from dualcarbon.ui.web.session import safe_next
from dualcarbon.ui.web.tables import export_filename, xlsx_bytes

SRC = Path(__file__).resolve().parents[2] / "src" / "dualcarbon"
#: Every module that draws pages: the subjects' pages*.py and the shared web kit.
WEB_MODULES = sorted({*SRC.glob("*/pages*.py"), *(SRC / "ui" / "web").glob("*.py")})
# Literal keys passed to the translate function or to a table column.
_KEY = re.compile(r'(?:\bt|ctx\.t)\(\s*"([a-z_]+\.[a-z_.0-9]+)"|Column\(\s*"[a-z_]+",\s*"([a-z_]+\.[a-z_.0-9]+)"')


def test_chinese_and_english_tables_have_the_same_keys_and_no_blanks() -> None:
    zh, en = table("zh"), table("en")
    assert set(zh) == set(en)
    assert all(value.strip() for value in (*zh.values(), *en.values()))


def test_every_literal_key_in_the_pages_is_translated() -> None:
    used = set()
    assert len(WEB_MODULES) > 10, WEB_MODULES
    for path in WEB_MODULES:
        for match in _KEY.finditer(path.read_text(encoding="utf-8")):
            used.add(match.group(1) or match.group(2))
    assert used, "the pattern found no keys"
    missing = sorted(key for key in used if key not in table("zh"))
    assert missing == []


def test_domain_terms_are_the_official_chinese_ones() -> None:
    assert translate("zh", "tier.benchmark") == "能效标杆水平以上"
    assert translate("zh", "tier.between") == "介于标杆和基准之间"
    assert translate("zh", "tier.below_baseline") == "能效基准水平以下"
    assert translate("zh", "figure.total_tce_equivalent") == "综合能耗（当量值）"
    assert translate("zh", "unit.tce") == "吨标准煤"
    assert translate("zh", "state.approved") == "已审核"


def test_translate_fills_values_and_falls_back() -> None:
    assert translate("zh", "table.count", count=3) == "共 3 条"
    assert translate("en", "table.count", count=3) == "3 rows"
    assert translate("fr", "nav.audit") == "审计日志"  # unknown language → Chinese
    assert translate("en", "no.such.key") == "no.such.key"
    assert normalise_language("EN-us") == "en" and normalise_language(None) == "zh"
    assert LANGUAGES == ("zh", "en")


def test_redirect_targets_stay_on_this_site() -> None:
    assert safe_next("/enterprises?x=1") == "/enterprises?x=1"
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil", "", None, "javascript:alert(1)"):
        assert safe_next(bad) == "/"


def test_excel_export_has_the_headers_and_numbers_as_given() -> None:
    data = xlsx_bytes(
        ["统一社会信用代码", "综合能耗（吨标准煤）", "规模以上"],
        [["91330302MA2AAA001J", 93090.0, "是"], ["91330303MA2BBB002M", None, "否"]],
        sheet="企业/名录",
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "企业_名录"  # '/' is not allowed in sheet names
    assert [c.value for c in sheet[1]] == ["统一社会信用代码", "综合能耗（吨标准煤）", "规模以上"]
    assert sheet["B2"].value == 93090.0 and sheet["B3"].value is None
    assert export_filename("温州市 2026-H1/目录").startswith("温州市_2026-H1_目录-")


def test_default_half_is_the_next_catalog_due() -> None:
    # H1 is due by 15 January, H2 by 15 July.
    assert default_half(date(2026, 3, 1)) == "2026-H1"
    assert default_half(date(2026, 11, 22)) == "2026-H2"


def test_page_count_of_a_server_paged_table() -> None:
    from dualcarbon.ui.web.tables import page_count

    # ceil(total / size), and an empty list still has its one (empty) page
    assert [page_count(total, 20) for total in (0, 1, 20, 21, 5000)] == [1, 1, 1, 2, 250]
    assert page_count(5001, 50) == 101  # 100 full pages of 50 and one row on page 101
