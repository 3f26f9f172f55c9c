"""Differentiated electricity prices (差别电价): importing a surcharge table and the yearly surcharge (both stores).

The table below is a *test fixture* with made-up figures (no official table ships with the platform; an
administrator imports the official one from the template).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, PermissionDenied
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_surcharge as surcharge
from dualcarbon.subsidies.schemas import SurchargeIn, SurchargeResult

HEADER = ",".join(surcharge.COLUMNS)
TABLE = "\n".join(
    [
        HEADER,
        "test-table,1,测试,tier,水泥熟料,below_baseline,,,,,,0.3,,,test fixture,none,made up for the test",
        "test-table,2,测试,tier,水泥熟料,between,,,,,,0.05,,,test fixture,none,made up for the test",
        "test-table,3,测试,unit_consumption,,,100,false,,,kgce/t,0.1,,,test fixture,none,made up for the test",
        "test-table,4,测试,unit_consumption,,,,,100,true,kgce/t,0,,,test fixture,none,made up for the test",
    ]
)


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def charge(session: Session, world: Any, **fields: Any) -> SurchargeResult:
    """The 2024 surcharge of enterprise B under the test table, as the city regulator."""
    spec = SurchargeIn(table_id="test-table", credit_code=world.codes["b"], year=2024, **fields)
    return surcharge.yearly_surcharge(session, who(session, "city"), spec, shipped_reference())


def test_import_and_yearly_surcharge(world: Any) -> None:
    with session_scope(world.engine) as session:
        with pytest.raises(PermissionDenied):
            surcharge.import_surcharges(session, who(session, "city"), TABLE)
        receipt = surcharge.import_surcharges(session, who(session, "admin"), TABLE)
        assert (receipt.rows, receipt.replaced) == (4, 0)
        again = surcharge.import_surcharges(session, who(session, "admin"), TABLE)
        assert (again.rows, again.replaced) == (4, 4)  # the whole table replaced
    with session_scope(world.engine) as session:
        by_tier = charge(session, world, product="水泥熟料", tier="below_baseline", electricity_kwh=2_000_000)
        assert by_tier.matched is not None and by_tier.matched.row == 1
        assert by_tier.surcharge_yuan == pytest.approx(600_000)  # 2 000 000 kWh × 0.3 元/kWh
        # 100 kgce/t is in row 4 (≤ 100, inclusive), not row 3 (> 100): no surcharge
        at_boundary = charge(session, world, unit_consumption=100, electricity_kwh=1_000_000)
        assert at_boundary.matched is not None and at_boundary.matched.row == 4
        assert at_boundary.surcharge_yuan == 0.0
        above = charge(session, world, unit_consumption=100.5, electricity_kwh=1_000_000)
        assert above.surcharge_yuan == pytest.approx(100_000)  # 1 000 000 kWh × 0.1 元/kWh


def test_bad_tables_are_refused_naming_the_line(world: Any) -> None:
    overlapping = TABLE + "\ntest-table,5,测试,unit_consumption,,,90,true,120,false,kgce/t,0.2,,,s,c,x"
    blank_source = HEADER + "\nt2,1,测试,tier,,below_baseline,,,,,,0.3,,,,none,x"
    unknown_tier = HEADER + "\nt3,1,测试,tier,,worst,,,,,,0.3,,,s,c,x"
    with session_scope(world.engine) as session:
        admin = who(session, "admin")
        with pytest.raises(InvalidInput) as caught:
            surcharge.import_surcharges(session, admin, overlapping)
        assert caught.value.field == "line 6"
        with pytest.raises(InvalidInput) as caught:
            surcharge.import_surcharges(session, admin, blank_source)
        assert caught.value.field == "line 2.source"
        with pytest.raises(InvalidInput) as caught:
            surcharge.import_surcharges(session, admin, unknown_tier)
        assert caught.value.field == "line 2.tier"
    assert surcharge.TEMPLATE.read_text(encoding="utf-8").strip() == HEADER  # the template ships empty
