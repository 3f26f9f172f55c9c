"""Generating a draft efficiency catalog (能效清单目录) from approved annual reports.

Owns the catalog key (region, benchmark edition, half-year, basis), the reference tables a catalog reads,
and building or rebuilding a draft: its inputs are chosen by :mod:`dualcarbon.catalog.service_inputs`, its
entries classified by :mod:`dualcarbon.catalog.service_evidence`, and the report year of a half-year is the
policy pack's rule (:mod:`dualcarbon.catalog.service_schedule`: ``YYYY-H1`` and ``YYYY-H2`` are both built
from the annual reports of YYYY−1 under the shipped schedule; H2 picks up the reports approved or corrected
since H1). A caller may name another ``data_year`` explicitly; it is recorded in the audit log.

Earlier decisions (upheld appeals) on the same report lines are applied by
:mod:`dualcarbon.catalog.service_decisions`: carried when the inputs they judged are unchanged, shown as
"decision needs review" otherwise. A generation that finds no entries needs ``confirm_empty``
(:class:`ConfirmationRequired` otherwise), so an empty catalog is never made by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.orm import Session

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.schemas import GeneratedCatalog, SkippedLine
from dualcarbon.catalog.service import catalog_out, tier_counts
from dualcarbon.catalog.service_decisions import apply_decisions
from dualcarbon.catalog.service_evidence import build_entries
from dualcarbon.catalog.service_inputs import approved_version_ids
from dualcarbon.catalog.service_schedule import check_report_year, data_year_for, parse_half
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import Conflict, InvalidInput
from dualcarbon.core.vocab import CATALOG_BASES
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry.service_access import require_region
from dualcarbon.store.audit import append_audit

BENCHMARK_TABLE = "efficiency_benchmarks_{edition}"
CONVERSION_TABLE = "conversion_coefficients_gbt2589"


def catalog_tables(edition: str) -> tuple[str, ...]:
    """Reference tables a catalog of ``edition`` reads (their versions are hashed into its snapshot)."""
    return BENCHMARK_TABLE.format(edition=edition), CONVERSION_TABLE


def reference_versions_for(reference: ReferenceSet, edition: str) -> dict[str, str]:
    """The versions of the tables a catalog of ``edition`` reads, as the reference set has them now."""
    versions = reference.versions()
    return {table: versions[table] for table in catalog_tables(edition) if table in versions}


class ConfirmationRequired(Conflict):
    """The action is allowed, but only when the caller confirms what the message names (``count`` items).

    ``confirm`` names the service argument that confirms it (``confirm_empty``, ``confirm_undetermined``).
    """

    def __init__(self, message: str, *, count: int, confirm: str, zh: str | None = None) -> None:
        super().__init__(message, field=confirm, zh=zh)
        self.count = count
        self.confirm = confirm


@dataclass
class GenerationResult:
    """What ``generate_catalog`` did: the draft, its counts per tier, the inputs and the skipped lines."""

    catalog: Catalog
    counts: dict[str, int]
    data_year: int
    input_versions: int
    regenerated: bool
    skipped: list[SkippedLine] = field(default_factory=list)
    decisions_carried: int = 0
    decisions_needing_review: int = 0

    def summary(self) -> GeneratedCatalog:
        """The draft as the API returns it: the catalog with its counts, the report year and the inputs."""
        return GeneratedCatalog(
            **catalog_out(self.catalog, self.counts).model_dump(),
            data_year=self.data_year,
            input_versions=self.input_versions,
            regenerated=self.regenerated,
            skipped=self.skipped,
            decisions_carried=self.decisions_carried,
            decisions_needing_review=self.decisions_needing_review,
        )


def check_catalog_key(reference: ReferenceSet, edition: str, half: str, basis: str) -> None:
    parse_half(half)
    if basis not in CATALOG_BASES:
        raise InvalidInput(
            f"unknown basis '{basis}': 'policy' (标杆/基准) or 'gb' (GB grades)",
            field="basis",
            zh="目录依据只能是标杆/基准水平（政策）或能耗限额标准等级（GB）",
        )
    if edition not in reference.editions():
        raise InvalidInput(
            f"unknown benchmark edition '{edition}' (have {', '.join(reference.editions())})",
            field="edition",
            zh=f"没有 {edition} 版能效水平表（现有：{'、'.join(reference.editions())}）",
        )


def generate_catalog(
    session: Session,
    actor: Principal,
    region_code: str,
    edition: str,
    half: str,
    basis: str = "policy",
    *,
    reference: ReferenceSet,
    data_year: int | None = None,
    confirm_empty: bool = False,
) -> GenerationResult:
    """Build (or rebuild) the draft catalog of ``region_code`` for ``half`` on ``edition`` and ``basis``.

    Needs a regulator (or admin) whose subtree contains the region (NotFound otherwise). An existing draft
    with the same region, edition, half and basis is regenerated: its entries are replaced. Published
    catalogs are never touched; generating again after publishing starts a new draft. Upheld appeals on
    the same report lines are carried or flagged (:func:`~dualcarbon.catalog.service_decisions.apply_decisions`).
    No entries at all: :class:`ConfirmationRequired` unless ``confirm_empty`` (nothing is written then).
    """
    require_role(actor, "regulator")
    require_region(session, actor, region_code, roles=("regulator",))
    check_catalog_key(reference, edition, half, basis)
    year = check_report_year(data_year, reference, "data_year") if data_year is not None else data_year_for(half)
    catalog = session.scalar(
        select(Catalog).where(
            Catalog.region_code == region_code,
            Catalog.edition == edition,
            Catalog.half == half,
            Catalog.basis == basis,
            Catalog.state == "draft",
        )
    )
    version_ids = approved_version_ids(session, region_code, year)
    drafts, skipped = build_entries(session, version_ids, edition=edition, basis=basis, reference=reference)
    if not drafts and not confirm_empty:
        raise ConfirmationRequired(
            f"没有可列入目录的条目（0 条）：{region_code} 没有 {year} 年度已审核、带能效对标行的年报"
            f"（{len(version_ids)} 份已审核年报，{len(skipped)} 行缺单位产品能耗）；确需生成空目录时请明确确认。"
            f" / No entries (0): {len(version_ids)} approved annual report(s) of {year} give no catalog line; "
            "confirm to generate an empty catalog (confirm_empty)",
            count=0,
            confirm="confirm_empty",
            zh=f"没有可列入目录的条目（0 条）：该地区没有 {year} 年度已审核、带能效对标行的年报"
            f"（{len(version_ids)} 份已审核年报，{len(skipped)} 行缺单位产品能耗）；确需生成空目录时请勾选确认后再生成",
        )
    drafts, decided = apply_decisions(session, drafts, region_code=region_code, basis=basis)
    regenerated = catalog is not None
    before = None
    if catalog is None:
        catalog = Catalog(
            region_code=region_code,
            edition=edition,
            half=half,
            basis=basis,
            state="draft",
            issue_no=0,
            reference_versions={},
        )
        session.add(catalog)
        session.flush()
    else:
        before = {"counts": tier_counts(session, catalog.id), "reference_versions": catalog.reference_versions}
        session.execute(delete(CatalogEntry).where(CatalogEntry.catalog_id == catalog.id))
    if drafts:
        session.execute(insert(CatalogEntry), [draft.columns(catalog.id) for draft in drafts])
    catalog.reference_versions = reference_versions_for(reference, edition)
    # the issue this draft would replace: publishing it later refuses if another one entered force meanwhile
    catalog.supersedes_id = session.scalar(
        published_of(region_code, half, basis).with_only_columns(Catalog.id).limit(1)
    )
    session.flush()
    session.expire(catalog, ["entries"])
    counts = tier_counts(session, catalog.id)
    append_audit(
        session,
        actor.username,
        "catalog.regenerate" if regenerated else "catalog.generate",
        "catalog",
        catalog.id,
        before,
        {
            "region_code": region_code,
            "edition": edition,
            "half": half,
            "basis": basis,
            "data_year": year,
            "input_versions": len(version_ids),
            "counts": counts,
            "skipped": len(skipped),
            "decisions": decided,
            "confirmed_empty": not drafts,
            "reference_versions": catalog.reference_versions,
        },
    )
    return GenerationResult(
        catalog, counts, year, len(version_ids), regenerated, skipped, decided["carried"], decided["needs_review"]
    )


def published_of(region_code: str, half: str, basis: str) -> Select[Catalog]:
    """The query of the published catalogs of one region × half-year × basis, newest first."""
    return (
        select(Catalog)
        .where(
            Catalog.region_code == region_code,
            Catalog.half == half,
            Catalog.basis == basis,
            Catalog.state == "published",
        )
        .order_by(Catalog.id.desc())
    )
