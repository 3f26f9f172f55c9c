"""The content of a period report (能源利用状况报告): the pydantic model, its validation, and its storage form.

Owns :class:`ReportContent` (energy lines, outputs, economics) as services and the API accept it, the
check of every line against the reference tables (carrier known, unit of the right kind, a product's
benchmark row resolved). The conversion between content and the immutable store rows of a
``PeriodReportVersion`` is in :mod:`dualcarbon.reports.service_content_rows`. Every error names its field
path, e.g. ``energy_lines[2].unit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from dualcarbon.core.errors import (
    AmbiguousProduct,
    DualcarbonError,
    InvalidInput,
    MissingCoefficient,
    UnitMismatch,
    UnknownReferenceRow,
)
from dualcarbon.core.units import parse_unit, same_dimension
from dualcarbon.domain.energy import convert_line
from dualcarbon.domain.energy_lines import EnergyLine as DomainEnergyLine
from dualcarbon.domain.products import ProductCatalog
from dualcarbon.reference.model import BenchmarkRow
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, ProductionUnit

EnergyUseName = Literal["fuel", "feedstock", "conversion", "sold"]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EnergyLineIn(_Strict):
    """One carrier consumed (or sold) in the period. ``carrier``: id, Chinese name or alias (电力, 天然气)."""

    carrier: str = Field(min_length=1, max_length=64)
    quantity: NonNegative
    unit: str = Field(min_length=1, max_length=32)
    use: EnergyUseName = "fuel"
    ncv: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    ncv_unit: str | None = Field(default=None, max_length=32)
    reported_tce: NonNegative | None = None


class OutputLineIn(_Strict):
    """One product made in the period; the benchmark row is resolved from the unit or the product name."""

    production_unit_id: int | None = None
    product: str | None = Field(default=None, max_length=200)
    benchmark_row_id: str | None = Field(default=None, max_length=32)
    quantity: NonNegative
    unit: str = Field(min_length=1, max_length=32)
    reported_unit_consumption: FiniteFloat | None = None  # may be negative (转炉工序)
    unit_consumption_unit: str | None = Field(default=None, max_length=64)


class EconomicsIn(_Strict):
    """Economic figures of the period; money in 万元, value added at comparable prices (可比价)."""

    gross_output_10k_yuan: NonNegative | None = None
    value_added_10k_yuan: NonNegative | None = None
    sales_revenue_10k_yuan: NonNegative | None = None
    employees: Annotated[int, Field(ge=0)] | None = None
    energy_cost_10k_yuan: NonNegative | None = None

    @field_validator("employees", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class ReportContent(_Strict):
    """What an enterprise reports for one period."""

    energy_lines: list[EnergyLineIn] = Field(default_factory=list)
    outputs: list[OutputLineIn] = Field(default_factory=list)
    economics: EconomicsIn | None = None


# ---- parsing -----------------------------------------------------------------------------------------


def field_path(location: Sequence[int | str]) -> str:
    """``("energy_lines", 2, "unit")`` → ``energy_lines[2].unit``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def parse_content(raw: ReportContent | dict[str, Any] | Any) -> ReportContent:
    """Validate the shape of ``raw``; the first problem raises ``InvalidInput`` naming its field path."""
    if isinstance(raw, ReportContent):
        return raw
    if not isinstance(raw, dict):
        raise InvalidInput(
            "report content must be a JSON object with energy_lines, outputs, economics",
            zh="报告内容格式有误：应包含能源消费、产品产量和经济指标",
        )
    try:
        return ReportContent.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise InvalidInput(f"{first['msg']}{more}", field=field_path(first["loc"]) or None) from None


# ---- checks against the reference tables ------------------------------------------------------------


def _check_energy_line(line: EnergyLineIn, reference: ReferenceSet) -> EnergyLineIn:
    """The line with its carrier id resolved; raises with a field relative to the line."""
    if line.ncv is not None and not line.ncv_unit:
        raise InvalidInput(
            "required with ncv (e.g. MJ/kg, kcal/kg, GJ/万Nm³, kgce/kg)",
            field="ncv_unit",
            zh="填写了低位发热量时须同时填写其单位（如 MJ/kg、kcal/kg、GJ/万Nm³、kgce/kg）",
        )
    if line.ncv is None and line.ncv_unit:
        raise InvalidInput("given without ncv", field="ncv_unit", zh="填写了发热量单位，但没有填写低位发热量")
    domain_line = DomainEnergyLine(
        line.carrier, line.quantity, line.unit, line.use, ncv=line.ncv, ncv_unit=line.ncv_unit
    )
    try:
        carrier = reference.carrier(line.carrier)
    except DualcarbonError as exc:
        raise exc.at("carrier") from None
    try:
        convert_line(domain_line, reference)
    except MissingCoefficient:
        # The figure cannot be computed yet (blank reference row); the line is still valid content.
        _check_unit_kind(line.unit, carrier.default_unit, carrier.name_zh)
    return line.model_copy(update={"carrier": carrier.id})


def _check_unit_kind(unit: str, default_unit: str, carrier_name: str) -> None:
    try:
        parse_unit(unit)
    except UnitMismatch as exc:
        raise exc.at("unit") from None
    if default_unit and not same_dimension(unit, default_unit):
        raise UnitMismatch(f"'{unit}' does not fit {carrier_name} (a unit like '{default_unit}')", field="unit")


def _check_unit(unit: str | None, field: str) -> None:
    if unit is None:
        return
    try:
        parse_unit(unit)
    except UnitMismatch as exc:
        raise exc.at(field) from None


_CATALOGS: dict[tuple[int, str], ProductCatalog] = {}


def _catalog(reference: ReferenceSet, edition: str) -> ProductCatalog:
    key = (id(reference), edition)
    if key not in _CATALOGS:
        _CATALOGS.clear()  # one reference set is in use at a time; keep the cache small
        _CATALOGS[key] = ProductCatalog.for_edition(reference, edition)
    return _CATALOGS[key]


#: A report's output line is about 单位产品综合能耗: among several indicators of a product, prefer it.
COMPREHENSIVE_INDICATOR = "综合能耗"


def _comprehensive_indicator(
    catalog: ProductCatalog, field_name: str, product: str, value_unit: str | None
) -> BenchmarkRow | None:
    try:
        return catalog.match(field_name, product, value_unit, COMPREHENSIVE_INDICATOR)
    except (InvalidInput, UnitMismatch):
        return None


def match_benchmark_row(
    product: str, reference: ReferenceSet, *, value_unit: str | None = None, edition: str | None = None
) -> BenchmarkRow | None:
    """The benchmark row of a product name as a respondent writes it (电石, 高炉 …); None when no row names it.

    Uses the survey's product matcher (:class:`dualcarbon.domain.products.ProductCatalog`, names and
    aliases) in every 重点领域 of the newest edition; ``value_unit`` (the reported unit consumption's unit)
    narrows products with several indicators, then the 综合能耗 indicator is preferred. Several candidates
    left → ``AmbiguousProduct`` listing them.
    """
    catalog = _catalog(reference, edition or reference.editions()[-1])
    found: dict[str, BenchmarkRow] = {}
    mismatch: UnitMismatch | None = None
    for field_name in catalog.fields():
        row: BenchmarkRow | None
        try:
            row = catalog.match(field_name, product, value_unit)
        except UnitMismatch as exc:
            mismatch = exc
            continue
        except AmbiguousProduct as exc:
            row = _comprehensive_indicator(catalog, field_name, product, value_unit)
            if row is None:
                raise AmbiguousProduct(f"{exc.message}; give benchmark_row_id") from None
        except InvalidInput:
            continue
        found[row.row_id] = row
    if len(found) > 1:
        labels = "; ".join(candidate.label for candidate in found.values())
        raise AmbiguousProduct(f"'{product}' matches several benchmark rows: {labels}; give benchmark_row_id")
    if not found and mismatch is not None:
        raise UnitMismatch(mismatch.message, field="unit_consumption_unit")
    return next(iter(found.values()), None)


def _check_output_line(
    session: Session, enterprise: Enterprise, line: OutputLineIn, reference: ReferenceSet
) -> OutputLineIn:
    update: dict[str, Any] = {}
    if line.production_unit_id is not None:
        unit_row = session.get(ProductionUnit, line.production_unit_id)
        if unit_row is None or unit_row.enterprise_id != enterprise.id:
            raise InvalidInput(
                f"production unit {line.production_unit_id} is not a unit of this enterprise",
                field="production_unit_id",
                zh="所选生产单元不属于本企业",
            )
        update["product"] = line.product or unit_row.product
        if line.benchmark_row_id is None and unit_row.benchmark_row_id:
            update["benchmark_row_id"] = unit_row.benchmark_row_id
    elif not line.product:
        raise InvalidInput(
            "give the product name or production_unit_id", field="product", zh="请填写产品名称或选择生产单元"
        )
    benchmark_row_id = update.get("benchmark_row_id", line.benchmark_row_id)
    if benchmark_row_id:
        try:
            reference.benchmark_row(benchmark_row_id)
        except UnknownReferenceRow as exc:
            raise exc.at("benchmark_row_id") from None
    else:
        try:
            row = match_benchmark_row(
                update.get("product", line.product) or "", reference, value_unit=line.unit_consumption_unit
            )
        except AmbiguousProduct as exc:
            raise exc.at("product") from None
        update["benchmark_row_id"] = row.row_id if row else None
    _check_unit(line.unit, "unit")
    if line.reported_unit_consumption is not None and not line.unit_consumption_unit:
        raise InvalidInput(
            "required with reported_unit_consumption (e.g. kgce/t)",
            field="unit_consumption_unit",
            zh="填写了单位产品能耗时须同时填写其单位（如 kgce/t）",
        )
    _check_unit(line.unit_consumption_unit, "unit_consumption_unit")
    return line.model_copy(update=update)


def normalise_content(
    session: Session, enterprise: Enterprise, content: ReportContent, reference: ReferenceSet
) -> ReportContent:
    """``content`` checked line by line, carriers as ids and benchmark rows resolved (errors name the path)."""
    energy: list[EnergyLineIn] = []
    for index, line in enumerate(content.energy_lines):
        try:
            energy.append(_check_energy_line(line, reference))
        except DualcarbonError as exc:
            raise _plain(exc).at(f"energy_lines[{index}]") from None
    outputs: list[OutputLineIn] = []
    for index, output in enumerate(content.outputs):
        try:
            outputs.append(_check_output_line(session, enterprise, output, reference))
        except DualcarbonError as exc:
            raise _plain(exc).at(f"outputs[{index}]") from None
    return ReportContent(energy_lines=energy, outputs=outputs, economics=content.economics)


def _plain(exc: DualcarbonError) -> DualcarbonError:
    # Reference-lookup failures in content are input errors of the respondent.
    if isinstance(exc, UnknownReferenceRow | AmbiguousProduct | UnitMismatch | InvalidInput):
        return exc
    return InvalidInput(exc.message, field=exc.field, zh=exc.zh)
