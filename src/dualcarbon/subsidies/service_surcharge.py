"""Differentiated and tiered electricity prices (差别电价 / 阶梯电价): surcharge tables and the yearly surcharge.

The Putian and Liaocheng plans *apply* these prices by efficiency level but give no numbers; the national and
provincial tables are official documents an administrator imports (``io/surcharge_template.csv``, format in
docs/subsidies.md). Nothing is shipped filled in. A row maps, for a product (blank: any),

* ``basis = tier``: a catalog tier (``below_baseline``, ``fails_limit`` …) → 元/kWh, or
* ``basis = unit_consumption``: a unit-consumption range with stated boundaries (``min_inclusive`` …) → 元/kWh,

each with ``source``, ``clause`` and ``confidence``. Importing replaces the whole table (all rows or none);
overlapping ranges, a tier given twice, a bad number or a missing source are refused naming the row.

The yearly surcharge = the matched row's 元/kWh × the year's electricity (kWh): reported, or the sum of the
named electricity meters' twelve monthly rollups (every month needed). The tier, when not given, is the
enterprise's tier for the product in the newest published catalog.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.units import convert
from dualcarbon.core.vocab import TIER_ORDER, TIER_ZH
from dualcarbon.domain.rules_zh import range_zh
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_rollups import meter_rollups
from dualcarbon.reference.policy_incentives import Bounds
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.store.audit import append_audit
from dualcarbon.subsidies.models import ElectricitySurcharge
from dualcarbon.subsidies.schemas import (
    SURCHARGE_BASES,
    SurchargeImportReceipt,
    SurchargeIn,
    SurchargeResult,
    SurchargeRowOut,
)

COLUMNS = (
    "table_id",
    "row",
    "jurisdiction",
    "basis",
    "product",
    "tier",
    "min",
    "min_inclusive",
    "max",
    "max_inclusive",
    "consumption_unit",
    "surcharge_yuan_per_kwh",
    "valid_from",
    "valid_to",
    "source",
    "clause",
    "confidence",
)
TEMPLATE = Path(__file__).parent / "io" / "surcharge_template.csv"


def _flag(text: str, where: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in ("true", "yes", "1", "是"):
        return True
    if value in ("false", "no", "0", "否"):
        return False
    raise InvalidInput(f"must be true or false (got {text!r})", field=where)


def _number(text: str, where: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"not a number: {text!r}", field=where) from None
    if not math.isfinite(value):
        raise InvalidInput("must be a finite number", field=where)
    return value


def _date(text: str, where: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"not a date YYYY-MM-DD: {text!r}", field=where) from None


def _parse(content: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(content))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"missing column(s): {', '.join(missing)} (see the template)", field="header")
    rows: list[dict[str, Any]] = []
    for line, raw in enumerate(reader, start=2):
        cells = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        if not any(cells.values()):
            continue
        at = f"line {line}"
        for name in ("table_id", "jurisdiction", "basis", "surcharge_yuan_per_kwh", "source", "clause", "confidence"):
            if not cells[name]:
                raise InvalidInput("required", field=f"{at}.{name}")
        if cells["basis"] not in SURCHARGE_BASES:
            raise InvalidInput(f"must be one of: {', '.join(SURCHARGE_BASES)}", field=f"{at}.basis")
        rate = _number(cells["surcharge_yuan_per_kwh"], f"{at}.surcharge_yuan_per_kwh")
        if rate is None or rate < 0:
            raise InvalidInput("must be ≥ 0 元/kWh", field=f"{at}.surcharge_yuan_per_kwh")
        row: dict[str, Any] = {
            "table_id": cells["table_id"],
            "row_number": int(_number(cells["row"], f"{at}.row") or line - 1),
            "jurisdiction": cells["jurisdiction"],
            "basis": cells["basis"],
            "product": cells["product"],
            "tier": cells["tier"] or None,
            "min_value": _number(cells["min"], f"{at}.min"),
            "min_inclusive": _flag(cells["min_inclusive"], f"{at}.min_inclusive"),
            "max_value": _number(cells["max"], f"{at}.max"),
            "max_inclusive": _flag(cells["max_inclusive"], f"{at}.max_inclusive"),
            "consumption_unit": cells["consumption_unit"] or None,
            "surcharge_yuan_per_kwh": rate,
            "valid_from": _date(cells["valid_from"], f"{at}.valid_from"),
            "valid_to": _date(cells["valid_to"], f"{at}.valid_to"),
            "source": cells["source"],
            "clause": cells["clause"],
            "confidence": cells["confidence"],
        }
        if row["basis"] == "tier":
            if row["tier"] not in TIER_ORDER:
                raise InvalidInput(f"must be one of: {', '.join(TIER_ORDER)}", field=f"{at}.tier")
            if row["min_value"] is not None or row["max_value"] is not None:
                raise InvalidInput("a tier row has no min/max", field=f"{at}.min")
        else:
            if row["tier"]:
                raise InvalidInput("a unit_consumption row has no tier", field=f"{at}.tier")
            if not row["consumption_unit"]:
                raise InvalidInput("required for a unit_consumption row", field=f"{at}.consumption_unit")
            try:
                _bounds(row)
            except ValueError as exc:
                raise InvalidInput(str(exc), field=f"{at}.min") from None
            if row["min_value"] is None and row["max_value"] is None:
                raise InvalidInput("give min and/or max", field=f"{at}.min")
        row["line"] = line
        rows.append(row)
    if not rows:
        raise InvalidInput("the file has no rows", field="file")
    tables = {r["table_id"] for r in rows}
    if len(tables) != 1:
        raise InvalidInput(f"one table per file (found: {', '.join(sorted(tables))})", field="table_id")
    _check_overlaps(rows)
    return rows


def _bounds(row: dict[str, Any]) -> Bounds:
    return Bounds(
        min=row["min_value"],
        min_inclusive=row["min_inclusive"],
        max=row["max_value"],
        max_inclusive=row["max_inclusive"],
    )


def _check_overlaps(rows: list[dict[str, Any]]) -> None:
    numbers = [r["row_number"] for r in rows]
    if len(numbers) != len(set(numbers)):
        raise InvalidInput("a row number is used twice", field="row")
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a["basis"] != b["basis"] or a["product"] != b["product"]:
                continue
            clash = a["tier"] == b["tier"] if a["basis"] == "tier" else _overlap(_bounds(a), _bounds(b))
            if clash:
                raise InvalidInput(f"overlaps line {a['line']} (same product)", field=f"line {b['line']}")


def _overlap(a: Bounds, b: Bounds) -> bool:
    for low, high in ((a, b), (b, a)):  # does `low` end before `high` starts?
        if low.max is not None and high.min is not None:
            if low.max < high.min or (low.max == high.min and not (low.max_inclusive and high.min_inclusive)):
                return False
    return True


def import_surcharges(session: Session, actor: Principal, content: str) -> SurchargeImportReceipt:
    """Replace one surcharge table by the file's rows (administrators only). Audited."""
    require_role(actor, "admin")
    rows = _parse(content)
    table_id = rows[0]["table_id"]
    replaced = session.execute(delete(ElectricitySurcharge).where(ElectricitySurcharge.table_id == table_id))
    for row in rows:
        row.pop("line")
        session.add(ElectricitySurcharge(imported_by=actor.username, **row))
    session.flush()
    count = int(replaced.rowcount or 0)  # type: ignore[attr-defined]
    append_audit(
        session,
        actor.username,
        "surcharge.import",
        "electricity_surcharge",
        table_id,
        {"rows": count},
        {"rows": len(rows)},
    )
    return SurchargeImportReceipt(table_id=table_id, rows=len(rows), replaced=count)


def row_out(row: ElectricitySurcharge) -> SurchargeRowOut:
    text = None
    if row.basis == "unit_consumption":
        text = _bounds(
            {
                "min_value": row.min_value,
                "min_inclusive": row.min_inclusive,
                "max_value": row.max_value,
                "max_inclusive": row.max_inclusive,
            }
        ).range_text("unit_consumption", row.consumption_unit or "")
    return SurchargeRowOut(
        table_id=row.table_id,
        row=row.row_number,
        jurisdiction=row.jurisdiction,
        basis=row.basis,  # type: ignore[arg-type]
        product=row.product,
        tier=row.tier,
        range_text=text,
        surcharge_yuan_per_kwh=row.surcharge_yuan_per_kwh,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        source=row.source,
        clause=row.clause,
        confidence=row.confidence,
    )


def list_surcharges(session: Session, actor: Principal, table_id: str | None = None) -> list[SurchargeRowOut]:
    del actor  # the tables are public reference data
    query = select(ElectricitySurcharge).order_by(ElectricitySurcharge.table_id, ElectricitySurcharge.row_number)
    if table_id:
        query = query.where(ElectricitySurcharge.table_id == table_id)
    return [row_out(r) for r in session.scalars(query)]


def _published_tier(session: Session, enterprise_id: int, product: str) -> tuple[str, str] | None:
    found = session.execute(
        select(CatalogEntry.tier, Catalog.id)
        .join(Catalog, Catalog.id == CatalogEntry.catalog_id)
        .where(
            CatalogEntry.enterprise_id == enterprise_id, CatalogEntry.product == product, Catalog.state == "published"
        )
        .order_by(Catalog.published_at.desc())
        .limit(1)
    ).first()
    return None if found is None else (found[0], f"published catalog {found[1]}")


def _metered_kwh(
    session: Session, actor: Principal, enterprise_id: int, meter_ids: list[int], year: int, reference: ReferenceSet
) -> float:
    total = 0.0
    for index, meter_id in enumerate(meter_ids):
        meter = session.get(Meter, meter_id)
        if meter is None or meter.enterprise_id != enterprise_id or meter.carrier not in ("electricity", "电力"):
            raise InvalidInput("not an electricity meter of the enterprise", field=f"meter_ids[{index}]")
        result = meter_rollups(
            session, actor, "month", date(year, 1, 1), date(year, 12, 31), reference, meter_id=meter_id
        )
        gaps = [p.start.strftime("%Y-%m") for p in result.periods if p.energy is None]
        if gaps or len(result.periods) != 12:
            raise InvalidInput(f"meter {meter_id} lacks month(s) {', '.join(gaps)}", field=f"meter_ids[{index}]")
        total += sum(convert(p.energy or 0.0, p.unit, "kWh") for p in result.periods)
    return total


def yearly_surcharge(session: Session, actor: Principal, spec: SurchargeIn, reference: ReferenceSet) -> SurchargeResult:
    enterprise = require_enterprise(session, actor, spec.credit_code)
    rows = list(session.scalars(select(ElectricitySurcharge).where(ElectricitySurcharge.table_id == spec.table_id)))
    if not rows:
        raise InvalidInput(
            f"no surcharge table '{spec.table_id}' imported (template: {TEMPLATE.name})", field="table_id"
        )
    trace: list[dict[str, Any]] = []
    on = date(spec.year, 12, 31)
    rows = [
        r
        for r in rows
        if r.product in ("", spec.product)
        and (r.valid_from is None or r.valid_from <= on)
        and (r.valid_to is None or r.valid_to >= date(spec.year, 1, 1))
    ]
    matched: ElectricitySurcharge | None = None
    if spec.unit_consumption is not None:
        for row in (r for r in rows if r.basis == "unit_consumption"):
            passed = _bounds(
                {
                    "min_value": row.min_value,
                    "min_inclusive": row.min_inclusive,
                    "max_value": row.max_value,
                    "max_inclusive": row.max_inclusive,
                }
            ).contains(spec.unit_consumption)
            text = row_out(row).range_text
            zh = range_zh(
                "单位产品能耗",
                row.min_value,
                row.min_inclusive,
                row.max_value,
                row.max_inclusive,
                row.consumption_unit or "",
            )
            trace.append(
                {
                    "rule": f"{row.table_id} row {row.row_number}",
                    "clause": row.clause,
                    "condition": text,
                    "condition_zh": zh,
                    "value": spec.unit_consumption,
                    "passed": passed,
                }
            )
            if passed and matched is None:
                matched = row
    else:
        tier, where = spec.tier, "given"
        if tier is None:
            found = _published_tier(session, enterprise.id, spec.product)
            if found is None:
                raise InvalidInput("no tier given and no published catalog entry for the product", field="tier")
            tier, where = found
        for row in (r for r in rows if r.basis == "tier"):
            passed = row.tier == tier
            trace.append(
                {
                    "rule": f"{row.table_id} row {row.row_number}",
                    "clause": row.clause,
                    "condition": f"tier = {row.tier}",
                    "condition_zh": f"能效等级为“{TIER_ZH.get(row.tier or '', row.tier)}”",
                    "value": f"{tier} ({where})",
                    "passed": passed,
                }
            )
            if passed and matched is None:
                matched = row
    if spec.electricity_kwh is not None:
        kwh, how = spec.electricity_kwh, "reported"
    elif spec.meter_ids:
        kwh, how = _metered_kwh(session, actor, enterprise.id, spec.meter_ids, spec.year, reference), "meters"
    else:
        raise InvalidInput("give electricity_kwh or the electricity meter_ids", field="electricity_kwh")
    amount = None
    if matched is not None:
        amount = matched.surcharge_yuan_per_kwh * kwh
        trace.append(
            {
                "rule": f"{matched.table_id} row {matched.row_number}",
                "clause": matched.clause,
                "condition": f"surcharge = {kwh:g} kWh × {matched.surcharge_yuan_per_kwh:g} 元/kWh",
                "condition_zh": f"加价电费 = 用电量 {kwh:g} kWh × {matched.surcharge_yuan_per_kwh:g} 元/kWh",
                "value": amount,
                "passed": True,
            }
        )
    return SurchargeResult(
        table_id=spec.table_id,
        credit_code=enterprise.credit_code,
        year=spec.year,
        matched=None if matched is None else row_out(matched),
        electricity_kwh=kwh,
        electricity_source=how,
        surcharge_yuan=amount,
        trace=trace,
    )
