"""What the project page's forms do (acceptance walk of #9, row 42): each turns the form's values into the same
input the API takes and calls the same service function as the API route, as the logged-in user. The services
check role and scope; a malformed value becomes an ``InvalidInput`` naming its field, shown in the page's language.

Kept apart from the widgets (``pages_controls``) so the page tests can run them against a store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from dualcarbon.core.errors import InvalidInput, validation_message_zh
from dualcarbon.projects.schemas import ProjectIn, ProjectOut, VerificationIn, VerificationOut
from dualcarbon.projects.service_documents import MAX_DOCUMENT_BYTES, add_document
from dualcarbon.projects.service_lifecycle import set_demonstration, set_milestone_done
from dualcarbon.projects.service_projects import create_project
from dualcarbon.projects.service_verification import verify_project
from dualcarbon.reference import ReferenceSet
from dualcarbon.ui.web.i18n import has_key, translate

M = TypeVar("M", bound=BaseModel)

#: roles that see a control (the service decides again, per project and scope)
WRITERS = ("agency", "enterprise", "regulator")
REGULATORS = ("regulator",)


class Caller(Protocol):
    """What the forms need of a page's context (``ui.web.session.WebContext``)."""

    data_dir: Any

    def call(self, service: Any, *args: Any, **kwargs: Any) -> Any: ...

    def reference(self) -> ReferenceSet: ...


def _data_dir(ctx: Caller) -> Path | None:
    return None if ctx.data_dir is None else Path(ctx.data_dir)


def _field(location: tuple[Any, ...]) -> str:
    """pydantic's location as the path ``field_text`` reads: ``("baseline", 2, "energy")`` → ``baseline[2].energy``."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def validated(model: type[M], payload: dict[str, Any]) -> M:
    """``model`` of ``payload``; the first problem as an ``InvalidInput`` naming the field (``zh`` in Chinese,
    the message pydantic's English)."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field(tuple(first["loc"]))
        leaf = str(next((p for p in reversed(first["loc"]) if isinstance(p, str)), ""))
        label = translate("zh", f"field.{leaf}") if has_key("zh", f"field.{leaf}") else None
        zh = validation_message_zh(first, label)
        raise InvalidInput(str(first["msg"]), field=field or None, zh=zh) from None


def parse_periods(text: str, period: str) -> list[dict[str, Any]]:
    """The periods typed one a line, ``date, energy[, production[, temperature]]`` (tce; comma, full-width comma
    or tab between). Empty lines and lines starting with ``#`` are skipped; values are checked by the schema."""
    rows: list[dict[str, Any]] = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = [c.strip() for c in stripped.replace("，", ",").replace("\t", ",").split(",")]
        if not 2 <= len(cells) <= 4:
            zh = f"第 {len(rows) + 1} 行须为“日期, 能耗[, 产量[, 气温]]”，实有 {len(cells)} 项"
            en = f"line {len(rows) + 1} must be 'date, energy[, production[, temperature]]', got {len(cells)} values"
            raise InvalidInput(en, field=f"{period}[{len(rows)}]", zh=zh)
        row: dict[str, Any] = {"period_start": cells[0], "energy": cells[1]}
        for key, value in zip(("production", "temperature"), cells[2:], strict=False):
            if value:
                row[key] = value
        rows.append(row)
    return rows


def verification_spec(form: dict[str, Any]) -> VerificationIn:
    """The verification form's values as ``VerificationIn``: typed periods, or meters between dates with an
    optional weather station; an adjustment only when its reason or amount is filled in."""
    payload: dict[str, Any] = {"interval": form.get("interval") or "day", "lock_version": form.get("lock_version")}
    if form.get("source") == "meters":
        meters = list(form.get("meter_ids") or [])
        if not meters:
            zh = "请选择至少一个计量器具"
            raise InvalidInput("choose at least one meter", field="meter_ids", zh=zh)
        payload["meter_ids"] = meters
        for key in ("baseline_from", "baseline_to", "reporting_from", "reporting_to"):
            payload[key] = (form.get(key) or "").strip() or None
        payload["weather_station"] = (form.get("weather_station") or "").strip() or None
    else:
        payload["baseline"] = parse_periods(form.get("baseline_text") or "", "baseline")
        payload["reporting"] = parse_periods(form.get("reporting_text") or "", "reporting")
        for period in ("baseline", "reporting"):
            if not payload[period]:
                zh = f"请填写{'基期' if period == 'baseline' else '报告期'}数据"
                raise InvalidInput(f"give the {period} periods", field=period, zh=zh)
    reason = (form.get("adjustment_reason") or "").strip()
    amount = form.get("adjustment_energy")
    if reason or amount not in (None, ""):
        payload["adjustments"] = [{"reason": reason, "energy": amount}]
    return validated(VerificationIn, payload)


def run_verification(ctx: Caller, project_id: int, form: dict[str, Any]) -> VerificationOut:
    """POST /projects/{id}/verification: M&V of the form's data, stored; the project becomes verified."""
    spec = verification_spec(form)
    out: VerificationOut = ctx.call(verify_project, project_id, spec, ctx.reference(), data_dir=_data_dir(ctx))
    return out


def project_from_measure(ctx: Caller, measure_id: int, form: dict[str, Any]) -> ProjectOut:
    """POST /projects with ``measure_id``: the accepted measure becomes a proposed project (name, type, saving
    from the measure unless given; the deadline from the report's acceptance and the policy pack)."""
    payload: dict[str, Any] = {"measure_id": measure_id}
    for key in ("name", "start_date", "deadline"):
        value = (form.get(key) or "").strip()
        if value:
            payload[key] = value
    if form.get("milestone_name"):
        payload["milestones"] = [
            {"name": form["milestone_name"].strip(), "due": (form.get("milestone_due") or "").strip() or None}
        ]
    out: ProjectOut = ctx.call(create_project, validated(ProjectIn, payload))
    return out


def upload_document(ctx: Caller, project_id: int, filename: str, content: bytes) -> ProjectOut:
    """POST /projects/{id}/documents: the file kept under its sha256."""
    if len(content) > MAX_DOCUMENT_BYTES:
        zh = f"文件超过 {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"
        raise InvalidInput("file larger than 50 MB", field="file", zh=zh)
    out: ProjectOut = ctx.call(add_document, project_id, filename, content, _data_dir(ctx))
    return out


def mark_milestone(ctx: Caller, project_id: int, milestone_id: int, done: bool) -> ProjectOut:
    """PUT /projects/{id}/milestones/{mid}: done today (Asia/Shanghai), or not done."""
    out: ProjectOut = ctx.call(set_milestone_done, project_id, milestone_id, done)
    return out


def flag_demonstration(ctx: Caller, project_id: int, demonstration: bool, lock_version: int | None) -> ProjectOut:
    """PUT /projects/{id}/demonstration: the regulator sets or clears 示范项目."""
    out: ProjectOut = ctx.call(set_demonstration, project_id, demonstration, lock_version=lock_version)
    return out
