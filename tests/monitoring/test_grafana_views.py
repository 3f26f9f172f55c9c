"""The Grafana views (PostgreSQL) and the dashboard JSON of deploy/grafana, queried for real.

Data: enterprise "a"'s meter E1 (cumulative, ×2) reads 10 kWh in every hour of 2024-03-01 (Asia/Shanghai); a
test tariff for 温州 (3303) prices 谷 00–08 and 22–24 at 0.30, 平 11–17 at 0.60, 峰 08–11 and 17–22 at 0.90 元/kWh.

* energy 24 × 10 = 240 kWh; tce (当量值) 240 × 0.1229 / 1000 = 0.029496 tce;
* CO₂ 0.240 MWh × 0.4974 tCO₂/MWh (浙江 2023, GRID-019) = 0.119376 tCO₂;
* cost 10 h × 10 × 0.30 + 6 × 10 × 0.60 + 8 × 10 × 0.90 = 30 + 36 + 72 = 138 元.

Grafana itself is not installed: Debian has no ``grafana`` package (``apt-cache policy grafana`` is empty), so
there is no provisioning test; the panels' SQL is run here against the test database instead.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from sqlalchemy import inspect, select, text

from dualcarbon.alerts.models import Alert
from dualcarbon.monitoring import service_cost, service_ingest
from dualcarbon.monitoring.models import EnterpriseQualityDay
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
VIEWS = (
    "grafana_rollup_hourly",
    "grafana_rollup_daily",
    "grafana_co2_daily",
    "grafana_quality_daily",
    "grafana_alerts",
)
HEADER = (
    "row_id,region_code,region_name,year_from,year_to,carrier,months,hours,band,band_zh,price,unit,source,confidence"
)
TARIFF = [
    "T-V,3303,温州市,2024,2024,electricity,1-12,0-8|22-24,valley,谷,0.30,元/kWh,test,test",
    "T-F,3303,温州市,2024,2024,electricity,1-12,11-17,flat,平,0.60,元/kWh,test,test",
    "T-P,3303,温州市,2024,2024,electricity,1-12,8-11|17-22,peak,峰,0.90,元/kWh,test,test",
]


def _reference(tmp_path: Path) -> ReferenceSet:
    folder = tmp_path / "refdata" / "reference"
    (folder / "electricity_tariffs_tou").mkdir(parents=True)
    (folder / "electricity_tariffs_tou" / "t.csv").write_text("\n".join([HEADER, *TARIFF]) + "\n", encoding="utf-8")
    entry = {"version": "t", "file": "electricity_tariffs_tou/t.csv"}
    (folder / "manifest.json").write_text(json.dumps({"tables": {"electricity_tariffs_tou": [entry]}}), "utf-8")
    assert len(list(csv.DictReader(open(folder / "electricity_tariffs_tou" / "t.csv", encoding="utf-8")))) == 3
    return ReferenceSet(tmp_path / "refdata")


def _seed(world: Any, meters: dict[str, int], admin: Any, reference: ReferenceSet) -> int:
    code = world.codes["a"]
    values = [
        (datetime(2024, 3, 1, i // 4, (i % 4) * 15) if i < 96 else datetime(2024, 3, 2), 1.25 * i) for i in range(97)
    ]
    table = pa.table(
        {
            "credit_code": [code] * len(values),
            "meter_code": ["E1"] * len(values),
            "ts": [ts.isoformat() for ts, _ in values],
            "value": [str(v) for _, v in values],
        }
    )
    with session_scope(world.engine) as session:
        assert service_ingest.ingest_table(session, admin, table, source="file").accepted == 97
        enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).one()
        service_cost.refresh_costs(session, enterprise, reference)
        session.add(
            EnterpriseQualityDay(
                enterprise_id=enterprise.id, day=date(2024, 3, 1), meters=1, calibrated_meters=1, expected=96,
                received=96, value_count=96, timely=96, flagged=0, completeness=1.0, accuracy=1.0, timeliness=1.0,
                validity=1.0, quality_index=1.0, final=True,
            )
        )  # fmt: skip
        session.add(
            Alert(
                source="stale", source_key=f"stale:{meters['a/E1']}", enterprise_id=enterprise.id,
                meter_id=meters["a/E1"], level="orange", state="open", title_zh="计量器具数据中断", detail={},
                occurrences=1,
            )
        )  # fmt: skip
        return enterprise.id


def _grafana_sql(sql: str, code: str) -> str:
    """A panel's SQL with the Grafana macros this dashboard uses replaced as Grafana would."""
    sql = sql.replace("$__timeFilter(time)", "time BETWEEN '2024-02-01T00:00:00Z' AND '2024-04-01T00:00:00Z'")
    sql = sql.replace("$enterprise", code)
    assert "$" not in sql, sql
    return sql


def test_views_answer_with_the_hand_worked_day(world, meters, admin, tmp_path) -> None:
    if world.engine.dialect.name != "postgresql":
        # SQLite: the migration creates the cost table and nothing else.
        names = inspect(world.engine).get_view_names()
        assert not [n for n in names if n.startswith("grafana_")]
        assert "monitoring_cost" in inspect(world.engine).get_table_names()
        return
    _seed(world, meters, admin, _reference(tmp_path))
    code = world.codes["a"]
    with world.engine.connect() as con:
        assert set(VIEWS) <= set(inspect(con).get_view_names())
        day = con.execute(
            text(
                "SELECT day_local, tce, tco2, cost_yuan FROM grafana_co2_daily WHERE credit_code = :c "
                "AND tce IS NOT NULL"
            ),
            {"c": code},
        ).one()
        assert day[0] == date(2024, 3, 1)
        assert (
            day[1] == pytest.approx(0.029496) and day[2] == pytest.approx(0.119376) and day[3] == pytest.approx(138.0)
        )
        hours = con.execute(
            text(
                "SELECT energy, cost_yuan FROM grafana_rollup_hourly WHERE credit_code = :c AND meter_code = 'E1' "
                "AND time >= '2024-02-29T16:00:00Z' AND time < '2024-03-01T16:00:00Z' ORDER BY time"
            ),
            {"c": code},
        ).all()
        assert len(hours) == 24 and all(h[0] == pytest.approx(10.0) for h in hours)
        assert [round(h[1], 2) for h in hours[:9]] == [3.0] * 8 + [9.0]  # 00–08 valley 3.00, 08:00 peak 9.00
        daily = con.execute(
            text(
                "SELECT energy, cost_yuan, energy_peak_sharp FROM grafana_rollup_daily "
                "WHERE meter_code = 'E1' AND energy IS NOT NULL"
            )
        ).all()
        assert [(round(e, 3), round(c, 2), round(p, 3)) for e, c, p in daily] == [(240.0, 138.0, 80.0)]
        quality = con.execute(text("SELECT quality_index, day_local FROM grafana_quality_daily")).one()
        assert quality == (1.0, date(2024, 3, 1))
        alert = con.execute(
            text("SELECT level, state, meter_code FROM grafana_alerts WHERE credit_code = :c"), {"c": code}
        )
        assert alert.one() == ("orange", "open", "E1")
        superuser = con.execute(
            text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        ).scalar()
        if superuser:
            for view in VIEWS:
                assert con.execute(
                    text(f"SELECT has_table_privilege('dualcarbon_reader', '{view}', 'SELECT')")
                ).scalar()
            assert not con.execute(text("SELECT has_table_privilege('dualcarbon_reader', 'meter', 'SELECT')")).scalar()
            assert not con.execute(
                text("SELECT has_table_privilege('dualcarbon_reader', 'grafana_co2_daily', 'INSERT')")
            ).scalar()


def test_every_panel_query_of_the_dashboard_runs(world, meters, admin, tmp_path) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("the Grafana views exist on PostgreSQL only")
    _seed(world, meters, admin, _reference(tmp_path))
    code = world.codes["a"]
    dashboard = json.loads((GRAFANA / "dashboards" / "carbon-monitoring.json").read_text(encoding="utf-8"))
    datasource = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "dualcarbon.yaml").read_text("utf-8"))
    uid = datasource["datasources"][0]["uid"]
    results: dict[str, list[Any]] = {}
    with world.engine.connect() as con:
        variable = dashboard["templating"]["list"][0]
        assert variable["datasource"]["uid"] == uid
        options = con.execute(text(variable["query"])).all()
        assert [row[0] for row in options] == [code]
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == uid
            for target in panel["targets"]:
                results[panel["title"]] = con.execute(text(_grafana_sql(target["rawSql"], code))).all()
    # Days without energy are rows with null values (Grafana draws gaps): keep the rows with a value.
    by_key = {re.split(r"\s", title)[0]: [r for r in rows if r[1] is not None] for title, rows in results.items()}
    assert len(by_key["综合能耗"]) == 1 and by_key["综合能耗"][0][1] == pytest.approx(0.029496)
    assert by_key["二氧化碳排放"][0][1] == pytest.approx(0.119376)
    assert by_key["能源费用"][0][1] == pytest.approx(138.0)
    assert len(by_key["分表逐时能耗"]) == 24
    assert by_key["数据质量指数"][0][1] == 1.0
    assert by_key["未关闭告警"][0][1:3] == ("orange", "open")
