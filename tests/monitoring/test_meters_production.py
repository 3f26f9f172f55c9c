"""Production (产量) meters in the register, on SQLite and PostgreSQL: the optional ``measures`` / ``product``
columns, their validation, and that a production meter never adds to energy, tce or CO₂ (rollups, tree, balance).

The plant: enterprise a, electricity meter E (hourly interval kWh, counted) and production meter P (daily interval,
t of 熟料, child of nothing). On 2024-03-01 E reads 10 kWh every hour (240 kWh) and P reads 100 t at 00:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring import service_balance, service_ingest, service_meters, service_rollups, service_tree
from dualcarbon.monitoring.service_meters import MeterFileInvalid
from dualcarbon.store.db import session_scope
from dualcarbon.store.migrate import downgrade, upgrade

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "interval_minutes"]
DAY = date(2024, 3, 1)


def _import(world: Any, admin: Any, reference: Any, path: Any) -> Any:
    with session_scope(world.engine) as session:
        return service_meters.import_meters(session, admin, path, reference)


def _plant(world: Any, tmp_path: Any, admin: Any, reference: Any, write_csv: Any) -> str:
    a = world.codes["a"]
    header = [*HEADER, "measures", "product", "statistic_type", "parent_meter_code"]
    rows = [
        [a, "E", "electricity", "kWh", "interval", 1, 60, "", "", "", ""],
        [a, "P", "", "t", "interval", 1, 1440, "产量", "熟料", "day", "E"],
    ]
    _import(world, admin, reference, write_csv(tmp_path / "m.csv", header, rows))
    moments = [(a, "E", datetime.combine(DAY, datetime.min.time()) + timedelta(hours=h), 10.0) for h in range(24)]
    moments.append((a, "P", datetime.combine(DAY, datetime.min.time()), 100.0))
    table = pa.table(
        {
            "credit_code": [r[0] for r in moments],
            "meter_code": [r[1] for r in moments],
            "ts": [r[2].strftime("%Y-%m-%dT%H:%M:%S+08:00") for r in moments],
            "value": [str(r[3]) for r in moments],
        }
    )
    with session_scope(world.engine) as session:
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == 25
    return a


def test_a_production_meter_is_registered_and_listed(world, tmp_path, admin, reference, write_csv) -> None:
    a = _plant(world, tmp_path, admin, reference, write_csv)
    with session_scope(world.engine) as session:
        listed = {m.code: m for m in service_meters.list_meters(session, admin, a)}
    assert (listed["P"].measures, listed["P"].product, listed["P"].carrier, listed["P"].unit) == (
        "production",
        "熟料",
        "",
        "t",
    )
    assert (listed["E"].measures, listed["E"].product) == ("energy", None)
    header = [*HEADER, "measures", "product", "statistic_type", "parent_meter_code"]
    again = _import(
        world,
        admin,
        reference,
        write_csv(
            tmp_path / "again.csv",
            header,
            [
                [a, "E", "electricity", "kWh", "interval", 1, 60, "", "", "", ""],
                [a, "P", "", "t", "interval", 1, 1440, "production", "熟料", "day", "E"],
            ],
        ),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)  # 产量 and production are the same


def test_production_rows_are_validated(world, tmp_path, admin, reference, write_csv) -> None:
    a = world.codes["a"]
    header = [*HEADER, "measures", "product"]
    rows = [
        [a, "P1", "electricity", "t", "interval", 1, 1440, "production", "熟料"],  # a carrier given
        [a, "P2", "", "t", "interval", 1, 1440, "production", ""],  # no product
        [a, "P3", "", "t", "instant", 1, 1440, "production", "熟料"],  # instant
        [a, "E1", "electricity", "kWh", "interval", 1, 60, "", "熟料"],  # product on an energy meter
        [a, "E2", "", "kWh", "interval", 1, 60, "energy", ""],  # an energy meter needs its carrier
        [a, "X", "electricity", "kWh", "interval", 1, 60, "water", ""],  # unknown measures
    ]
    with pytest.raises(MeterFileInvalid) as caught:
        _import(world, admin, reference, write_csv(tmp_path / "bad.csv", header, rows))
    found = {(row, column) for row, column, _ in caught.value.problems}
    assert found == {(2, "carrier"), (3, "product"), (4, "kind"), (5, "product"), (6, "carrier"), (7, "measures")}


def test_production_never_adds_to_energy_tce_or_co2(world, tmp_path, admin, reference, write_csv) -> None:
    a = _plant(world, tmp_path, admin, reference, write_csv)
    with session_scope(world.engine) as session:
        meters = {m.code: m for m in service_meters.list_meters(session, admin, a)}
        produced = service_rollups.meter_rollups(session, admin, "day", DAY, DAY, reference, meter_id=meters["P"].id)
        tree = service_tree.tree_rollups(session, admin, "enterprise", a, "day", DAY, DAY, reference)
        with pytest.raises(InvalidInput, match="production"):
            service_balance.meter_balance(session, admin, DAY, DAY, reference, meter_id=meters["P"].id)
        # E is P's parent in the tree, but a balance of E never counts the production meter among its children
        with pytest.raises(InvalidInput, match="no counted sub-meters"):
            service_balance.meter_balance(session, admin, DAY, DAY, reference, meter_id=meters["E"].id)
    (period,) = produced.periods
    assert (period.energy, period.unit, period.tce, period.tco2) == (100.0, "t", None, None)
    assert tree["meters"] == 1 and [g["carrier"] for g in tree["carriers"]] == ["electricity"]
    (total,) = tree["total"]["periods"]
    # 240 kWh × 0.1229 kgce/kWh (GB/T 2589 当量值) = 29.496 kgce = 0.029496 tce: electricity alone
    assert total["tce"] == pytest.approx(0.029496)


def test_migration_0020_runs_on_a_store_whose_meters_have_rows_that_refer_to_them(
    world: Any, tmp_path: Any, admin: Any, reference: Any, write_csv: Any
) -> None:
    # A store with an energy meter, its readings' arrivals and rollups (rows that refer to meter.id) goes down to 0019
    # and up again: on SQLite a batch re-creation of ``meter`` failed here with "FOREIGN KEY constraint failed".
    a = world.codes["a"]
    _import(
        world,
        admin,
        reference,
        write_csv(tmp_path / "e.csv", HEADER, [[a, "E", "electricity", "kWh", "interval", 1, 60]]),
    )
    moments = [datetime.combine(DAY, datetime.min.time()) + timedelta(hours=h) for h in range(24)]
    table = pa.table(
        {
            "credit_code": [a] * 24,
            "meter_code": ["E"] * 24,
            "ts": [m.strftime("%Y-%m-%dT%H:%M:%S+08:00") for m in moments],
            "value": ["10"] * 24,
        }
    )
    with session_scope(world.engine) as session:
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == 24
        referring = session.scalar(text("SELECT count(*) FROM reading_arrival"))
    assert referring
    downgrade(world.engine, "0019")
    upgrade(world.engine)
    with session_scope(world.engine) as session:
        assert session.scalar(text("SELECT count(*) FROM reading_arrival")) == referring
        assert session.scalar(text("SELECT count(*) FROM meter WHERE measures = 'energy'")) == 1
        with pytest.raises(IntegrityError):  # the constraints came back with the columns
            with session.begin_nested():
                session.execute(text("UPDATE meter SET measures = 'water'"))
