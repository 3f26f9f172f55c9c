"""The region dashboard's totals (one aggregate over the region's stored day rollups and costs) equal the sums
read enterprise by enterprise through the rollup store, on both stores.

温州 (330300) holds a (鹿城 330302, C3443) and b (龙湾 330303, C3011). Readings over 2024-02-28 … 2024-03-02
(across a month boundary, so two day files per enterprise on the Parquet store) for a/E1 (cumulative ×2),
a/E4 (cumulative), a/G1 (natural gas, interval) and b/E1 (cumulative); the test tariff of test_cost.py prices
the electricity of both (温州, prefix 3303); a's gas meter has no tariff (its cost stays unknown).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from dualcarbon.core.access import Grant, Principal
from dualcarbon.monitoring import service_cost, service_dashboard, service_ingest
from dualcarbon.monitoring.service_tree import counted_meters_query
from dualcarbon.monitoring.store_cost import read_rows
from dualcarbon.monitoring.store_rollups import rollup_store_for
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

from .test_cost import THREE_BANDS, _tariff_reference

FIRST, LAST = date(2024, 2, 28), date(2024, 3, 2)


def _readings(world: Any) -> pa.Table:
    rows: list[tuple[str, str, str, str]] = []
    start = datetime(2024, 2, 28)
    for i in range(4 * 24 * 4 + 1):  # quarter hours over the 4 days, closing reading at 00:00 of 03-03
        ts = (start + timedelta(minutes=15 * i)).isoformat()
        rows.append((world.codes["a"], "E1", ts, str(1.25 * i)))
        rows.append((world.codes["a"], "E4", ts, str(round(3.0 * i + (i % 7) * 0.1, 2))))
        rows.append((world.codes["a"], "G1", ts, str(0.5 + (i % 4) * 0.25)))
        rows.append((world.codes["b"], "E1", ts, str(2.0 * i)))
    names = ["credit_code", "meter_code", "ts", "value"]
    return pa.table({n: pa.array([r[k] for r in rows], pa.string()) for k, n in enumerate(names)})


def _per_enterprise(session: Any, enterprise: Enterprise, start: datetime, end: datetime) -> tuple[Any, Any, Any]:
    """(tce, tCO₂, cost) of one enterprise read on its own: its counted meters' stored day rows and costs."""
    ids = [m.id for m in session.scalars(counted_meters_query([enterprise.id]))]
    table = rollup_store_for(session).read(enterprise.credit_code, ids, "day", start, end)
    tce = [v for v in table.column("tce").to_pylist() if v is not None]
    tco2 = [v for v in table.column("tco2").to_pylist() if v is not None]
    costs = [r["cost_yuan"] for r in read_rows(session, ids, "day", start, end) if r["cost_yuan"] is not None]
    return (sum(tce) if tce else None, sum(tco2) if tco2 else None, sum(costs) if costs else None)


@pytest.mark.parametrize(
    "days", [(FIRST, LAST), (date(2024, 3, 1), date(2024, 3, 1)), (date(2024, 4, 1), date(2024, 4, 2))]
)
def test_region_totals_equal_the_per_enterprise_sums(world, meters, admin, tmp_path, days) -> None:
    reference = _tariff_reference(tmp_path, THREE_BANDS)
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, admin, _readings(world), source="file")
        assert receipt.accepted == 4 * (4 * 96 + 1)
    with session_scope(world.engine) as session:
        for key in ("a", "b"):
            enterprise = session.query(Enterprise).filter_by(credit_code=world.codes[key]).one()
            service_cost.refresh_costs(session, enterprise, reference)
    regulator = Principal(user_id=None, username="wz", grants=(Grant("regulator", region_code="330300"),))
    first, last = days
    start, end = (
        datetime.combine(first, datetime.min.time()),
        datetime.combine(last + timedelta(days=1), datetime.min.time()),
    )
    with session_scope(world.engine, write=False) as session:
        board = service_dashboard.region_dashboard(session, regulator, "330300", first, last, page=1, size=10)
        expected = {
            e.credit_code: _per_enterprise(session, e, start, end)
            for e in session.query(Enterprise).filter(Enterprise.credit_code.in_([world.codes["a"], world.codes["b"]]))
        }
    got = {r.credit_code: (r.tce, r.tco2, r.cost_yuan) for r in board.rows}
    assert got.keys() == expected.keys()
    for code, values in expected.items():
        assert got[code] == tuple(None if v is None else pytest.approx(v, rel=1e-12) for v in values), code
    if days == (FIRST, LAST):  # something to sum on both sides
        assert all(v[0] > 0 and v[1] > 0 and v[2] > 0 for v in expected.values())
    if days[0].month == 4:  # no rollups in the range: no data, and the statuses say so
        assert all(v == (None, None, None) for v in got.values()) and board.status_counts == {"no_data": 2}
    # Each district and sector total is the sum of its enterprises (here one enterprise in each).
    by_district = {t.name: t.tce for t in board.by_district}
    for row in board.rows:
        assert by_district[row.district] == pytest.approx(row.tce or 0.0, rel=1e-12)
    assert sum(t.tce for t in board.by_sector) == pytest.approx(sum(v[0] or 0.0 for v in expected.values()))
    assert sum(t.tco2 for t in board.by_district) == pytest.approx(sum(v[1] or 0.0 for v in expected.values()))
