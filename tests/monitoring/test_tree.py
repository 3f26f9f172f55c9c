"""Totals through the meter tree: enterprise, site, region, carrier; counted meters only; scope checks (both stores).

The plant (enterprise a, 鹿城 330302; b in 龙湾 330303, both under 温州 330300), all ``interval`` meters:
P electricity kWh, not counted (总表); C1, C2 its counted children; C3 its child, not counted; G natural gas m3,
counted; V virtual "C1 + C2" (never summed); b/P electricity, counted.
Readings at 00:00, 00:15, 00:30, 00:45 of 2024-03-01: P 10, C1 6, C2 3, C3 1, G 2.5, b/P 5 each →
P 40, C1 24, C2 12, C3 4 kWh, G 10 m3, b/P 20 kWh on the day; every meter 4 of 96 values.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dualcarbon.core.errors import NotFound
from dualcarbon.monitoring import service_ingest, service_meters, service_tree
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_factors import factors_for
from dualcarbon.registry import service_sites
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "parent_meter_code", "counted"]
HEADER_V = [*HEADER, "formula"]
DAY = date(2024, 3, 1)
ELECTRICITY_TCE = 0.1229 / 1000  # tce per kWh, 当量值 (CC-036)


def plant(world: Any, tmp_path: Path, admin: Any, reference: Any, write_csv: Any) -> dict[str, int]:
    a, b = world.codes["a"], world.codes["b"]
    rows = [
        [a, "P", "electricity", "kWh", "interval", 1, "", "false", ""],
        [a, "C1", "electricity", "kWh", "interval", 1, "P", "true", ""],
        [a, "C2", "electricity", "kWh", "interval", 1, "P", "true", ""],
        [a, "C3", "electricity", "kWh", "interval", 1, "P", "false", ""],
        [a, "G", "natural_gas", "m3", "interval", 1, "", "true", ""],
        [a, "V", "electricity", "kWh", "virtual", 1, "", "true", "C1 + C2"],
        [b, "P", "electricity", "kWh", "interval", 1, "", "true", ""],
    ]
    path = write_csv(tmp_path / "plant.csv", HEADER_V, rows)
    values = {("a", "P"): 10, ("a", "C1"): 6, ("a", "C2"): 3, ("a", "C3"): 1, ("a", "G"): 2.5, ("b", "P"): 5}
    batch = [
        (world.codes[key], code, f"2024-03-01T00:{minute:02d}:00", str(value))
        for (key, code), value in values.items()
        for minute in (0, 15, 30, 45)
    ]
    names = ["credit_code", "meter_code", "ts", "value"]
    table = pa.table({n: pa.array([r[i] for r in batch], pa.string()) for i, n in enumerate(names)})
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
        receipt = service_ingest.ingest_table(session, admin, table, source="file")
        assert receipt.accepted == 24, receipt
        key_of = {
            e.id: k
            for k in ("a", "b")
            for e in session.scalars(select(Enterprise).where(Enterprise.credit_code == world.codes[k]))
        }
        return {f"{key_of[m.enterprise_id]}/{m.code}": m.id for m in session.scalars(select(Meter))}


def _tree(world: Any, principal: Any, reference: Any, scope: str, ident: str, **kw: Any) -> dict[str, Any]:
    with session_scope(world.engine) as session:
        return service_tree.tree_rollups(session, principal, scope, ident, "day", DAY, DAY, reference, **kw)


def _group(result: dict[str, Any], carrier: str) -> dict[str, Any]:
    return next(g for g in result["carriers"] if g["carrier"] == carrier)


def test_enterprise_total_counts_only_counted_meters(world, tmp_path, admin, reference, write_csv) -> None:
    plant(world, tmp_path, admin, reference, write_csv)
    result = _tree(world, admin, reference, "enterprise", world.codes["a"])
    electricity = _group(result, "electricity")
    # C1 + C2 = 24 + 12 = 36 kWh; P and C3 are not counted, V is virtual.
    assert electricity["meters"] == 2 and electricity["unit"] == "kWh"
    period = electricity["periods"][0]
    assert period["start"] == "2024-03-01T00:00:00+08:00"
    assert period["energy"] == pytest.approx(36.0)
    assert period["tce"] == pytest.approx(36 * ELECTRICITY_TCE)  # 0.0044244 tce
    assert period["completeness"] == pytest.approx(4 / 96) and period["flags"] == ["incomplete"]
    gas = _group(result, "natural_gas")["periods"][0]
    assert gas["energy"] == pytest.approx(10.0)
    gas_tce = factors_for(reference, "natural_gas", "m3", 2024, "浙江省").tce_per_unit
    assert gas_tce is not None
    total = result["total"]["periods"][0]
    assert total["tce"] == pytest.approx(36 * ELECTRICITY_TCE + 10 * gas_tce)
    assert result["meters"] == 3


def test_carrier_site_and_region_scopes(world, tmp_path, admin, reference, write_csv, enterprise_principal) -> None:
    ids = plant(world, tmp_path, admin, reference, write_csv)
    only = _tree(world, admin, reference, "enterprise", world.codes["a"], carrier="天然气")
    assert [g["carrier"] for g in only["carriers"]] == ["natural_gas"]

    with session_scope(world.engine) as session:
        site = service_sites.add_site(session, admin, world.codes["a"], service_sites.SiteSpec("一厂区"))
        session.get(Meter, ids["a/C1"]).site_id = site.id  # type: ignore[union-attr]
        site_id = site.id
    at_site = _tree(world, admin, reference, "site", str(site_id))
    assert _group(at_site, "electricity")["periods"][0]["energy"] == pytest.approx(24.0)  # C1 only

    # 温州 330300 holds a (鹿城) and b (龙湾): 36 + 20 = 56 kWh over three counted electricity meters.
    region = _tree(world, admin, reference, "region", "330300")
    assert _group(region, "electricity")["periods"][0]["energy"] == pytest.approx(56.0)
    assert _group(region, "electricity")["meters"] == 3 and region["enterprises"] == 2
    # 龙湾 only: b/P 20 kWh.
    assert _group(_tree(world, admin, reference, "region", "330303"), "electricity")["periods"][0]["energy"] == 20.0

    ent_b = enterprise_principal("b")
    with pytest.raises(NotFound):
        _tree(world, ent_b, reference, "enterprise", world.codes["a"])
    with pytest.raises(NotFound):
        _tree(world, ent_b, reference, "region", "330300")
    with pytest.raises(NotFound):
        _tree(world, ent_b, reference, "site", str(site_id))


def test_scope_rollups_api(world, client, tmp_path, admin, reference, write_csv) -> None:
    plant(world, tmp_path, admin, reference, write_csv)
    query = {
        "scope": "enterprise",
        "id": world.codes["a"],
        "interval": "hour",
        "from": "2024-03-01",
        "to": "2024-03-01",
    }
    mine = client.get("/api/v1/rollups", params=query, headers=world.auth("ent_a"))
    assert mine.status_code == 200, mine.text
    hours = _group(mine.json(), "electricity")["periods"]
    assert len(hours) == 24 and hours[0]["energy"] == 36.0 and hours[1]["energy"] is None
    assert client.get("/api/v1/rollups", params=query, headers=world.auth("ent_b")).status_code == 404
    region = client.get(
        "/api/v1/rollups", params=query | {"scope": "region", "id": "330302"}, headers=world.auth("city")
    )
    assert region.status_code == 200 and region.json()["enterprises"] == 1
    lucheng_only = query | {"scope": "region", "id": "330300"}
    assert client.get("/api/v1/rollups", params=lucheng_only, headers=world.auth("lucheng")).status_code == 404
    bad = client.get("/api/v1/rollups", params=query | {"scope": "galaxy"}, headers=world.auth("ent_a"))
    assert bad.status_code == 422 and "scope" in bad.text


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_rollups_show_enterprise_total_command(world, tmp_path, admin, reference, write_csv) -> None:
    from dualcarbon.app.cli import app

    plant(world, tmp_path, admin, reference, write_csv)
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    args = ["rollups", "show", "--enterprise", world.codes["a"], "--interval", "day"]
    args += ["--from", "2024-03-01", "--to", "2024-03-01", "--data-dir", data_dir]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert _group(json.loads(shown.stdout), "electricity")["periods"][0]["energy"] == 36.0
    as_csv = CliRunner().invoke(app, [*args, "--format", "csv"]).stdout.splitlines()
    assert as_csv[0] == "carrier,start,energy,unit,tce,tce_equal,tco2,completeness,flags"
    assert as_csv[1].startswith("electricity,2024-03-01T00:00:00+08:00,36.0,kWh,")
