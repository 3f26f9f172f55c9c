"""Generating a draft efficiency catalog (能效清单目录) from approved annual reports.

Owns: which half-year a catalog is for and which report year feeds it, which report version of each
enterprise is the input, and how one output line becomes one entry (classified with
:func:`dualcarbon.domain.efficiency.classify_row`, never guessed: a line the reference tables cannot
classify becomes an entry of tier ``undetermined`` (无法判定) carrying the error message).

The half-year rule (source: 云南省高耗能行业重点领域节能降碳技术改造总体实施方案（征求意见稿）§二（二）
"动态更新企业能效清单目录并于每年1月15日前、7月15日前将变更情况及时报送省级部门", seeds/004):

* ``YYYY-H1`` is the catalog due by 15 January of YYYY, ``YYYY-H2`` the one due by 15 July of YYYY;
* both are built from the annual reports (period_kind ``year``) of the **previous year** YYYY−1 —
  an annual report covers the year before it is filed (节约能源法 §53); H2 picks up the reports approved
  or corrected since H1. A caller may name another ``data_year`` explicitly (recorded in the audit log);
* per enterprise the input is the **latest approved version** of that report: the current version when
  the report is approved or locked, else (the report was reopened for correction) the version of its
  latest ``approve`` review; reports never approved are not inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from dualcarbon.catalog.models import Catalog, CatalogEntry
from dualcarbon.catalog.service import tier_counts
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import DualcarbonError, InvalidInput
from dualcarbon.core.vocab import UNDETERMINED
from dualcarbon.domain.efficiency import classify_row, energy_kind, indicator_unit_parts
from dualcarbon.reference import BenchmarkRow, ReferenceSet
from dualcarbon.reference.model import ConversionCoefficient, Provenance
from dualcarbon.registry.models import Enterprise, ProductionUnit, in_region_subtree
from dualcarbon.registry.service_access import require_region
from dualcarbon.reports.models import OutputLine, PeriodReport, PeriodReportVersion, ReportReview
from dualcarbon.store.audit import append_audit

HALF_PATTERN = re.compile(r"^(\d{4})-H([12])$")
APPROVED_STATES = ("approved", "locked")
BENCHMARK_TABLE = "efficiency_benchmarks_{edition}"
CONVERSION_TABLE = "conversion_coefficients_gbt2589"
_IN_CHUNK = 500


def parse_half(half: str) -> tuple[int, int]:
    """``'2025-H1'`` → (2025, 1); InvalidInput naming ``half`` otherwise."""
    match = HALF_PATTERN.match(half.strip() if isinstance(half, str) else "")
    if match is None:
        raise InvalidInput(
            f"'{half}' is not a half-year: write YYYY-H1 (due 15 Jan) or YYYY-H2 (due 15 Jul)", field="half"
        )
    return int(match.group(1)), int(match.group(2))


def data_year_for(half: str) -> int:
    """The year of the annual reports a catalog for ``half`` is built from: the previous year."""
    return parse_half(half)[0] - 1


def catalog_tables(edition: str) -> tuple[str, ...]:
    """Reference tables a catalog of ``edition`` reads (their versions are hashed into its snapshot)."""
    return BENCHMARK_TABLE.format(edition=edition), CONVERSION_TABLE


def reference_versions_for(reference: ReferenceSet, edition: str) -> dict[str, str]:
    versions = reference.versions()
    return {table: versions[table] for table in catalog_tables(edition) if table in versions}


# ---- inputs ---------------------------------------------------------------------------------------------
def chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def approved_version_ids(session: Session, region_code: str, data_year: int) -> list[int]:
    """Ids of the latest approved annual-report versions of ``data_year`` of every enterprise in the subtree."""
    in_region = select(Enterprise.id).where(in_region_subtree(Enterprise.region_code.expression, region_code))
    annual = (
        PeriodReport.period_kind == "year",
        PeriodReport.year == data_year,
        PeriodReport.enterprise_id.in_(in_region),
    )
    current = session.scalars(
        select(PeriodReport.current_version_id).where(
            *annual, PeriodReport.state.in_(APPROVED_STATES), PeriodReport.current_version_id.is_not(None)
        )
    )
    ids = {version_id for version_id in current if version_id is not None}
    last_approval = (
        select(ReportReview.report_id, func.max(ReportReview.version).label("version"))
        .join(PeriodReport, PeriodReport.id == ReportReview.report_id)
        .where(*annual, PeriodReport.state.not_in(APPROVED_STATES), ReportReview.action == "approve")
        .group_by(ReportReview.report_id)
        .subquery()
    )
    reopened = session.scalars(
        select(PeriodReportVersion.id).join(
            last_approval,
            (PeriodReportVersion.report_id == last_approval.c.report_id)
            & (PeriodReportVersion.version == last_approval.c.version),
        )
    )
    ids.update(reopened)
    return sorted(ids)


def load_versions(session: Session, version_ids: Sequence[int]) -> list[PeriodReportVersion]:
    """The versions with their report and output lines, in id order (a few queries per 500 versions)."""
    out: list[PeriodReportVersion] = []
    for chunk in chunks(version_ids):
        out.extend(
            session.scalars(
                select(PeriodReportVersion)
                .where(PeriodReportVersion.id.in_(chunk))
                .options(selectinload(PeriodReportVersion.output_lines), selectinload(PeriodReportVersion.report))
                .order_by(PeriodReportVersion.id)
            )
        )
    return out


# ---- one line → one entry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineValue:
    """The unit consumption of an output line and where it came from (``reported`` or ``computed``)."""

    value: float | None
    unit: str | None
    source: str


def line_value(line: OutputLine, version: PeriodReportVersion, index: int) -> LineValue:
    """The reported 单位产品综合能耗 of the line, else the figure the report computed for it, else none."""
    if line.reported_unit_consumption is not None:
        return LineValue(line.reported_unit_consumption, line.unit_consumption_unit, "reported")
    computed = version.computed or {}
    outputs = computed.get("outputs")
    if isinstance(outputs, list) and index < len(outputs) and isinstance(outputs[index], dict):
        item = outputs[index]
        value = item.get("unit_consumption")
        unit = item.get("unit_consumption_unit") or item.get("unit")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return LineValue(float(value), unit, "computed")
    return LineValue(None, None, "none")


def resolve_row(reference: ReferenceSet, row_id: str, edition: str) -> BenchmarkRow:
    """The benchmark row ``row_id`` in ``edition``; a row of another edition maps to the one row of
    ``edition`` with the same field, product and indicator (UnknownReferenceRow / InvalidInput otherwise)."""
    row = reference.benchmark_row(row_id)
    if row.edition == edition:
        return row
    same = [
        candidate
        for candidate in reference.benchmark_rows(edition)
        if (candidate.field, candidate.product, candidate.indicator) == (row.field, row.product, row.indicator)
    ]
    if len(same) != 1:
        raise InvalidInput(
            f"benchmark row {row.row_id} is of the {row.edition} edition and has "
            f"{'no' if not same else 'several'} counterpart(s) in the {edition} edition "
            f"({row.field}/{row.product}/{row.indicator})",
            field="benchmark_row_id",
        )
    return same[0]


def provenance_dict(provenance: Provenance) -> dict[str, Any]:
    return {
        "source": provenance.source,
        "confidence": provenance.confidence,
        "verified": provenance.verified,
        "table": provenance.table,
        "version": provenance.version,
    }


def reference_evidence(row: BenchmarkRow, basis: str) -> dict[str, Any]:
    """The reference values of ``row`` the basis uses, with their provenance and verified flag."""
    if basis == "policy":
        return {"benchmark": row.benchmark, "baseline": row.baseline, **provenance_dict(row.policy_provenance)}
    return {
        "grade_1": row.grade_1,
        "grade_2": row.grade_2,
        "grade_3": row.grade_3,
        "standard": row.limit_standard,
        **provenance_dict(row.grade_provenance),
    }


def _electricity(reference: ReferenceSet, row: BenchmarkRow) -> ConversionCoefficient | None:
    try:
        if energy_kind(indicator_unit_parts(row.unit)[0]) != "electricity":
            return None
        return reference.conversion_coefficient(reference.carrier("electricity"))
    except DualcarbonError:
        return None


@dataclass(frozen=True)
class EntryDraft:
    """The column values of one catalog entry before it is stored."""

    enterprise_id: int
    production_unit_id: int | None
    report_version_id: int | None
    product: str
    benchmark_row_id: str
    value: float
    unit: str
    tier: str
    gap_to_benchmark: float | None
    gap_to_baseline: float | None
    saving_to_benchmark_tce: float | None
    evidence: dict[str, Any]

    def columns(self, catalog_id: int) -> dict[str, Any]:
        return {"catalog_id": catalog_id, **self.__dict__}


def classify_entry(
    *,
    enterprise_id: int,
    production_unit_id: int | None,
    report_version_id: int | None,
    product: str,
    row_id: str,
    value: float,
    unit: str | None,
    output: float | None,
    output_unit: str | None,
    edition: str,
    basis: str,
    reference: ReferenceSet,
    evidence: dict[str, Any],
) -> EntryDraft:
    """Classify one unit consumption against its benchmark row; a failure becomes an ``undetermined`` entry.

    The saving needs the output in the indicator's product unit; when it does not convert the entry is
    still classified and the evidence says why the saving is missing.
    """
    warnings: list[str] = []
    try:
        row = resolve_row(reference, row_id, edition)
        evidence = {
            **evidence,
            "row": {
                "id": row.row_id,
                "edition": row.edition,
                "field": row.field,
                "product": row.product,
                "indicator": row.indicator,
                "unit": row.unit,
            },
            "reference": reference_evidence(row, basis),
        }
        if not unit:
            raise InvalidInput("the unit of the unit consumption is not given", field="unit_consumption_unit")
        electricity = _electricity(reference, row)
        try:
            result = classify_row(
                value,
                unit,
                row,
                basis,  # type: ignore[arg-type]
                output=output,
                output_unit=output_unit if output is not None else None,
                electricity_kgce_per_kwh=electricity,
            )
        except DualcarbonError as exc:
            if output is None:
                raise
            result = classify_row(value, unit, row, basis)  # type: ignore[arg-type]
            warnings.append(f"saving not computed: {exc}")
    except DualcarbonError as exc:
        return EntryDraft(
            enterprise_id,
            production_unit_id,
            report_version_id,
            product,
            row_id,
            value,
            unit or "",
            UNDETERMINED,
            None,
            None,
            None,
            {
                **evidence,
                "error": str(exc),
                "error_kind": type(exc).__name__,
                "tier_zh": "无法判定",
                "uses_unverified": False,
                "unverified": [],
                "warnings": warnings,
            },
        )
    evidence = {
        **evidence,
        "tier_zh": result.tier_zh,
        "gap_to_benchmark_pct": result.gap_to_benchmark_pct,
        "gap_to_baseline_pct": result.gap_to_baseline_pct,
        "saving_to_baseline_tce": result.saving_to_baseline_tce,
        "electricity_row_id": result.electricity_row_id,
        "warnings": [*result.warnings, *warnings],
        "unverified": list(result.unverified),
        "uses_unverified": bool(result.unverified),
    }
    return EntryDraft(
        enterprise_id,
        production_unit_id,
        report_version_id,
        product,
        row.row_id,
        result.value,
        result.unit,
        result.tier,
        result.gap_to_benchmark,
        result.gap_to_baseline,
        result.saving_to_benchmark_tce,
        evidence,
    )


def entries_from_version(
    version: PeriodReportVersion,
    unit_rows: dict[int, str | None],
    *,
    edition: str,
    basis: str,
    reference: ReferenceSet,
    skipped: list[dict[str, Any]],
) -> list[EntryDraft]:
    """One entry per output line with a benchmark row (its own, or its production unit's)."""
    report = version.report
    drafts: list[EntryDraft] = []
    for index, line in enumerate(version.output_lines):
        row_id = line.benchmark_row_id or (
            unit_rows.get(line.production_unit_id) if line.production_unit_id is not None else None
        )
        if not row_id:
            continue
        found = line_value(line, version, index)
        where = {"report_id": report.id, "version": version.version, "output_line_id": line.id, "product": line.product}
        if found.value is None:
            skipped.append({**where, "reason": "no unit consumption reported or computed for this line"})
            continue
        evidence = {
            "report": {
                "id": report.id,
                "year": report.year,
                "version_id": version.id,
                "version": version.version,
                "content_hash": version.content_hash,
            },
            "output_line_id": line.id,
            "output": {"quantity": line.quantity, "unit": line.unit},
            "input": {"value": found.value, "unit": found.unit, "source": found.source},
        }
        drafts.append(
            classify_entry(
                enterprise_id=report.enterprise_id,
                production_unit_id=line.production_unit_id,
                report_version_id=version.id,
                product=line.product,
                row_id=row_id,
                value=found.value,
                unit=found.unit,
                output=line.quantity,
                output_unit=line.unit,
                edition=edition,
                basis=basis,
                reference=reference,
                evidence=evidence,
            )
        )
    return drafts


def build_entries(
    session: Session, version_ids: Sequence[int], *, edition: str, basis: str, reference: ReferenceSet
) -> tuple[list[EntryDraft], list[dict[str, Any]]]:
    """Entries of all input versions, and the lines skipped (no value) with the reason."""
    versions = load_versions(session, version_ids)
    unit_ids = sorted(
        {line.production_unit_id for v in versions for line in v.output_lines if line.production_unit_id is not None}
    )
    unit_rows: dict[int, str | None] = {}
    for chunk in chunks(unit_ids):
        query = select(ProductionUnit.id, ProductionUnit.benchmark_row_id).where(ProductionUnit.id.in_(chunk))
        unit_rows.update({unit_id: row_id for unit_id, row_id in session.execute(query)})
    skipped: list[dict[str, Any]] = []
    drafts = [
        draft
        for version in versions
        for draft in entries_from_version(
            version, unit_rows, edition=edition, basis=basis, reference=reference, skipped=skipped
        )
    ]
    return drafts, skipped


# ---- the service -------------------------------------------------------------------------------------------
@dataclass
class GenerationResult:
    """What ``generate_catalog`` did: the draft, its counts per tier, the inputs and the skipped lines."""

    catalog: Catalog
    counts: dict[str, int]
    data_year: int
    input_versions: int
    regenerated: bool
    skipped: list[dict[str, Any]] = field(default_factory=list)


def check_catalog_key(reference: ReferenceSet, edition: str, half: str, basis: str) -> None:
    parse_half(half)
    if basis not in ("policy", "gb"):
        raise InvalidInput(f"unknown basis '{basis}': 'policy' (标杆/基准) or 'gb' (GB grades)", field="basis")
    if edition not in reference.editions():
        raise InvalidInput(
            f"unknown benchmark edition '{edition}' (have {', '.join(reference.editions())})", field="edition"
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
) -> GenerationResult:
    """Build (or rebuild) the draft catalog of ``region_code`` for ``half`` on ``edition`` and ``basis``.

    Needs a regulator (or admin) whose subtree contains the region (NotFound otherwise). An existing draft
    with the same region, edition, half and basis is regenerated: its entries are replaced. Published
    catalogs are never touched; generating again after publishing starts a new draft.
    """
    require_role(actor, "regulator")
    require_region(session, actor, region_code, roles=("regulator",))
    check_catalog_key(reference, edition, half, basis)
    year = data_year if data_year is not None else data_year_for(half)
    catalog = session.scalar(
        select(Catalog).where(
            Catalog.region_code == region_code,
            Catalog.edition == edition,
            Catalog.half == half,
            Catalog.basis == basis,
            Catalog.state == "draft",
        )
    )
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
    version_ids = approved_version_ids(session, region_code, year)
    drafts, skipped = build_entries(session, version_ids, edition=edition, basis=basis, reference=reference)
    if drafts:
        session.execute(insert(CatalogEntry), [draft.columns(catalog.id) for draft in drafts])
    catalog.reference_versions = reference_versions_for(reference, edition)
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
            "reference_versions": catalog.reference_versions,
        },
    )
    return GenerationResult(catalog, counts, year, len(version_ids), regenerated, skipped)
