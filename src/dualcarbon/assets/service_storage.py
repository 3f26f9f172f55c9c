"""Storage register (用户侧储能): systems with capacity, power, commissioning and the discharge they report
(metered, else reported per month — :func:`dualcarbon.assets.service_common.energy_of_period`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.assets.models import StorageAsset
from dualcarbon.assets.schemas import EnergyOfPeriod, StorageIn, StorageOut
from dualcarbon.assets.service_common import check_meter, energy_of_period, load_asset
from dualcarbon.core.access import Principal
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, require_enterprise
from dualcarbon.store.audit import append_audit


def storage_out(row: StorageAsset, enterprise: Enterprise) -> StorageOut:
    return StorageOut(
        id=row.id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        region_code=enterprise.region_code,
        name=row.name,
        capacity_kwh=row.capacity_kwh,
        power_kw=row.power_kw,
        duration_h=row.capacity_kwh / row.power_kw,
        commissioned_on=row.commissioned_on,
        meter_id=row.meter_id,
        lock_version=row.lock_version,
    )


def create_storage(session: Session, actor: Principal, spec: StorageIn) -> StorageOut:
    enterprise = require_enterprise(session, actor, spec.credit_code, write=True)
    check_meter(session, enterprise, spec.meter_id, "meter_id")
    row = StorageAsset(
        enterprise_id=enterprise.id, created_by=actor.username, **spec.model_dump(exclude={"credit_code"})
    )
    session.add(row)
    session.flush()
    append_audit(session, actor.username, "storage.create", "storage_asset", row.id, None, spec.model_dump(mode="json"))
    return storage_out(row, enterprise)


def list_storage(session: Session, actor: Principal, *, region_code: str | None = None) -> list[StorageOut]:
    query = select(StorageAsset, Enterprise).join(Enterprise, Enterprise.id == StorageAsset.enterprise_id)
    query = query.where(enterprise_filter(actor))
    if region_code:
        query = query.where(in_region_subtree(Enterprise.region_code, region_code))  # type: ignore[arg-type]
    return [storage_out(row, ent) for row, ent in session.execute(query.order_by(StorageAsset.id))]


def get_storage(session: Session, actor: Principal, storage_id: int) -> StorageOut:
    return storage_out(*load_asset(session, actor, StorageAsset, storage_id))


def discharge(
    session: Session, actor: Principal, storage_id: int, period_from: str, period_to: str, reference: ReferenceSet
) -> tuple[StorageAsset, Enterprise, EnergyOfPeriod]:
    row, enterprise = load_asset(session, actor, StorageAsset, storage_id)
    energy = energy_of_period(
        session, actor, "storage", row.id, row.meter_id, "discharge", period_from, period_to, reference
    )
    return row, enterprise, energy
