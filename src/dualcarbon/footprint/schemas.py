"""Shapes that cross the footprint subject's boundary: a study's inputs, its computed result and trace, the
register rows. ``FootprintResult`` is also the layout of ``footprint_study.result`` (JSON keys are the API's
contract: do not rename them)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Allocation = Literal["mass", "economic"]
STATE_ZH = {"draft": "草稿", "published": "已发布"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MaterialLine(_Strict):
    """One purchased material of the bill (物料清单): quantity in ``unit``; ``row_id`` picks the factor row."""

    material: str = Field(min_length=1, max_length=200)
    quantity: NonNegative
    unit: str = Field(min_length=1, max_length=32)
    row_id: str | None = Field(default=None, max_length=32)


class StudyIn(_Strict):
    """A new footprint study: the product of the enterprise's approved annual report of ``year``."""

    credit_code: str = Field(min_length=18, max_length=18)
    year: int = Field(ge=1990, le=2100)
    product: str = Field(min_length=1, max_length=200)
    allocation: Allocation = "mass"
    values_10k_yuan: dict[str, NonNegative] | None = Field(
        default=None, description="economic allocation: each output's value in 万元, by product name"
    )
    process_tco2: NonNegative = Field(default=0.0, description="process emissions not in the report (tCO₂)")
    process_source: str | None = Field(default=None, max_length=500)
    materials: list[MaterialLine] = Field(default_factory=list, max_length=2000)


class VersionIn(_Strict):
    """The ``lock_version`` of the study as the caller last saw it."""

    lock_version: int = Field(ge=0)


class TraceTermOut(BaseModel):
    step: str
    label: str
    quantity: float | None
    unit: str
    factor: float | None
    factor_unit: str
    tco2e: float | None
    reference: str
    source: str
    confidence: str
    note: str


class MissingOut(BaseModel):
    index: int
    material: str
    reason: str
    reason_zh: str
    fix: str


class FootprintResult(BaseModel):
    """The computed footprint (tCO₂e) of a study with every term of its trace."""

    product: str
    declared_unit: str
    product_quantity: float
    allocation_method: Allocation
    allocation_method_zh: str
    allocation_share: float
    allocation_basis: str
    enterprise_energy_tco2: float
    enterprise_process_tco2: float
    allocated_tco2: float
    materials_tco2e: float
    known_tco2e: float
    total_tco2e: float | None = Field(description="None while a material factor is missing")
    per_unit_tco2e: float | None = Field(description="tCO₂e per declared unit of the product")
    complete: bool
    missing: list[MissingOut]
    notes: list[str]
    trace: list[TraceTermOut]
    boundary: str = "cradle-to-gate"
    report_id: int
    report_version: int
    reference_versions: dict[str, str]


class StudySummary(BaseModel):
    """One row of a list of studies (and of the region's register)."""

    id: int
    credit_code: str
    enterprise_name: str
    region_code: str
    year: int
    product: str
    allocation_method: Allocation
    total_tco2e: float | None
    per_unit_tco2e: float | None
    declared_unit: str
    complete: bool
    state: str
    state_zh: str
    published_at: str | None
    lock_version: int


class StudyOut(StudySummary):
    """A study with its inputs and result."""

    values_10k_yuan: dict[str, float] | None
    process_tco2: float
    process_source: str | None
    materials: list[MaterialLine]
    result: FootprintResult
    created_by: str
    created_at: str
    published_by: str | None


class FactorOut(BaseModel):
    """One row of ``material_emission_factors`` as used now (``version``: ``shipped`` or the import's id)."""

    row_id: str
    material: str
    aliases: list[str]
    unit: str
    kgco2e_per_unit: float | None = Field(description="kgCO₂e per unit; None while the row is blank")
    boundary: str
    data_year: int | None
    source: str
    document: str
    clause: str
    confidence: str
    version: str


class FactorProblem(BaseModel):
    """One problem of a factor file: the file row (header = row 1 of the data block), column, reason."""

    row: int
    column: str
    column_zh: str
    reason: str


class FactorImportOut(BaseModel):
    table: str
    rows: int
    updates: list[str] = Field(description="row ids of existing rows the file fills or replaces")
    additions: list[str] = Field(description="row ids the file adds")
    dry_run: bool = False
    version: str | None = None
    created: bool = False  # False: the identical file was imported before (no new version)
