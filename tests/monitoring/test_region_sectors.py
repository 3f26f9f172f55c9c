"""The region dashboard names sectors (GB/T 4754 大类) from the shipped table and never invents a name: a code the
table lacks stays a code, flagged, and listed in ``unnamed_sectors``. World: a C3443 (鹿城), b C3011 (龙湾)."""

from __future__ import annotations

from datetime import date
from typing import Any

from dualcarbon.core.access import Grant, Principal
from dualcarbon.monitoring import service_region
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

REGULATOR = Principal(user_id=None, username="wz", grants=(Grant("regulator", region_code="330300"),))


def test_sector_names_come_from_the_table() -> None:
    names = service_region.sector_names()
    assert names["C32"] == "有色金属冶炼和压延加工业"
    assert names["C30"] == "非金属矿物制品业"
    assert len(names) == 31 and set(names) == {f"C{k}" for k in range(13, 44)}


def test_the_dashboard_shows_names_and_says_when_one_is_missing(world: Any) -> None:
    with session_scope(world.engine) as session:
        session.query(Enterprise).filter_by(credit_code=world.codes["b"]).one().industry_code = "D4411"
    with session_scope(world.engine, write=False) as session:
        board = service_region.region_dashboard(session, REGULATOR, "330300", date(2024, 3, 1), date(2024, 3, 2))
    sectors = {t.key: (t.name, t.named, t.enterprises) for t in board.by_sector}
    assert sectors == {"C34": ("通用设备制造业", True, 1), "D44": ("D44", False, 1)}
    assert board.unnamed_sectors == ["D44"]
    rows = {r.credit_code: (r.sector, r.sector_name) for r in board.rows}
    assert rows == {world.codes["a"]: ("C3443", "通用设备制造业"), world.codes["b"]: ("D4411", None)}


def test_costs_are_the_same_whether_summed_for_the_page_or_for_the_region(world, meters, admin, tmp_path) -> None:
    """On SQLite the page sums the costs of its own rows only unless sorted by cost or exported: same numbers."""
    from dualcarbon.monitoring import service_cost, service_ingest

    from .test_cost import THREE_BANDS, _tariff_reference
    from .test_dashboard_region import FIRST, LAST, _readings

    reference = _tariff_reference(tmp_path, THREE_BANDS)
    with session_scope(world.engine) as session:
        service_ingest.ingest_table(session, admin, _readings(world), source="file")
    with session_scope(world.engine) as session:
        for key in ("a", "b"):
            enterprise = session.query(Enterprise).filter_by(credit_code=world.codes[key]).one()
            service_cost.refresh_costs(session, enterprise, reference)
    boards = []
    with session_scope(world.engine, write=False) as session:
        for sort, size, export in (("tce", 1, False), ("cost_yuan", 10, False), ("name", 10, True)):
            pages = [
                service_region.region_dashboard(
                    session, REGULATOR, "330300", FIRST, LAST, page=p, size=size, sort=sort, export=export
                )
                for p in (1, 2)
            ]
            boards.append({r.credit_code: r.cost_yuan for b in pages for r in b.rows})
    assert boards[0] == boards[1] == boards[2]
    assert len(boards[0]) == 2 and all(v is not None and v > 0 for v in boards[0].values())
