"""Product carbon footprint, cradle to gate (产品碳足迹, first step towards GB/T 24067-2024).

The footprint of one product of an enterprise for one year, in tCO₂e::

    CFP = s × (E_energy + E_process) + Σ_m Q_m × EF_m / 1000

* ``E_energy``, ``E_process`` — the enterprise's accounted emissions of the year in tCO₂ (GB/T 32150: fuel
  combustion, purchased/exported electricity and heat; process emissions), taken as computed, term by term.
* ``s`` — the product's allocation share (分配系数), GB/T 24067 / ISO 14044 allocation by a physical relation
  (mass: the product's output in t ÷ all outputs in t) or by economic value (its output value ÷ all outputs'
  value). The method is stated in the result.
* ``Q_m × EF_m`` — each purchased material (quantity in the factor's unit) × its emission factor in kgCO₂e per
  unit from the reference table ``material_emission_factors`` (the upstream, cradle-to-gate part).

A material whose factor is absent or blank is listed under ``missing`` with the fix (import the table): the
total is then None and the footprint incomplete — never a silently lower number. A factor whose boundary is
not ``cradle-to-gate`` is used but marks the footprint incomplete. Every term is in ``trace`` with the report
line or reference row it comes from. No I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from dualcarbon.core.errors import DualcarbonError, InvalidInput, MissingCoefficient, UnknownReferenceRow
from dualcarbon.core.units import convert, same_dimension
from dualcarbon.reference.model import IMPORT_HINT, MaterialFactor
from dualcarbon.reference.table_files import parse_number
from dualcarbon.reference.table_files import provenance as row_provenance
from dualcarbon.reference.tables import ReferenceSet

AllocationMethod = Literal["mass", "economic"]
ALLOCATION_ZH: Final[dict[str, str]] = {"mass": "按质量分配（物理关系）", "economic": "按经济价值分配"}
MATERIAL_TABLE: Final = "material_emission_factors"
MASS_UNIT: Final = "t"


@dataclass(frozen=True)
class EnterpriseEmission:
    """One term of the enterprise's accounted emissions (tCO₂): ``kind`` energy or process."""

    kind: Literal["energy", "process"]
    label: str
    tco2: float
    reference: str  # where the figure comes from (report line, grid-factor row, the study's own entry)


@dataclass(frozen=True)
class ProductOutput:
    """One output line of the year: product, quantity in ``unit``, and its value (万元) for economic allocation."""

    product: str
    quantity: float
    unit: str
    value_10k_yuan: float | None = None


@dataclass(frozen=True)
class MaterialInput:
    """One line of the bill of purchased materials: ``row_id`` picks the factor row, else ``material`` by name."""

    material: str
    quantity: float
    unit: str
    row_id: str | None = None


@dataclass(frozen=True)
class TraceTerm:
    """One term of the footprint with its numbers and where they come from."""

    step: Literal["enterprise_energy", "enterprise_process", "allocation", "material"]
    label: str
    quantity: float | None
    unit: str
    factor: float | None
    factor_unit: str
    tco2e: float | None
    reference: str
    source: str = ""
    confidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class MissingFactor:
    """A material of the bill without a usable factor, and how to fix it."""

    index: int
    material: str
    reason: str
    reason_zh: str
    fix: str


@dataclass(frozen=True)
class Footprint:
    """The cradle-to-gate footprint of one product for one year (tCO₂e), with its trace."""

    product: str
    declared_unit: str
    product_quantity: float
    allocation_method: AllocationMethod
    allocation_share: float
    allocation_basis: str
    enterprise_energy_tco2: float
    enterprise_process_tco2: float
    allocated_tco2: float
    materials_tco2e: float
    known_tco2e: float
    total_tco2e: float | None
    per_unit_tco2e: float | None
    complete: bool
    missing: tuple[MissingFactor, ...]
    notes: tuple[str, ...]
    trace: tuple[TraceTerm, ...]


def _finite(value: float, field: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"must be a finite number ≥ 0, got {value}", field=field, zh="须为不小于 0 的有限数值")


def allocation_shares(outputs: Sequence[ProductOutput], method: AllocationMethod) -> tuple[list[float], str]:
    """Each output's share (0–1) and the basis in words, e.g. ``600 t / 1000 t``.

    Mass allocation needs every output in a mass unit (converted to t); economic allocation needs every
    output's value. Errors name ``outputs[i]``.
    """
    if not outputs:
        raise InvalidInput("the report has no output lines to allocate to", field="outputs", zh="报告没有产品产量")
    amounts: list[float] = []
    for index, line in enumerate(outputs):
        if method == "mass":
            if not same_dimension(line.unit, MASS_UNIT):
                raise InvalidInput(
                    f"mass allocation needs every output in a mass unit; '{line.product}' is in {line.unit} "
                    "(choose economic allocation)",
                    field=f"outputs[{index}].unit",
                    zh=f"按质量分配要求产量以质量单位计（{line.product}：{line.unit}），请改用按经济价值分配",
                )
            amounts.append(convert(line.quantity, line.unit, MASS_UNIT))
        else:
            if line.value_10k_yuan is None:
                raise InvalidInput(
                    f"economic allocation needs the value of every output; '{line.product}' has none",
                    field=f"values_10k_yuan.{line.product}",
                    zh=f"按经济价值分配须填写每种产品的产值，缺少：{line.product}",
                )
            _finite(line.value_10k_yuan, f"values_10k_yuan.{line.product}")
            amounts.append(line.value_10k_yuan)
    total = sum(amounts)
    if not math.isfinite(total):
        field = "outputs" if method == "mass" else "values_10k_yuan"
        raise InvalidInput("the outputs add up beyond any real amount", field=field, zh="分配基数过大，无法计算")
    if total <= 0:
        field = "outputs" if method == "mass" else "values_10k_yuan"
        raise InvalidInput("the outputs add up to zero: nothing to allocate by", field=field, zh="分配基数合计为零")
    unit = MASS_UNIT if method == "mass" else "万元"
    return [amount / total for amount in amounts], f"{{amount:g}} {unit} / {total:g} {unit}"


def _material_factor_of(row: dict[str, str]) -> MaterialFactor:
    value = parse_number(row.get("kgco2e_per_unit"))
    if value is None:
        raise MissingCoefficient(
            f"the factor of {row.get('material', '')} is blank in {MATERIAL_TABLE} (row {row['row_id']}); "
            f"{IMPORT_HINT}",
            zh=f"{row.get('material', '')} 的排放因子在 {MATERIAL_TABLE}（{row['row_id']} 行）中为空，请导入因子表",
        )
    return MaterialFactor(
        row_id=row["row_id"],
        material=row.get("material", ""),
        aliases=tuple(a for a in row.get("aliases", "").split("|") if a),
        unit=row.get("unit", ""),
        kgco2e_per_unit=value,
        boundary=row.get("boundary", ""),
        provenance=row_provenance(row, MATERIAL_TABLE),
    )


def _key(text: str) -> str:
    return text.strip().lower().replace("（", "(").replace("）", ")").replace(" ", "")


def material_factor(reference: ReferenceSet, material: str, row_id: str | None = None) -> MaterialFactor:
    """The factor row of ``material`` (by ``row_id`` when given, else by name or alias).

    ``UnknownReferenceRow`` when no row names it, ``MissingCoefficient`` when its value is blank.
    """
    table = reference.tables.get(MATERIAL_TABLE)
    rows = list(table.rows) if table else []
    if row_id:
        found = [row for row in rows if row.get("row_id", "").strip() == row_id.strip()]
        if not found:
            raise UnknownReferenceRow(f"no row '{row_id}' in {MATERIAL_TABLE}", field="row_id")
        return _material_factor_of(found[0])
    wanted = _key(material)
    for row in rows:
        names = [row.get("material", ""), *row.get("aliases", "").split("|")]
        if any(name and _key(name) == wanted for name in names):
            return _material_factor_of(row)
    raise UnknownReferenceRow(
        f"no factor for material '{material}' in {MATERIAL_TABLE}; add its row by import "
        f"(`dualcarbon reference template {MATERIAL_TABLE} -o FILE.xlsx`, then `dualcarbon reference import FILE`)",
        field="material",
        zh=f"因子表 {MATERIAL_TABLE} 中没有材料“{material}”，请通过参考数据导入补充",
    )


def _material_term(index: int, line: MaterialInput, factor: MaterialFactor) -> TraceTerm:
    try:
        quantity = convert(line.quantity, line.unit, factor.unit)
    except DualcarbonError as exc:
        raise InvalidInput(
            f"materials[{index}]: {line.unit} does not fit the factor row {factor.row_id} (per {factor.unit}): "
            f"{exc.message}",
            field=f"materials[{index}].unit",
            zh=f"第 {index + 1} 行材料的单位 {line.unit} 与因子（每 {factor.unit}）不符",
        ) from None
    tco2e = quantity * factor.kgco2e_per_unit / 1000.0
    if not math.isfinite(tco2e):
        raise InvalidInput(
            f"materials[{index}]: the quantity is beyond any real amount",
            field=f"materials[{index}].quantity",
            zh=f"第 {index + 1} 行材料数量过大，无法计算",
        )
    note = "" if factor.cradle_to_gate else f"因子边界“{factor.boundary}”窄于从摇篮到大门（cradle-to-gate）"
    return TraceTerm(
        step="material",
        label=line.material,
        quantity=line.quantity,
        unit=line.unit,
        factor=factor.kgco2e_per_unit,
        factor_unit=f"kgCO2e/{factor.unit}",
        tco2e=tco2e,
        reference=f"{MATERIAL_TABLE} {factor.row_id} ({factor.provenance.version})",
        source=factor.provenance.source,
        confidence=factor.provenance.confidence,
        note=note,
    )


def product_footprint(
    emissions: Sequence[EnterpriseEmission],
    outputs: Sequence[ProductOutput],
    product_index: int,
    method: AllocationMethod,
    materials: Sequence[MaterialInput],
    reference: ReferenceSet,
    *,
    notes: Sequence[str] = (),
    complete: bool = True,
) -> Footprint:
    """The footprint of ``outputs[product_index]``; ``complete=False`` (and ``notes``) carry the caller's gaps."""
    shares, basis_template = allocation_shares(outputs, method)
    share = shares[product_index]
    product = outputs[product_index]
    amount = convert(product.quantity, product.unit, MASS_UNIT) if method == "mass" else (product.value_10k_yuan or 0.0)
    basis = basis_template.format(amount=amount)
    trace: list[TraceTerm] = []
    energy = process = 0.0
    for term in emissions:
        step: Literal["enterprise_energy", "enterprise_process"] = (
            "enterprise_energy" if term.kind == "energy" else "enterprise_process"
        )
        trace.append(TraceTerm(step, term.label, None, "", None, "", term.tco2, term.reference))
        if term.kind == "energy":
            energy += term.tco2
        else:
            process += term.tco2
    allocated = share * (energy + process)
    trace.append(
        TraceTerm(
            "allocation",
            f"{ALLOCATION_ZH[method]}：{product.product}",
            energy + process,
            "tCO2",
            share,
            basis,
            allocated,
            f"outputs[{product_index}]",
        )
    )
    missing: list[MissingFactor] = []
    all_notes = list(notes)
    materials_total = 0.0
    for index, line in enumerate(materials):
        _finite(line.quantity, f"materials[{index}].quantity")
        try:
            factor = material_factor(reference, line.material, line.row_id)
        except (MissingCoefficient, UnknownReferenceRow) as exc:
            fix = f"dualcarbon reference template {MATERIAL_TABLE} -o FILE.xlsx; dualcarbon reference import FILE.xlsx"
            missing.append(MissingFactor(index, line.material, exc.message, exc.zh or exc.message, fix))
            continue
        material = _material_term(index, line, factor)
        trace.append(material)
        materials_total += material.tco2e or 0.0
        if material.note:
            complete = False
            all_notes.append(f"{line.material}：{material.note}（{factor.row_id}）")
    known = allocated + materials_total
    if not math.isfinite(known):
        raise InvalidInput(
            "the footprint adds up beyond any real amount", field="materials", zh="合计数值过大，无法计算"
        )
    total = None if missing else known
    if missing:
        complete = False
        names = "、".join(m.material for m in missing)
        all_notes.append(f"缺少{names}的排放因子：导入因子表并重新计算之前不给出合计")
    per_unit = total / product.quantity if total is not None and product.quantity > 0 else None
    return Footprint(
        product=product.product,
        declared_unit=product.unit,
        product_quantity=product.quantity,
        allocation_method=method,
        allocation_share=share,
        allocation_basis=basis,
        enterprise_energy_tco2=energy,
        enterprise_process_tco2=process,
        allocated_tco2=allocated,
        materials_tco2e=materials_total,
        known_tco2e=known,
        total_tco2e=total,
        per_unit_tco2e=per_unit,
        complete=complete,
        missing=tuple(missing),
        notes=tuple(all_notes),
        trace=tuple(trace),
    )
