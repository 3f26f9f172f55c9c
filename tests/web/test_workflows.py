"""Browser tests of the main flows: a report entered, checked, submitted and approved; a gb catalog generated,
published and seen in the public list; an appeal through its steps; the dashboard; Excel exports; the
audit viewer. Each test signs in through the login form like a person would.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from .conftest import Server, shot

pytestmark = pytest.mark.browser


def choose(page: Any, testid: str, typed: str, option: str) -> None:
    """Pick ``option`` in the Quasar select ``testid`` (typing ``typed`` to filter when it has an input)."""
    page.get_by_test_id(testid).click()
    if typed:
        page.keyboard.type(typed)
    page.get_by_role("option", name=option, exact=True).click()


def field_error(page: Any, testid: str) -> str:
    """The error text Quasar shows under the field whose input has ``testid`` ('' when none)."""
    field = page.get_by_test_id(testid).locator("xpath=ancestor::label[contains(@class,'q-field')]")
    messages = field.locator(".q-field__messages")
    return messages.inner_text().strip() if messages.count() else ""


def test_enterprise_submits_a_report_and_the_district_regulator_approves_it(
    page: Any, server: Server, login: Any, artifacts: Path
) -> None:
    world = server.world
    login(page, "ent_a")
    page.goto(f"/enterprises/{world.codes['A']}/reports/new")
    assert page.get_by_test_id("period-year").input_value() == "2025"

    # 原煤 in kWh is caught at the field before anything is saved.
    choose(page, "energy-0-carrier", "原煤", "原煤")
    page.get_by_test_id("energy-0-quantity").fill("120000")
    page.get_by_test_id("energy-0-unit").fill("kWh")
    page.get_by_test_id("check-report").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"energy-0-unit\"]').closest('.q-field')"
        ".classList.contains('q-field--error')"
    )
    assert "原煤" in field_error(page, "energy-0-unit")
    shot(page, artifacts, "report-entry-error")

    page.get_by_test_id("energy-0-unit").fill("t")
    page.get_by_test_id("add-energy").click()
    choose(page, "energy-1-carrier", "电力", "电力")
    page.get_by_test_id("energy-1-quantity").fill("60000")
    page.get_by_test_id("energy-1-unit").fill("MWh")
    page.get_by_test_id("add-output").click()
    choose(page, "output-0-unit-id", "", "1号熟料生产线（水泥熟料）")
    page.get_by_test_id("output-0-quantity").fill("1000000")
    page.get_by_test_id("economics-gross_output_10k_yuan").fill("30000")
    page.get_by_test_id("economics-value_added_10k_yuan").fill("8000")
    page.get_by_test_id("economics-employees").fill("300")
    page.get_by_test_id("check-report").click()
    page.get_by_text("检查通过，未发现问题。").wait_for()
    assert field_error(page, "energy-0-unit") == ""
    shot(page, artifacts, "report-entry")

    page.get_by_test_id("submit-report").click()
    page.wait_for_url(re.compile(r".*/reports/\d+$"))
    report_id = int(page.url.rsplit("/", 1)[1])
    assert page.get_by_test_id("report-state").inner_text() == "已提交"
    # 120,000 t × 0.7143 + 60,000,000 kWh × 0.1229 kgce = 85,716 + 7,374 = 93,090 tce (当量值)
    page.get_by_text("93,090.00 吨标准煤").wait_for()

    page.context.clear_cookies()
    login(page, "lc_reg")
    page.goto("/review")
    page.get_by_test_id("review-queue").get_by_text(world.names["A"]).wait_for()
    shot(page, artifacts, "review-queue")
    page.get_by_test_id("review-queue").get_by_text(world.names["A"]).click()
    page.wait_for_url(f"**/reports/{report_id}")
    page.get_by_test_id("figures").get_by_text("综合能耗（当量值）").first.wait_for()
    page.get_by_test_id("review-comment").fill("数据与计量台账一致，审核通过。")
    shot(page, artifacts, "review-report")
    page.get_by_test_id("approve-report").click()
    page.wait_for_function("() => document.querySelector('[data-testid=\"report-state\"]')?.innerText === '已审核'")
    page.get_by_test_id("history").get_by_text("数据与计量台账一致，审核通过。").wait_for()


def test_a_submitted_report_shows_deviations_highlighted(
    page: Any, server: Server, login: Any, artifacts: Path
) -> None:
    login(page, "lc_reg")
    page.goto(f"/reports/{server.world.reports[('D', 2025)]}")
    flagged = page.get_by_test_id("figures").locator(".dc-deviation")
    flagged.first.wait_for()
    # D reports 25,000 tce for 40,000 t 原煤, which computes to 28,572 tce: (25,000 − 28,572) / 28,572 = −12.50 %
    assert "-12.50" in page.get_by_test_id("figures").inner_text()
    assert flagged.count() >= 3
    shot(page, artifacts, "review-deviations")


def test_regulator_generates_and_publishes_a_gb_catalog_seen_in_the_public_list(
    page: Any, browser: Any, server: Server, login: Any, artifacts: Path
) -> None:
    login(page, "wz_city")
    page.goto("/catalogs")
    page.get_by_test_id("builder-half").fill("2026-H1")
    choose(page, "builder-basis", "", "能耗限额标准等级（GB）")
    page.get_by_test_id("generate-catalog").click()
    page.wait_for_url(re.compile(r".*/catalogs/\d+$"))
    catalog_id = int(page.url.rsplit("/", 1)[1])
    assert page.get_by_test_id("catalog-state").inner_text() == "草稿"
    page.get_by_test_id("entries").get_by_text(server.world.names["B"]).wait_for()
    shot(page, artifacts, "catalog-draft")
    page.get_by_test_id("publish-catalog").click()
    page.get_by_test_id("publish-confirm").click()
    page.wait_for_function("() => document.querySelector('[data-testid=\"catalog-state\"]')?.innerText === '已发布'")
    page.get_by_text("与上一期比较").wait_for()
    shot(page, artifacts, "catalog-published")

    public = httpx.get(server.url("/public/catalogs")).json()
    mine = [c for c in public["items"] if c["id"] == catalog_id]
    assert mine and mine[0]["half"] == "2026-H1" and mine[0]["basis"] == "gb"

    anonymous = browser.new_context(base_url=server.base_url, viewport={"width": 1440, "height": 900})
    try:
        visitor = anonymous.new_page()
        visitor.goto("/published")
        grid = visitor.get_by_test_id("public-catalogs")
        grid.get_by_text("2026-H1").wait_for()
        grid.get_by_text("2026-H1").click()
        visitor.wait_for_url(f"**/published/{catalog_id}")
        assert "2026-H1" in visitor.get_by_test_id("public-catalog-title").inner_text()
        visitor.get_by_test_id("public-backward").wait_for()
        shot(visitor, artifacts, "public-lists")
    finally:
        anonymous.close()


def test_appeal_goes_from_expert_review_to_a_decision(page: Any, server: Server, login: Any) -> None:
    appeal = f"/appeals/{server.world.appeal_id}"
    login(page, "wz_city")
    page.goto(appeal)
    # the expert is picked from the reviewers covering the catalog's region, by name — never typed
    choose(page, "appeal-expert", "", "评审专家王工")
    page.get_by_role("button", name="指派评审专家").click()
    page.get_by_text("专家评审中").wait_for()

    page.context.clear_cookies()
    login(page, "expert")
    page.goto(appeal)
    page.get_by_test_id("appeal-opinion").fill("检修停产期间产量口径确有差异，但更正值缺少计量证据。")
    page.get_by_role("button", name="保存评审意见").click()
    page.get_by_text("检修停产期间产量口径确有差异").first.wait_for()

    page.context.clear_cookies()
    login(page, "wz_city")
    page.goto(appeal)
    page.get_by_test_id("appeal-decision").fill("证据不足，维持原判定。")
    page.get_by_role("button", name="作出决定").click()
    page.get_by_text("申辩不成立").first.wait_for()


def test_dashboard_shows_region_figures_and_charts(page: Any, server: Server, login: Any, artifacts: Path) -> None:
    login(page, "wz_city")
    page.get_by_test_id("fig-enterprises").get_by_text("5").wait_for()
    page.locator("[data-testid=chart-tier] canvas").first.wait_for()
    page.locator("[data-testid=chart-region] canvas").first.wait_for()
    overdue = page.get_by_test_id("overdue")
    overdue.get_by_text(server.world.names["E"]).wait_for()
    shot(page, artifacts, "dashboard")


def test_excel_export_holds_exactly_what_the_table_shows(page: Any, server: Server, login: Any) -> None:
    login(page, "wz_city")
    page.goto("/enterprises")
    page.get_by_test_id("enterprises").get_by_text(server.world.names["A"]).wait_for()
    with page.expect_download() as download_info:
        page.get_by_test_id("enterprises-export").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("统一社会信用代码", "企业名称", "行政区划")
    assert len(rows) == 1 + 5

    page.get_by_placeholder("搜索（名称或代码）…").fill("龙湾")  # searched on the server
    page.get_by_text("龙湾钢铁戊有限公司").wait_for()
    page.wait_for_function("() => !document.body.innerText.includes('瓯海水泥丙有限公司')")
    with page.expect_download() as download_info:
        page.get_by_test_id("enterprises-export").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    names = sorted(row[1] for row in book.active.iter_rows(min_row=2, values_only=True))
    assert names == sorted([server.world.names["B"], server.world.names["E"]])


def test_admin_sees_the_audit_log_with_an_intact_chain(page: Any, server: Server, login: Any, artifacts: Path) -> None:
    login(page, "admin")
    page.goto("/audit")
    status = page.get_by_test_id("audit-chain")
    status.wait_for()
    assert "审计日志校验通过" in status.inner_text()
    # Other tests of this server add rows (logins, actions): filter to the publication so it is on the first page.
    page.get_by_placeholder("report.").fill("catalog.publish")  # the action filter
    page.get_by_role("button", name="筛选").click()
    page.get_by_test_id("audit").get_by_text("发布清单").first.wait_for()  # catalog.publish, in words
    shot(page, artifacts, "audit")
