"""`dualcarbon calc mv` and POST /api/v1/calc/mv: the contract's shape, hand-worked figures, bad input → exit 2."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dualcarbon.app.cli import app

runner = CliRunner()
KEYS = {"model", "r2", "cvrmse_pct", "nmbe_pct", "avoided_energy", "savings_pct", "fsu_pct", "warnings"}


def months(year: int) -> list[str]:
    return [date(year, m, 1).isoformat() for m in range(1, 13)]


def exact_payload() -> dict[str, Any]:
    # Baseline 2023: E = 100 + 2·P exactly, P = 10, 20 … 120.  Reporting 2024: P = 15, 25 … 125, E = 0.9 × (100 + 2·P).
    # 校准能耗 = 12 × 100 + 2 × Σ P = 1,200 + 2 × 840 = 2,880; reported 0.9 × 2,880 = 2,592; avoided 288 (10 %).
    baseline = [
        {"period_start": m, "energy": 100 + 2 * p, "production": p}
        for m, p in zip(months(2023), range(10, 121, 10), strict=True)
    ]
    reporting = [
        {"period_start": m, "energy": 0.9 * (100 + 2 * p), "production": p}
        for m, p in zip(months(2024), range(15, 126, 10), strict=True)
    ]
    return {"baseline": baseline, "reporting": reporting, "interval": "month"}


def calc(payload: Any) -> Any:
    return runner.invoke(app, ["calc", "mv", "-"], input=json.dumps(payload, ensure_ascii=False))


def strict(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    return json.loads(text, parse_constant=refuse)


def test_exact_monthly_production_model_hand_worked() -> None:
    result = calc(exact_payload())
    assert result.exit_code == 0, result.stderr
    out = strict(result.stdout)
    assert KEYS <= set(out)
    assert out["model"]["kind"] == "production"
    assert out["model"]["intercept"] == pytest.approx(100)
    assert out["model"]["terms"][0]["coefficient"] == pytest.approx(2)
    assert out["r2"] == pytest.approx(1)
    assert out["adjusted_baseline"] == pytest.approx(2_880)
    assert out["reporting_energy"] == pytest.approx(2_592)
    assert out["avoided_energy"] == pytest.approx(288)
    assert out["signed_saving"] == pytest.approx(-288)
    assert out["savings_pct"] == pytest.approx(10)
    assert out["fsu_pct"] == pytest.approx(0, abs=1e-6)  # an exact fit leaves no model uncertainty
    assert out["avoided_tce"] is None and out["avoided_tco2"] is None  # no carrier given
    assert {w["code"] for w in out["warnings"]} >= {"unverified_reference"}


def test_avoided_tce_and_co2_of_electricity() -> None:
    # 288 kWh avoided × 0.1229 kgce/kWh = 35.3952 kgce = 0.0353952 tce;
    # 0.288 MWh × 0.5366 tCO₂/MWh (national average 2022, row GRID-046) = 0.1545408 tCO₂.
    payload = exact_payload() | {"carrier": "电力", "energy_unit": "kWh", "year": 2022}
    result = calc(payload)
    assert result.exit_code == 0, result.stderr
    out = strict(result.stdout)
    assert out["avoided_tce"] == pytest.approx(0.0353952, abs=1e-6)  # outputs are rounded to 6 decimals
    assert out["avoided_tco2"] == pytest.approx(0.1545408, abs=1e-6)


def test_a_negative_saving_keeps_its_sign_in_tce() -> None:
    payload = exact_payload() | {"carrier": "电力", "energy_unit": "kWh", "year": 2022}
    for row in payload["reporting"]:
        row["energy"] = row["energy"] / 0.9 * 1.1  # 10 % more than the baseline predicts
    out = strict(calc(payload).stdout)
    assert out["avoided_energy"] == pytest.approx(-288)
    assert out["avoided_tce"] == pytest.approx(-0.0353952, abs=1e-6)


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda p: p.pop("interval"), "interval"),
        (lambda p: p.update(interval="week"), "interval"),
        (lambda p: p["baseline"][3].update(energy=-1), "baseline[3].energy"),
        (lambda p: p["baseline"][0].update(energy=1e200), "baseline[0].energy"),  # squares would overflow
        (lambda p: p["baseline"][2].update(period_start="2023-13-01"), "baseline[2].period_start"),
        (lambda p: p["baseline"][4].update(period_start="2023-01-01"), "baseline[4].period_start"),
        (lambda p: p["reporting"][1].update(temp=3), "reporting[1].temp"),
        (lambda p: p["reporting"][5].pop("production"), "reporting[5].production"),
        (lambda p: p.update(carrier="电力"), "energy_unit"),
        (lambda p: p.update(carrier="unobtainium", energy_unit="kWh"), "carrier"),
        (lambda p: p.update(carrier="电力", energy_unit="parsec"), "energy_unit"),
        (lambda p: p.update(criteria_set="caltrack-9"), "criteria_set"),
    ],
)
def test_bad_input_exits_2_naming_the_field(edit: Any, field: str) -> None:
    payload = exact_payload()
    edit(payload)
    result = calc(payload)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith(f"error: {field}: "), result.stderr
    assert result.stdout == ""


def test_field_problems_are_chinese_first() -> None:
    payload = exact_payload()
    payload["baseline"][3]["energy"] = "lots"
    result = calc(payload)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: baseline[3].energy: 此项须为数字 / Input should be a valid number")
    payload = exact_payload() | {"carrier": "电力"}
    result = calc(payload)
    assert result.stderr.startswith("error: energy_unit: 给出能源品种时须填写能量单位（如 kWh、m³、t） / required with")


def test_nan_is_refused() -> None:
    text = json.dumps(exact_payload()).replace('"energy": 120', '"energy": NaN', 1)
    result = runner.invoke(app, ["calc", "mv", "-"], input=text)
    assert result.exit_code == 2 and result.stderr.startswith("error: input: NaN 不是 JSON 的数值")
    assert "NaN is not JSON" in result.stderr


def test_the_api_gives_the_same_answer(client: TestClient, world: Any) -> None:
    answer = client.post("/api/v1/calc/mv", headers=world.auth("ent_a"), json=exact_payload())
    assert answer.status_code == 200, answer.text
    assert answer.json()["avoided_energy"] == pytest.approx(288)
    bad = client.post("/api/v1/calc/mv", headers=world.auth("ent_a"), json={**exact_payload(), "interval": "year"})
    assert bad.status_code == 422 and bad.json()["field"] == "interval"


def test_a_criteria_set_is_chosen_by_name() -> None:
    # The exact monthly model is the same under both sets (the opendsm_legacy rows are for daily data only);
    # on daily data the legacy set's row replaces the default's p_max row in the rows used.
    payload = exact_payload()
    default = strict(calc(payload).stdout)
    legacy = strict(calc({**payload, "criteria_set": "opendsm_legacy"}).stdout)
    assert legacy["avoided_energy"] == default["avoided_energy"] == pytest.approx(288.0)
    days = {
        "interval": "day",
        "criteria_set": "opendsm_legacy",
        "baseline": [
            {"period_start": f"2023-01-{d:02d}", "energy": 100 + 2 * d, "production": d} for d in range(1, 29)
        ],
        "reporting": [{"period_start": "2023-02-01", "energy": 120.0, "production": 10}],
    }
    rows = strict(calc(days).stdout)["reference_rows"]
    assert "MV-020" in rows and "MV-006" not in rows
