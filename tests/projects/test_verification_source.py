"""A stored verification says what it was computed from (#9): meters, dates, weather station, energy basis, the
periods and days used and left out — stored with the result, answered by the API, shown on the project page in
both languages. And the projects / audits errors read in the reader's language, naming the field (English mode:
no Chinese in the English part).

Metered case (meter G2 of test_verification_meters: two readings a day, 1 000 m³ a day in the baseline
2024-03-01 … 03-28, 900 m³ in the reporting period 2024-05-01 … 05-28): on reporting days 3 and 10 only the first
half-day arrives, so those two days are left out as ``incomplete`` (completeness 50 % < 90 %, MV-012):

    baseline:  28 days asked, 28 used, 0 left out
    reporting: 28 days asked, 26 used, 2 left out (2 days, incomplete)
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.projects.models import RetrofitProject
from dualcarbon.projects.pages_verification import PREFIX, stored_source, verification_source_lines
from dualcarbon.projects.schemas import MeterUsed, VerificationPeriodSource, VerificationSource
from dualcarbon.projects.service_verification import stored_verification, verify_project
from dualcarbon.reference import shipped_reference
from dualcarbon.store.db import session_scope
from dualcarbon.ui.web.i18n import has_key, table, translate

from ..conftest import Api
from .test_projects_api import daily
from .test_verification_meters import completed_project, daily_spec, gas_meter, readings, who

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


# ---- stored and answered --------------------------------------------------------------------------------
def test_a_metered_verification_records_meters_dates_basis_and_gaps(world: Any, tmp_path: Path) -> None:
    meter_id = gas_meter(world, tmp_path, "G2", 720)
    readings(world, date(2024, 3, 1), 1000.0, code="G2", per_day=2)
    readings(world, date(2024, 5, 1), 900.0, code="G2", per_day=2, halves=(3, 10))
    with session_scope(world.engine) as session:
        city = who(session, "city")
        project_id = completed_project(session, city, world.codes["a"], "燃气锅炉改造（来源）")
        out = verify_project(session, city, project_id, daily_spec(meter_id), shipped_reference())
    source = out.computed_from
    assert (source.kind, source.interval, source.energy_basis) == ("meters", "day", "tce_calorific")
    assert source.meters == [MeterUsed(meter_id=meter_id, meter="G2", carrier="natural_gas", unit="m3")]
    assert source.weather_station is None
    assert source.baseline == VerificationPeriodSource(
        date_from=date(2024, 3, 1),
        date_to=date(2024, 3, 28),
        periods_used=28,
        days_used=28,
        periods_left_out=0,
        days_left_out=0,
        left_out={},
    )
    assert source.reporting == VerificationPeriodSource(
        date_from=date(2024, 5, 1),
        date_to=date(2024, 5, 28),
        periods_used=26,
        days_used=26,
        periods_left_out=2,
        days_left_out=2,
        left_out={"incomplete": 2},
    )
    assert source.reporting.days_used == out.reporting_days  # the days the saving is annualised over
    assert source.factor_rows and all(source.factor_rows)  # the natural-gas tce factor's reference row
    assert {"mv_criteria", "conversion_coefficients_gbt2589"} <= set(source.reference_versions)

    with session_scope(world.engine) as session:
        stored = session.scalars(select(RetrofitProject).where(RetrofitProject.id == project_id)).one().verification
        assert stored is not None
        assert stored["computed_from"] == source.model_dump(mode="json")
        record = stored_verification(session, who(session, "city"), project_id)
    assert record is not None and VerificationSource.model_validate(record["computed_from"]) == source


def test_the_api_answers_and_keeps_what_entered_periods_were(api: Api, fetch_pages: Any) -> None:
    created = api("POST", "/api/v1/projects", "ent_a", json={"credit_code": api.world.codes["a"], "name": "窑炉改造"})
    pid = created.json()["id"]
    for user, action in (("city", "approve"), ("ent_a", "start"), ("ent_a", "complete")):
        body: dict[str, Any] = {"action": action} | ({"completed_on": "2026-06-30"} if action == "complete" else {})
        assert api("POST", f"/api/v1/projects/{pid}/transition", user, json=body).status_code == 200
    body = {
        "interval": "day",
        "baseline": daily(date(2025, 6, 1), 365, 0.0),
        "reporting": daily(date(2026, 7, 1), 30, 0.1),
    }
    verified = api("POST", f"/api/v1/projects/{pid}/verification", "city", json=body)
    assert verified.status_code == 200, verified.text
    answer = verified.json()
    assert {"result", "valid", "reporting_days", "verified_tce_per_year"} <= set(answer)  # existing keys kept
    source = answer["computed_from"]
    assert (source["kind"], source["energy_basis"], source["meters"], source["weather_station"]) == (
        "periods",
        "entered",
        [],
        None,
    )
    # 365 baseline days from 2025-06-01 end on 2026-05-31; 30 reporting days from 2026-07-01 end on 07-30
    assert source["baseline"] == {
        "date_from": "2025-06-01",
        "date_to": "2026-05-31",
        "periods_used": 365,
        "days_used": 365,
        "periods_left_out": None,  # what was not entered is not known
        "days_left_out": None,
        "left_out": {},
    }
    assert (source["reporting"]["date_from"], source["reporting"]["date_to"]) == ("2026-07-01", "2026-07-30")
    assert source["reporting"]["days_used"] == answer["reporting_days"] == 30
    assert "mv_criteria" in source["reference_versions"]
    record = api("GET", f"/api/v1/projects/{pid}/verification", "ent_a").json()
    assert record["computed_from"] == source

    # the project page shows it, in Chinese and (after switching the language) in English
    page = f"/projects/{pid}"
    pages = fetch_pages(["city"], [page, "/web/lang/en", page + "#en"])
    (zh_status, zh_html), (en_status, en_html) = pages["city" + page], pages["city" + page + "#en"]
    assert zh_status == en_status == 200
    for html in (zh_html, en_html):
        assert "projects-verification-source-baseline" in html and "2025-06-01" in html and "2026-05-31" in html
    assert "Computed from" in en_html and "365 period(s) used (365 days) (entered by hand: gaps not known)" in en_html
    assert "Computed from" not in zh_html


# ---- shown on the page ----------------------------------------------------------------------------------
class _Ctx:
    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)


METERED = VerificationSource(
    kind="meters",
    interval="day",
    energy_basis="tce_calorific",
    meters=[MeterUsed(meter_id=7, meter="G2", carrier="natural_gas", unit="m3")],
    weather_station="T1",
    factor_rows=["GBT2589-NG"],
    reference_versions={"mv_criteria": "shipped"},
    baseline=VerificationPeriodSource(
        date_from=date(2024, 3, 1),
        date_to=date(2024, 3, 28),
        periods_used=28,
        days_used=28,
        periods_left_out=0,
        days_left_out=0,
    ),
    reporting=VerificationPeriodSource(
        date_from=date(2024, 5, 1),
        date_to=date(2024, 5, 28),
        periods_used=25,
        days_used=25,
        periods_left_out=3,
        days_left_out=3,
        left_out={"incomplete": 2, "no_weather": 1},
    ),
)


def _shown(language: str, source: VerificationSource) -> dict[str, str]:
    return {
        translate(language, key): text
        for key, text in verification_source_lines(_Ctx(language), source)  # type: ignore[arg-type]
    }


def test_the_page_says_what_the_verification_was_computed_from_in_both_languages() -> None:
    zh = _shown("zh", METERED)
    assert zh["核定数据"] == "计量数据（在线监测汇总），按日"
    assert zh["能耗口径"].startswith("吨标准煤（tce），按当量值折算")
    assert zh["计量器具"] == "G2（natural_gas，编号 7）" and zh["气象站"] == "T1"
    assert zh["基期"] == "2024-03-01 至 2024-03-28：使用 28 个周期（28 天），无缺漏"
    assert (
        zh["报告期"]
        == "2024-05-01 至 2024-05-28：使用 25 个周期（25 天），未计入 3 个周期（3 天：数据不完整 2 个；无气温 1 个）"
    )

    en = _shown("en", METERED)
    assert en["Data"] == "Metered data (monitoring rollups), daily"
    assert en["Meters"] == "G2 (natural_gas, id 7)"
    assert en["Baseline"] == "2024-03-01 to 2024-03-28: 28 period(s) used (28 days); none left out"
    assert en["Reporting period"] == (
        "2024-05-01 to 2024-05-28: 25 period(s) used (25 days); 3 period(s) left out (3 days: incomplete 2; "
        "no temperature 1)"
    )
    assert not [text for pair in en.items() for text in pair if CJK.search(text)], en

    entered = METERED.model_copy(
        update={
            "kind": "periods",
            "energy_basis": "entered",
            "meters": [],
            "weather_station": None,
            "factor_rows": [],
            "baseline": METERED.baseline.model_copy(update={"periods_left_out": None, "days_left_out": None}),
        }
    )
    assert "计量器具" not in _shown("zh", entered)
    assert _shown("zh", entered)["基期"].endswith("（手工填写的时段，缺漏未知）")
    assert _shown("en", entered)["Baseline"].endswith("(entered by hand: gaps not known)")


def test_every_source_text_exists_in_both_languages_and_old_records_read() -> None:
    keys = {k for k in table("zh") if k.startswith(PREFIX + ".")}
    assert len(keys) > 20 and all(has_key("en", k) for k in keys)
    assert not [k for k in keys if CJK.search(translate("en", k))]
    assert stored_source({"result": {}}) is None  # stored before verifications recorded it
    assert stored_source({"computed_from": {"kind": "nonsense"}}) is None
    assert stored_source({"computed_from": METERED.model_dump(mode="json")}) == METERED


# ---- errors in the reader's language --------------------------------------------------------------------
def _english_part(message: str) -> str:
    return message.split(" / ")[-1]


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_project_and_audit_errors_read_in_english_naming_the_field(api: Api) -> None:
    code = api.world.codes["a"]
    created = api("POST", "/api/v1/projects", "ent_a", json={"credit_code": code, "name": "电机改造"})
    pid = created.json()["id"]
    start = date(2026, 1, 1)  # 3-day periods from here
    good = make_credit_code("91330300MA2AG0001")
    bad_code = good[:-1] + ("0" if good[-1] != "0" else "1")  # a wrong check character
    cases: list[tuple[str, str, str, dict[str, Any] | None, int, str]] = [
        # a project not completed yet
        ("POST", f"/api/v1/projects/{pid}/verification", "city",
         {"meter_ids": [1], "baseline": daily(start, 3, 0.0)}, 409, "state"),
        ("POST", "/api/v1/projects", "ent_a",
         {"credit_code": code, "name": "x", "start_date": "2026-05-01", "deadline": "2026-04-01"}, 422, "deadline"),
        ("POST", "/api/v1/projects", "ent_a", {"catalog_entry_id": 999999}, 404, "catalog_entry_id"),
        ("POST", "/api/v1/projects", "ent_a", {"measure_id": 999999}, 404, "measure_id"),
        ("POST", "/api/v1/projects", "ent_a", {"name": "无企业"}, 422, "credit_code"),
        ("GET", "/api/v1/projects/999999", "city", None, 404, "project_id"),
        ("POST", f"/api/v1/projects/{pid}/transition", "ent_a", {"action": "complete"}, 409, "state"),
        ("POST", "/api/v1/agencies", "city",
         {"name": "某机构", "credit_code": bad_code, "region_code": "330300"}, 422, "credit_code"),
        ("GET", "/api/v1/audits/999999", "city", None, 404, "report_id"),
    ]  # fmt: skip
    for method, path, user, body, status, field in cases:
        zh = api(method, path, user, json=body)
        assert (zh.status_code, zh.json()["field"]) == (status, field), (path, zh.text)
        assert CJK.search(zh.json()["message"]) and " / " not in zh.json()["message"], zh.text
        en = api.client.request(method, path, json=body, headers={**api.world.auth(user), "Accept-Language": "en"})
        assert (en.status_code, en.json()["field"]) == (status, field), (path, en.text)
        assert not CJK.search(_english_part(en.json()["message"])), (path, en.text)

    # the verification's own refusals, on a completed project
    for user, action in (("city", "approve"), ("ent_a", "start"), ("ent_a", "complete")):
        assert api("POST", f"/api/v1/projects/{pid}/transition", user, json={"action": action}).status_code == 200
    refusals = [
        ({"meter_ids": [1], "baseline": daily(start, 3, 0.0)}, "meter_ids"),
        ({"reporting": daily(start, 3, 0.0)}, "baseline"),
        ({"baseline": daily(start, 3, 0.0)}, "reporting"),
        ({"meter_ids": [1], "reporting_from": "2026-01-01", "reporting_to": "2026-01-31"}, "baseline_from"),
        ({"baseline": daily(start, 3, 0.0), "weather_station": "T1"}, "weather_station"),
        (
            {
                "meter_ids": [999999],
                **dict.fromkeys(("baseline_from", "baseline_to"), "2026-01-01"),
                **dict.fromkeys(("reporting_from", "reporting_to"), "2026-03-01"),
            },
            "meter_ids[0]",
        ),
    ]
    for body, field in refusals:
        path = f"/api/v1/projects/{pid}/verification"
        en = api.client.request("POST", path, json=body, headers={**api.world.auth("city"), "Accept-Language": "en"})
        assert (en.status_code, en.json()["field"]) == (422, field), en.text
        assert not CJK.search(_english_part(en.json()["message"])), en.text
        zh = api("POST", path, "city", json=body)
        assert CJK.search(zh.json()["message"]) and " / " not in zh.json()["message"], zh.text
