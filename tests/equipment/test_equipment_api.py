"""The equipment register, 设备对标 (JSON and xlsx), the obsolete list, technologies and waste-heat matching over
HTTP and through the services, on both stores, with hand-worked numbers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import PermissionDenied
from dualcarbon.equipment import service_catalogues as catalogues
from dualcarbon.equipment import service_register as register
from dualcarbon.equipment.io.records import FileInvalid
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog
from dualcarbon.ui.commands import cli_principal

from ..conftest import Api

DATA = Path(__file__).with_name("data")
# GB/T 2589 电力（当量值） 0.1229 kgce/kWh (reference row CC-036)
KGCE_PER_KWH = 0.1229


def line(code: str, asset: str, **extra: Any) -> dict[str, Any]:
    return {"credit_code": code, "asset_code": asset, **extra}


def regulator(session: Any, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def audit_rows(world: Any) -> int:
    with session_scope(world.engine) as session:
        return int(session.scalar(select(func.count(AuditLog.id))) or 0)


def seed_register(api: Api) -> str:
    code = api.world.codes["a"]
    lines = [
        line(
            code,
            "M-01",
            equipment_type="motor",
            model="Y-160M-4",
            rated_power_kw=15,
            poles=4,
            efficiency_pct=90.0,
            quantity=2,
            operating_hours=6000,
            load_factor=0.75,
            year_made=1998,
        ),
        line(
            code,
            "M-02",
            equipment_type="motor",
            model="YE4-160M-4",
            rated_power_kw=15,
            poles=4,
            efficiency_pct=95.5,
            operating_hours=6000,
        ),
        line(code, "M-03", equipment_type="motor", rated_power_kw=16, poles=4, efficiency_pct=93.0),
        line(
            code, "M-04", equipment_type="motor", rated_power_kw=15, poles=4, efficiency_pct=94.0, operating_hours=4000
        ),
        line(code, "P-01", equipment_type="pump", model="IS80", rated_power_kw=15, efficiency_pct=70, year_made=1995),
    ]
    for body in lines:
        response = api("POST", "/api/v1/equipment", "ent_a", json=body)
        assert response.status_code == 200, response.text
    return code


def test_register_benchmark_and_workbook(api: Api) -> None:
    code = seed_register(api)
    with session_scope(api.world.engine) as session:
        receipt = catalogues.import_obsolete(session, cli_principal(), DATA / "TEST_DATA_obsolete_list.csv")
    assert (receipt.rows, receipt.created) == (2, 2)

    response = api("GET", f"/api/v1/enterprises/{code}/equipment/benchmark", "ent_a")
    assert response.status_code == 200, response.text
    report = response.json()
    items = {item["asset_code"]: item for item in report["items"]}
    m1 = items["M-01"]
    # EQ-066 (15 kW, 4 poles): 1级 95.1, 3级 92.1. 90.0 % is below 3级: gap to 1级 95.1 − 90.0 = 5.1 pp,
    # to the limit 90.0 − 92.1 = −2.1 pp.
    assert (m1["row_id"], m1["grade"], m1["below_limit"]) == ("EQ-066", None, True)
    assert m1["gap_to_grade1_pp"] == pytest.approx(5.1)
    assert m1["gap_to_limit_pp"] == pytest.approx(-2.1)
    # per unit 15 × 0.75 × 6000 × (1/0.900 − 1/0.951) = 4 022.08 kWh; × 2 units = 8 044.16 kWh/yr
    assert m1["energy_at_stake_kwh"] == pytest.approx(8044.16, abs=0.02)
    # 8 044.16 kWh × 0.1229 kgce/kWh = 988.63 kgce = 0.98863 tce
    assert m1["energy_at_stake_tce"] == pytest.approx(8044.16 * KGCE_PER_KWH / 1000, rel=1e-5)
    assert [m["entry_code"] for m in m1["obsolete"]] == ["T-1"]  # Y-160M-4 fits the test pattern Y-*
    m2 = items["M-02"]
    assert (m2["grade"], m2["energy_at_stake_kwh"]) == (1, 0.0)  # 95.5 ≥ 95.1: grade 1, nothing at stake
    assert m2["obsolete"] == []  # YE4-… does not fit Y-*
    m3 = items["M-03"]
    assert m3["grade"] is None and m3["below_limit"] is None and "no interpolation" in m3["notes"][0]
    m4 = items["M-04"]
    # 94.0 ≥ 93.9 (2级) but < 95.1: grade 2; no load factor on the line and the shipped default is blank
    assert (m4["grade"], m4["energy_at_stake_kwh"]) == (2, None)
    assert "no load factor" in m4["notes"][0]
    p1 = items["P-01"]
    assert p1["grade"] is None and [m["entry_code"] for m in p1["obsolete"]] == ["T-2"]  # made 1995 < 2000
    totals = report["totals"]
    assert (totals["items"], totals["units"], totals["benchmarked"]) == (5, 6, 3)
    assert (totals["grade1"], totals["grade2"], totals["below_limit"], totals["obsolete"]) == (1, 1, 1, 2)
    assert totals["without_energy_figure"] == 1
    assert totals["energy_at_stake_kwh"] == pytest.approx(8044.16, abs=0.02)

    xlsx = api("GET", f"/api/v1/enterprises/{code}/equipment/benchmark.xlsx", "ent_a")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["设备对标", "汇总", "说明"]
    sheet = book["设备对标"]
    header = [c.value for c in sheet[3]]
    first = dict(zip(header, [c.value for c in sheet[4]], strict=True))
    assert (first["设备编号"], first["能效等级"], first["对标行"]) == ("M-01", "未达3级（低于限定值）", "EQ-066")
    assert first["节能潜力(kWh/a)"] == pytest.approx(8044.16, abs=0.02)
    assert "T-1" in first["淘汰目录"]


def test_access_enterprise_own_regulator_region(api: Api) -> None:
    code = seed_register(api)
    url = f"/api/v1/enterprises/{code}/equipment/benchmark"
    assert api("GET", url, "ent_b").status_code == 404  # another enterprise
    assert api("GET", url, "longwan").status_code == 404  # a regulator of another district
    assert api("GET", url, "lucheng").status_code == 200  # the regulator of its district
    assert len(api("GET", "/api/v1/equipment", "ent_b").json()) == 0
    assert len(api("GET", "/api/v1/equipment", "city").json()) == 5
    body = line(code, "X-1", equipment_type="fan")
    assert api("POST", "/api/v1/equipment", "ent_b", json=body).status_code == 404
    assert api("POST", "/api/v1/equipment", "expert", json=body).status_code == 403  # a reviewer reads only
    bad = api("POST", "/api/v1/equipment", "ent_a", json=line(code, "X-2", equipment_type="fan", efficiency_pct=120))
    assert bad.status_code == 422 and "efficiency_pct" in bad.text


def test_update_is_audited_and_a_stale_version_gets_409(api: Api) -> None:
    code = seed_register(api)
    before = audit_rows(api.world)
    body = line(
        code,
        "M-04",
        equipment_type="motor",
        rated_power_kw=15,
        poles=4,
        efficiency_pct=94.0,
        operating_hours=4000,
        load_factor=0.6,
    )
    first = api("POST", "/api/v1/equipment", "ent_a", params={"lock_version": 0}, json=body)
    assert first.status_code == 200 and first.json()["lock_version"] == 1
    assert audit_rows(api.world) == before + 1
    again = api("POST", "/api/v1/equipment", "ent_a", params={"lock_version": 0}, json={**body, "load_factor": 0.7})
    assert again.status_code == 409
    item_id = first.json()["id"]
    assert api("DELETE", f"/api/v1/equipment/{item_id}", "ent_b").status_code == 404
    assert api("DELETE", f"/api/v1/equipment/{item_id}", "ent_a").status_code == 204
    assert api("GET", f"/api/v1/equipment/{item_id}", "ent_a").status_code == 404
    assert audit_rows(api.world) == before + 2


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_register_import_all_or_nothing_and_idempotent(world: Any, tmp_path: Path) -> None:
    code_a, code_b = world.codes["a"], world.codes["b"]
    good = _write(
        tmp_path / "register.csv",
        "统一社会信用代码,设备编号,设备类型,型号,额定功率(kW),极数,额定效率(%),台数,年运行小时(h),负载率\n"
        f"{code_a},M-01,电动机,Y-160M-4,15,4,90.0,2,6000,0.75\n"
        f"{code_b},F-01,fan,,30,,,1,,\n",
    )
    with session_scope(world.engine) as session:
        receipt = register.import_register(session, cli_principal(), good)
    assert (receipt.rows, receipt.created, receipt.updated, receipt.unchanged) == (2, 2, 0, 0)
    rows_after_first = audit_rows(world)
    with session_scope(world.engine) as session:
        again = register.import_register(session, cli_principal(), good)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert audit_rows(world) == rows_after_first  # nothing changed, nothing audited

    bad = _write(
        tmp_path / "bad.csv",
        "credit_code,asset_code,equipment_type,efficiency_pct,poles\n"
        f"{code_a},M-09,motor,91,4\n"  # fine on its own
        f"{code_a},M-10,motor,120,4\n"  # efficiency above 100 %
        f"{code_a},M-11,lathe,,\n"  # unknown type
        "91330000XXXXXXXXX0,M-12,motor,,\n",  # no such enterprise
    )
    with session_scope(world.engine) as session, pytest.raises(FileInvalid) as caught:
        register.import_register(session, cli_principal(), bad)
    rows = sorted((r, c) for r, c, _ in caught.value.problems)
    assert rows == [(3, "efficiency_pct"), (4, "equipment_type"), (5, "credit_code")]
    with session_scope(world.engine) as session:
        codes = {item.asset_code for item in register.list_items(session, cli_principal())}
    assert codes == {"M-01", "F-01"}  # M-09 was not written either


def test_technologies_import_search_and_code(api: Api, tmp_path: Path) -> None:
    # TEST DATA: invented entries, not from an official catalogue.
    path = _write(
        tmp_path / "TEST_DATA_technologies.csv",
        "编号,技术名称,领域,节能率(%),投资回收期(年),技术简介,典型案例,目录批次\n"
        "TEST-001,测试永磁电机技术,电机系统,12,2.5,TEST DATA 永磁同步,测试案例甲,TEST DATA 批次\n"
        "TEST-002,测试余热回收技术,余热余压,,4,TEST DATA 烟气余热,,TEST DATA 批次\n",
    )
    with session_scope(api.world.engine) as session:
        receipt = catalogues.import_technologies(session, cli_principal(), path)
        assert (receipt.created, receipt.unchanged) == (2, 0)
        assert catalogues.import_technologies(session, cli_principal(), path).unchanged == 2
    found = api("GET", "/api/v1/technologies", "ent_a", params={"q": "永磁"}).json()
    assert [t["code"] for t in found] == ["TEST-001"] and found[0]["saving_rate_pct"] == 12.0
    assert [t["code"] for t in api("GET", "/api/v1/technologies", "city", params={"field": "余热"}).json()] == [
        "TEST-002"
    ]
    assert len(api("GET", "/api/v1/technologies", "ent_b", params={"q": "100%"}).json()) == 0  # % is literal
    assert api("GET", "/api/v1/technologies/TEST-002", "ent_a").json()["payback_years"] == 4.0
    assert api("GET", "/api/v1/technologies/NOPE", "ent_a").status_code == 404
    with session_scope(api.world.engine) as session, pytest.raises(PermissionDenied):
        catalogues.import_technologies(session, regulator(session, "city"), path)  # imports are the admin's
    with session_scope(api.world.engine) as session, pytest.raises(FileInvalid):
        bad = _write(tmp_path / "bad.csv", "code,name,field,source_batch,saving_rate_pct\nT,n,f,b,150\n")
        catalogues.import_technologies(session, cli_principal(), bad)


def test_waste_heat_matches_ranked_by_the_data_weights(api: Api) -> None:
    a, b = api.world.codes["a"], api.world.codes["b"]
    points = [
        (
            "ent_a",
            {
                "credit_code": a,
                "kind": "source",
                "name": "窑尾烟气",
                "temperature_c": 180,
                "medium": "烟气",
                "quantity": 5,
                "quantity_unit": "GJ/h",
                "lon": 120.65,
                "lat": 28.00,
            },
        ),
        (
            "ent_b",
            {
                "credit_code": b,
                "kind": "sink",
                "name": "工艺热水",
                "temperature_c": 80,
                "medium": "热水",
                "quantity": 8,
                "quantity_unit": "GJ/h",
                "start_hour": 8,
                "end_hour": 20,
                "lon": 120.65,
                "lat": 28.05,
            },
        ),
        (
            "ent_b",
            {
                "credit_code": b,
                "kind": "sink",
                "name": "高温工艺",
                "temperature_c": 175,
                "medium": "蒸汽",
                "quantity": 2,
                "quantity_unit": "t/h",
            },
        ),
    ]
    before = audit_rows(api.world)
    for user, body in points:
        response = api("POST", "/api/v1/waste-heat/points", user, json=body)
        assert response.status_code == 200, response.text
    assert audit_rows(api.world) == before + 3  # one waste_heat.create row per point
    assert api("POST", "/api/v1/waste-heat/points", "ent_b", json=points[0][1]).status_code == 404  # not its own
    result = api("GET", "/api/v1/waste-heat/matches", "city", params={"region": "330300"}).json()
    assert (result["dt_min_c"], result["max_distance_km"]) == (10.0, 10.0)
    # 180 °C cannot serve 175 + 10 °C: one pair only.
    assert len(result["matches"]) == 1
    match = result["matches"][0]
    # fit (80 + 10 + 273.15) / (180 + 273.15) = 0.801390; quantity 5/8 = 0.625; schedule 12 h of 12 = 1.0;
    # distance 0.05° of latitude = 0.05 × 111.195 km = 5.5597 km → 1 − 5.5597/10 = 0.44403;
    # score 0.25 × (0.801390 + 0.625 + 1.0 + 0.44403) = 0.717605
    assert match["temperature_fit"] == pytest.approx(363.15 / 453.15)
    assert match["quantity_overlap"] == pytest.approx(0.625)
    assert match["schedule_overlap"] == pytest.approx(1.0)
    assert match["distance_km"] == pytest.approx(5.55975, abs=1e-4)
    assert match["score"] == pytest.approx(0.25 * (363.15 / 453.15 + 0.625 + 1.0 + (1 - 5.55975 / 10)), abs=1e-5)
    assert match["temperature_margin_c"] == 90.0
    # an enterprise sees pairs among its own points only; a regulator outside the region gets 404
    assert api("GET", "/api/v1/waste-heat/matches", "ent_a").json()["matches"] == []
    assert api("GET", "/api/v1/waste-heat/matches", "lucheng", params={"region": "330303"}).status_code == 404
    bad = {**points[0][1], "name": "x", "start_hour": 20, "end_hour": 8}
    assert api("POST", "/api/v1/waste-heat/points", "ent_a", json=bad).status_code == 422


def test_register_import_from_xlsx(world: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["统一社会信用代码", "设备编号", "设备类型", "额定功率(kW)", "极数", "额定效率(%)", "出厂年份", "台数"]
    )
    sheet.append([world.codes["a"], "M-X1", "电动机", 15.0, 4.0, 93.9, 2005.0, 3.0])  # numbers as Excel stores them
    path = tmp_path / "register.xlsx"
    book.save(path)
    with session_scope(world.engine) as session:
        assert register.import_register(session, cli_principal(), path).created == 1
        (item,) = register.list_items(session, cli_principal(), world.codes["a"])
    assert (item.rated_power_kw, item.poles, item.efficiency_pct, item.year_made, item.quantity) == (
        15.0,
        4,
        93.9,
        2005,
        3,
    )
