"""Fixtures for store tests. The ``engine`` fixture (SQLite and PostgreSQL, fresh per test) and the
PostgreSQL helpers live in tests/conftest.py; this file adds a small region tree.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from dualcarbon.store.db import session_scope
from dualcarbon.store.models import Enterprise, Region


@pytest.fixture
def zhejiang(engine: Engine) -> Engine:
    """The engine with a small region tree (浙江 → 温州 → 瑞安, 鹿城; 杭州 → 西湖) and one enterprise."""
    with session_scope(engine) as session:
        zj = Region.create("330000", "浙江省", "province")
        wz = Region.create("330300", "温州市", "city", zj)
        hz = Region.create("330100", "杭州市", "city", zj)
        session.add_all(
            [
                zj,
                wz,
                hz,
                Region.create("330381", "瑞安市", "district", wz),
                Region.create("330302", "鹿城区", "district", wz),
                Region.create("330106", "西湖区", "district", hz),
            ]
        )
        session.flush()
        session.add(
            Enterprise(
                credit_code="91330381MA2AAAAA1X",
                name="瑞安某某泵业有限公司",
                region_code="330381",
                industry_code="C3441",
                above_scale=True,
                key_energy_user=False,
            )
        )
    return engine
