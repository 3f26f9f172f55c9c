"""Follow-ups of the #8 acceptance walk (/tmp/h6/walk.md rows 18, 16, 43, 33, 44).

* Days the store cannot hold (0001-01-01, 9999-12-31: the month end or the look-back overflowed, a 500) and
  over-long ranges are a 422 naming the field, Chinese by default, on every monitoring endpoint taking days;
  the commands exit 2 with the same sentence.
* A stored energy that is not finite (older data, before ingestion bounded the values) reads as null with the
  flag ``not_finite`` in the API and in the CLI's JSON, which stays strict JSON.
* The Sankey's nodes carry what they are, and the page names them in English in English mode.
* The prefill gives no deviation, but a reason in both languages, below the completeness minimum (PR-004).
* A quality day that has not ended is in progress, not failed.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring import service_ingest, service_meters, service_prefill, service_quality_read
from dualcarbon.monitoring.pages_enterprise import flow_label
from dualcarbon.monitoring.service_dashboard import enterprise_dashboard
from dualcarbon.monitoring.service_quality import local_now
from dualcarbon.monitoring.service_rollups import FLAG_NOT_FINITE
from dualcarbon.monitoring.store_readings import readings_store_for
from dualcarbon.reports import service_workflow
from dualcarbon.store.db import session_scope
from dualcarbon.ui.web.i18n import translate

runner = CliRunner()


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_days_the_store_cannot_hold_are_422_naming_the_field(
    client: TestClient, world: Any, meters: dict[str, int]
) -> None:
    meter, a = meters["a/E1"], world.codes["a"]
    rollups = f"/api/v1/meters/{meter}/rollups"
    tree = {"scope": "enterprise", "id": a}
    cases = [
        (rollups, {"interval": "month", "from": "2024-01-01", "to": "9999-12-31"}, "to"),  # was a 500
        (rollups, {"interval": "day", "from": "9999-12-31", "to": "9999-12-31"}, "from"),  # was a 500
        (rollups, {"interval": "day", "from": "0001-01-01", "to": "2024-01-01"}, "from"),
        (rollups, {"interval": "hour", "from": "2020-01-01", "to": "2024-01-01"}, "to"),  # 1,462 days of hours
        ("/api/v1/rollups", {**tree, "interval": "month", "from": "2024-01-01", "to": "9999-12-31"}, "to"),
        ("/api/v1/rollups", {**tree, "interval": "day", "from": "1900-01-01", "to": "2199-12-31"}, "to"),
        (f"/api/v1/meters/{meter}/balance", {"from": "2024-01-01", "to": "9999-12-31"}, "to"),
        ("/api/v1/quality", {"enterprise": a, "date": "0001-01-01"}, "date"),
        ("/api/v1/quality", {"enterprise": a, "month": "9999-12"}, "month"),
        (f"/api/v1/enterprises/{a}/monitoring/prefill", {"year": 9999}, "year"),
    ]
    for path, params, field in cases:
        zh = client.get(path, params=params, headers=world.auth("admin"))
        assert zh.status_code == 422, (path, params, zh.text)
        assert zh.json()["field"] == field and _has_chinese(zh.json()["message"]), (path, params, zh.text)
        en = client.get(path, params=params, headers={**world.auth("admin"), "Accept-Language": "en"})
        assert en.status_code == 422 and not _has_chinese(en.json()["message"].split(" / ")[-1]), en.text
    # The edges of the range still read (nothing there), month by month over the whole range too.
    for params in (
        {"interval": "day", "from": "1900-01-01", "to": "1900-01-01"},
        {"interval": "day", "from": "2199-12-31", "to": "2199-12-31"},
        {"interval": "month", "from": "2199-12-01", "to": "2199-12-31"},
    ):
        edge = client.get(rollups, params=params, headers=world.auth("admin"))
        assert edge.status_code == 200, (params, edge.text)
        assert all(p["energy"] is None for p in edge.json()["periods"])


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_commands_refuse_days_the_store_cannot_hold(world: Any, meters: dict[str, int]) -> None:
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    base = ["rollups", "show", "--enterprise", world.codes["a"], "--data-dir", data_dir]
    for extra in (
        ["--meter", "E1", "--interval", "month", "--from", "2024-01-01", "--to", "9999-12-31"],
        ["--meter", "E1", "--interval", "day", "--from", "9999-12-31", "--to", "9999-12-31"],
        ["--interval", "day", "--from", "0001-01-01", "--to", "2024-01-01"],  # the enterprise total
    ):
        result = runner.invoke(app, [*base, *extra])
        assert result.exit_code == 2, result.output
        line = result.output.strip().splitlines()[-1]
        assert line.startswith("error: ") and "超出可查询的范围" in line and "1900-01-01" in line, line


def _plant_infinite(world: Any) -> None:
    """Readings 0 → 1.7e308 on a/E1 (×2) written straight into the store, as the ingest took them before it
    bounded the values: the interval's energy is 3.4e308, infinite as a double."""
    with session_scope(world.engine) as session:
        meter = service_meters.find_meter(session, _admin(), world.codes["a"], "E1")[0]
        batch = pa.table(
            {
                "meter_id": pa.array([meter.id] * 3, pa.int32()),
                "ts": pa.array(
                    [datetime(2024, 2, 29, 16, 0), datetime(2024, 2, 29, 16, 15), datetime(2024, 2, 29, 16, 30)],
                    pa.timestamp("us"),
                ),
                "value": pa.array([0.0, 1.7e308, 1.7e308], pa.float64()),
            }
        )
        assert readings_store_for(session).write(batch, world.codes["a"]).accepted == 3


def _admin() -> Any:
    from dualcarbon.core.access import Grant, Principal

    return Principal(user_id=None, username="test-admin", grants=(Grant("admin"),))


def _strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_stored_infinite_energy_is_null_with_a_flag_in_api_and_cli(
    client: TestClient, world: Any, meters: dict[str, int]
) -> None:
    _plant_infinite(world)
    params = {"interval": "hour", "from": "2024-03-01", "to": "2024-03-01"}
    answer = client.get(f"/api/v1/meters/{meters['a/E1']}/rollups", params=params, headers=world.auth("admin"))
    assert answer.status_code == 200, answer.text
    api = _strict(answer.text)["periods"][0]  # 00:00 local: the interval 00:00–00:15 of 0 → 1.7e308
    assert api["energy"] is None and api["tce"] is None and api["tco2"] is None
    assert FLAG_NOT_FINITE in api["flags"]
    assert all(FLAG_NOT_FINITE not in p["flags"] for p in _strict(answer.text)["periods"][1:])
    tree = {"scope": "enterprise", "id": world.codes["a"], **params}
    total = client.get("/api/v1/rollups", params=tree, headers=world.auth("admin"))
    assert total.status_code == 200, total.text  # the sum was null without a flag (CLI: Infinity)
    summed = _strict(total.text)["carriers"][0]["periods"][0]
    assert summed["energy"] is None and FLAG_NOT_FINITE in summed["flags"]
    assert FLAG_NOT_FINITE in _strict(total.text)["total"]["periods"][0]["flags"]
    if not world.url.startswith("sqlite"):
        return
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    show = ["rollups", "show", "--enterprise", world.codes["a"], "--meter", "E1", "--data-dir", data_dir]
    result = runner.invoke(app, [*show, "--interval", "hour", "--from", "2024-03-01", "--to", "2024-03-01"])
    assert result.exit_code == 0, result.output
    cli = _strict(result.stdout)["periods"][0]
    assert {k: cli[k] for k in ("energy", "tce", "tce_equal", "tco2", "flags")} == {
        k: api[k] for k in ("energy", "tce", "tce_equal", "tco2", "flags")
    }
    csv_out = runner.invoke(app, [*show, "--interval", "hour", "--from", "2024-03-01", "--to", "2024-03-01",
                                  "--format", "csv"])  # fmt: skip
    assert "inf" not in csv_out.stdout.lower() and FLAG_NOT_FINITE in csv_out.stdout.splitlines()[1]
    whole = runner.invoke(app, [*show[:4], *show[6:], "--interval", "hour", "--from", "2024-03-01",
                                "--to", "2024-03-01"])  # fmt: skip
    assert whole.exit_code == 0, whole.output
    assert _strict(whole.stdout)["carriers"][0]["periods"][0]["energy"] is None


class _Ctx:
    """What :func:`flow_label` reads of a page context: the language and its labels."""

    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_sankey_nodes_are_named_in_english_in_english_mode(
    world: Any, tmp_path: Path, admin: Any, reference: Any, write_csv: Any
) -> None:
    a = world.codes["a"]
    header = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "parent_meter_code",
              "counted", "process_stage"]  # fmt: skip
    rows = [
        [a, "MAIN", "electricity", "kWh", "interval", 1, "", "true", "purchase_storage"],
        [a, "SUB", "electricity", "kWh", "interval", 1, "MAIN", "false", "end_use"],
    ]
    now = local_now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    values = {"MAIN": 100.0, "SUB": 60.0}
    stamps = [(now + timedelta(minutes=15 * n)).isoformat() for n in range(4)]
    batch = pa.table(
        {
            "credit_code": [a] * 8,
            "meter_code": [c for c in values for _ in stamps],
            "ts": stamps * 2,
            "value": [str(values[c]) for c in values for _ in stamps],
        }
    )
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, write_csv(tmp_path / "m.csv", header, rows), reference)
        assert service_ingest.ingest_table(session, admin, batch, source="file").accepted == 8
    with session_scope(world.engine) as session:
        data = enterprise_dashboard(session, admin, a, reference, now=local_now())
    assert data.flows and {n.kind for n in data.flow_nodes} == {"purchase", "meter", "loss"}
    names = {f.source for f in data.flows} | {f.target for f in data.flows}
    assert names == {n.name for n in data.flow_nodes}  # every node of a link is described
    carriers = {c.id: c.name_en for c in reference.carriers()}
    english = {flow_label(cast(Any, _Ctx("en")), n, carriers) for n in data.flow_nodes}
    chinese = {flow_label(cast(Any, _Ctx("zh")), n, carriers) for n in data.flow_nodes}
    assert chinese == names and "购入：电力" in chinese and "损耗及未计量" in chinese and "MAIN（购入贮存）" in chinese
    assert english == {"Purchased: electricity", "Loss and unmetered", "MAIN (purchase and storage)",
                       "SUB (end use)"}  # fmt: skip
    assert not any(_has_chinese(label) for label in english)


def test_prefill_below_the_completeness_minimum_has_a_reason_not_a_deviation(
    world: Any, client: TestClient, tmp_path: Path, admin: Any, reference: Any, write_csv: Any
) -> None:
    a = world.codes["a"]
    header = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "counted"]
    # 2024-03-01, 4 of 96 values of a day, 4 of 2976 of March: far below the 90 % of PR-004
    batch = pa.table(
        {
            "credit_code": [a] * 4,
            "meter_code": ["C1"] * 4,
            "ts": [f"2024-03-01T00:{m:02d}:00" for m in (0, 15, 30, 45)],
            "value": ["6"] * 4,
        }
    )
    content = {"energy_lines": [{"carrier": "电力", "quantity": 30, "unit": "kWh"}]}
    with session_scope(world.engine) as session:
        rows = [[a, "C1", "electricity", "kWh", "interval", 1, "true"]]
        service_meters.import_meters(session, admin, write_csv(tmp_path / "m.csv", header, rows), reference)
        assert service_ingest.ingest_table(session, admin, batch, source="file").accepted == 4
        service_workflow.create_report(session, admin, a, "month", 2024, 3, content, reference=reference)
    minimum = reference.platform_rule("quality_completeness_min_pct").value
    with session_scope(world.engine) as session:
        result = service_prefill.monitoring_prefill(session, admin, a, 2024, 3, reference)
    assert result["completeness_min_pct"] == minimum
    line = next(x for x in result["lines"] if x["carrier"] == "electricity")
    assert line["monitoring"] == pytest.approx(24.0) and line["completeness"] < minimum / 100.0
    assert line["deviation"] is None and line["deviation_pct"] is None  # not −20 %
    assert f"below the {minimum:g} % minimum" in line["deviation_reason"]
    assert f"低于 {minimum:g}%" in line["deviation_reason_zh"]
    answer = client.get(
        f"/api/v1/enterprises/{a}/monitoring/prefill", params={"year": 2024, "month": 3}, headers=world.auth("ent_a")
    )
    assert answer.status_code == 200, answer.text
    api = next(x for x in answer.json()["lines"] if x["carrier"] == "electricity")
    assert api["deviation_pct"] is None and api["deviation_reason_zh"] == line["deviation_reason_zh"]


def test_a_day_that_has_not_ended_is_in_progress() -> None:
    now = datetime(2026, 12, 5, 14, 30)
    today = now.date()
    assert service_quality_read.day_in_progress(today, "realtime", now)
    assert service_quality_read.day_in_progress(today, "day", now)
    assert not service_quality_read.day_in_progress(today - timedelta(days=1), "day", now)
    assert service_quality_read.day_in_progress(date(2026, 12, 1), "month", now)  # the month has not ended
    assert not service_quality_read.day_in_progress(date(2026, 11, 30), "month", now)


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_meters_page_marks_todays_quality_day_in_progress(
    world: Any, meters: dict[str, int], admin: Any, reference: Any
) -> None:
    a = world.codes["a"]
    now = local_now()
    today, yesterday = now.date(), now.date() - timedelta(days=1)
    start = datetime(yesterday.year, yesterday.month, yesterday.day)
    stamps = [(start + timedelta(minutes=15 * n)).isoformat() for n in range(8)]
    batch = pa.table(
        {
            "credit_code": [a] * len(stamps),
            "meter_code": ["G1"] * len(stamps),
            "ts": stamps,
            "value": ["1"] * len(stamps),
        }
    )
    with session_scope(world.engine) as session:
        assert service_ingest.ingest_table(session, admin, batch, source="file").accepted == len(stamps)
        service_quality_read.quality_show(session, admin, a, reference, day=yesterday)
    with session_scope(world.engine) as session:
        items, _ = service_quality_read.meters_page(session, admin, a, 50, 0)
    g1 = next(i for i in items if i["code"] == "G1")
    assert g1["quality_day"] == yesterday and g1["in_progress"] is False and g1["passed"] is False
    with session_scope(world.engine) as session:
        service_quality_read.quality_show(session, admin, a, reference, day=today)
    with session_scope(world.engine) as session:
        items, _ = service_quality_read.meters_page(session, admin, a, 50, 0)
    g1 = next(i for i in items if i["code"] == "G1")
    assert g1["quality_day"] == today and g1["in_progress"] is True


def test_dashboard_at_a_day_the_store_cannot_hold_is_refused(world: Any, admin: Any, reference: Any) -> None:
    with session_scope(world.engine) as session:
        with pytest.raises(InvalidInput) as refused:
            enterprise_dashboard(session, admin, world.codes["a"], reference, now=datetime(9999, 12, 31, 23, 59))
    assert refused.value.field == "at"


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [(date(1, 1, 1), date(9999, 12, 31), "from"), (date(2024, 1, 1), date(9999, 12, 31), "to")],
)
def test_region_dashboard_days_the_store_cannot_hold_are_422(
    world: Any, admin: Any, first: date, last: date, field: str
) -> None:
    # the region page with ?start=0001-01-01&end=9999-12-31 was a 500 (a day past 9999-12-31 overflowed)
    from dualcarbon.monitoring import service_dashboard

    with session_scope(world.engine) as session:
        with pytest.raises(InvalidInput) as refused:
            service_dashboard.region_dashboard(session, admin, "330300", first, last, page=1, size=10)
    assert refused.value.field == field
