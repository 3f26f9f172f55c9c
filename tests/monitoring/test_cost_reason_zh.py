"""The cost card's reason in Chinese: carrier, region and year, and how an administrator fixes it.

Enterprise a (鹿城区 330302) has electricity meters EA, EB and a natural-gas meter GA (test_tree_cost's plant); the
test tariff prices electricity in 温州 (3303) in 2024 only. The dashboard of 2024-03-01 costs the electricity and
says, in Chinese, that 天然气 has no price in 鹿城区 in 2024 and names the import command; the English reason (the
API's) stays as it was.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from dualcarbon.monitoring import service_dashboard
from dualcarbon.monitoring.service_cost import TARIFF_FIX_ZH, cost_reason_zh
from dualcarbon.store.db import session_scope

from .test_cost import THREE_BANDS, _tariff_reference
from .test_tree_cost import _plant


def test_the_dashboard_says_in_chinese_which_carrier_has_no_price_and_how_to_fix_it(
    world, tmp_path, admin, reference, write_csv
) -> None:
    _plant(world, tmp_path, admin, reference, write_csv)
    priced = _tariff_reference(tmp_path, THREE_BANDS)
    with session_scope(world.engine) as session:
        dashboard = service_dashboard.enterprise_dashboard(
            session, admin, world.codes["a"], priced, now=datetime(2024, 3, 1, 23, 30)
        )
    cost = dashboard.cost
    assert cost.cost_yuan == pytest.approx(207.0)  # (10 + 5) kWh × 24 h of electricity, as in test_tree_cost
    assert cost.reason == "GA: no tariff for natural_gas in region 330302, 2024 (electricity_tariffs_tou)"
    assert cost.reason_zh == ("天然气（鹿城区330302，2024 年）没有价格数据，无法计算能源费用。" + TARIFF_FIX_ZH + "。")
    assert "dualcarbon reference import" in cost.reason_zh


def test_without_any_price_the_card_has_only_the_chinese_reasons(world, tmp_path, admin, reference, write_csv) -> None:
    _plant(world, tmp_path, admin, reference, write_csv)
    with session_scope(world.engine) as session:  # the shipped tariff prices the demo city only (3399xx)
        dashboard = service_dashboard.enterprise_dashboard(
            session, admin, world.codes["a"], reference, now=datetime(2024, 3, 1, 23, 30)
        )
    assert dashboard.cost.cost_yuan is None
    parts = dashboard.cost.reason_zh.split("；")
    assert [p.split("（")[0] for p in parts] == ["电力", "天然气"]  # one sentence per carrier, not per meter
    assert all("鹿城区330302，2024 年）没有价格数据" in p for p in parts)


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("no tariff for coke in region 339904, 2026 (electricity_tariffs_tou)", "没有价格数据"),
        ("electricity_tariffs_tou row T-V: no price (blank in the table; import a sourced value)", "价格为空"),
        ("electricity_tariffs_tou: the rows of electricity, 3303, 2024 leave 72 hours uncovered", "不完整或有误"),
        ("t: cannot convert t to kWh", "计量单位与价格表的单位不一致"),
    ],
)
def test_each_kind_of_reason_has_its_chinese_sentence(reason: str, why: str) -> None:
    text = cost_reason_zh(reason, "焦炭", "北城区339904", 2026)
    assert text.startswith("焦炭（北城区339904，2026 年）") and why in text and text.endswith(TARIFF_FIX_ZH + "。")


def test_the_region_list_says_why_a_metered_enterprises_cost_is_blank() -> None:
    from types import SimpleNamespace

    from dualcarbon.monitoring.pages_region import enterprise_row
    from dualcarbon.monitoring.schemas_dashboard import EnterpriseRow
    from dualcarbon.ui.web.i18n import translate

    ctx = SimpleNamespace(t=lambda key, **values: translate("zh", key, **values), language="zh")
    common = {"credit_code": "X", "name": "甲", "district": "鹿城区", "sector": "C3011", "status": "ok"}
    blank = enterprise_row(ctx, EnterpriseRow(**common, tce=2382.4, tco2=9642.1, cost_yuan=None))  # type: ignore[arg-type]
    priced = enterprise_row(ctx, EnterpriseRow(**common, tce=1777.0, tco2=7191.8, cost_yuan=8436806.82))  # type: ignore[arg-type]
    unmetered = enterprise_row(ctx, EnterpriseRow(**common, tce=None, tco2=None, cost_yuan=None))  # type: ignore[arg-type]
    assert blank["cost_note"] == "未计价或无价格数据" and blank["cost_yuan"] is None
    assert priced["cost_note"] == "" and priced["cost_yuan"] == pytest.approx(8436806.82)
    assert unmetered["cost_note"] == ""  # no energy: nothing to cost, the status column says 无数据
    assert translate("en", "dash.cost_missing") == "Not costed or no price"
