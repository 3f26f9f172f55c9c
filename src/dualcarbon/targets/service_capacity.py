"""Capacity shares from the published efficiency catalog (能效清单目录): at 标杆 and below 基准, per product.

A catalog entry names its production unit (生产装置), and the unit carries its capacity (产能) and unit. The
share at benchmark of a product is Σ capacity of its entries in an advanced tier (``benchmark`` or
``grade_1``, :data:`dualcarbon.core.vocab.ADVANCED_TIERS`) over Σ capacity of all its classified entries;
the share below baseline uses the backward tiers (``below_baseline``, ``fails_limit``). Entries without a
production unit, or not classified (无法判定), are counted and reported, not guessed. Capacities of
different units are never added: one row per product and capacity unit.

The catalog read is the newest one in force (state ``published``) of the region itself, else the newest of
its subtree; its snapshot hash is returned so a figure can be traced to the exact published issue.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.core.vocab import ADVANCED_TIERS, BACKWARD_TIERS, UNDETERMINED
from dualcarbon.registry.models import ProductionUnit, in_region_subtree
from dualcarbon.targets.schemas import CapacityShare

DIGITS = 6


def catalog_in_force(session: Session, region_code: str) -> Catalog | None:
    """The newest published catalog of the region, else of its subtree; None when there is none."""
    for condition in (
        Catalog.region_code == region_code,
        in_region_subtree(Catalog.region_code.expression, region_code),
    ):
        found = session.scalar(
            select(Catalog)
            .where(Catalog.state == "published", condition)
            .order_by(Catalog.published_at.desc(), Catalog.id.desc())
            .limit(1)
        )
        if found is not None:
            return found
    return None


def capacity_shares(session: Session, catalog_id: int, product: str | None = None) -> list[CapacityShare]:
    """One row per (product, capacity unit) of the catalog, with the capacities and shares in %."""
    query = (
        select(CatalogEntry.product, CatalogEntry.tier, ProductionUnit.capacity, ProductionUnit.capacity_unit)
        .outerjoin(ProductionUnit, ProductionUnit.id == CatalogEntry.production_unit_id)
        .where(CatalogEntry.catalog_id == catalog_id)
        .order_by(CatalogEntry.product, CatalogEntry.id)
    )
    if product:
        query = query.where(CatalogEntry.product == product)
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    missing: dict[str, int] = defaultdict(int)
    for name, tier, capacity, unit in session.execute(query):
        if capacity is None or unit is None or tier == UNDETERMINED:
            missing[name] += 1
            continue
        row = totals[(name, unit)]
        row[0] += capacity
        row[1] += capacity if tier in ADVANCED_TIERS else 0.0
        row[2] += capacity if tier in BACKWARD_TIERS else 0.0
        row[3] += 1
    out: list[CapacityShare] = []
    for (name, unit), (total, advanced, backward, count) in sorted(totals.items()):
        out.append(
            CapacityShare(
                product=name,
                capacity_total=round(total, DIGITS),
                capacity_benchmark=round(advanced, DIGITS),
                capacity_below_baseline=round(backward, DIGITS),
                capacity_unit=unit,
                benchmark_share_pct=round(advanced / total * 100, DIGITS) if total else 0.0,
                below_baseline_share_pct=round(backward / total * 100, DIGITS) if total else 0.0,
                entries=int(count),
                entries_without_capacity=missing.pop(name, 0),
            )
        )
    for name, count in sorted(missing.items()):
        out.append(
            CapacityShare(
                product=name,
                capacity_total=0.0,
                capacity_benchmark=0.0,
                capacity_below_baseline=0.0,
                capacity_unit="",
                benchmark_share_pct=0.0,
                below_baseline_share_pct=0.0,
                entries=0,
                entries_without_capacity=count,
            )
        )
    return out
