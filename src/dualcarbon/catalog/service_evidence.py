"""From report output lines to catalog entries: the figure of a line, its classification and its evidence.

Owns how one output line becomes one entry. The line's unit consumption (reported, else the figure the
report computed) is classified with :func:`dualcarbon.domain.efficiency.classify_row` against its benchmark
row — never guessed: a line the reference tables cannot classify becomes an entry of tier ``undetermined``
(无法判定) carrying the error message. Every entry keeps its :class:`~dualcarbon.catalog.schemas.Evidence`:
the report version, the input figure, the row and reference values used, the gaps in % and the warnings.
The same classification recomputes entries for the verification of a snapshot and for corrected re-issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.catalog.schemas import SkippedLine, UndeterminedReason
from dualcarbon.catalog.schemas_evidence import (
    Evidence,
    EvidenceInput,
    EvidenceOutput,
    EvidenceReference,
    EvidenceReport,
    EvidenceRow,
    InputSource,
)
from dualcarbon.catalog.service_inputs import chunks, load_versions
from dualcarbon.core.errors import DualcarbonError, InvalidInput, zh_en
from dualcarbon.core.vocab import UNDETERMINED
from dualcarbon.domain.efficiency import classify_row, energy_kind, indicator_unit_parts
from dualcarbon.reference import BenchmarkRow, ReferenceSet
from dualcarbon.reference.model import IMPORT_HINT, ConversionCoefficient, Provenance
from dualcarbon.registry.models import ProductionUnit
from dualcarbon.reports.models import OutputLine, PeriodReportVersion
from dualcarbon.reports.schemas import computed_of


# ---- the figure of a line ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineValue:
    """The unit consumption of an output line and where it came from (``reported``, ``computed`` or none)."""

    value: float | None
    unit: str | None
    source: InputSource | None
    reason: str | None = None  # why there is none (the report's own reason when it computed none)


def line_value(line: OutputLine, version: PeriodReportVersion, index: int) -> LineValue:
    """The reported 单位产品综合能耗 of the line, else the figure the report computed for it (the typed
    ``computed`` document of :func:`dualcarbon.reports.schemas.computed_of`), else none with the reason."""
    if line.reported_unit_consumption is not None:
        return LineValue(line.reported_unit_consumption, line.unit_consumption_unit, "reported")
    if not version.computed:
        return LineValue(None, None, None, "the report version has no computed figures")
    figure = next((f for f in computed_of(version.computed).outputs if f.index == index), None)
    if figure is None:
        return LineValue(None, None, None, "the report computed no figure for this line")
    if figure.unit_consumption is None:
        return LineValue(None, None, None, figure.reason)
    return LineValue(figure.unit_consumption, figure.unit_consumption_unit, "computed")


# ---- the reference side -----------------------------------------------------------------------------------
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


def _provenance(provenance: Provenance) -> dict[str, Any]:
    return {
        "source": provenance.source,
        "confidence": provenance.confidence,
        "verified": provenance.verified,
        "table": provenance.table,
        "version": provenance.version,
    }


def reference_evidence(row: BenchmarkRow, basis: str) -> EvidenceReference:
    """The reference values of ``row`` the basis uses, with their provenance and verified flag."""
    if basis == "policy":
        return EvidenceReference(benchmark=row.benchmark, baseline=row.baseline, **_provenance(row.policy_provenance))
    return EvidenceReference(
        grade_1=row.grade_1,
        grade_2=row.grade_2,
        grade_3=row.grade_3,
        standard=row.limit_standard,
        **_provenance(row.grade_provenance),
    )


def row_evidence(row: BenchmarkRow) -> EvidenceRow:
    return EvidenceRow(
        id=row.row_id, edition=row.edition, field=row.field, product=row.product, indicator=row.indicator, unit=row.unit
    )


def _electricity(reference: ReferenceSet, row: BenchmarkRow) -> ConversionCoefficient | None:
    try:
        if energy_kind(indicator_unit_parts(row.unit)[0]) != "electricity":
            return None
        return reference.conversion_coefficient(reference.carrier("electricity"))
    except DualcarbonError:
        return None


def extend(evidence: Evidence, **changes: Any) -> Evidence:
    """``evidence`` with ``changes`` added (or replaced); the keys given stay exactly the stored keys."""
    given = {key: getattr(evidence, key) for key in evidence.model_fields_set}
    return Evidence(**(given | changes))


# ---- one entry -----------------------------------------------------------------------------------------------
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
    evidence: Evidence

    def columns(self, catalog_id: int) -> dict[str, Any]:
        """The row to insert into ``catalog_entry`` (the evidence as its stored JSON)."""
        return {
            "catalog_id": catalog_id,
            "enterprise_id": self.enterprise_id,
            "production_unit_id": self.production_unit_id,
            "report_version_id": self.report_version_id,
            "product": self.product,
            "benchmark_row_id": self.benchmark_row_id,
            "value": self.value,
            "unit": self.unit,
            "tier": self.tier,
            "gap_to_benchmark": self.gap_to_benchmark,
            "gap_to_baseline": self.gap_to_baseline,
            "saving_to_benchmark_tce": self.saving_to_benchmark_tce,
            "evidence": self.evidence.model_dump(),
        }


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
    evidence: Evidence,
) -> EntryDraft:
    """Classify one unit consumption against its benchmark row; a failure becomes an ``undetermined`` entry.

    ``evidence`` holds what the caller knows (report, line, input …); the row, reference values, gaps and
    warnings are added. The saving needs the output in the indicator's product unit; when it does not
    convert the entry is still classified and the evidence says why the saving is missing.
    """
    warnings: list[str] = []
    try:
        row = resolve_row(reference, row_id, edition)
        evidence = extend(evidence, row=row_evidence(row), reference=reference_evidence(row, basis))
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
        failed = extend(
            evidence,
            error=str(exc),
            error_kind=type(exc).__name__,
            tier_zh="无法判定",
            uses_unverified=False,
            unverified=[],
            warnings=warnings,
        )
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
            failed,
        )
    evidence = extend(
        evidence,
        tier_zh=result.tier_zh,
        gap_to_benchmark_pct=result.gap_to_benchmark_pct,
        gap_to_baseline_pct=result.gap_to_baseline_pct,
        saving_to_baseline_tce=result.saving_to_baseline_tce,
        electricity_row_id=result.electricity_row_id,
        warnings=[*result.warnings, *warnings],
        unverified=list(result.unverified),
        uses_unverified=bool(result.unverified),
    )
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


# ---- why an entry is undetermined -------------------------------------------------------------------------
_BLANK_LABELS = {"benchmark": "标杆水平", "baseline": "基准水平", "grade_3": "3级限定值"}
IMPORT_HINT_ZH = "用 `dualcarbon reference import FILE` 导入官方表后重新生成目录（见 docs/reference-import.md）"
#: The same hint on a web page, where a person follows the 参考数据导入 page rather than a command ("中文 / English").
IMPORT_HINT_WEB = (
    "请系统管理员在“参考数据导入”页面依据官方文本导入该数值后重新生成目录 / an administrator imports the value "
    "from the official text on the Reference data import page, then the catalog is generated again"
)
CHECK_HINT_ZH = (
    "核对该年报产品行的单位产品能耗、单位和对标行后重新生成目录 / check the report line's unit consumption, "
    "unit and benchmark row, then generate the catalog again"
)


#: Why an entry could not be classified, in Chinese, by the kind of the error recorded (its English text follows).
ERROR_KIND_ZH = {
    "MissingCoefficient": "参考数据缺少所需的数值",
    "UnitMismatch": "单位产品能耗的单位与对标行的单位不一致，无法换算",
    "UnknownReferenceRow": "找不到对应的参考数据行",
    "AmbiguousProduct": "产品名称对应多个参考数据行，无法确定对标行",
    "UnknownCarrier": "能源品种不在参考表中",
    "InvalidInput": "年报产品行的数据不完整或有误",
}


def table_title(table: str) -> tuple[str, str]:
    """How a person names a reference table (Chinese, English): ``efficiency_benchmarks_2023`` is the
    2023年版标杆/基准水平 table; a table without a title keeps its name."""
    prefix = "efficiency_benchmarks_"
    if table.startswith(prefix) and table[len(prefix) :].isdigit():
        year = table[len(prefix) :]
        return f"{year}年版标杆/基准水平表", f"{year} edition benchmark/baseline table"
    return table, table


def web_hint(reason: UndeterminedReason) -> str:
    """The hint of a 无法判定 reason for a web page ("中文 / English"): the 参考数据导入 page instead of the command."""
    return IMPORT_HINT_WEB if reason.hint.startswith(IMPORT_HINT_ZH) else reason.hint


def blank_reference_values(evidence: Evidence) -> list[str]:
    """The blank values of the entry's benchmark row that its basis needs (标杆水平, 基准水平, 3级限定值)."""
    reference = evidence.reference
    if reference is None:
        return []
    given = reference.model_fields_set
    if "benchmark" in given or "baseline" in given:  # policy basis
        needed: tuple[str, ...] = ("benchmark", "baseline")
    elif "grade_3" in given:  # GB basis: the 3级 limit decides
        needed = ("grade_3",)
    else:
        return []
    return [_BLANK_LABELS[key] for key in needed if getattr(reference, key) is None]


def undetermined_reason(tier: str, row_id: str, evidence: Evidence) -> UndeterminedReason | None:
    """Why an entry of tier 无法判定 is so: the blank reference row and how to import it, or the error."""
    if tier != UNDETERMINED:
        return None
    missing = blank_reference_values(evidence)
    row = evidence.row.id if evidence.row else row_id
    table = evidence.reference.table if evidence.reference else None
    if missing:
        title_zh, title_en = table_title(table) if table else ("", "")
        where = f"{row}（{title_zh}）" if table else f"{row} "
        return UndeterminedReason(
            reason_zh=f"参考数据行 {where}的{'、'.join(missing)}为空，无法判定 / reference row {row}"
            f"{f' ({title_en})' if table else ''} has no {', '.join(missing)}",
            message=evidence.error,
            row_id=row,
            table=table,
            missing=missing,
            hint=f"{IMPORT_HINT_ZH} / {IMPORT_HINT}",
        )
    why = ERROR_KIND_ZH.get(evidence.error_kind or "", "无法按参考表分类")
    return UndeterminedReason(
        reason_zh=zh_en(f"无法判定：{why}", evidence.error or "no reason recorded"),
        message=evidence.error,
        row_id=row,
        table=table,
        missing=[],
        hint=f"{IMPORT_HINT_ZH} / {IMPORT_HINT}" if evidence.error_kind == "MissingCoefficient" else CHECK_HINT_ZH,
    )


# ---- all entries of the inputs -------------------------------------------------------------------------------
def entries_from_version(
    version: PeriodReportVersion,
    unit_rows: dict[int, str | None],
    *,
    edition: str,
    basis: str,
    reference: ReferenceSet,
    skipped: list[SkippedLine],
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
        if found.value is None or found.source is None:
            skipped.append(
                SkippedLine(
                    report_id=report.id,
                    version=version.version,
                    output_line_id=line.id,
                    product=line.product,
                    reason="no unit consumption reported or computed for this line"
                    + (f": {found.reason}" if found.reason else ""),
                )
            )
            continue
        evidence = Evidence(
            report=EvidenceReport(
                id=report.id,
                year=report.year,
                version_id=version.id,
                version=version.version,
                content_hash=version.content_hash,
            ),
            output_line_id=line.id,
            output=EvidenceOutput(quantity=line.quantity, unit=line.unit),
            input=EvidenceInput(value=found.value, unit=found.unit, source=found.source),
        )
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
) -> tuple[list[EntryDraft], list[SkippedLine]]:
    """Entries of all input versions, and the lines skipped (no value) with the reason."""
    versions = load_versions(session, version_ids)
    unit_ids = sorted(
        {line.production_unit_id for v in versions for line in v.output_lines if line.production_unit_id is not None}
    )
    unit_rows: dict[int, str | None] = {}
    for chunk in chunks(unit_ids):
        query = select(ProductionUnit.id, ProductionUnit.benchmark_row_id).where(ProductionUnit.id.in_(chunk))
        unit_rows.update({unit_id: row_id for unit_id, row_id in session.execute(query)})
    skipped: list[SkippedLine] = []
    drafts = [
        draft
        for version in versions
        for draft in entries_from_version(
            version, unit_rows, edition=edition, basis=basis, reference=reference, skipped=skipped
        )
    ]
    return drafts, skipped
