"""Typed results of the registry services that other subjects and the API read.

The region tree (GB/T 2260) and the result of seeding regions; enterprises as a list row and in full with
their sites and production units; the report of a bulk import. The API returns them as they are
(``response_model``); pages and other subjects read their attributes. JSON keys are the API's contract:
do not rename fields. Times are ISO 8601 strings, as the API has always written them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dualcarbon.core.vocab import RegionLevel


class RegionNode(BaseModel):
    """A region with the regions below it (as deep as the tree was asked for)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="6-digit 行政区划代码")
    name: str
    level: RegionLevel
    children: list[RegionNode] = Field(default_factory=list)


class RegionTree(BaseModel):
    """The region tree for pickers: its top nodes."""

    model_config = ConfigDict(extra="forbid")

    items: list[RegionNode]


class RegionsSeeded(BaseModel):
    """How many regions an import added, renamed, or found unchanged."""

    model_config = ConfigDict(extra="forbid")

    created: int
    renamed: int
    unchanged: int


class Schema(BaseModel):
    """A result handed out by a registry service."""

    model_config = ConfigDict(extra="forbid")


# ---- enterprises ----------------------------------------------------------------------------------
class EnterpriseItem(Schema):
    """An enterprise as a list shows it: its registry fields and the name of its region."""

    credit_code: str = Field(description="统一社会信用代码")
    name: str
    region_code: str
    industry_code: str = Field(description="GB/T 4754 code, e.g. C3011")
    above_scale: bool = Field(description="规模以上工业企业")
    land_area_mu: float | None = Field(description="用地面积, 亩")
    key_energy_user: bool = Field(description="重点用能单位")
    address: str | None
    contact: str | None
    region_name: str | None


class SiteOut(Schema):
    """A site (厂区) of an enterprise."""

    id: int
    name: str
    address: str | None


class UnitOut(Schema):
    """A production unit (生产装置/工序) with its key field, product, benchmark row and capacity."""

    id: int
    site_id: int | None
    name: str
    field: str | None = Field(description="key field (重点领域)")
    product: str | None
    benchmark_row_id: str | None
    capacity: float
    capacity_unit: str


class EnterpriseDetail(EnterpriseItem):
    """One enterprise with its edit ``version`` (for a guarded PATCH), sites and production units."""

    version: int
    updated_at: str | None
    sites: list[SiteOut]
    production_units: list[UnitOut]


# ---- bulk import ----------------------------------------------------------------------------------
class ImportProblemOut(Schema):
    """A cell that stops the import: spreadsheet row, column header, and why."""

    row: int
    column: str
    reason: str
    reason_zh: str | None = Field(default=None, description="the same reason for a Chinese reader")


class EnterpriseImportReport(Schema):
    """What a bulk import found and did (``committed`` False on a dry run or when a problem stopped it)."""

    file: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    committed: bool
    problems: list[ImportProblemOut]
    ignored_columns: list[str]
    ok: bool
