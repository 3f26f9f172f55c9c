"""Importing a period report from a workbook: the annual-report workbook or the survey form of #2.

``import_report`` reads the file, checks every cell and then every line against the reference tables,
and only when nothing is wrong creates the draft (or a new version of a draft/returned report). Problems
are raised together as ``WorkbookInvalid`` naming sheet, row, column and reason — also for problems
found after reading (a unit that does not fit the carrier), through the cell each content field came
from. Kinds:

* ``annual`` — the workbook of :mod:`dualcarbon.reports.io` (基本情况表, 能源消费结构表, 单位产品综合能耗表);
  its 统一社会信用代码 and 报告年度 must match the enterprise and period imported into.
* ``survey`` — 企业能效调查情况表 (:mod:`dualcarbon.assess`): the rows of this enterprise only, read and
  validated by the survey's own reader and validator; products become outputs (with their benchmark
  rows) and the energy columns summed over those rows become energy lines. Other enterprises' rows are
  ignored (their count is returned).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import openpyxl
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.assess.service import ENERGY_COLUMNS as SURVEY_ENERGY_COLUMNS
from dualcarbon.assess.service import ROW, Survey, header_of, read_survey, validate_survey
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, DualcarbonError, InvalidInput
from dualcarbon.domain.identifiers import normalise_code
from dualcarbon.domain.products import ProductCatalog
from dualcarbon.reference.tables import ReferenceSet, load_reference
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.reports.io.layout import BASIC_SHEET, BASIC_VALUE_COLUMN
from dualcarbon.reports.io.reader import Origin, read_annual_report
from dualcarbon.reports.models import PeriodReport
from dualcarbon.reports.service_content import EnergyLineIn, OutputLineIn, ReportContent, normalise_content
from dualcarbon.reports.service_periods import check_period, period_label
from dualcarbon.reports.service_workflow import EDITABLE_STATES, create_report, state_label, update_draft
from dualcarbon.store.audit import append_audit
from dualcarbon.workbooks.problems import WorkbookInvalid, WorkbookProblem

ImportKind = Literal["auto", "annual", "survey"]


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the report, whether it was created, whether a version was added."""

    report: PeriodReport
    kind: str
    created: bool
    new_version: bool
    ignored_rows: int = 0


def detect_kind(path: Path) -> Literal["annual", "survey"]:
    """``annual`` for a workbook with 基本情况表, else ``survey`` (.csv files are always surveys)."""
    if path.suffix.lower() == ".csv":
        return "survey"
    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # not a workbook: let the survey reader say so
        return "survey"
    try:
        return "annual" if BASIC_SHEET in book.sheetnames else "survey"
    finally:
        book.close()


def _located(exc: DualcarbonError, origins: dict[str, Origin], fallback_sheet: str) -> WorkbookInvalid:
    field = exc.field or ""
    origin = origins.get(field)
    if origin is None and "]" in field:
        origin = origins.get(field.split("]")[0] + "]")
    if origin is None:
        return WorkbookInvalid([WorkbookProblem(fallback_sheet, None, field or None, exc.message)])
    sheet, row, column = origin
    return WorkbookInvalid([WorkbookProblem(sheet, row, column, exc.message)])


def _annual(
    path: Path, credit_code: str, period_kind: str, year: int | None, reference: ReferenceSet
) -> tuple[ReportContent, dict[str, Origin], int, int]:
    if period_kind != "year":
        raise InvalidInput(
            "the annual-report workbook is for a year report (period_kind=year)",
            field="period_kind",
            zh="年报工作簿只能导入年度报告",
        )
    read = read_annual_report(path, reference=reference)
    problems: list[WorkbookProblem] = []
    code_row = read.origins.get("basic.credit_code", (BASIC_SHEET, 0, None))[1] or None
    year_row = read.origins.get("basic.year", (BASIC_SHEET, 0, None))[1] or None
    if normalise_code(read.credit_code) != credit_code:
        problems.append(
            WorkbookProblem(
                BASIC_SHEET,
                code_row,
                BASIC_VALUE_COLUMN,
                f"统一社会信用代码 {read.credit_code} 与导入的企业 {credit_code} 不一致",
            )
        )
    if year is not None and read.year != year:
        problems.append(
            WorkbookProblem(
                BASIC_SHEET, year_row, BASIC_VALUE_COLUMN, f"报告年度 {read.year} 与导入的报告期 {year} 不一致"
            )
        )
    if problems:
        raise WorkbookInvalid(problems)
    return read.content, read.origins, read.year, 0


def _survey(
    path: Path, credit_code: str, year: int | None, reference: ReferenceSet
) -> tuple[ReportContent, dict[str, Origin], int, int]:
    if year is None:
        raise InvalidInput(
            "the survey form has no period: give the report year", field="year", zh="调查表未写明报告期，请填写报告年份"
        )
    survey = read_survey(path)
    sheet = survey.sheet or path.name
    codes = [normalise_code(c) if c else None for c in survey.frame["credit_code"].to_list()]
    mask = pl.Series([code == credit_code for code in codes], dtype=pl.Boolean)
    frame = survey.frame.filter(mask)
    if frame.is_empty():
        raise WorkbookInvalid(
            [WorkbookProblem(sheet, None, header_of("credit_code"), f"没有统一社会信用代码为 {credit_code} 的行")]
        )
    own_rows = set(frame[ROW].to_list())
    own = Survey(
        frame,
        survey.source,
        survey.sheet,
        survey.ignored_headers,
        [bad for bad in survey.bad_numbers if bad[0] in own_rows],
    )
    catalog = ProductCatalog.for_edition(reference, reference.editions()[-1])
    validated = validate_survey(own, catalog, reference)
    if validated.issues:
        raise WorkbookInvalid([WorkbookProblem(sheet, i.row, i.column, i.reason) for i in validated.issues])
    origins: dict[str, Origin] = {}
    outputs: list[OutputLineIn] = []
    for record in validated.frame.sort(ROW).iter_rows(named=True):
        path_key = f"outputs[{len(outputs)}]"
        origins[path_key] = (sheet, record[ROW], None)
        origins[f"{path_key}.unit"] = (sheet, record[ROW], header_of("output_unit"))
        origins[f"{path_key}.unit_consumption_unit"] = (sheet, record[ROW], header_of("value_unit"))
        origins[f"{path_key}.product"] = (sheet, record[ROW], header_of("product"))
        reported = record["value"]
        outputs.append(
            OutputLineIn(
                product=reference.benchmark_row(record["row_id"]).product,
                benchmark_row_id=record["row_id"],
                quantity=record["output"],
                unit=record["output_unit"],
                reported_unit_consumption=reported,
                unit_consumption_unit=record["value_unit"] if reported is not None else None,
            )
        )
    energy: list[EnergyLineIn] = []
    for column in SURVEY_ENERGY_COLUMNS:
        values = validated.frame[column.key].drop_nulls()
        total = float(values.sum()) if len(values) else 0.0
        if total > 0 and column.carrier and column.unit:
            first = int(validated.frame.filter(pl.col(column.key).is_not_null())[ROW].min())  # type: ignore[arg-type]
            origins[f"energy_lines[{len(energy)}]"] = (sheet, first, column.header)
            energy.append(EnergyLineIn(carrier=column.carrier, quantity=total, unit=column.unit))
    return ReportContent(energy_lines=energy, outputs=outputs), origins, year, survey.frame.height - frame.height


def import_report(
    session: Session,
    actor: Principal,
    credit_code: str,
    path: Path,
    *,
    kind: ImportKind = "auto",
    period_kind: str = "year",
    year: int | None = None,
    period: int = 0,
    reference: ReferenceSet | None = None,
    filename: str | None = None,
) -> ImportResult:
    """Import one enterprise's report for a period from ``path``; all or nothing.

    Creates the draft, or adds a version to the draft/returned report of that period (no version when
    the content is unchanged); a report already submitted, approved or locked is a ``Conflict``.
    """
    enterprise = require_enterprise(session, actor, credit_code, write=True)
    reference = reference or load_reference()
    chosen = detect_kind(path) if kind == "auto" else kind
    if chosen == "annual":
        content, origins, year, ignored = _annual(path, enterprise.credit_code, period_kind, year, reference)
        sheet = BASIC_SHEET
    elif chosen == "survey":
        content, origins, year, ignored = _survey(path, enterprise.credit_code, year, reference)
        sheet = filename or path.name
    else:
        raise InvalidInput(
            f"must be auto, annual or survey, got '{kind}'", field="kind", zh="文件类型只能是自动识别、年报或调查表"
        )
    check_period(period_kind, year, period)
    try:
        normalise_content(session, enterprise, content, reference)
    except DualcarbonError as exc:
        raise _located(exc, origins, sheet) from None
    existing = session.scalar(
        select(PeriodReport).where(
            PeriodReport.enterprise_id == enterprise.id,
            PeriodReport.period_kind == period_kind,
            PeriodReport.year == year,
            PeriodReport.period == period,
        )
    )
    if existing is None:
        report = create_report(
            session, actor, enterprise.credit_code, period_kind, year, period, content, reference=reference
        )
        created, new_version = True, True
    elif existing.state in EDITABLE_STATES:
        report, new_version = update_draft(session, actor, existing.id, content, reference=reference)
        created = False
    else:
        raise Conflict(
            f"the {period_kind} report {year}/{period} is {state_label(existing.state)} ({existing.state}); "
            "only a draft or returned report can be replaced by an import",
            zh=f"{period_label(period_kind, year, period)}的报告当前为「{state_label(existing.state)}」，"
            "只有草稿或已退回的报告可以被导入覆盖",
        )
    append_audit(
        session,
        actor.username,
        "report.import",
        "period_report",
        report.id,
        None,
        {
            "file": filename or path.name,
            "kind": chosen,
            "version": report.version,
            "created": created,
            "new_version": new_version,
            "ignored_rows": ignored,
        },
    )
    return ImportResult(report, chosen, created, new_version, ignored)
