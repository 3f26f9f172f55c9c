"""What the public sees of the efficiency catalog: the catalogs in force and their advanced/backward lists.

Owns the published-list views (能效先进名单 / 能效落后名单 of seeds/004 §二（二）:
"能效达到标杆水平和低于基准水平的企业，分别列入能效先进和能效落后清单…向社会公开"). No login. Only
catalogs in state ``published`` (not drafts, not superseded issues) exist for the public; a list item
carries the enterprise's name and credit code, the product and the tier — never values, evidence or
report data.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas import ListKind, PublicCatalog, PublicList, PublicListItem
from dualcarbon.catalog.service import tier_order
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.core.vocab import BASIS_ZH, LIST_TIERS, TIER_ZH
from dualcarbon.registry.models import Enterprise, Region, in_region_subtree

LIST_ZH = {"advanced": "能效先进名单", "backward": "能效落后名单"}


def _public_catalog(catalog: Catalog, region_name: str | None, counts: dict[str, int]) -> PublicCatalog:
    return PublicCatalog(
        id=catalog.id,
        region_code=catalog.region_code,
        region_name=region_name,
        edition=catalog.edition,
        half=catalog.half,
        basis=catalog.basis,
        basis_zh=BASIS_ZH.get(catalog.basis, catalog.basis),
        issue_no=catalog.issue_no,
        published_at=catalog.published_at.isoformat() if catalog.published_at else None,
        counts=counts,
    )


def list_public_catalogs(
    session: Session, *, region_code: str | None = None, half: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[PublicCatalog], int]:
    """Catalogs in force (published, not superseded), newest first, with their counts per tier."""
    conditions = [Catalog.state == "published"]
    if region_code:
        conditions.append(in_region_subtree(Catalog.region_code.expression, region_code))
    if half:
        conditions.append(Catalog.half == half)
    total = session.scalar(select(func.count(Catalog.id)).where(*conditions)) or 0
    rows = list(
        session.execute(
            select(Catalog, Region.name)
            .join(Region, Region.code == Catalog.region_code)
            .where(*conditions)
            .order_by(Catalog.published_at.desc(), Catalog.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    counts = _tier_counts(session, [catalog.id for catalog, _ in rows])
    return [_public_catalog(catalog, name, counts.get(catalog.id, {})) for catalog, name in rows], total


def _tier_counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """Entries per tier of each catalog in ``ids``, tiers in their display order."""
    counts: dict[int, dict[str, int]] = {}
    if ids:
        grouped = session.execute(
            select(CatalogEntry.catalog_id, CatalogEntry.tier, func.count())
            .where(CatalogEntry.catalog_id.in_(ids))
            .group_by(CatalogEntry.catalog_id, CatalogEntry.tier)
        )
        for catalog_id, tier, count in sorted(grouped, key=lambda r: (r[0], tier_order(r[1]))):
            counts.setdefault(catalog_id, {})[tier] = count
    return counts


def public_list(session: Session, catalog_id: int, kind: ListKind, *, limit: int = 50, offset: int = 0) -> PublicList:
    """The advanced (标杆 / 1级) or backward (基准以下 / 未达3级) list of a catalog in force."""
    if kind not in LIST_TIERS:
        raise InvalidInput("list must be 'advanced' or 'backward'", field="kind", zh="名单只能是先进名单或落后名单")
    row = session.execute(
        select(Catalog, Region.name)
        .join(Region, Region.code == Catalog.region_code)
        .where(Catalog.id == catalog_id, Catalog.state == "published")
    ).first()
    if row is None:
        raise NotFound(f"published catalog {catalog_id} not found", zh="未找到该已发布目录")
    catalog, region_name = row
    conditions = [CatalogEntry.catalog_id == catalog_id, CatalogEntry.tier.in_(LIST_TIERS[kind])]
    total = session.scalar(select(func.count(CatalogEntry.id)).where(*conditions)) or 0
    items = session.execute(
        select(Enterprise.name, Enterprise.credit_code, CatalogEntry.product, CatalogEntry.tier)
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .where(*conditions)
        .order_by(Enterprise.credit_code, CatalogEntry.id)
        .limit(limit)
        .offset(offset)
    )
    return PublicList(
        catalog=_public_catalog(catalog, region_name, _tier_counts(session, [catalog.id]).get(catalog.id, {})),
        kind=kind,
        list_zh=LIST_ZH[kind],
        items=[
            PublicListItem(
                enterprise_name=name, credit_code=code, product=product, tier=tier, tier_zh=TIER_ZH.get(tier, tier)
            )
            for name, code, product, tier in items
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
