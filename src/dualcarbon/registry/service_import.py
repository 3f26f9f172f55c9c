"""Bulk import of the enterprise registry from Excel or CSV, with column mapping and a validation report.

The sheet's columns and file reading: :mod:`dualcarbon.registry.service_sheet`; the empty template:
:mod:`dualcarbon.registry.service_import_template`; the export: :mod:`dualcarbon.registry.service_export`.

Import rules (``import_enterprises``):

* The file is ``.xlsx`` or ``.csv`` (UTF-8 or GB18030); the header row is the first row, within the first
  ten, that names the credit-code column. Default headers are Chinese (统一社会信用代码, 企业名称,
  行政区划代码, 行业代码, 规模以上, 用地面积(亩), 重点用能单位, 地址, 联系人); English field names work too;
  a ``mapping`` ``{source header: target}`` renames columns (target = default header or field name).
* Rows match existing enterprises on the credit code. For an existing enterprise only the fields whose
  value differs are updated; a blank cell leaves the field as it is. A new enterprise needs name, region
  and industry code.
* Every problem is reported as (row, column, reason) with the spreadsheet's row number; if there is any,
  nothing is written (all or nothing). ``dry_run`` validates and counts without writing.
* Importing the same file twice changes nothing the second time and writes no audit row.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import DualcarbonError, InvalidInput
from dualcarbon.registry.models import Enterprise, Region
from dualcarbon.registry.schemas import EnterpriseImportReport
from dualcarbon.registry.service import add_enterprise, apply_enterprise_changes, registry_write_filter
from dualcarbon.registry.service_access import region_in_scope
from dualcarbon.registry.service_fields import clean_field
from dualcarbon.registry.service_sheet import COLUMNS, REGION_NAME_HEADER, read_rows
from dualcarbon.store.audit import append_audit

REQUIRED_FOR_NEW = ("name", "region_code", "industry_code")
_BY_FIELD = {column.field: column for column in COLUMNS}
_CHUNK = 500


@dataclass(frozen=True)
class ImportProblem:
    row: int  # spreadsheet row number (the header is the row it sits on, usually 1)
    column: str
    reason: str
    reason_zh: str | None = None  # the same reason for a Chinese reader


@dataclass
class ImportReport:
    file: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    committed: bool = False
    problems: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def out(self) -> EnterpriseImportReport:
        """The report as the API and the command line show it."""
        return EnterpriseImportReport.model_validate(asdict(self) | {"ok": self.ok})


def _header_key(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def _targets() -> dict[str, str]:
    keys: dict[str, str] = {}
    for column in COLUMNS:
        keys[_header_key(column.zh)] = column.field
        keys[_header_key(column.field)] = column.field
    return keys


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``["信用代码=统一社会信用代码", …]`` → ``{"信用代码": "统一社会信用代码"}`` (CLI ``--map``)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise InvalidInput(
                f"'{pair}' is not SOURCE=TARGET", field="map", zh=f"「{pair}」应写成“文件中的列名=模板列名”"
            )
        mapping[source.strip()] = target.strip()
    return mapping


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---- import -------------------------------------------------------------------------------------
def import_enterprises(
    session: Session,
    actor: Principal,
    path: Path,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    *,
    display_name: str | None = None,
) -> ImportReport:
    """Validate the whole file, then (unless ``dry_run`` or any problem) create and update enterprises.

    Admin or regulator only; every row must lie in the actor's write scope.
    """
    require_role(actor, "regulator")
    report = ImportReport(file=display_name or path.name, dry_run=dry_run)
    rows = read_rows(path)
    targets = _targets()
    header_row, columns = _find_header(rows, targets, mapping or {}, report)
    if header_row is None:
        return report
    parsed = _parse_rows(rows, columns, report)
    existing, writable = _existing(session, actor, [p.values["credit_code"] for p in parsed])
    regions = _regions(session, actor, {p.values["region_code"] for p in parsed if "region_code" in p.values})
    creates: list[_Row] = []
    updates: list[tuple[Enterprise, dict[str, Any]]] = []
    for row in parsed:
        _plan_row(row, existing, writable, regions, creates, updates, report)
    if report.problems:
        return report
    report.created, report.updated = len(creates), len(updates)
    report.unchanged = len(parsed) - len(creates) - len(updates)
    if dry_run or not (creates or updates):
        return report
    for row in creates:
        add_enterprise(session, actor, {"above_scale": False, "key_energy_user": False} | row.values)
    for enterprise, changed in updates:
        apply_enterprise_changes(session, actor, enterprise, changed)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    append_audit(
        session,
        actor.username,
        "enterprise.import",
        "import",
        digest[:16],
        None,
        {
            "file": report.file,
            "sha256": digest,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        },
    )
    report.committed = True
    return report


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    headers: dict[str, str]  # field → header as written in the file


def _find_header(
    rows: Iterator[tuple[int, list[Any]]], targets: dict[str, str], mapping: dict[str, str], report: ImportReport
) -> tuple[int | None, dict[int, tuple[str, str]]]:
    user = {_header_key(source): target for source, target in mapping.items()}
    for number, values in rows:
        keys = [_header_key(v) for v in values]
        resolved = [targets.get(_header_key(user[k])) if k in user else targets.get(k) for k in keys]
        if "credit_code" not in resolved:
            if number >= 10:
                break
            continue
        columns: dict[int, tuple[str, str]] = {}
        seen: dict[str, str] = {}
        for index, (value, key, target) in enumerate(zip(values, keys, resolved, strict=True)):
            header = str(value).strip() if value is not None else ""
            if key in user and target is None:
                report.problems.append(
                    ImportProblem(
                        number,
                        header,
                        f"mapping target '{user[key]}' is not a column (one of {', '.join(c.zh for c in COLUMNS)})",
                        f"对应的「{user[key]}」不是模板中的列（可选：{'、'.join(c.zh for c in COLUMNS)}）",
                    )
                )
            elif target is None:
                if header and key != _header_key(REGION_NAME_HEADER):
                    report.ignored_columns.append(header)
            elif target in seen:
                report.problems.append(
                    ImportProblem(
                        number,
                        header,
                        f"column '{seen[target]}' already gives {_BY_FIELD[target].zh}",
                        f"「{seen[target]}」列已经给出了{_BY_FIELD[target].zh}",
                    )
                )
            else:
                seen[target] = header
                columns[index] = (target, header)
        present = set(keys)
        for source in mapping:
            if _header_key(source) not in present:
                report.problems.append(
                    ImportProblem(number, source, "mapped column is not in the file", "文件中没有这一列")
                )
        return number, columns
    report.problems.append(
        ImportProblem(
            1,
            _BY_FIELD["credit_code"].zh,
            "no header row naming 统一社会信用代码 (or a column mapped to it) in the first 10 rows",
            "前 10 行中没有含“统一社会信用代码”（或对应到它的列）的表头行",
        )
    )
    return None, {}


def _parse_rows(
    rows: Iterator[tuple[int, list[Any]]], columns: dict[int, tuple[str, str]], report: ImportReport
) -> list[_Row]:
    parsed: list[_Row] = []
    first_seen: dict[str, int] = {}
    for number, values in rows:
        cells = {index: values[index] for index in columns if index < len(values)}
        if all(_blank(v) for v in cells.values()):
            continue
        report.rows += 1
        row = _Row(number, {}, {target: header for target, header in columns.values()})
        ok = True
        for index, value in cells.items():
            target, header = columns[index]
            if _blank(value):
                continue
            try:
                row.values[target] = clean_field(target, value)
            except DualcarbonError as exc:
                report.problems.append(ImportProblem(number, header, exc.message, exc.zh))
                ok = False
        code = row.values.get("credit_code")
        if code is None:
            if ok:
                report.problems.append(
                    ImportProblem(number, row.headers["credit_code"], "credit code is empty", "统一社会信用代码为空")
                )
            continue
        if code in first_seen:
            report.problems.append(
                ImportProblem(
                    number,
                    row.headers["credit_code"],
                    f"credit code {code} repeats row {first_seen[code]}",
                    f"统一社会信用代码与第 {first_seen[code]} 行重复",
                )
            )
            continue
        first_seen[code] = number
        if ok:
            parsed.append(row)
    return parsed


def _existing(session: Session, actor: Principal, codes: list[str]) -> tuple[dict[str, Enterprise], set[int]]:
    existing: dict[str, Enterprise] = {}
    writable: set[int] = set()
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        existing.update(
            (e.credit_code, e) for e in session.scalars(select(Enterprise).where(Enterprise.credit_code.in_(chunk)))
        )
        writable.update(
            session.scalars(
                select(Enterprise.id).where(Enterprise.credit_code.in_(chunk), registry_write_filter(actor))
            )
        )
    return existing, writable


def _regions(session: Session, actor: Principal, codes: set[str]) -> dict[str, bool]:
    """Known region codes → whether the actor may register enterprises there."""
    known = set(session.scalars(select(Region.code).where(Region.code.in_(sorted(codes))))) if codes else set()
    return {code: region_in_scope(session, actor, code, roles=("regulator",)) for code in known}


def _plan_row(
    row: _Row,
    existing: dict[str, Enterprise],
    writable: set[int],
    regions: dict[str, bool],
    creates: list[_Row],
    updates: list[tuple[Enterprise, dict[str, Any]]],
    report: ImportReport,
) -> None:
    def problem(target: str, reason: str, reason_zh: str) -> None:
        column = row.headers.get(target, _BY_FIELD[target].zh)
        report.problems.append(ImportProblem(row.number, column, reason, reason_zh))

    enterprise = existing.get(row.values["credit_code"])
    if enterprise is not None and enterprise.id not in writable:
        problem("credit_code", "this enterprise is registered outside your scope", "该企业登记在您的管辖范围之外")
        return
    region = row.values.get("region_code")
    if region is not None and region not in regions:
        problem("region_code", f"unknown region code {region}", f"行政区划代码 {region} 不在地区目录中")
    elif region is not None and not regions[region]:
        problem("region_code", f"region {region} is outside your scope", f"地区 {region} 不在您的管辖范围内")
    if enterprise is None:
        missing = [name for name in REQUIRED_FOR_NEW if name not in row.values]
        for name in missing:
            problem(name, f"{_BY_FIELD[name].zh} is required for a new enterprise", f"新企业须填写{_BY_FIELD[name].zh}")
        if not missing and region in regions and regions[region]:
            creates.append(row)
        return
    changed = {k: v for k, v in row.values.items() if k != "credit_code" and getattr(enterprise, k) != v}
    if changed:
        updates.append((enterprise, changed))
