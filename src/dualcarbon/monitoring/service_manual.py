"""Manual entry (手工录入) of values for data items that are not collected automatically (``input_type`` manual).

The web form sends rows of (meter code, time, value). Every row is checked first — the meter must be a manual
item of the enterprise, the time an ISO-8601 time (without an offset: Asia/Shanghai) not in the future, the
value a finite number — and any problem, named by row and field in Chinese and English, rejects the whole
entry (:class:`ManualEntryInvalid`; nothing is written). A valid entry goes through the same ingest service as
HTTP, files and MQTT (:func:`.service_ingest.ingest_table`, source ``manual``), with the same receipt, the same
duplicate/conflict rules and the same audit row; the stored quality of the days it touches is marked not final
(measured again when read). The caller must be allowed to write the enterprise's data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.models import EnterpriseQualityDay, Meter
from dualcarbon.monitoring.schemas import IngestReceipt, MeterOut
from dualcarbon.monitoring.service_ingest import ingest_table
from dualcarbon.monitoring.service_meters import list_meters
from dualcarbon.monitoring.store_readings import LOCAL_OFFSET_HOURS
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.store.base import utcnow

MAX_ROWS = 500  # one form, not a file: larger batches go through `dualcarbon ingest FILE`
_LOCAL = timezone(timedelta(hours=LOCAL_OFFSET_HOURS))
_FIELD_ZH = {"meter": "计量器具", "ts": "时间", "value": "数值"}


@dataclass(frozen=True)
class ManualEntry:
    """One row of the form, as typed."""

    meter_code: str
    ts: str
    value: str | float | None


@dataclass(frozen=True)
class EntryProblem:
    """A rejected row (1-based) and field, with the reason in Chinese and in English."""

    row: int
    field: str
    zh: str
    en: str

    def text_zh(self) -> str:
        return f"第 {self.row} 行 {_FIELD_ZH[self.field]}：{self.zh}"


class ManualEntryInvalid(InvalidInput):
    """Some rows of a manual entry are invalid; nothing was written."""

    def __init__(self, problems: list[EntryProblem]) -> None:
        first = problems[0]
        super().__init__(
            "; ".join(f"row {p.row}, {p.field}: {p.en}" for p in problems),
            field=f"entries[{first.row - 1}].{first.field}",
            zh="；".join(p.text_zh() for p in problems),
        )
        self.problems = problems


def manual_meters(session: Session, principal: Principal, credit_code: str) -> list[MeterOut]:
    """The enterprise's data items entered by hand (``input_type`` manual), when the caller may write its data."""
    require_enterprise(session, principal, credit_code, write=True)
    return [m for m in list_meters(session, principal, credit_code) if m.input_type == "manual"]


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        return None


def _check(entries: list[ManualEntry], manual: set[str], now_local: datetime) -> list[EntryProblem]:
    problems: list[EntryProblem] = []
    for row, entry in enumerate(entries, start=1):
        code = (entry.meter_code or "").strip()
        if code not in manual:
            problems.append(
                EntryProblem(
                    row, "meter", f"“{code}”不是本企业的手工录入项", f"'{code}' is not a manual item of the enterprise"
                )
            )
        moment = _time(entry.ts or "")
        if moment is None:
            problems.append(EntryProblem(row, "ts", "不是有效的时间（例如 2024-03-01 00:00）", "not an ISO-8601 time"))
        else:
            local = moment if moment.tzinfo is None else moment.astimezone(_LOCAL).replace(tzinfo=None)
            if local > now_local:
                problems.append(EntryProblem(row, "ts", "不能晚于当前时间", "is in the future"))
        try:
            number = float(str(entry.value).strip()) if entry.value is not None else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            problems.append(EntryProblem(row, "value", "不是有效的数字", "not a finite number"))
    return problems


def submit_manual(
    session: Session, principal: Principal, credit_code: str, entries: list[ManualEntry]
) -> IngestReceipt:
    """Check every row, then ingest them all with source ``manual``; raises :class:`ManualEntryInvalid`."""
    enterprise = require_enterprise(session, principal, credit_code, write=True)
    if not entries:
        raise InvalidInput("no values entered", field="entries", zh="没有录入任何数据")
    if len(entries) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows at a time", field="entries", zh=f"每次最多录入 {MAX_ROWS} 行")
    manual = set(
        session.scalars(select(Meter.code).where(Meter.enterprise_id == enterprise.id, Meter.input_type == "manual"))
    )
    now_local = utcnow().astimezone(_LOCAL).replace(tzinfo=None)
    problems = _check(entries, manual, now_local)
    if problems:
        raise ManualEntryInvalid(problems)
    table = pa.table(
        {
            "credit_code": pa.array([enterprise.credit_code] * len(entries), pa.string()),
            "meter_code": pa.array([e.meter_code.strip() for e in entries], pa.string()),
            "ts": pa.array([str(_time(e.ts).isoformat()) for e in entries], pa.string()),  # type: ignore[union-attr]
            "value": pa.array([repr(float(str(e.value).strip())) for e in entries], pa.string()),
        }
    )
    receipt = ingest_table(session, principal, table, source="manual")
    _reopen_quality(session, enterprise.id, [moment for e in entries if (moment := _time(e.ts)) is not None])
    return receipt


def _reopen_quality(session: Session, enterprise_id: int, moments: list[datetime]) -> None:
    """Mark the stored quality of the days the entry touched as not final, so that it is measured again when
    read (a daily value near midnight may belong to the next day; a monthly one to the month's 1st)."""
    days: set[date] = set()
    for moment in moments:
        local = moment if moment.tzinfo is None else moment.astimezone(_LOCAL).replace(tzinfo=None)
        day = local.date()
        days |= {day - timedelta(days=1), day, day + timedelta(days=1), day.replace(day=1)}
        days.add((local + timedelta(days=1)).date().replace(day=1))
    session.execute(
        update(EnterpriseQualityDay)
        .where(EnterpriseQualityDay.enterprise_id == enterprise_id, EnterpriseQualityDay.day.in_(sorted(days)))
        .values(final=False)
    )
