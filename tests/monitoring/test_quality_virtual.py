"""A virtual meter (kind ``virtual``, computed from its members) is no data item of its own: data quality neither
expects values from it nor counts it as an uncalibrated meter (issue #8 acceptance walk: an enterprise with one
virtual meter got a "no_data" item every day and its completeness and accuracy fell). Both stores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dualcarbon.core.access import Principal
from dualcarbon.monitoring import service_meters
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.db import session_scope

from .test_quality import DAY, _show, seed_quality_world

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "formula"]


def test_a_virtual_meter_is_not_a_quality_item(
    world: Any, tmp_path: Path, write_csv: Callable[..., Path], reference: ReferenceSet, admin: Principal
) -> None:
    seed_quality_world(world, tmp_path, write_csv, reference)
    before = _show(world, admin, reference, day=DAY)
    a = world.codes["a"]
    path = write_csv(tmp_path / "virtual.csv", HEADER, [[a, "V1", "electricity", "kWh", "virtual", 1, "R1 + R2"]])
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
    after = _show(world, admin, reference, day=DAY, refresh=True)
    assert "V1" not in {item.meter for item in after.items}
    assert after.meters == before.meters == 5
    assert (after.completeness, after.accuracy, after.index) == (before.completeness, before.accuracy, before.index)
