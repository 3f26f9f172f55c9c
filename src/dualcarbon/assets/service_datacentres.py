"""Data-centre register (数据中心): PUE from total and IT energy of a period, and the checks of the
``calc datacentre`` contract on it (GB 40879 grade, Yunnan new-build / retrofit, Shanghai closure candidate).

PUE = Σ total facility kWh ÷ Σ IT kWh over the same whole months (metered, else reported). Years in operation
are whole years completed from ``in_operation_since`` to the last day of the period. The checks are the
contract's sources and readings (:mod:`.service_pue_checks`).
"""

from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.assets.models import Datacentre
from dualcarbon.assets.schemas import DatacentreIn, DatacentreOut, PueResult, parse_month
from dualcarbon.assets.service_common import check_meter, energy_of_period, load_asset
from dualcarbon.assets.service_pue_checks import pue_checks
from dualcarbon.core.access import Principal
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise
from dualcarbon.store.audit import append_audit


def datacentre_out(row: Datacentre, enterprise: Enterprise) -> DatacentreOut:
    return DatacentreOut(
        id=row.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        region_code=enterprise.region_code,
        name=row.name,
        racks=row.racks,
        in_operation_since=row.in_operation_since,
        new_build=row.new_build,
        size=row.size,  # type: ignore[arg-type]
        total_meter_id=row.total_meter_id,
        it_meter_id=row.it_meter_id,
        lock_version=row.lock_version,
    )


def create_datacentre(session: Session, actor: Principal, spec: DatacentreIn) -> DatacentreOut:
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    check_meter(session, enterprise, spec.total_meter_id, "total_meter_id")
    check_meter(session, enterprise, spec.it_meter_id, "it_meter_id")
    row = Datacentre(enterprise_id=enterprise.id, created_by=actor.username, **spec.model_dump(exclude={"credit_code"}))
    session.add(row)
    session.flush()
    append_audit(session, actor.username, "datacentre.create", "datacentre", row.id, None, spec.model_dump(mode="json"))
    return datacentre_out(row, enterprise)


def list_datacentres(session: Session, actor: Principal, *, region_code: str | None = None) -> list[DatacentreOut]:
    query = select(Datacentre, Enterprise).join(Enterprise, Enterprise.id == Datacentre.enterprise_id)
    query = query.where(enterprise_filter(actor))
    if region_code:
        query = query.where(in_region_subtree(Enterprise.region_code, region_code))  # type: ignore[arg-type]
    return [datacentre_out(row, ent) for row, ent in session.execute(query.order_by(Datacentre.id))]


def get_datacentre(session: Session, actor: Principal, datacentre_id: int) -> DatacentreOut:
    return datacentre_out(*load_asset(session, actor, Datacentre, datacentre_id))


def whole_years(since: date, until: date) -> int:
    """Whole years completed between two dates (a birthday rule: 2014-07-01 → 2024-06-30 is 9)."""
    return until.year - since.year - ((until.month, until.day) < (since.month, since.day))


def pue(
    session: Session, actor: Principal, datacentre_id: int, period_from: str, period_to: str, reference: ReferenceSet
) -> PueResult:
    row, enterprise = load_asset(session, actor, Datacentre, datacentre_id)
    total = energy_of_period(
        session, actor, "datacentre", row.id, row.total_meter_id, "total", period_from, period_to, reference
    )
    it = energy_of_period(
        session, actor, "datacentre", row.id, row.it_meter_id, "it", period_from, period_to, reference
    )
    out = datacentre_out(row, enterprise)
    if total.total_kwh is None or it.total_kwh is None:
        missing = sorted({*total.missing_months, *it.missing_months})
        return PueResult(
            datacentre=out, total=total, it=it, pue=None, checks=None, note=f"months without data: {', '.join(missing)}"
        )
    if it.total_kwh <= 0:
        return PueResult(datacentre=out, total=total, it=it, pue=None, checks=None, note="IT energy is zero")
    value = total.total_kwh / it.total_kwh
    if value < 1.0:
        note = f"total energy below IT energy (PUE {value:.4f} < 1): check the meters; no grade is given"
        return PueResult(datacentre=out, total=total, it=it, pue=value, checks=None, note=note)
    years = None
    if row.in_operation_since is not None:
        year, month = parse_month(total.period_to)
        end = date(year, month, calendar.monthrange(year, month)[1])
        years = max(whole_years(row.in_operation_since, end), 0)
    checks = pue_checks(value, reference, racks=row.racks, years_in_operation=years, new=row.new_build, size=row.size)
    return PueResult(datacentre=out, total=total, it=it, pue=value, checks=checks)
