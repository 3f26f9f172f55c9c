"""The demo meters (demo/monitoring.py): which enterprises get meters and each one's meter tree — 总表 and 分表,
gas or heat counters, a manual monthly item, a production (产量) meter — with the faults the readings will carry.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dualcarbon.demo.plan import CityPlan, EnterprisePlan

_SHANGHAI = ZoneInfo("Asia/Shanghai")
STEP = timedelta(minutes=15)
STEPS_PER_DAY = 96
#: What a report quantity is in a meter's unit (reports state 万kWh and 万m³).
_TO_METER_UNIT = {"万kWh": ("kWh", 10_000.0), "万m³": ("m3", 10_000.0), "GJ": ("GJ", 1.0), "t": ("t", 1.0)}
_COUNTERS = (("natural_gas", "G-MAIN"), ("heat", "H-MAIN"))
MANUAL_PREFIX = "M-"  # code prefix of the manual monthly items
MISCALIBRATED_SCALE = 1.15  # the out-of-calibration 分表 reads this much high
PRODUCTION_ENTERPRISES = 2  # the first monitored enterprises get a daily production (产量) meter
PRODUCTION_CODE = "P-OUT"
CALIBRATION_SEED = 4754  # the generator of the demo meters' calibration dates (independent of the readings')
JUMP_DAY_AGO = 1  # the day (before the last reading's day) whose production falls while energy does not
JUMP_PRODUCTION_SHARE = 0.6  # … to this share of what the load shape implies: energy per unit × 1 / 0.6
METER_COLUMNS = [
    "credit_code",
    "meter_code",
    "carrier",
    "unit",
    "kind",
    "multiplier",
    "parent_meter_code",
    "counted",
    "calibrated_until",
    "interval_minutes",
    "process_stage",
    "statistic_type",
    "input_type",
    "measures",
    "product",
]


@dataclass
class DemoMeter:
    """One demo meter and how its readings are made."""

    credit_code: str
    code: str
    carrier: str
    unit: str
    kind: str  # cumulative | interval
    multiplier: float
    annual: float  # consumption per 365 days in ``unit``
    parent: str | None = None
    counted: bool = True
    share: float = 1.0  # of the parent's consumption (分表)
    calibrated_until: date | None = None
    scale: float = 1.0  # a mis-calibrated meter reads value × scale
    reset_at: float | None = None  # fraction of the year at which the counter is reset to 0
    manual_monthly: bool = False
    stage: str = "end_use"
    product: str | None = None  # a production (产量) meter of this product: one value a day, no carrier

    def csv_row(self) -> list[Any]:
        if self.product is not None:
            return [
                self.credit_code, self.code, "", self.unit, "interval", 1, "", "true", "", 1440, "",
                "day", "automatic", "production", self.product,
            ]  # fmt: skip
        return [
            self.credit_code,
            self.code,
            self.carrier,
            self.unit,
            self.kind,
            self.multiplier,
            self.parent or "",
            "true" if self.counted else "false",
            self.calibrated_until.isoformat() if self.calibrated_until else "",
            1440 if self.manual_monthly else 15,
            self.stage,
            "month" if self.manual_monthly else "realtime",
            "manual" if self.manual_monthly else "automatic",
            "energy",
            "",
        ]


def _multiplier(per_step: float) -> float:
    """A CT/PT-like ratio that keeps the counter's step around tens of units (1, 10, 100 …)."""
    return float(10 ** max(0, round(math.log10(max(per_step, 1.0) / 20.0))))


def _annual_by_carrier(enterprise: EnterprisePlan) -> dict[str, tuple[str, float]]:
    """carrier → (meter unit, annual quantity) from the latest report's energy lines (repeated carriers summed)."""
    out: dict[str, tuple[str, float]] = {}
    for line in enterprise.latest.content["energy_lines"]:
        unit, factor = _TO_METER_UNIT.get(line["unit"], (line["unit"], 1.0))
        previous = out.get(line["carrier"], (unit, 0.0))[1]
        out[line["carrier"]] = (unit, previous + float(line["quantity"]) * factor)
    return out


def plan_meters(plan: CityPlan, today: date) -> list[DemoMeter]:
    """The meter trees of the monitored enterprises (deterministic in the plan's seed)."""
    rng = random.Random(plan.spec.seed * 7919 + 8)
    chosen = sorted(plan.enterprises, key=lambda e: (not e.key_energy_user, e.index))[: plan.spec.meter_enterprises]
    meters: list[DemoMeter] = []
    for enterprise in chosen:
        code = enterprise.credit_code
        annual = _annual_by_carrier(enterprise)
        if "electricity" not in annual:
            continue
        unit, power = annual.pop("electricity")
        main = DemoMeter(code, "E-MAIN", "electricity", unit, "cumulative", 1.0, power, counted=False)
        main.multiplier = _multiplier(power / (365 * STEPS_PER_DAY))
        main.stage = "purchase_storage"
        meters.append(main)
        count = rng.choice((2, 3))
        weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
        delivered = rng.uniform(0.980, 0.995)  # the rest is line loss between 总表 and 分表
        for i, weight in enumerate(weights, start=1):
            share = delivered * weight / sum(weights)
            meters.append(
                DemoMeter(
                    code, f"E-{i:02d}", "electricity", unit, "cumulative",
                    _multiplier(power * share / (365 * STEPS_PER_DAY)), power * share, parent="E-MAIN", share=share,
                )
            )  # fmt: skip
        for carrier, meter_code in _COUNTERS:
            if carrier in annual:
                unit, quantity = annual.pop(carrier)
                meters.append(
                    DemoMeter(
                        code, meter_code, carrier, unit, "cumulative",
                        _multiplier(quantity / (365 * STEPS_PER_DAY)), quantity, stage="purchase_storage",
                    )
                )  # fmt: skip
        if annual:
            carrier, (unit, quantity) = next(iter(annual.items()))
            meters.append(
                DemoMeter(
                    code, f"{MANUAL_PREFIX}{carrier}", carrier, unit, "interval", 1.0, quantity,
                    manual_monthly=True, stage="purchase_storage",
                )
            )  # fmt: skip
        if len({m.credit_code for m in meters}) <= PRODUCTION_ENTERPRISES:
            output = enterprise.latest.content["outputs"][0]
            meters.append(
                DemoMeter(
                    code, PRODUCTION_CODE, "", str(output["unit"]), "interval", 1.0, float(output["quantity"]),
                    product=str(output["product"]),
                )
            )  # fmt: skip
    subs = [m for m in meters if m.parent]
    if len(subs) >= 2:
        reset, wrong = rng.sample(subs, 2)
        reset.reset_at = rng.uniform(0.3, 0.8)
        wrong.scale = MISCALIBRATED_SCALE
        wrong.calibrated_until = today - timedelta(days=rng.randint(120, 300))
    # Every other meter has a valid calibration (检定有效期) 2 months to 2 years ahead, so the accuracy index reflects
    # the one out-of-calibration 分表 rather than unregistered dates. A separate generator: the readings stay as
    # they were.
    calibration = random.Random(CALIBRATION_SEED)
    for meter in meters:
        if meter.calibrated_until is None:
            meter.calibrated_until = today + timedelta(days=calibration.randint(60, 730))
    return meters
