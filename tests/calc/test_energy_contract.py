"""The ``energy`` JSON contract (docs/contracts-energy-carbon.md#energy): shape, numbers, error paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dualcarbon.calc.energy import run
from dualcarbon.core.errors import DualcarbonError, InvalidInput, MissingCoefficient, UnitMismatch, UnknownCarrier
from dualcarbon.reference import shipped_reference

REF = shipped_reference()

W10: dict[str, Any] = {
    "items": [
        {"carrier": "电力", "quantity": 10_000, "unit": "MWh"},
        {"carrier": "天然气", "quantity": 500_000, "unit": "m³"},
        {"carrier": "柴油", "quantity": 200, "unit": "t"},
    ]
}

OUTPUT_KEYS = {
    "basis",
    "total_tce",
    "fuel_tce",
    "feedstock_tce",
    "conversion_tce",
    "sold_tce",
    "total_excluding_feedstock_tce",
    "items",
    "warnings",
    "unverified_rows",
}
ITEM_KEYS = {
    "carrier",
    "quantity",
    "unit",
    "use",
    "ncv",
    "ncv_unit",
    "carrier_id",
    "carrier_name",
    "tce",
    "coefficient",
    "coefficient_unit",
    "coefficient_basis",
    "source",
    "source_row",
    "verified",
    "confidence",
}


def test_w10_through_the_contract() -> None:
    # 1,229.00 + 607.15 + 291.42 = 2,127.57 tce (当量值, the default basis).
    out = run(W10, REF)
    assert set(out) == OUTPUT_KEYS
    assert out["total_tce"] == pytest.approx(2127.57)
    assert out["basis"] == "equivalent"
    assert [item["tce"] for item in out["items"]] == pytest.approx([1229.0, 607.15, 291.42])
    assert all(set(item) == ITEM_KEYS for item in out["items"])
    first = out["items"][0]
    assert (first["carrier_id"], first["carrier_name"], first["coefficient"]) == ("electricity", "电力", 0.1229)
    assert (first["coefficient_basis"], first["source_row"], first["verified"]) == ("reference", "CC-036", True)
    json.dumps(out, ensure_ascii=False)  # JSON-serialisable


def test_equal_basis_2020() -> None:
    # 10,000 MWh × 0.3055 kgce/kWh = 3,055 tce.
    out = run({"basis": "equal", "year": 2020, "items": [{"carrier": "电力", "quantity": 1, "unit": "万千瓦时"}]}, REF)
    # 1 万千瓦时 = 10,000 kWh × 0.3055 = 3,055 kgce = 3.055 tce.
    assert out["total_tce"] == pytest.approx(3.055)
    out = run({"basis": "equal", "year": 2020, "items": [{"carrier": "电力", "quantity": 10_000, "unit": "MWh"}]}, REF)
    assert out["total_tce"] == pytest.approx(3055.0)
    assert out["items"][0]["coefficient_basis"] == "equal_value"


def test_explicit_equal_rate() -> None:
    # 1,000 MWh × 300 gce/kWh = 300 tce.
    payload = {
        "basis": "equal",
        "equal_rate": 300,
        "equal_rate_unit": "gce/kWh",
        "items": [{"carrier": "电力", "quantity": 1000, "unit": "MWh"}],
    }
    assert run(payload, REF)["total_tce"] == pytest.approx(300.0)


def test_uses_and_totals() -> None:
    # fuel 天然气 100,000 m³ = 121.43; feedstock 200,000 m³ = 242.86; conversion 1,000 t 原煤 = 714.3;
    # sold 200 MWh = 24.58. Total = 121.43 + 242.86 + 714.3 − 24.58 = 1,054.01; excl. feedstock 811.15.
    payload = {
        "items": [
            {"carrier": "天然气", "quantity": 100_000, "unit": "m³"},
            {"carrier": "天然气", "quantity": 200_000, "unit": "m³", "use": "feedstock"},
            {"carrier": "原煤", "quantity": 1000, "unit": "t", "use": "conversion"},
            {"carrier": "电力", "quantity": 200, "unit": "MWh", "use": "sold"},
        ]
    }
    out = run(payload, REF)
    assert out["fuel_tce"] == pytest.approx(121.43)
    assert out["feedstock_tce"] == pytest.approx(242.86)
    assert out["conversion_tce"] == pytest.approx(714.3)
    assert out["sold_tce"] == pytest.approx(24.58)
    assert out["total_tce"] == pytest.approx(1054.01)
    assert out["total_excluding_feedstock_tce"] == pytest.approx(811.15)
    assert out["items"][3]["tce"] == pytest.approx(-24.58)
    assert sum(item["tce"] for item in out["items"]) == pytest.approx(out["total_tce"])


def test_measured_ncv_item_echoes_its_input() -> None:
    # 1,000 t 原煤 at 5,000 kcal/kg = 5000/7000 kgce/kg → 714.2857 tce.
    out = run({"items": [{"carrier": "原煤", "quantity": 1000, "unit": "t", "ncv": 5000, "ncv_unit": "kcal/kg"}]}, REF)
    item = out["items"][0]
    assert item["tce"] == pytest.approx(714.285714, abs=1e-6)
    assert (item["ncv"], item["ncv_unit"], item["coefficient_basis"]) == (5000, "kcal/kg", "measured_ncv")
    assert item["verified"] is None


def test_unverified_row_warns() -> None:
    out = run({"items": [{"carrier": "型煤", "quantity": 1, "unit": "t"}]}, REF)
    assert out["unverified_rows"] == ["CC-006"]
    assert out["warnings"] and "CC-006" in out["warnings"][0]


@pytest.mark.parametrize(
    ("payload", "error", "field"),
    [
        ({"basis": "equal", "items": [{"carrier": "电力", "quantity": 1, "unit": "kWh"}]}, InvalidInput, "year"),
        ({"items": [{"carrier": "电力", "quantity": 1}]}, InvalidInput, "items[0].unit"),
        ({}, InvalidInput, "items"),
        ({"items": [{"carrier": "电力", "quantity": "lots", "unit": "kWh"}]}, InvalidInput, "items[0].quantity"),
        ({"items": [{"carrier": "电力", "quantity": -1, "unit": "kWh"}]}, InvalidInput, "items[0].quantity"),
        ({"items": [{"carrier": "电力", "quantity": 1, "unit": "kWh", "use": "burnt"}]}, InvalidInput, "items[0].use"),
        (
            {"items": [{"carrier": "电力", "quantity": 1, "unit": "kWh", "colour": "red"}]},
            InvalidInput,
            "items[0].colour",
        ),
        ({"basis": "market", "items": []}, InvalidInput, "basis"),
        ({"items": [{"carrier": "暗物质", "quantity": 1, "unit": "t"}]}, UnknownCarrier, "items[0].carrier"),
        ({"items": [{"carrier": "原煤", "quantity": 1, "unit": "kWh"}]}, UnitMismatch, "items[0].unit"),
        ({"items": [{"carrier": "焦炉煤气", "quantity": 1, "unit": "m³"}]}, MissingCoefficient, "items[0]"),
        ({"basis": "equal", "year": 2022, "items": []}, MissingCoefficient, "year"),
        ([1, 2], InvalidInput, "input"),
    ],
)
def test_errors_name_the_field(payload: object, error: type[DualcarbonError], field: str) -> None:
    with pytest.raises(error) as caught:
        run(payload, REF)
    assert caught.value.field == field
