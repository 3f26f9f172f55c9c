"""乙炔 (acetylene) is a carrier: `calc energy` converts it with reference row CC-048 (GB/T 2589-2008 附录B
耗能工质, 8.3143 kgce per m³ — the value and source that row already cites), per m³ and no other unit."""

from __future__ import annotations

import pytest

from dualcarbon.calc.energy import run
from dualcarbon.core.errors import UnitMismatch
from dualcarbon.reference import shipped_reference


def test_acetylene_converts_with_cc048_per_cubic_metre() -> None:
    reference = shipped_reference()
    out = run({"items": [{"carrier": "乙炔", "quantity": 1000, "unit": "m³"}]}, reference)
    item = out["items"][0]
    assert (item["carrier_id"], item["source_row"], item["coefficient_unit"]) == ("acetylene", "CC-048", "kgce/m³")
    assert out["total_tce"] == pytest.approx(8.3143)  # 1000 m³ × 8.3143 kgce/m³ = 8,314.3 kgce
    assert run({"items": [{"carrier": "C2H2", "quantity": 1, "unit": "m3"}]}, reference)["items"][0]["source_row"] == (
        "CC-048"
    )


def test_acetylene_by_mass_is_refused() -> None:
    with pytest.raises(UnitMismatch):
        run({"items": [{"carrier": "乙炔", "quantity": 1, "unit": "t"}]}, shipped_reference())
