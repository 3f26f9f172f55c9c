"""Browser test of the catalog confirmations (issue 7 §1): an empty generation asks first, a publish with
无法判定 entries names their number, and each 无法判定 entry says which reference row is blank and how to
import it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import Server, shot

pytestmark = pytest.mark.browser


def choose(page: Any, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_undetermined_entries_are_explained_and_confirmed_by_count(
    page: Any, server: Server, login: Any, artifacts: Path
) -> None:
    login(page, "wz_city")
    page.goto("/catalogs")
    # No approved report of 2019: the builder asks before making an empty catalog, and nothing is made.
    page.get_by_test_id("builder-half").fill("2025-H1")
    page.get_by_label("数据年份（可选）").fill("2019")
    page.get_by_test_id("generate-catalog").click()
    assert "0 条" in page.get_by_test_id("empty-confirm-text").inner_text()
    page.get_by_role("button", name="取消").click()
    assert re.search(r"/catalogs$", page.url)

    # The policy basis of 2025-H1 (reports of 2024: A, B, C on BM2023-061, whose 标杆/基准 are blank).
    page.get_by_label("数据年份（可选）").fill("")
    page.get_by_test_id("generate-catalog").click()
    page.wait_for_url(re.compile(r".*/catalogs/\d+$"))
    assert "3 条“无法判定”" in page.get_by_test_id("undetermined-note").inner_text()
    entries = page.get_by_test_id("entries")
    entries.get_by_text("BM2023-061").first.wait_for()
    text = entries.inner_text()
    assert "标杆水平、基准水平为空" in text and "参考数据导入" in text and "dualcarbon reference import" not in text
    shot(page, artifacts, "catalog-undetermined")

    page.get_by_test_id("publish-catalog").click()
    assert "3 条" in page.get_by_test_id("publish-undetermined").inner_text()
    shot(page, artifacts, "catalog-publish-undetermined")
    page.get_by_test_id("publish-confirm").click()
    page.wait_for_function("() => document.querySelector('[data-testid=\"catalog-state\"]')?.innerText === '已发布'")
