"""The small 温州 world the browser tests run against, built through the services (never the store).

Regions: 浙江省 330000 → 温州市 330300 → 鹿城区 330302, 龙湾区 330303, 瓯海区 330304.

Cement-clinker plants on benchmark row BM2023-061 (熟料单位产品综合能耗, kgce/t; GB 16780 grades
1级 100 / 2级 107 / 3级 117). Energy 当量值: 原煤 0.7143 kgce/kg, 电力 0.1229 kgce/kWh (GB/T 2589).

| key | year | output t  | 原煤 t  | 电力 MWh | tce (当量值)                    | kgce/t  | gb tier | state     |
|-----|------|-----------|---------|----------|---------------------------------|---------|---------|-----------|
| A   | 2024 | 1,000,000 | 125,000 | 45,000   | 89,287.5 + 5,530.5 = 94,818.0   | 94.818  | 1级     | approved  |
| B   | 2024 |   500,000 |  72,000 | 25,000   | 51,429.6 + 3,072.5 = 54,502.1   | 109.004 | 3级     | approved  |
| C   | 2024 |   400,000 |  64,000 | 20,000   | 45,715.2 + 2,458.0 = 48,173.2   | 120.433 | 未达3级 | approved  |
| B   | 2025 |   520,000 |  76,000 | 26,000   | 54,286.8 + 3,195.4 = 57,482.2   | 110.543 | 3级     | approved  |
| C   | 2025 |   400,000 |  60,000 | 20,000   | 42,858.0 + 2,458.0 = 45,316.0   | 113.290 | 3级     | approved  |
| D   | 2025 |   300,000 |  40,000 | 15,000   | 28,572.0 + 1,843.5 = 30,415.5 † | 101.385 | —       | submitted |

A and D are in 鹿城, B and E in 龙湾, C in 瓯海.
† D reports 25,000 tce for its coal and 95 kgce/t: deviations of −12.5 % and −6.3 % that the review flags.
(125,000 t × 0.7143 kgce/kg = 89,287.5 tce; 45,000 MWh = 45,000,000 kWh × 0.1229 kgce/kWh = 5,530.5 tce.)
A has no 2025 report (the browser test files it); E (龙湾) has none either: both are overdue for 2025.

The gb catalog of 温州市 for 2025-H2 (data year 2024) is published, and B's user has appealed B's entry.

Users (password ``PASSWORD``): ``admin``; ``wz_city`` regulator 330300; ``lc_reg`` regulator 330302;
``lw_reg`` regulator 330303; ``expert`` reviewer 330300; ``ent_a`` / ``ent_b`` enterprise users of A / B;
``lockme`` (a reviewer of 330303 that the lockout test locks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import NewUser, create_user, principal_for
from dualcarbon.catalog.service import EntryFilter, list_entries
from dualcarbon.catalog.service_appeals import file_appeal
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.reference import load_reference
from dualcarbon.registry.service import EnterpriseSpec, create_enterprise
from dualcarbon.registry.service_regions import RegionSpec, seed_regions
from dualcarbon.registry.service_sites import UnitSpec, add_production_unit
from dualcarbon.reports.service import approve, create_report, set_deadline, submit
from dualcarbon.store.db import init_store, session_scope

PASSWORD = "test-pass-123"
CLINKER = "BM2023-061"

REGIONS = [
    RegionSpec("330000", "浙江省"),
    RegionSpec("330300", "温州市"),
    RegionSpec("330302", "鹿城区"),
    RegionSpec("330303", "龙湾区"),
    RegionSpec("330304", "瓯海区"),
]
# key: (credit-code body, name, district, industry code, has a clinker unit)
ENTERPRISES: dict[str, tuple[str, str, str, str, bool]] = {
    "A": ("91330302MA2AAA001", "温州鹿城水泥熟料甲有限公司", "330302", "C3011", True),
    "B": ("91330303MA2BBB002", "龙湾建材乙有限公司", "330303", "C3011", True),
    "C": ("91330304MA2CCC003", "瓯海水泥丙有限公司", "330304", "C3011", True),
    "D": ("91330302MA2DDD004", "鹿城新材料丁有限公司", "330302", "C3011", True),
    "E": ("91330303MA2EEE005", "龙湾钢铁戊有限公司", "330303", "C3120", False),
}
# (enterprise, year, output t, coal t, electricity MWh, state, extra line fields)
REPORTS: list[tuple[str, int, float, float, float, str, dict[str, Any]]] = [
    ("A", 2024, 1_000_000, 125_000, 45_000, "approved", {}),
    ("B", 2024, 500_000, 72_000, 25_000, "approved", {}),
    ("C", 2024, 400_000, 64_000, 20_000, "approved", {}),
    ("B", 2025, 520_000, 76_000, 26_000, "approved", {}),
    ("C", 2025, 400_000, 60_000, 20_000, "approved", {}),
    ("D", 2025, 300_000, 40_000, 15_000, "submitted", {"coal_reported_tce": 25_000, "reported_uc": 95.0}),
]
USERS: list[tuple[str, str, str, str | None, str | None]] = [
    # username, display name, role, region, enterprise key
    ("admin", "系统管理员", "admin", None, None),
    ("wz_city", "温州市经信局", "regulator", "330300", None),
    ("lc_reg", "鹿城区经信局", "regulator", "330302", None),
    ("lw_reg", "龙湾区经信局", "regulator", "330303", None),
    ("expert", "评审专家王工", "reviewer", "330300", None),
    ("ent_a", "甲公司能源管理员", "enterprise", None, "A"),
    ("ent_b", "乙公司能源管理员", "enterprise", None, "B"),
    ("lockme", "锁定测试账号", "reviewer", "330303", None),
]


@dataclass
class World:
    """What the seed created: credit codes by key, the published catalog, report ids by (key, year)."""

    codes: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    catalog_id: int = 0
    reports: dict[tuple[str, int], int] = field(default_factory=dict)
    appeal_id: int = 0


def content(
    output_t: float, coal_t: float, electricity_mwh: float, unit_id: int, extra: dict[str, Any]
) -> dict[str, Any]:
    coal: dict[str, Any] = {"carrier": "原煤", "quantity": coal_t, "unit": "t", "use": "fuel"}
    if "coal_reported_tce" in extra:
        coal["reported_tce"] = extra["coal_reported_tce"]
    output: dict[str, Any] = {"production_unit_id": unit_id, "quantity": output_t, "unit": "t"}
    if "reported_uc" in extra:
        output["reported_unit_consumption"] = extra["reported_uc"]
        output["unit_consumption_unit"] = "kgce/t"
    return {
        "energy_lines": [coal, {"carrier": "电力", "quantity": electricity_mwh, "unit": "MWh", "use": "fuel"}],
        "outputs": [output],
        "economics": {
            "gross_output_10k_yuan": output_t * 0.03,
            "value_added_10k_yuan": output_t * 0.008,
            "employees": 300,
        },
    }


def _principal(session: Any, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return principal_for(session, user)


def seed(data_dir: Path) -> World:
    """Create the store in ``data_dir`` and fill it with the world above."""
    engine = init_store(data_dir)
    reference = load_reference(data_dir)
    world = World()
    units: dict[str, int] = {}
    with session_scope(engine) as session:
        seed_regions(session, SYSTEM, REGIONS)
        for key, (body, name, district, industry, clinker) in ENTERPRISES.items():
            code = make_credit_code(body)
            world.codes[key], world.names[key] = code, name
            create_enterprise(
                session,
                SYSTEM,
                EnterpriseSpec(
                    credit_code=code,
                    name=name,
                    region_code=district,
                    industry_code=industry,
                    above_scale=True,
                    key_energy_user=True,
                    land_area_mu=120.0,
                    address=f"浙江省温州市{name}厂区",
                    contact="张工 0577-88000000",
                ),
            )
            if clinker:
                unit = add_production_unit(
                    session,
                    SYSTEM,
                    code,
                    UnitSpec(
                        name="1号熟料生产线", capacity=1_500_000, capacity_unit="t/year", benchmark_row_id=CLINKER
                    ),
                    reference=reference,
                )
                units[key] = unit.id
        for username, display, role, region, enterprise in USERS:
            create_user(
                session,
                SYSTEM,
                NewUser(
                    username,
                    PASSWORD,
                    role,
                    display_name=display,
                    region_code=region,
                    enterprise_credit_code=world.codes[enterprise] if enterprise else None,
                ),
            )
    with session_scope(engine) as session:
        city = _principal(session, "wz_city")
        for key, year, output, coal, electricity, state, extra in REPORTS:
            report = create_report(
                session,
                SYSTEM,
                world.codes[key],
                "year",
                year,
                0,
                content(output, coal, electricity, units[key], extra),
                reference=reference,
            )
            world.reports[(key, year)] = report.id
            submit(session, SYSTEM, report.id)
            if state == "approved":
                approve(session, city, report.id, "数据核实无误")
        set_deadline(session, city, "330300", "year", 2025, 0, date.today() - timedelta(days=30))
    with session_scope(engine) as session:
        city = _principal(session, "wz_city")
        result = generate_catalog(session, city, "330300", "2023", "2025-H2", "gb", reference=reference)
        world.catalog_id = result.catalog.id
        publish_catalog(session, city, world.catalog_id, reference=reference)
    with session_scope(engine) as session:
        ent_b = _principal(session, "ent_b")
        entries, _ = list_entries(session, ent_b, world.catalog_id, EntryFilter(credit_code=world.codes["B"]))
        appeal = file_appeal(
            session,
            ent_b,
            world.catalog_id,
            entries[0].id,
            "2024年4月熟料线停产检修两周，产量统计口径有误，实际单耗应为106 kgce/t。",
            {"corrected_value": 106},
        )
        world.appeal_id = appeal.id
    engine.dispose()
    return world
