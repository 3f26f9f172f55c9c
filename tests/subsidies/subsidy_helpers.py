"""Shared set-up of the subsidy and asset tests: an API client over the seeded world, meters and readings.

The suite imports test helpers by path (``--import-mode=importlib``): a test module puts this folder on
``sys.path`` and imports ``subsidy_helpers``.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.assets import service_common, service_storage
from dualcarbon.assets.schemas import ReportedIn, StorageIn
from dualcarbon.core.access import Grant, Principal
from dualcarbon.monitoring import service_ingest, service_meters
from dualcarbon.monitoring.models import Meter
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import session_scope
from dualcarbon.subsidies import service_applications, service_pools
from dualcarbon.subsidies.schemas import ApplicationIn, ApplicationOut, PoolIn

ADMIN = Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


class Api:
    def __init__(self, client: TestClient, world: Any) -> None:
        self.client, self.world = client, world

    def __call__(self, method: str, url: str, user: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, url, headers=self.world.auth(user), **kw)


def add_meter(world: Any, tmp_path: Path, code: str, key: str = "a", carrier: str = "electricity") -> int:
    """A daily ``interval`` meter in kWh of enterprise ``key`` (each reading is one day's energy)."""
    path = tmp_path / f"meters-{code}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "interval_minutes"])
        writer.writerow([world.codes[key], code, carrier, "kWh", "interval", 1, 1440])
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, ADMIN, path, shipped_reference())
        return int(session.scalars(select(Meter.id).where(Meter.code == code)).one())


def daily_readings(world: Any, code: str, first: date, days: int, kwh: float, key: str = "a") -> None:
    """``days`` daily readings of ``kwh`` from ``first``, at 04:00 (noon in Asia/Shanghai if read as UTC)."""
    stamps = [
        datetime.combine(first + timedelta(days=i), datetime.min.time()) + timedelta(hours=4) for i in range(days)
    ]
    table = pa.table(
        {
            "credit_code": pa.array([world.codes[key]] * days, pa.string()),
            "meter_code": pa.array([code] * days, pa.string()),
            "ts": pa.array([s.isoformat() for s in stamps], pa.string()),
            "value": pa.array([str(kwh)] * days, pa.string()),
        }
    )
    with session_scope(world.engine) as session:
        receipt = service_ingest.ingest_table(session, ADMIN, table, source="file")
    assert receipt.accepted == days


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def storage_with_pool(world: Any, months: list[str], pool_yuan: float) -> int:
    """A storage system of enterprise a reporting 1 000 kWh in each of ``months`` and a 2023 storage pool of 温州."""
    with session_scope(world.engine) as session:
        ent_a, city = who(session, "ent_a"), who(session, "city")
        spec = StorageIn(credit_code=world.codes["a"], name="储能站", capacity_kwh=2000, power_kw=500)
        storage = service_storage.create_storage(session, ent_a, spec)
        reported = ReportedIn.model_validate(
            {"quantity": "discharge", "months": [{"month": m, "kwh": 1000} for m in months]}
        )
        service_common.report_months(session, ent_a, "storage", storage.id, reported)
        service_pools.create_pool(
            session,
            city,
            PoolIn(pack="longgang", rule="storage", year=2023, region_code="330300", total_yuan=pool_yuan),
        )
        return storage.id


def apply_storage(world: Any, asset_id: int, month: str) -> ApplicationOut:
    """Enterprise a applies (龙港 storage rule, 2023) for the discharge of one month of its storage system."""
    body = ApplicationIn.model_validate(
        {
            "credit_code": world.codes["a"],
            "pack": "longgang",
            "rule": "storage",
            "year": 2023,
            "evidence": {"kind": "storage_discharge", "asset_id": asset_id, "period_from": month, "period_to": month},
        }
    )
    with session_scope(world.engine) as session:
        return service_applications.apply(session, who(session, "ent_a"), body, shipped_reference())


def storage_applications(world: Any, months: list[str], pool_yuan: float) -> list[int]:
    """A storage system of enterprise a reporting 1 000 kWh a month; one application per month.

    Each: 1 000 kWh × 0.8 元/kWh (龙港 储能放电量补贴) = 800 元.
    """
    asset_id = storage_with_pool(world, months, pool_yuan)
    ids = []
    for month in months:
        out = apply_storage(world, asset_id, month)
        assert out.amount_yuan == 800.0  # 1 000 kWh × 0.8 元/kWh
        ids.append(out.id)
    return ids
