"""Typed rows of the reference tables. Plain frozen dataclasses; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass

IMPORT_HINT = "import the official table with `dualcarbon reference import FILE` (see docs/reference-import.md)"


@dataclass(frozen=True)
class Provenance:
    """Where a value came from and how far it can be trusted."""

    source: str
    confidence: str
    table: str = ""
    version: str = "shipped"

    @property
    def verified(self) -> bool:
        """True when the row says it was seen in a citable source (even if secondary)."""
        return self.confidence.strip().lower().startswith("verified")


@dataclass(frozen=True)
class Carrier:
    """An energy carrier (能源品种) or energy-carrying working medium (耗能工质)."""

    id: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]
    kind: str  # fuel | electricity | heat | working_medium | reference
    default_unit: str
    conversion_row: str
    emission_row: str
    biomass: bool = False


@dataclass(frozen=True)
class ConversionCoefficient:
    """GB/T 2589 reference conversion coefficient (折标准煤系数) of one carrier.

    ``value`` is None when the table is blank or gives only a range (then ``value_range`` is set).
    ``unit`` is like ``kgce/kg``; ``ncv_kcal`` is the 平均低位发热量 per physical unit when given.
    """

    row_id: str
    row_name: str
    value: float | None
    value_range: tuple[float, float] | None
    unit: str
    ncv_kcal: float | None
    provenance: Provenance


@dataclass(frozen=True)
class EmissionDefaults:
    """Default fuel parameters for combustion CO₂ (GB/T 32151 series, 附录 C 表 C.1).

    ``ncv`` in ``ncv_unit`` (GJ/t or GJ/万Nm³); carbon content in tC/TJ; oxidation as a fraction (0–1).
    """

    row_id: str
    row_name: str
    ncv: float
    ncv_unit: str
    carbon_content_tc_per_tj: float
    oxidation_fraction: float
    provenance: Provenance


@dataclass(frozen=True)
class CarbonateFactor:
    """CO₂ released per tonne of one carbonate decomposed (碳酸盐分解排放因子), in ``unit`` (tCO₂/t)."""

    row_id: str
    mineral: str  # Chinese name, e.g. 碳酸钙
    formula: str  # e.g. CaCO3
    value: float
    unit: str
    provenance: Provenance


@dataclass(frozen=True)
class GridFactor:
    """Electricity CO₂ emission factor (tCO₂/MWh = kgCO₂/kWh) for a data year, region and 口径."""

    row_id: str
    year: int | None
    label: str  # the data_year cell as written (e.g. 'reporting default (older)')
    scope: str  # national | regional grid | provincial
    region: str
    factor_type: str
    basis: str  # average | excluding_market_nonfossil | fossil | reporting_default
    value_tco2_per_mwh: float
    provenance: Provenance


@dataclass(frozen=True)
class SupplyCoalRate:
    """National thermal-power 供电标准煤耗 (gce/kWh) of a year; ``value`` None when not found."""

    row_id: str
    year: int
    value_gce_per_kwh: float | None
    provenance: Provenance


@dataclass(frozen=True)
class BenchmarkRow:
    """One product/process row of a benchmark edition with its limit-standard grades.

    Values are in ``unit``; all are lower-is-better unit consumptions. ``None`` = blank in the table.
    """

    row_id: str
    edition: str
    sector: str
    field: str
    product: str
    indicator: str
    unit: str
    benchmark: float | None
    baseline: float | None
    policy_provenance: Provenance
    limit_standard: str
    grade_1: float | None
    grade_2: float | None
    grade_3: float | None
    grade_provenance: Provenance
    notes: str = ""
    lower_is_better: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.row_id} {self.field}/{self.product} {self.indicator} ({self.unit})"


@dataclass(frozen=True)
class PlatformRule:
    """A value the platform itself decides (a review tolerance, a plausible year range), kept as reference data
    in ``platform_rules`` so that it is sourced, versioned and replaceable by import rather than buried in code."""

    row_id: str
    key: str
    value: float
    unit: str
    provenance: Provenance


@dataclass(frozen=True)
class MaterialFactor:
    """Emission factor of one purchased material (``material_emission_factors``): kgCO₂e per ``unit`` of it.

    ``boundary`` says what the factor covers; only ``cradle-to-gate`` counts as a full upstream footprint.
    """

    row_id: str
    material: str
    aliases: tuple[str, ...]
    unit: str
    kgco2e_per_unit: float
    boundary: str
    provenance: Provenance

    @property
    def cradle_to_gate(self) -> bool:
        return self.boundary.strip().lower() == "cradle-to-gate"
