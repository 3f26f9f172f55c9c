"""The efficiency catalog (能效清单目录): who may see which catalog, and reading catalogs and their entries.

Owns reading catalogs and their entries (scoped), the counts per tier, and the typed form of a catalog
(:class:`~dualcarbon.catalog.schemas.CatalogOut`) and of an entry
(:class:`~dualcarbon.catalog.schemas.CatalogEntryOut`). Elsewhere in this subject: the review screen in
:mod:`~dualcarbon.catalog.service_review`; generation in :mod:`~dualcarbon.catalog.service_generate` (inputs,
evidence and schedule in ``service_inputs``, ``service_evidence``, ``service_schedule``); publishing and
corrected re-issues in :mod:`~dualcarbon.catalog.service_publish` (snapshot in ``service_snapshot``,
verification in ``service_verify``, diffs in ``service_diff``); the immutability of published catalogs in
:mod:`~dualcarbon.catalog.service_guard` (installed by importing this module); appeals in
:mod:`~dualcarbon.catalog.service_appeals`.

Who sees a catalog:

* admin; a regulator or reviewer whose region subtree contains the catalog's region; an unscoped
  reviewer — the whole catalog ("full view");
* anybody else whose enterprise scope (own enterprise, agency assignments, a district regulator's
  subtree below a city catalog) covers some entries of a *published* or *superseded* catalog — those
  entries only ("partial view"). An enterprise user sees its own entries, which it may appeal.
* everybody else: not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Text, and_, cast, false, func, or_, select, true
from sqlalchemy.orm import Session

from dualcarbon.catalog import service_guard as _guard  # noqa: F401 - installs the immutability guard
from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas import CatalogEntryDetail, CatalogEntryOut, CatalogOut, CatalogView
from dualcarbon.catalog.schemas_evidence import Evidence
from dualcarbon.catalog.service_decisions import DECISION_STATE_ZH, decision_note
from dualcarbon.catalog.service_evidence import undetermined_reason
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, NotFound, PermissionDenied
from dualcarbon.core.vocab import (
    BASIS_ZH,
    GRADE_TIERS,
    POLICY_TIERS,
    TIER_ZH,
    TIERS_BY_BASIS,
    UNDETERMINED,
)
from dualcarbon.core.vocab import CATALOG_STATE_ZH as STATE_ZH
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.models import Enterprise, in_region_subtree
from dualcarbon.registry.service_access import enterprise_filter, region_in_scope


# ---- access ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogAccess:
    """A catalog the caller may read, and the entries it may see (``entry_condition`` on Enterprise)."""

    catalog: Catalog
    full_view: bool
    entry_condition: ColumnElement[bool]


def _full_reader(session: Session, principal: Principal, region_code: str) -> bool:
    if principal.is_admin or principal.is_unscoped_reviewer():
        return True
    return region_in_scope(session, principal, region_code, roles=("regulator", "reviewer"))


def require_catalog(session: Session, principal: Principal, catalog_id: int, *, write: bool = False) -> CatalogAccess:
    """The catalog with its view for ``principal``; NotFound outside scope, PermissionDenied to write it.

    Writing (regenerate, publish, decide appeals) needs admin or a regulator whose subtree contains the
    catalog's region.
    """
    catalog = session.get(Catalog, catalog_id)
    if catalog is None:
        raise NotFound(f"catalog {catalog_id} not found", zh="未找到该目录，或您无权查看")
    if _full_reader(session, principal, catalog.region_code):
        access = CatalogAccess(catalog, True, true())
    else:
        condition = enterprise_filter(principal)
        visible = catalog.state != "draft" and session.scalar(
            select(CatalogEntry.id)
            .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
            .where(CatalogEntry.catalog_id == catalog.id, condition)
            .limit(1)
        )
        if not visible:
            raise NotFound(f"catalog {catalog_id} not found", zh="未找到该目录，或您无权查看")
        access = CatalogAccess(catalog, False, condition)
    if write and not (
        principal.is_admin or region_in_scope(session, principal, catalog.region_code, roles=("regulator",))
    ):
        raise PermissionDenied(
            f"your role may not change catalog {catalog_id}", zh="只有目录所在地区的监管部门可以修改该目录"
        )
    return access


# ---- serialised forms ----------------------------------------------------------------------------------
def tier_counts(session: Session, catalog_id: int, condition: ColumnElement[bool] | None = None) -> dict[str, int]:
    """Number of entries per tier (only tiers that occur), one GROUP BY query."""
    query = select(CatalogEntry.tier, func.count()).where(CatalogEntry.catalog_id == catalog_id)
    if condition is not None:
        query = query.join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id).where(condition)
    rows = session.execute(query.group_by(CatalogEntry.tier))
    return {tier: count for tier, count in sorted(rows, key=lambda row: tier_order(row[0]))}


def tier_order(tier: str) -> int:
    order = (*POLICY_TIERS, *GRADE_TIERS, UNDETERMINED)
    return order.index(tier) if tier in order else len(order)


def catalog_out(catalog: Catalog, counts: dict[str, int]) -> CatalogOut:
    """The catalog as the API and the screens show it (Chinese labels beside the codes), with its counts."""
    return CatalogOut(
        id=catalog.id,
        region_code=catalog.region_code,
        edition=catalog.edition,
        half=catalog.half,
        basis=catalog.basis,
        basis_zh=BASIS_ZH.get(catalog.basis, catalog.basis),
        state=catalog.state,
        state_zh=STATE_ZH.get(catalog.state, catalog.state),
        issue_no=catalog.issue_no if catalog.state != "draft" else None,
        created_at=catalog.created_at.isoformat(),
        published_at=catalog.published_at.isoformat() if catalog.published_at else None,
        snapshot_hash=catalog.snapshot_hash,
        reference_versions=catalog.reference_versions,
        supersedes_id=catalog.supersedes_id,
        counts=counts,
        total=sum(counts.values()),
    )


def catalog_view(catalog: Catalog, counts: dict[str, int], full_view: bool) -> CatalogView:
    """The catalog as one caller sees it (``full_view`` False: only some entries are theirs to see)."""
    return CatalogView(**catalog_out(catalog, counts).model_dump(), full_view=full_view)


_Entry = TypeVar("_Entry", bound=CatalogEntryOut)


def _entry(kind: type[_Entry], entry: CatalogEntry, enterprise: Enterprise, trace: Evidence, **more: Any) -> _Entry:
    return kind(
        id=entry.id,
        catalog_id=entry.catalog_id,
        credit_code=enterprise.credit_code,
        enterprise_name=enterprise.name,
        region_code=enterprise.region_code,
        production_unit_id=entry.production_unit_id,
        report_version_id=entry.report_version_id,
        field=trace.row.field if trace.row else None,
        product=entry.product,
        benchmark_row_id=entry.benchmark_row_id,
        value=entry.value,
        unit=entry.unit,
        tier=entry.tier,
        tier_zh=TIER_ZH.get(entry.tier, entry.tier),
        gap_to_benchmark=entry.gap_to_benchmark,
        gap_to_baseline=entry.gap_to_baseline,
        saving_to_benchmark_tce=entry.saving_to_benchmark_tce,
        uses_unverified=trace.uses_unverified,
        message=trace.error,
        undetermined=undetermined_reason(entry.tier, entry.benchmark_row_id, trace),
        decision_state=trace.decision.state if trace.decision else None,
        decision_state_zh=DECISION_STATE_ZH[trace.decision.state] if trace.decision else None,
        decision_note=decision_note(trace),
        **more,
    )


def _evidence(stored: str | dict[str, Any] | None) -> Evidence:
    """The entry's evidence, from the ORM's parsed JSON or straight from its JSON text (:func:`entry_rows`:
    pydantic parses the text once, instead of ``json.loads`` and then a validation of the dicts)."""
    if isinstance(stored, str):
        return Evidence.model_validate_json(stored)
    return Evidence.model_validate(stored or {})


def entry_out(entry: CatalogEntry, enterprise: Enterprise) -> CatalogEntryOut:
    """One entry with its enterprise's identity, tier labels and gaps (without the evidence)."""
    return _entry(CatalogEntryOut, entry, enterprise, _evidence(entry.evidence))


def entry_detail(entry: CatalogEntry, enterprise: Enterprise) -> CatalogEntryDetail:
    """One entry with its enterprise's identity, tier labels, gaps and evidence."""
    evidence = _evidence(entry.evidence)
    return _entry(CatalogEntryDetail, entry, enterprise, evidence, evidence=evidence)


# ---- queries -------------------------------------------------------------------------------------------
def catalog_filter(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on ``Catalog`` rows listed in full for ``principal`` (partial views are not listed)."""
    if principal.is_admin or principal.is_unscoped_reviewer():
        return true()
    roots = principal.region_roots("regulator", "reviewer")
    conditions = [in_region_subtree(Catalog.region_code.expression, root) for root in roots]
    return or_(*conditions) if conditions else false()


def readable_catalogs(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on ``Catalog`` rows the caller may read: in full (:func:`catalog_filter`), or a published
    or superseded one holding entries of the caller's own enterprises (partial view)."""
    condition: ColumnElement[bool] = catalog_filter(principal)
    if principal.is_admin or principal.is_unscoped_reviewer():
        return condition
    with_own_entries = Catalog.id.in_(
        select(CatalogEntry.catalog_id)
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .where(enterprise_filter(principal))
    )
    return or_(condition, and_(Catalog.state != "draft", with_own_entries))


def list_catalogs(
    session: Session,
    principal: Principal,
    *,
    region_code: str | None = None,
    half: str | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CatalogOut], int]:
    """Catalogs the caller may read (full view, plus published ones holding its own entries), newest first."""
    query = select(Catalog).where(readable_catalogs(principal))
    if region_code:
        query = query.where(Catalog.region_code == region_code)
    if half:
        query = query.where(Catalog.half == half)
    if state:
        query = query.where(Catalog.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    catalogs = list(session.scalars(query.order_by(Catalog.id.desc()).limit(limit).offset(offset)))
    counts = _counts_for(session, [c.id for c in catalogs])
    return [catalog_out(c, counts.get(c.id, {})) for c in catalogs], total


def _counts_for(session: Session, catalog_ids: list[int]) -> dict[int, dict[str, int]]:
    if not catalog_ids:
        return {}
    rows = session.execute(
        select(CatalogEntry.catalog_id, CatalogEntry.tier, func.count())
        .where(CatalogEntry.catalog_id.in_(catalog_ids))
        .group_by(CatalogEntry.catalog_id, CatalogEntry.tier)
    )
    out: dict[int, dict[str, int]] = {}
    for catalog_id, tier, count in sorted(rows, key=lambda row: (row[0], tier_order(row[1]))):
        out.setdefault(catalog_id, {})[tier] = count
    return out


def get_catalog(session: Session, principal: Principal, catalog_id: int) -> CatalogView:
    """One catalog with its tier counts (the caller's view)."""
    access = require_catalog(session, principal, catalog_id)
    counts = tier_counts(session, catalog_id, None if access.full_view else access.entry_condition)
    return catalog_view(access.catalog, counts, access.full_view)


@dataclass(frozen=True)
class EntryFilter:
    """Filters of the entry list: tier, key field (重点领域), region subtree, enterprise, unverified only."""

    tier: str | None = None
    field: str | None = None
    region_code: str | None = None
    credit_code: str | None = None
    unverified: bool | None = None


def _entry_conditions(
    access: CatalogAccess, filters: EntryFilter, reference: ReferenceSet | None
) -> tuple[list[ColumnElement[bool]], bool]:
    """The WHERE conditions of an entry list, and whether they need the Enterprise table joined."""
    catalog = access.catalog
    conditions: list[ColumnElement[bool]] = [CatalogEntry.catalog_id == catalog.id]
    needs_enterprise = not access.full_view
    if needs_enterprise:
        conditions.append(access.entry_condition)
    if filters.tier:
        known = (*TIERS_BY_BASIS.get(catalog.basis, ()), UNDETERMINED)
        if filters.tier not in known:
            raise InvalidInput(
                f"unknown tier '{filters.tier}' for basis {catalog.basis} ({', '.join(known)})",
                field="tier",
                zh="该目录的依据下没有这一能效水平",
            )
        conditions.append(CatalogEntry.tier == filters.tier)
    if filters.field:
        if reference is None:
            raise InvalidInput(
                "filtering by field needs the reference tables", field="field", zh="按行业筛选需要参考数据表，暂不可用"
            )
        rows = [row.row_id for row in reference.benchmark_rows(catalog.edition) if row.field == filters.field]
        conditions.append(CatalogEntry.benchmark_row_id.in_(rows))
    if filters.region_code:
        conditions.append(in_region_subtree(Enterprise.region_code.expression, filters.region_code))
        needs_enterprise = True
    if filters.credit_code:
        conditions.append(Enterprise.credit_code == filters.credit_code.strip().upper())
        needs_enterprise = True
    if filters.unverified is not None:
        flag = CatalogEntry.evidence["uses_unverified"].as_boolean()
        conditions.append(flag.is_(True) if filters.unverified else flag.isnot(True))
    return conditions, needs_enterprise


def entry_rows(
    session: Session,
    access: CatalogAccess,
    filters: EntryFilter = EntryFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
    reference: ReferenceSet | None = None,
) -> tuple[list[tuple[CatalogEntry, Enterprise]], int]:
    """One page of the entries of ``access`` (with their enterprise) and the number matching the filters.

    One count query and one page query: both select entry ids through the ``catalog_id`` index and join the
    enterprise table only when a condition needs it (partial view, region or credit-code filter); the page
    then loads its rows (with their enterprise) by id, so a deep offset walks the index, not the wide rows.

    The page's rows are plain result rows, not ORM objects (no identity map, evidence kept as its JSON text
    for :func:`_evidence`): each row stands for both the entry and its enterprise in :func:`entry_out` and
    :func:`entry_detail`, which read the same attribute names from either.
    """
    conditions, needs_enterprise = _entry_conditions(access, filters, reference)
    ids = select(CatalogEntry.id)
    if needs_enterprise:
        ids = ids.join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
    ids = ids.where(*conditions)
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    page = ids.order_by(CatalogEntry.id).limit(limit).offset(offset).scalar_subquery()
    rows = session.execute(
        select(*_PAGE_COLUMNS)
        .join(Enterprise, Enterprise.id == CatalogEntry.enterprise_id)
        .where(CatalogEntry.id.in_(page))
        .order_by(CatalogEntry.id)
    )
    return [(row, row) for row in rows], total  # type: ignore[misc]  # a row reads as entry and enterprise


#: What :func:`_entry` reads of an entry and its enterprise (the names do not clash), evidence as JSON text.
_PAGE_COLUMNS = (
    *(
        getattr(CatalogEntry, name)
        for name in (
            "id", "catalog_id", "production_unit_id", "report_version_id", "product", "benchmark_row_id", "value",
            "unit", "tier", "gap_to_benchmark", "gap_to_baseline", "saving_to_benchmark_tce",
        )
    ),
    Enterprise.credit_code,
    Enterprise.name,
    Enterprise.region_code,
    cast(CatalogEntry.evidence, Text).label("evidence"),
)  # fmt: skip


def list_entries(
    session: Session,
    principal: Principal,
    catalog_id: int,
    filters: EntryFilter = EntryFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
    reference: ReferenceSet | None = None,
    with_evidence: bool = True,
) -> tuple[list[CatalogEntryOut], int]:
    """One page of the entries the caller may see (each a :class:`CatalogEntryDetail` with its evidence,
    or a :class:`CatalogEntryOut` without when ``with_evidence`` is False) and the number matching."""
    access = require_catalog(session, principal, catalog_id)
    rows, total = entry_rows(session, access, filters, limit=limit, offset=offset, reference=reference)
    make = entry_detail if with_evidence else entry_out
    return [make(entry, enterprise) for entry, enterprise in rows], total
