"""What a person sees (issue #7 §5): no raw translation keys in Chinese mode, times labelled in 北京时间, the
login page's public link, valid grid page sizes, English data labels, why a figure is missing, the policy-basis
banner and the administrators' reference-import page. Read-only: the served world is not changed here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.ui.web import i18n

from .conftest import Server, shot

pytestmark = pytest.mark.browser

ZH_KEYS = json.loads((Path(i18n.__file__).parent / "zh.json").read_text(encoding="utf-8"))
PREFIXES = sorted({key.split(".", 1)[0] for key in ZH_KEYS}, key=len, reverse=True)
#: A translation key shown as text: ``catalog.policy_gap``, ``figure.why_no_coal_rate`` (ctx.t returns the key
#: itself when a translation is missing).
RAW_KEY = re.compile(r"(?<![\w./])(?:" + "|".join(map(re.escape, PREFIXES)) + r")\.[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")


def _settled_text(page: Any) -> str:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    return str(page.locator("body").inner_text())


def _grid_warnings(messages: list[str]) -> list[str]:
    return [m for m in messages if "paginationPageSize" in m or ("AG Grid" in m and "page size" in m.lower())]


def test_chinese_pages_show_no_raw_keys_and_valid_page_sizes(page: Any, server: Server, login: Any) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    world = server.world
    visits = {
        "admin": [
            "/", "/enterprises", f"/enterprises/{world.codes['B']}", "/catalogs", f"/catalogs/{world.catalog_id}",
            "/audit", "/reference-import", f"/reports/{world.reports[('D', 2025)]}",
        ],
        "wz_city": ["/review", "/appeals", f"/appeals/{world.appeal_id}", "/reports"],
        "ent_b": ["/reports", f"/reports/{world.reports[('B', 2025)]}"],
    }  # fmt: skip
    found: dict[str, list[str]] = {}
    for user, paths in visits.items():
        page.context.clear_cookies()
        login(page, user)
        for path in paths:
            page.goto(path)
            keys = RAW_KEY.findall(_settled_text(page))
            if keys:
                found[f"{user} {path}"] = keys
    page.context.clear_cookies()
    for path in ("/login", "/published", f"/published/{world.catalog_id}"):
        page.goto(path)
        keys = RAW_KEY.findall(_settled_text(page))
        if keys:
            found[path] = keys
    assert found == {}
    assert _grid_warnings(console) == []


def test_the_login_pages_public_link_opens_the_public_lists(page: Any, server: Server, artifacts: Path) -> None:
    page.goto("/login")
    link = page.get_by_role("link", name="公开名单（能效清单目录）")
    assert link.get_attribute("href") == "/published"
    link.click()
    page.wait_for_url("**/published")
    page.get_by_test_id("public-catalogs").wait_for()
    assert "404" not in page.title()


def test_times_are_shown_in_beijing_time_with_the_zone(page: Any, server: Server, login: Any) -> None:
    login(page, "wz_city")
    page.goto(f"/reports/{server.world.reports[('D', 2025)]}")
    text = _settled_text(page)
    # e.g. "2026-12-04 23:05（北京时间）": every time carries its zone
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）", text), text[:3000]


def test_a_figure_that_cannot_be_computed_says_why_and_what_fixes_it(
    page: Any, server: Server, login: Any, artifacts: Path
) -> None:
    # 2025 has no national 供电标准煤耗 in the shipped tables, so the 等价值 of a 2025 report cannot be computed
    login(page, "wz_city")
    page.goto(f"/reports/{server.world.reports[('D', 2025)]}")
    note = page.get_by_test_id("figure-unavailable").first
    note.wait_for()
    text = note.inner_text()
    assert "综合能耗（等价值）" in text and "2025 年的全国火电供电标准煤耗" in text
    assert "dualcarbon reference import" in text and "参考数据导入" in text
    shot(page, artifacts, "report-unavailable-figure")


def test_catalog_pages_name_what_the_policy_basis_cannot_class(
    page: Any, server: Server, login: Any, artifacts: Path
) -> None:
    login(page, "admin")
    page.goto("/catalogs")
    banner = page.get_by_test_id("policy-gap-banner")
    banner.wait_for()
    text = banner.inner_text()
    rows = int(re.search(r"尚有 (\d+) 行数值为空", text).group(1))  # type: ignore[union-attr]
    assert rows > 0 and "无法判定" in text and "平板玻璃" in text
    page.get_by_test_id("policy-gap-link").click()
    page.wait_for_url("**/reference-import")
    blank = page.get_by_test_id("refimport-blank")
    blank.wait_for()
    assert f"仍为空的行：{rows} 行" in blank.inner_text()  # the page lists the same rows the banner counts
    shot(page, artifacts, "reference-import")
    with page.expect_download() as download:
        page.get_by_test_id("refimport-download").click()
    assert download.value.suggested_filename == "efficiency_benchmarks_2023-填写表.xlsx"


def test_english_mode_translates_data_labels(page: Any, server: Server, login: Any, artifacts: Path) -> None:
    login(page, "wz_city")
    page.goto(f"/web/lang/en?next=/catalogs/{server.world.catalog_id}")
    page.wait_for_url(f"**/catalogs/{server.world.catalog_id}")
    grid = page.get_by_test_id("entries")
    grid.get_by_text("cement clinker").first.wait_for()
    cells = grid.locator('.ag-cell[col-id="product"], .ag-cell[col-id="field"]').all_inner_texts()
    assert cells and set(cells) == {"cement clinker"}  # 水泥熟料 (field and product) from the glossary
    # a GB-basis catalog names the grades, not benchmark/baseline
    headers = grid.locator(".ag-header").inner_text()
    assert "Gap to grade 1" in headers and "benchmark" not in headers.lower()
    shot(page, artifacts, "catalog-english")
    page.goto("/web/lang/zh?next=/catalogs")


def test_gb_catalog_headers_say_grades_in_chinese(page: Any, server: Server, login: Any) -> None:
    page.set_viewport_size({"width": 2600, "height": 900})  # every column rendered (AG Grid virtualises them)
    login(page, "wz_city")
    page.goto(f"/catalogs/{server.world.catalog_id}")
    headers = page.get_by_test_id("entries").locator(".ag-header")
    headers.wait_for()
    text = headers.inner_text()
    assert "与1级差距" in text and "与3级限定值差距" in text
    assert "标杆" not in text and "基准" not in text
