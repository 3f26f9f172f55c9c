"""The policy-instrument pages as a bureau official reads them (bugs found walking the demo, H10).

Seeded here through the services into the served store (the shared world has no instruments): enterprise A
gets a storage system with its discharge reported for 2023-01…2023-06 (100,000 kWh a month) and a data centre
with 2023 reported months; 温州市 a storage budget pool of 1,000,000 元 for 2023 under longgang-2022; A's user
files a storage-discharge application over the six months; the city seeds longgang-2022's targets and records
5 projects in 2023 against “实施 100 项节能改造项目” (5 % done: the pack's red band, completion ≤ 50 %).

Bugs pinned:
* the budget pools listed the pack's internal key (``longgang-2022/storage``) instead of the rule's title;
* an application's facts were named by their code (``discharge_kwh``) instead of 实际放电量（kWh）;
* the targets list marked no warning level, however red (and showed an always-empty 剩余年份所需 column);
* an asset's page opened on the last twelve calendar months, so an asset that reported 2023 showed every
  month missing until the official typed a period: it now opens on the twelve months up to its last figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.assets import pages_detail, service_datacentres, service_storage
from dualcarbon.assets import service_common as asset_common
from dualcarbon.assets.schemas import DatacentreIn, MonthValue, ReportedIn, StorageIn
from dualcarbon.core.access import Principal
from dualcarbon.reference import load_reference
from dualcarbon.store.db import init_store, session_scope
from dualcarbon.subsidies import service_applications, service_pools
from dualcarbon.subsidies.schemas import ApplicationIn, EvidenceIn, PoolIn
from dualcarbon.targets import service as targets
from dualcarbon.targets.schemas import SeedIn, YearIn

from .conftest import Server, shot

PACK = "longgang-2022"
SIX_MONTHS = [f"2023-{m:02d}" for m in range(1, 7)]


@dataclass
class Instruments:
    application_id: int
    datacentre_id: int


def _principal(session: Any, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return principal_for(session, user)


@pytest.fixture(scope="module")
def instruments(server: Server) -> Instruments:
    engine = init_store(server.data_dir)
    reference = load_reference(server.data_dir)
    code = server.world.codes["A"]
    with session_scope(engine) as session:
        city, ent_a = _principal(session, "wz_city"), _principal(session, "ent_a")
        storage = service_storage.create_storage(
            session, ent_a, StorageIn(credit_code=code, name="甲公司储能电站", capacity_kwh=4000, power_kw=2000)
        )
        months = [MonthValue(month=m, kwh=100_000) for m in SIX_MONTHS]
        asset_common.report_months(
            session, ent_a, "storage", storage.id, ReportedIn(quantity="discharge", months=months)
        )
        centre = service_datacentres.create_datacentre(
            session,
            ent_a,
            DatacentreIn(credit_code=code, name="甲公司数据中心", racks=300, in_operation_since=date(2020, 1, 1)),
        )
        for quantity, kwh in (("it", 1_000_000), ("total", 1_300_000)):
            reported = [MonthValue(month=f"2023-{m:02d}", kwh=kwh) for m in range(1, 13)]
            asset_common.report_months(
                session, ent_a, "datacentre", centre.id, ReportedIn(quantity=quantity, months=reported)
            )
        service_pools.create_pool(
            session, city, PoolIn(pack=PACK, rule="storage", year=2023, region_code="330300", total_yuan=1_000_000)
        )
        evidence = EvidenceIn(kind="storage_discharge", asset_id=storage.id, period_from="2023-01", period_to="2023-06")
        application = service_applications.apply(
            session,
            ent_a,
            ApplicationIn(credit_code=code, pack=PACK, rule="storage", year=2023, evidence=evidence),
            reference,
        )
        seeded = targets.seed_from_pack(session, city, SeedIn(pack=PACK, region_code="330300"))
        projects = next(t for t in seeded if "100 项节能改造" in (t.title_zh or ""))
        targets.record_year(
            session, city, projects.id, YearIn(year=2023, achieved=5, lock_version=projects.lock_version)
        )
    return Instruments(application.id, centre.id)


def test_budget_pools_are_named_by_the_rule_title(
    page: Any, login: Callable[..., None], instruments: Instruments, artifacts: Path
) -> None:
    login(page, "wz_city")
    page.goto("/subsidies")
    pools = page.get_by_test_id("pools")
    pools.get_by_text("用户侧储能放电量补贴", exact=False).first.wait_for()
    shot(page, artifacts, "instrument-pools")
    assert f"{PACK}/storage" not in pools.inner_text()


def test_application_facts_are_named_in_chinese_with_their_unit(
    page: Any, login: Callable[..., None], instruments: Instruments
) -> None:
    login(page, "wz_city")
    page.goto(f"/subsidies/{instruments.application_id}")
    facts = page.get_by_test_id("facts")
    facts.get_by_text("实际放电量（kWh）").wait_for()
    # 6 months × 100,000 kWh
    assert "600,000" in facts.inner_text()
    assert "discharge_kwh" not in facts.inner_text()


def test_asset_page_opens_on_the_months_it_reported(
    page: Any, login: Callable[..., None], instruments: Instruments, artifacts: Path
) -> None:
    login(page, "ent_a")
    page.goto(f"/assets/datacentres/{instruments.datacentre_id}")
    assert page.get_by_test_id("period-from").input_value() == "2023-01"
    assert page.get_by_test_id("period-to").input_value() == "2023-12"
    page.get_by_test_id("compute").click()
    # PUE = 1,300,000 ÷ 1,000,000 kWh = 1.3 over the twelve reported months
    page.get_by_test_id("pue").get_by_text("1.300").wait_for()
    shot(page, artifacts, "instrument-datacentre")


def test_targets_list_marks_the_alarming_levels(
    page: Any, login: Callable[..., None], instruments: Instruments
) -> None:
    login(page, "wz_city")
    page.goto("/targets")
    grid = page.get_by_test_id("targets")
    red = grid.locator(".ag-row", has_text="实施 100 项节能改造项目").locator('[col-id="warning"]')
    red.get_by_text("红色预警").wait_for()
    assert "dc-deviation" in (red.get_attribute("class") or "")
    assert grid.locator('.ag-header-cell[col-id="needed"]').count() == 0  # no decline target: no empty column


@pytest.mark.parametrize(
    ("last", "expected"),
    [((2023, 12), ("2023-01", "2023-12")), ((2025, 1), ("2024-02", "2025-01")), ((2024, 6), ("2023-07", "2024-06"))],
)
def test_default_period_is_the_twelve_months_up_to_the_last_figure(
    last: tuple[int, int], expected: tuple[str, str]
) -> None:
    assert pages_detail._default_period(last) == expected
