"""Budget pools (补贴资金池) per pack rule, year and region, and drawing on them when an application is approved.

A pool belongs to a region; an application draws on the pool of its rule and year whose region is the nearest
one containing the application's region. Drawing is one conditional UPDATE
(``committed = committed + amount WHERE committed + amount <= total``): of two approvals racing for the last
money, exactly one succeeds, on SQLite and PostgreSQL alike, and the other is told the pool is exhausted.
Pools are set up by the regulator of the region (or an administrator); every change is audited.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput
from dualcarbon.reference.policy import resolve_pack
from dualcarbon.registry.models import Region, in_region_subtree
from dualcarbon.registry.service_access import region_in_scope, require_region
from dualcarbon.store.audit import append_audit
from dualcarbon.subsidies.models import BudgetPool
from dualcarbon.subsidies.schemas import PoolIn, PoolOut


def pool_out(pool: BudgetPool) -> PoolOut:
    return PoolOut(
        id=pool.id,
        pack=pool.pack_id,
        rule=pool.rule_key,
        year=pool.year,
        region_code=pool.region_code,
        total_yuan=pool.total_yuan,
        committed_yuan=pool.committed_yuan,
        remaining_yuan=pool.total_yuan - pool.committed_yuan,
        note=pool.note,
    )


def create_pool(session: Session, actor: Principal, spec: PoolIn) -> PoolOut:
    require_region(session, actor, spec.region_code)
    pack = resolve_pack(spec.pack)
    rule = pack.incentive(spec.rule)
    exists = session.scalar(
        select(BudgetPool.id).where(
            BudgetPool.pack_id == pack.id,
            BudgetPool.rule_key == rule.key,
            BudgetPool.year == spec.year,
            BudgetPool.region_code == spec.region_code,
        )
    )
    if exists is not None:
        raise Conflict(f"pool {exists} exists for {pack.id}/{rule.key} {spec.year} in {spec.region_code}", field="rule")
    pool = BudgetPool(
        pack_id=pack.id,
        rule_key=rule.key,
        year=spec.year,
        region_code=spec.region_code,
        total_yuan=spec.total_yuan,
        committed_yuan=0.0,
        note=spec.note,
        created_by=actor.username,
    )
    try:
        with session.begin_nested():
            session.add(pool)
            session.flush()
    except IntegrityError:
        raise Conflict("the same pool was set up meanwhile", field="rule", zh="该预算资金池已存在") from None
    append_audit(session, actor.username, "subsidy.pool.create", "budget_pool", pool.id, None, spec.model_dump())
    return pool_out(pool)


def list_pools(session: Session, actor: Principal, *, year: int | None = None) -> list[PoolOut]:
    query = select(BudgetPool).order_by(BudgetPool.year, BudgetPool.pack_id, BudgetPool.rule_key, BudgetPool.id)
    if year is not None:
        query = query.where(BudgetPool.year == year)
    pools = list(session.scalars(query))
    if not actor.is_admin:
        pools = [p for p in pools if region_in_scope(session, actor, p.region_code, roles=("regulator", "reviewer"))]
    return [pool_out(p) for p in pools]


def pool_for(session: Session, pack_id: str, rule_key: str, year: int, region_code: str) -> BudgetPool | None:
    """The pool of the rule and year whose region is the nearest containing ``region_code``."""
    candidates = list(
        session.scalars(
            select(BudgetPool).where(
                BudgetPool.pack_id == pack_id, BudgetPool.rule_key == rule_key, BudgetPool.year == year
            )
        )
    )
    best: tuple[int, BudgetPool] | None = None
    for pool in candidates:
        inside = session.scalar(
            select(Region.code).where(
                Region.code == region_code,
                in_region_subtree(Region.code, pool.region_code),  # type: ignore[arg-type]
            )
        )
        region = session.get(Region, pool.region_code)
        if inside is not None and region is not None:
            depth = region.path.count("/")
            if best is None or depth > best[0]:
                best = (depth, pool)
    return None if best is None else best[1]


def draw(session: Session, pool: BudgetPool, amount_yuan: float) -> None:
    """Commit ``amount_yuan`` of the pool, or raise Conflict (pool exhausted) leaving it unchanged."""
    if amount_yuan <= 0:
        raise InvalidInput("nothing to draw: the amount is zero", field="amount_yuan")
    result = session.execute(
        update(BudgetPool)
        .where(BudgetPool.id == pool.id, BudgetPool.committed_yuan + amount_yuan <= BudgetPool.total_yuan)
        .values(committed_yuan=BudgetPool.committed_yuan + amount_yuan)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(pool)
        remaining = pool.total_yuan - pool.committed_yuan
        raise Conflict(
            f"budget pool {pool.id} ({pool.pack_id}/{pool.rule_key} {pool.year}) is exhausted: "
            f"{remaining:.2f} 元 left, {amount_yuan:.2f} 元 needed",
            field="pool",
            zh=f"预算资金池余额不足：剩余 {remaining:.2f} 元，本申请需 {amount_yuan:.2f} 元",
        )
    session.refresh(pool)
