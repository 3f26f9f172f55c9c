"""What every asset register shares: loading an asset within the caller's scope, checking a linked meter,
the energy of whole months (metered through monitoring's rollups, or reported), and reporting months.

Scope: reading — the caller's enterprises (``registry.service_access.enterprise_filter``), anything else is
*not found*; writing — whoever may write the enterprise's data (its users, its agency, its regulator).

Energy of a period: an asset with a meter linked is read **only** from the meter (monthly rollups of
:func:`dualcarbon.monitoring.service_rollups.meter_rollups`, converted to kWh); an asset without one from the
months its owner reported. A month without a figure is listed as missing and the total is null — never
zero-filled, so nothing downstream (a subsidy) is computed from a gap.
"""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.assets.models import AssetReportedMonth, Datacentre, PvAsset, StorageAsset
from dualcarbon.assets.schemas import QUANTITIES_OF, EnergyOfPeriod, MonthEnergy, ReportedIn, ReportedOut, parse_month
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound, PermissionDenied
from dualcarbon.core.units import convert
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_rollups import meter_rollups
from dualcarbon.reference.policy import PolicyPack, packs_dir, resolve_pack
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import can_access_enterprise, can_write_enterprise_data
from dualcarbon.store.audit import append_audit

AssetRow = TypeVar("AssetRow", PvAsset, StorageAsset, Datacentre)
MODEL_OF: dict[str, type[PvAsset] | type[StorageAsset] | type[Datacentre]] = {
    "pv": PvAsset,
    "storage": StorageAsset,
    "datacentre": Datacentre,
}
KIND_ZH = {"pv": "光伏", "storage": "储能", "datacentre": "数据中心"}
MAX_MONTHS = 120


def shipped_pack(pack_id: str) -> PolicyPack:
    """A shipped pack by its id, parsed once per version of its file: the registers read a pack per row
    (mounting limits) or per PUE check, and parsing the YAML each time cost seconds a page."""
    path = packs_dir() / f"{pack_id}.yaml"
    return _parsed_pack(pack_id, path.stat().st_mtime_ns if path.exists() else 0)


@lru_cache(maxsize=32)
def _parsed_pack(pack_id: str, stamp: int) -> PolicyPack:
    try:
        return resolve_pack(pack_id)
    except InvalidInput as exc:
        raise exc.at("pack") if exc.field is None else exc from None


def load_asset(
    session: Session, actor: Principal, model: type[AssetRow], asset_id: int, *, write: bool = False
) -> tuple[AssetRow, Enterprise]:
    """The asset and its enterprise if the actor may read (write) it; NotFound out of read scope."""
    row = session.get(model, asset_id)
    enterprise = session.get(Enterprise, row.enterprise_id) if row is not None else None
    if row is None or enterprise is None or not can_access_enterprise(session, actor, enterprise):
        raise NotFound(f"{model.__tablename__} {asset_id} not found")
    if write and not can_write_enterprise_data(session, actor, enterprise):
        raise PermissionDenied("only the enterprise, its agency or its regulator may change this asset")
    return row, enterprise


def check_meter(session: Session, enterprise: Enterprise, meter_id: int | None, field: str) -> None:
    """A linked meter must exist and belong to the asset's enterprise."""
    if meter_id is None:
        return
    meter = session.get(Meter, meter_id)
    if meter is None or meter.enterprise_id != enterprise.id:
        raise InvalidInput(
            f"meter {meter_id} is not a meter of enterprise {enterprise.credit_code}",
            field=field,
            zh=f"计量表 {meter_id} 不属于该企业",
        )


def months_between(period_from: str, period_to: str) -> list[tuple[int, int]]:
    """Every (year, month) from ``period_from`` to ``period_to`` inclusive (YYYY-MM each)."""
    try:
        start, end = parse_month(period_from, "period_from"), parse_month(period_to, "period_to")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="period") from None
    if end < start:
        raise InvalidInput("period_to is before period_from", field="period_to", zh="结束月份早于开始月份")
    out: list[tuple[int, int]] = []
    year, month = start
    while (year, month) <= end:
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if len(out) > MAX_MONTHS:
            raise InvalidInput(f"a period may span at most {MAX_MONTHS} months", field="period_to")
    return out


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def energy_of_period(
    session: Session,
    actor: Principal,
    kind: str,
    asset_id: int,
    meter_id: int | None,
    quantity: str,
    period_from: str,
    period_to: str,
    reference: ReferenceSet,
) -> EnergyOfPeriod:
    """The asset's ``quantity`` per month over the period (see the module docstring for the sources)."""
    months = months_between(period_from, period_to)
    lines: list[MonthEnergy] = []
    if meter_id is not None:
        (y0, m0), (y1, m1) = months[0], months[-1]
        result = meter_rollups(
            session,
            actor,
            "month",
            date(y0, m0, 1),
            date(y1, m1, calendar.monthrange(y1, m1)[1]),
            reference,
            meter_id=meter_id,
        )
        by_month = {(p.start.year, p.start.month): p for p in result.periods}
        for year, month in months:
            period = by_month.get((year, month))
            energy = None if period is None or period.energy is None else convert(period.energy, period.unit, "kWh")
            lines.append(
                MonthEnergy(
                    month=month_label(year, month),
                    kwh=energy,
                    source="meter" if energy is not None else "missing",
                    completeness=None if period is None else period.completeness,
                    flags=[] if period is None else list(period.flags),
                )
            )
    else:
        rows = session.scalars(
            select(AssetReportedMonth).where(
                AssetReportedMonth.asset_kind == kind,
                AssetReportedMonth.asset_id == asset_id,
                AssetReportedMonth.quantity == quantity,
            )
        )
        reported = {(r.year, r.month): r.kwh for r in rows}
        for year, month in months:
            value = reported.get((year, month))
            lines.append(
                MonthEnergy(
                    month=month_label(year, month), kwh=value, source="reported" if value is not None else "missing"
                )
            )
    missing = [line.month for line in lines if line.kwh is None]
    total = None if missing else sum(line.kwh or 0.0 for line in lines)
    return EnergyOfPeriod(
        asset_kind=kind,  # type: ignore[arg-type]
        asset_id=asset_id,
        quantity=quantity,  # type: ignore[arg-type]
        period_from=month_label(*months[0]),
        period_to=month_label(*months[-1]),
        months=lines,
        total_kwh=total,
        missing_months=missing,
    )


def report_months(session: Session, actor: Principal, kind: str, asset_id: int, spec: ReportedIn) -> ReportedOut:
    """Record (or correct) reported months of an asset; refused when the asset is metered. Audited."""
    model = MODEL_OF[kind]
    row, _ = load_asset(session, actor, model, asset_id, write=True)  # type: ignore[type-var]
    if spec.quantity not in QUANTITIES_OF[kind]:
        raise InvalidInput(
            f"a {kind} asset reports {' or '.join(QUANTITIES_OF[kind])}, not {spec.quantity}", field="quantity"
        )
    meter = row.meter_id if isinstance(row, PvAsset | StorageAsset) else _dc_meter(row, spec.quantity)
    if meter is not None:
        raise InvalidInput(
            f"{kind} {asset_id} is metered (meter {meter}): its {spec.quantity} comes from the meter",
            field="quantity",
            zh=f"该{KIND_ZH[kind]}已接入计量表，能耗以计量数据为准，不能另行填报",
        )
    seen: set[str] = set()
    changed: dict[str, float] = {}
    for index, item in enumerate(spec.months):
        if item.month in seen:
            raise InvalidInput(f"month {item.month} given twice", field=f"months[{index}].month")
        seen.add(item.month)
        year, month = parse_month(item.month)
        existing = session.scalar(
            select(AssetReportedMonth).where(
                AssetReportedMonth.asset_kind == kind,
                AssetReportedMonth.asset_id == asset_id,
                AssetReportedMonth.quantity == spec.quantity,
                AssetReportedMonth.year == year,
                AssetReportedMonth.month == month,
            )
        )
        if existing is None:
            session.add(
                AssetReportedMonth(
                    asset_kind=kind,
                    asset_id=asset_id,
                    quantity=spec.quantity,
                    year=year,
                    month=month,
                    kwh=item.kwh,
                    reported_by=actor.username,
                )
            )
        else:
            existing.kwh = item.kwh
            existing.reported_by = actor.username
        changed[item.month] = item.kwh
    session.flush()
    append_audit(
        session,
        actor.username,
        f"{kind}.report_months",
        model.__tablename__,
        asset_id,
        None,
        {"quantity": spec.quantity, "months": changed},
    )
    return ReportedOut(asset_kind=kind, asset_id=asset_id, quantity=spec.quantity, months=changed)  # type: ignore[arg-type]


def _dc_meter(row: Datacentre, quantity: str) -> int | None:
    return row.total_meter_id if quantity == "total" else row.it_meter_id
