"""The demo city as a plan: every enterprise, its production unit and its annual reports, decided up front.

Pure and deterministic: ``plan_city(spec, reference)`` draws everything from ``random.Random(spec.seed)``
and the shipped reference tables, touches no database, and returns the same plan for the same spec.
:mod:`dualcarbon.demo.build` then writes the plan through the services.

How the figures are made. Each enterprise gets a *target tier* on the GB grades of its field's benchmark
row for the latest year (counts allocated exactly: about 15 % 1级, 30 % 2级, 40 % 3级, 15 % failing the
3级 limit) and a unit consumption drawn inside that tier's band; the two earlier years are 0.5–3 % worse
each, so most enterprises improve. The energy lines are the field's mix of that total (当量值, tce =
unit consumption × output ÷ 1000), converted to physical quantities with the GB/T 2589 coefficients of the
reference tables and rounded as an enterprise would report them; the reported unit consumption is then
recomputed from the rounded quantities, so reported and computed figures agree within rounding — except
for the reports planned to deviate (reported 6 % lower, flagged on review and returned).

What happens to each report (the *fate*) is allocated the same way: in the latest year most reports are
approved, some approved only after the first catalog of the year, some submitted and waiting, some
returned, a few left as drafts or never filed (overdue); earlier years are all approved (the oldest also
locked), and some reports of the middle year were returned once and corrected in a second version.

Most planned enterprises are large (their fields' outputs make thousands to hundreds of thousands of tce). A
few (:data:`DIAGNOSIS_SIZED_SHARE`, at least :data:`DIAGNOSIS_SIZED_MIN`), drawn from a random generator of their
own so the rest of the plan is unchanged, are sized so that their latest year's consumption lies inside the
energy-saving-diagnosis band (节能诊断) of the audits subject's filing pack (Shanghai: 2000 ≤ tce/a < 5000) — the
enterprises whose diagnoses the retrofit stage files. The band is read from the pack, never written here.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dualcarbon.audits import service_reports as audit_reports
from dualcarbon.audits.models import AuditReport
from dualcarbon.audits.service_reports import OBLIGATION_OF_KIND, filing_pack
from dualcarbon.core.errors import InvalidInput
from dualcarbon.demo.profiles import (
    CITY,
    COMPANY_FORMS,
    DISTRICTS,
    FIELDS,
    PROVINCE,
    ROADS,
    SURNAMES,
    TRADE_NAMES,
    FieldProfile,
)
from dualcarbon.domain.energy import convert_line
from dualcarbon.domain.energy_lines import EnergyLine as DomainEnergyLine
from dualcarbon.domain.identifiers import make_credit_code
from dualcarbon.reference import BenchmarkRow, ReferenceSet
from dualcarbon.reference.policy import PolicyPack

TIERS = ("grade_1", "grade_2", "grade_3", "fails_limit")
TIER_SHARES = (0.15, 0.30, 0.40, 0.15)
#: Fates of the latest year's reports and their shares.
LATEST_FATES = ("approved", "approved_late", "submitted", "returned", "draft", "missing")
LATEST_SHARES = (0.70, 0.06, 0.09, 0.06, 0.04, 0.05)
#: Share of the middle year's reports returned once for a deviation and corrected in version 2.
CORRECTED_SHARE = 0.06
KEY_ENERGY_USER_TCE = 10_000.0  # 重点用能单位: 年综合能源消费量 ≥ 1万 tce (节约能源法 §52)
DEVIATION_FACTOR = 0.94  # a deviating report states a unit consumption 6 % below the computed one
OUTPUT_YEAR_SPREAD = (0.92, 1.08)  # a year's output as a factor of the enterprise's base output
#: Share of the enterprises sized for an energy-saving diagnosis, and the fewest (the retrofit stage files four).
DIAGNOSIS_SIZED_SHARE = 0.1
DIAGNOSIS_SIZED_MIN = 4
#: Tiers and latest fate a diagnosis-sized enterprise is drawn from: approved reports (so its consumption is on
#: record) of the better tiers (the worse ones are the appealing enterprises of the demo's logins).
DIAGNOSIS_SIZED_TIERS = ("grade_1", "grade_2")
DIAGNOSIS_SIZED_FATE = "approved"
BAND_CLEARANCE = 0.01  # share of the band's bounds kept clear for the rounding of reported quantities
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 组织机构代码 check digit weights
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # characters also allowed in a 统一社会信用代码


@dataclass(frozen=True)
class DemoSpec:
    """What to generate: number of enterprises and districts, the random seed, the latest report year."""

    enterprises: int = 300
    districts: int = 5
    seed: int = 2026
    latest_year: int = 2025
    # Online monitoring (demo/monitoring.py): enterprises with meters and days of 15-min readings up to now.
    # Off unless asked: `dualcarbon demo` asks for 30 × 365 (about 4.8 M readings).
    meter_enterprises: int = 0
    meter_days: int = 365

    def __post_init__(self) -> None:
        if not 1 <= self.districts <= len(DISTRICTS):
            raise InvalidInput(f"districts must be 1–{len(DISTRICTS)}, got {self.districts}", field="districts")
        if self.meter_enterprises < 0 or self.meter_days < 0:
            raise InvalidInput("meter_enterprises and meter_days must be ≥ 0", field="meter_days")
        if self.enterprises < 10:
            raise InvalidInput(f"the demo needs at least 10 enterprises, got {self.enterprises}", field="enterprises")

    @property
    def years(self) -> tuple[int, int, int]:
        return self.latest_year - 2, self.latest_year - 1, self.latest_year

    @property
    def halves(self) -> tuple[str, str, str]:
        """Catalog half-years: the H2 fed by the middle year, then H1 and H2 fed by the latest year."""
        return f"{self.latest_year}-H2", f"{self.latest_year + 1}-H1", f"{self.latest_year + 1}-H2"


def latest_complete_year(today: date) -> int:
    """The newest year whose annual reports were due (31 March of the next year) before ``today``."""
    return today.year - 1 if today >= date(today.year, 4, 1) else today.year - 2


def report_deadline(year: int) -> date:
    """The demo's deadline of the annual report of ``year``: 31 March of the following year."""
    return date(year + 1, 3, 31)


@dataclass(frozen=True)
class ReportPlan:
    """One annual report: its content (as the reports service takes it) and what happens to it."""

    year: int
    fate: str  # locked | approved | approved_late | corrected | submitted | returned | draft | missing
    content: dict[str, Any]
    unit_consumption: float  # kgce per output unit, as computed from the rounded lines
    total_tce: float
    deviating: bool = False  # the stated unit consumption is DEVIATION_FACTOR × the computed one
    corrected_content: dict[str, Any] | None = None  # version 2 of a corrected report


@dataclass
class EnterprisePlan:
    """One synthetic enterprise with its production unit and its reports (oldest year first)."""

    index: int
    credit_code: str
    name: str
    region_code: str
    profile: FieldProfile
    tier: str  # target tier of the latest year
    above_scale: bool
    land_area_mu: float
    address: str
    contact: str
    capacity: float
    reports: list[ReportPlan] = field(default_factory=list)
    key_energy_user: bool = False

    @property
    def latest(self) -> ReportPlan:
        return self.reports[-1]


@dataclass
class CityPlan:
    spec: DemoSpec
    province: tuple[str, str]
    city: tuple[str, str]
    districts: list[tuple[str, str]]
    enterprises: list[EnterprisePlan]


# ---- allocation helpers --------------------------------------------------------------------------------
def allocate(total: int, shares: Sequence[float], rng: random.Random, *, at_least_one: bool = True) -> list[int]:
    """Indices 0..len(shares)-1, one per item, in exact proportions (largest remainder), shuffled.

    With ``at_least_one`` every share > 0 gets one item when ``total`` allows, so small demos still
    show every state.
    """
    exact = [total * s / sum(shares) for s in shares]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(shares)), key=lambda i: exact[i] - counts[i], reverse=True):
        if sum(counts) >= total:
            break
        counts[i] += 1
    if at_least_one and total >= len(shares):
        for i, share in enumerate(shares):
            if share > 0 and counts[i] == 0:
                donor = max(range(len(counts)), key=lambda j: counts[j])
                counts[donor] -= 1
                counts[i] += 1
    items = [i for i, count in enumerate(counts) for _ in range(count)]
    rng.shuffle(items)
    return items


def organisation_check_character(body8: str) -> str:
    """GB 11714 check character of an 8-character 组织机构代码 body: C9 = 11 − Σ(Cᵢ·Wᵢ) mod 11 with
    W = 3, 7, 9, 10, 5, 8, 4, 2 and letters valued A=10 … Z=35; 10 is written X and 11 is written 0."""
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def organisation_code(rng: random.Random) -> str:
    """A 9-character 组织机构代码 of the new ``MA`` series: 8 random characters and the GB 11714 check."""
    body = "MA" + "".join(rng.choice(_ORG_CHARS) for _ in range(6))
    return body + organisation_check_character(body)


def credit_code(region_code: str, rng: random.Random) -> str:
    """统一社会信用代码 of a company (登记管理部门 9 工商, 类别 1 企业) registered in ``region_code``."""
    return make_credit_code("91" + region_code + organisation_code(rng))


# ---- energy lines ------------------------------------------------------------------------------------
class Coefficients:
    """tce per one unit of a carrier (当量值), looked up once per (carrier, unit) in the reference tables."""

    def __init__(self, reference: ReferenceSet) -> None:
        self.reference = reference
        self._cache: dict[tuple[str, str], float] = {}

    def tce_per_unit(self, carrier: str, unit: str) -> float:
        key = (carrier, unit)
        if key not in self._cache:
            converted, _warnings = convert_line(DomainEnergyLine(carrier, 1.0, unit, "fuel"), self.reference)
            self._cache[key] = converted.tce
        return self._cache[key]


def energy_lines(
    profile: FieldProfile, total_tce: float, coefficients: Coefficients
) -> tuple[list[dict[str, Any]], float, float]:
    """The field's mix of ``total_tce`` as report lines, and (rounded total tce, energy cost in 万元)."""
    lines: list[dict[str, Any]] = []
    actual_tce = 0.0
    cost_yuan = 0.0
    for share in profile.mix:
        per_unit = coefficients.tce_per_unit(share.carrier, share.unit)
        quantity = round(total_tce * share.share / per_unit, share.decimals)
        line_tce = quantity * per_unit
        actual_tce += line_tce
        cost_yuan += quantity * share.yuan_per_unit
        lines.append(
            {
                "carrier": share.carrier,
                "quantity": quantity,
                "unit": share.unit,
                "use": share.use,
                "reported_tce": round(line_tce, 2),
            }
        )
    return lines, actual_tce, cost_yuan / 10_000.0


def tier_value(row: BenchmarkRow, tier: str, rng: random.Random) -> float:
    """A unit consumption inside ``tier``'s band of the row's GB grades (lower is better)."""
    if row.grade_1 is None or row.grade_2 is None or row.grade_3 is None:
        raise InvalidInput(f"benchmark row {row.row_id} has no GB grades; the demo needs all three", field="row_id")
    g1, g2, g3 = row.grade_1, row.grade_2, row.grade_3
    low, high = {
        "grade_1": (g1 - 0.06 * abs(g1), g1),
        "grade_2": (g1, g2),
        "grade_3": (g2, g3),
        "fails_limit": (g3, g3 + 0.07 * abs(g3)),
    }[tier]
    if high <= low:  # a band of zero width (grade_1 == grade_2): sit on the limit
        return high
    return low + (high - low) * rng.uniform(0.15, 0.85)


def report_content(
    profile: FieldProfile,
    output: float,
    unit_consumption: float,
    coefficients: Coefficients,
    rng: random.Random,
    *,
    deviating: bool = False,
    with_value_added: bool = True,
) -> tuple[dict[str, Any], float, float]:
    """The content of one annual report, and the (computed unit consumption, total tce) it implies."""
    target_tce = unit_consumption * output / 1000.0
    lines, actual_tce, energy_cost = energy_lines(profile, target_tce, coefficients)
    computed_uc = actual_tce * 1000.0 / output
    stated = computed_uc * DEVIATION_FACTOR if deviating else computed_uc
    gross = output * profile.yuan_per_output / 10_000.0 * rng.uniform(0.95, 1.05)
    economics = {
        "gross_output_10k_yuan": round(gross, 1),
        "value_added_10k_yuan": round(gross * rng.uniform(0.18, 0.32), 1) if with_value_added else None,
        "sales_revenue_10k_yuan": round(gross * rng.uniform(0.96, 1.03), 1),
        "employees": max(30, int(gross / rng.uniform(150.0, 300.0))),
        "energy_cost_10k_yuan": round(energy_cost, 1),
    }
    content = {
        "energy_lines": lines,
        "outputs": [
            {
                "product": profile.product,
                "benchmark_row_id": profile.row_id,
                "quantity": round(output),
                "unit": profile.output_unit,
                "reported_unit_consumption": round(stated, 2),
                "unit_consumption_unit": f"kgce/{profile.output_unit}",
            }
        ],
        "economics": economics,
    }
    return content, computed_uc, actual_tce


# ---- the plan ----------------------------------------------------------------------------------------
def _names(rng: random.Random, profile: FieldProfile, district: str, taken: set[str]) -> str:
    trade = rng.choice(TRADE_NAMES)
    form = rng.choice(COMPANY_FORMS)
    short = district.removesuffix("区").removesuffix("新")
    for candidate in (
        f"示范{trade}{profile.trade_word}{form}",
        f"示范{short}{trade}{profile.trade_word}{form}",
    ):
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    number = 2
    while f"示范{short}{trade}{profile.trade_word}{number}厂{form}" in taken:
        number += 1
    name = f"示范{short}{trade}{profile.trade_word}{number}厂{form}"
    taken.add(name)
    return name


def _profiles_for(count: int, rng: random.Random) -> list[FieldProfile]:
    picks = allocate(count, [p.weight for p in FIELDS], rng, at_least_one=count >= 3 * len(FIELDS))
    return [FIELDS[i] for i in picks]


def _reports(
    profile: FieldProfile,
    tier: str,
    latest_fate: str,
    corrected: bool,
    spec: DemoSpec,
    reference: ReferenceSet,
    coefficients: Coefficients,
    rng: random.Random,
    latest_tce: float | None = None,
) -> list[ReportPlan]:
    """The three reports; ``latest_tce``: size the base output so the latest year's consumption is about it
    (within :data:`OUTPUT_YEAR_SPREAD`), drawing the same random numbers as without it."""
    row = reference.benchmark_row(profile.row_id)
    base_output = rng.uniform(*profile.output_range)
    uc_latest = tier_value(row, tier, rng)
    if latest_tce is not None:
        base_output = latest_tce * 1000.0 / uc_latest
    ucs = [uc_latest]
    for _ in range(2):
        ucs.insert(0, ucs[0] * (1.0 + rng.uniform(0.005, 0.03)))
    plans: list[ReportPlan] = []
    oldest, middle, latest = spec.years
    for year, uc in zip(spec.years, ucs, strict=True):
        output = base_output * rng.uniform(*OUTPUT_YEAR_SPREAD)
        fate = {oldest: "locked", middle: "corrected" if corrected else "approved", latest: latest_fate}[year]
        deviating = fate == "corrected" or (fate in ("returned", "submitted") and rng.random() < 0.5)
        missing_value_added = fate == "returned" and not deviating
        content, computed_uc, total = report_content(
            profile, output, uc, coefficients, rng, deviating=deviating, with_value_added=not missing_value_added
        )
        fixed = None
        if fate == "corrected":  # version 2 states the unit consumption as computed; nothing else changes
            fixed = copy.deepcopy(content)
            fixed["outputs"][0]["reported_unit_consumption"] = round(computed_uc, 2)
        plans.append(ReportPlan(year, fate, content, computed_uc, total, deviating, fixed))
    return plans


def diagnosis_band(pack: PolicyPack | None = None) -> tuple[float, float] | None:
    """(lower, upper) tce/a of the energy-using unit's energy-saving-diagnosis rule of ``pack`` (default: the
    audits subject's filing pack) — its ``annual_energy_tce`` condition; None when the pack states no such band."""
    pack = pack or filing_pack()
    for rule in pack.obligations:
        if rule.obligation != OBLIGATION_OF_KIND["diagnosis"] or rule.subject != "energy_using_unit":
            continue
        for condition in rule.when:
            if condition.fact == "annual_energy_tce" and condition.min is not None and condition.max is not None:
                return condition.min, condition.max
    return None


def owes(kind: str, consumption_tce: float) -> bool:
    """Whether an enterprise consuming ``consumption_tce`` in the audit period is inside the filing pack's
    obligation of ``kind`` (audit | diagnosis): its report would carry no out-of-obligation note. Asked of the
    audits service itself with a report that is never stored, so the demo and the product judge alike."""
    probe = AuditReport(kind=kind, baseline_energy_tce=round(consumption_tce, 1))
    return audit_reports.obligation_note(probe) is None


def _diagnosis_sized(spec: DemoSpec, tiers: list[int], fates: list[int]) -> dict[int, float]:
    """Plan index → the latest consumption (tce) planned for the diagnosis-sized enterprises: inside the pack's
    band even at either end of :data:`OUTPUT_YEAR_SPREAD` (:data:`BAND_CLEARANCE` kept clear for rounding)."""
    band = diagnosis_band()
    if band is None:
        return {}
    rng = random.Random(spec.seed * 7919 + 17)  # its own generator: the rest of the plan stays as it was
    eligible = [
        i
        for i in range(spec.enterprises)
        if TIERS[tiers[i]] in DIAGNOSIS_SIZED_TIERS and LATEST_FATES[fates[i]] == DIAGNOSIS_SIZED_FATE
    ]
    count = min(len(eligible), max(DIAGNOSIS_SIZED_MIN, round(spec.enterprises * DIAGNOSIS_SIZED_SHARE)))
    low = band[0] / OUTPUT_YEAR_SPREAD[0] * (1.0 + BAND_CLEARANCE)
    high = band[1] / OUTPUT_YEAR_SPREAD[1] * (1.0 - BAND_CLEARANCE)
    return {i: rng.uniform(low, high) for i in sorted(rng.sample(eligible, count))}


def plan_city(spec: DemoSpec, reference: ReferenceSet) -> CityPlan:
    """The whole synthetic city for ``spec`` (deterministic in ``spec.seed``)."""
    rng = random.Random(spec.seed)
    coefficients = Coefficients(reference)
    districts = list(DISTRICTS[: spec.districts])
    district_weights = [1.3, 1.1, 1.0, 0.9, 0.8, 0.7][: spec.districts]
    n = spec.enterprises
    where = allocate(n, district_weights, rng)
    profiles = _profiles_for(n, rng)
    tiers = allocate(n, TIER_SHARES, rng)
    fates = allocate(n, LATEST_SHARES, rng)
    corrected = set(rng.sample(range(n), max(1, round(n * CORRECTED_SHARE))))
    diagnosis_sized = _diagnosis_sized(spec, tiers, fates)
    codes: set[str] = set()
    names: set[str] = set()
    enterprises: list[EnterprisePlan] = []
    for index in range(n):
        region_code, district = districts[where[index]]
        profile = profiles[index]
        code = credit_code(region_code, rng)
        while code in codes:
            code = credit_code(region_code, rng)
        codes.add(code)
        reports = _reports(
            profile,
            TIERS[tiers[index]],
            LATEST_FATES[fates[index]],
            index in corrected,
            spec,
            reference,
            coefficients,
            rng,
            diagnosis_sized.get(index),
        )
        utilisation = rng.uniform(0.78, 0.95)
        latest_output = reports[-1].content["outputs"][0]["quantity"]
        enterprise = EnterprisePlan(
            index=index,
            credit_code=code,
            name=_names(rng, profile, district, names),
            region_code=region_code,
            profile=profile,
            tier=TIERS[tiers[index]],
            above_scale=rng.random() < 0.95 or index in diagnosis_sized,  # the diagnosis rule is for 规上 ones
            land_area_mu=round(rng.uniform(80.0, 900.0), 1),
            address=f"{PROVINCE[1]}{CITY[1]}{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            contact=f"{rng.choice(SURNAMES)}工（能源管理负责人）",
            capacity=round(latest_output * profile.capacity_per_output / utilisation, 2),
            reports=reports,
        )
        enterprise.key_energy_user = max(r.total_tce for r in reports) >= KEY_ENERGY_USER_TCE
        enterprises.append(enterprise)
    return CityPlan(spec, PROVINCE, CITY, districts, enterprises)
