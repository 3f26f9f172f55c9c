"""Shared set-up of the footprint tests: an imported material factor table and an approved annual report."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.reference import imports
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.reports import service_workflow as reports
from dualcarbon.store.db import session_scope

#: TEST FIXTURE value, not an official factor: 钢材 (row MEF-101, shipped blank) filled with 2000 kgCO₂e/t.
STEEL_KG_PER_T = 2000.0
HEADER = ["row_id", "material", "unit", "kgco2e_per_unit", "boundary", "source", "confidence"]

#: Purchased heat 10,000 GJ × 0.11 tCO₂/GJ (emission_factors EF-027) = 1,100 tCO₂; two products by mass.
HEAT_REPORT = {
    "energy_lines": [{"carrier": "热力", "quantity": 10000, "unit": "GJ"}],
    "outputs": [
        {"product": "产品甲", "quantity": 600, "unit": "t"},
        {"product": "产品乙", "quantity": 400, "unit": "t"},
    ],
}


def import_steel_factor(data_dir: Path) -> ReferenceSet:
    """Import (through the real import, checked against the table's catalogue entry) the test steel factor."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "steel.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(
            [
                "MEF-101",
                "钢材",
                "t",
                STEEL_KG_PER_T,
                "cradle-to-gate",
                "test fixture",
                "uncertain: test value, not official",
            ]
        )
    result = imports.import_file(path, data_dir, note="footprint tests")
    assert result.table == "material_emission_factors" and result.created
    return ReferenceSet(data_dir)


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def approved_report(world: Any, key: str = "b", year: int = 2024, content: dict[str, Any] | None = None) -> int:
    """An annual report of enterprise ``key`` filed by its user and approved by the province."""
    with session_scope(world.engine) as session:
        report = reports.create_report(
            session, who(session, f"ent_{key}"), world.codes[key], "year", year, 0, content or HEAT_REPORT
        )
        reports.submit(session, who(session, f"ent_{key}"), report.id)
        reports.approve(session, who(session, "province"), report.id)
        return report.id
