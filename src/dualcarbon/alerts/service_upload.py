"""Upload to the provincial platform (接入端 → 省级平台): build messages into an outbox, send until acknowledged.

* **Configuration** (:class:`UploadConfig`, ``<data dir>/upload.yaml``): the endpoints (name, URL, timeout,
  extra headers, which kinds each takes) and the field mapping per kind (canonical field → name sent; default
  ``alerts/data/upload_mapping.yaml``; the national interface specification is not public — docs/alerts.md).
* **Build** (:func:`build_messages`, for a day): per enterprise with meters, for every endpoint — basic
  information (``enterprise``) and the meter register (``meter``), each only when its content changed (the
  key holds the content hash); collected data: ``realtime`` (the day's hourly values), ``day`` (the day's
  rollup), and on the 1st ``month`` (the month before). Messages go to the ``upload_message`` outbox with an
  idempotency key ``<kind>:<credit code>:<period or hash>``; a key already in the outbox is not built twice.
* **Send** (:func:`send_due`): every pending message whose time has come is POSTed as JSON with the header
  ``Idempotency-Key``; a 2xx answer acknowledges it (state ``acknowledged``, never sent again); anything else
  — an error status, a refused connection, a timeout — is retried after base × 2^(attempts − 1) s (PR-A06,
  at most PR-A07), without limit, so an outage only delays. A receiver that processed a message whose answer
  was lost sees the same key again and must drop it (that is what the key is for).
* **Retention**: acknowledged messages older than PR-A08 days are pruned; pending ones are kept however old.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dualcarbon.alerts.models import UPLOAD_KINDS, UploadMessage
from dualcarbon.alerts.schemas import UploadRun, UploadStatus
from dualcarbon.alerts.service_rules import AlertRules
from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_rollups import LOCAL_ZONE, rollups_of
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter
from dualcarbon.store.audit import canonical_json
from dualcarbon.store.base import utcnow

CONFIG_FILE = "upload.yaml"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Decimal places of uploaded values (a representation choice: removes the noise of summing floats).
UPLOAD_DECIMALS = 6


class Endpoint(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(pattern=r"^https?://")
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    headers: dict[str, str] = {}
    kinds: list[str] = list(UPLOAD_KINDS)


class UploadConfig(BaseModel):
    endpoints: list[Endpoint] = []
    mapping: dict[str, dict[str, str]] = {}

    def fields(self, kind: str) -> dict[str, str]:
        return self.mapping.get(kind) or default_mapping()[kind]


@cache
def default_mapping() -> dict[str, dict[str, str]]:
    text = resources.files("dualcarbon.alerts.data").joinpath("upload_mapping.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def load_config(data_dir: Path) -> UploadConfig:
    """``<data dir>/upload.yaml``; no file → no endpoints (nothing is built or sent)."""
    path = data_dir / CONFIG_FILE
    if not path.exists():
        return UploadConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        config = UploadConfig.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidInput(f"{path}: {str(exc).splitlines()[0]}", field="upload.yaml") from None
    for kind in config.mapping:
        if kind not in UPLOAD_KINDS:
            raise InvalidInput(f"unknown kind '{kind}' in mapping", field="upload.yaml.mapping")
    names = [e.name for e in config.endpoints]
    if len(names) != len(set(names)):
        raise InvalidInput("endpoint names must be unique", field="upload.yaml.endpoints")
    return config


def _mapped(config: UploadConfig, kind: str, record: dict[str, Any]) -> dict[str, Any]:
    return {target: record.get(source) for source, target in config.fields(kind).items()}


def _clean(value: float | None) -> float | None:
    """A summed value without its binary noise (3025740.000000006 → 3025740.0): UPLOAD_DECIMALS places are far
    finer than any meter's resolution."""
    return None if value is None else round(value, UPLOAD_DECIMALS)


def _digest(value: object) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:16]


def _records(
    session: Session, enterprise: Enterprise, meters: list[Meter], day: date, reference: ReferenceSet
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(kind, period-or-hash, records) of one enterprise for ``day``."""
    info = [
        {
            "credit_code": enterprise.credit_code,
            "name": enterprise.name,
            "region_code": enterprise.region_code,
            "industry_code": enterprise.industry_code,
        }
    ]
    register = [
        {
            "credit_code": enterprise.credit_code,
            "meter_code": m.code,
            "data_item_code": m.data_item_code,
            "carrier": m.carrier,
            "unit": m.unit,
            "kind": m.kind,
            "statistic_type": m.statistic_type,
            "process_stage": m.process_stage,
        }
        for m in meters
    ]
    out: list[tuple[str, str, list[dict[str, Any]]]] = [
        ("enterprise", _digest(info), info),
        ("meter", _digest(register), register),
    ]
    real = [m for m in meters if m.kind in ("cumulative", "interval")]
    by_id = {m.id: m for m in real}

    def rows(interval: str, first: date, last: date) -> list[dict[str, Any]]:
        if not real:
            return []
        table, _ = rollups_of(session, enterprise, real, interval, first, last, reference)
        found = []
        for row in table.to_pylist():
            if row["energy"] is None:
                continue
            meter = by_id[row["meter_id"]]
            found.append(
                {
                    "credit_code": enterprise.credit_code,
                    "meter_code": meter.code,
                    "data_item_code": meter.data_item_code,
                    "start": row["start"].replace(tzinfo=LOCAL_ZONE).isoformat(),
                    "value": _clean(row["energy"]),
                    "unit": meter.unit,
                    "tce": _clean(row["tce"]),
                }
            )
        return found

    out.append(("realtime", day.isoformat(), rows("hour", day, day)))
    out.append(("day", day.isoformat(), rows("day", day, day)))
    if day.day == 1:
        month_end = day - timedelta(days=1)
        out.append(("month", month_end.strftime("%Y-%m"), rows("month", month_end.replace(day=1), month_end)))
    return out


def build_messages(
    session: Session, principal: Principal, day: date, config: UploadConfig, reference: ReferenceSet
) -> int:
    """Put the day's messages of every enterprise with meters (that the caller may read) into the outbox."""
    if not config.endpoints:
        return 0
    enterprises = session.scalars(
        select(Enterprise)
        .where(Enterprise.id.in_(select(Meter.enterprise_id)), enterprise_filter(principal))
        .order_by(Enterprise.id)
    ).all()
    now = utcnow()
    built = 0
    for enterprise in enterprises:
        meters = list(session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id).order_by(Meter.code)))
        found = [(k, p, r) for k, p, r in _records(session, enterprise, meters, day, reference) if r]
        keys = [f"{kind}:{enterprise.credit_code}:{period}" for kind, period, _ in found]
        stored = select(UploadMessage.endpoint, UploadMessage.idempotency_key).where(
            UploadMessage.idempotency_key.in_(keys)
        )
        existing: set[tuple[str, str]] = {(e, k) for e, k in session.execute(stored)}
        for (kind, _, records), key in zip(found, keys, strict=True):
            body = {"kind": kind, "key": key, "records": [_mapped(config, kind, r) for r in records]}
            for endpoint in config.endpoints:
                if kind not in endpoint.kinds or (endpoint.name, key) in existing:
                    continue
                session.add(
                    UploadMessage(
                        endpoint=endpoint.name,
                        idempotency_key=key,
                        kind=kind,
                        enterprise_id=enterprise.id,
                        body=json.loads(canonical_json(body)),
                        state="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
                existing.add((endpoint.name, key))
                built += 1
    session.flush()
    return built


def send_due(
    session: Session,
    config: UploadConfig,
    rules: AlertRules,
    *,
    client: httpx.Client | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> UploadRun:
    """Send the pending messages that are due (see the module docstring); outcomes written in the session."""
    moment = now or utcnow()
    endpoints = {e.name: e for e in config.endpoints}
    rows = session.scalars(
        select(UploadMessage)
        .where(UploadMessage.state == "pending", UploadMessage.next_attempt_at <= moment)
        .order_by(UploadMessage.next_attempt_at, UploadMessage.id)
        .limit(limit)
    ).all()
    run = UploadRun(built=0, sent=0, acknowledged=0, retried=0, pruned=0)
    own = client is None
    http = client or httpx.Client()
    try:
        for message in rows:
            endpoint = endpoints.get(message.endpoint)
            if endpoint is None:
                continue  # an endpoint taken out of the configuration: its messages wait, they are not lost
            message.attempts += 1
            run.sent += 1
            try:
                response = http.post(
                    endpoint.url,
                    content=canonical_json(message.body).encode(),
                    headers={"Content-Type": "application/json", IDEMPOTENCY_HEADER: message.idempotency_key}
                    | endpoint.headers,
                    timeout=endpoint.timeout_s,
                )
                ok = 200 <= response.status_code < 300
                error = None if ok else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if ok:
                message.state = "acknowledged"
                message.acknowledged_at = utcnow()
                message.last_error = None
                run.acknowledged += 1
            else:
                message.last_error = (error or "")[:400]
                message.next_attempt_at = moment + timedelta(seconds=rules.backoff_s(message.attempts))
                run.retried += 1
    finally:
        if own:
            http.close()
    session.flush()
    return run


def prune(session: Session, rules: AlertRules, *, now: datetime | None = None) -> int:
    """Delete acknowledged messages older than the retention (PR-A08); pending ones stay."""
    cutoff = (now or utcnow()) - timedelta(days=rules.upload_retention_days)
    result = session.execute(
        delete(UploadMessage).where(UploadMessage.state == "acknowledged", UploadMessage.created_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def upload_status(session: Session) -> list[UploadStatus]:
    """Per endpoint: pending and acknowledged counts, the oldest pending message, the last error seen."""
    rows = session.execute(
        select(UploadMessage.endpoint, UploadMessage.state, func.count(), func.min(UploadMessage.created_at))
        .group_by(UploadMessage.endpoint, UploadMessage.state)
        .order_by(UploadMessage.endpoint)
    ).all()
    out: dict[str, UploadStatus] = {}
    for endpoint, state, count, oldest in rows:
        status = out.setdefault(
            endpoint, UploadStatus(endpoint=endpoint, pending=0, acknowledged=0, oldest_pending=None, last_error=None)
        )
        if state == "pending":
            status.pending = int(count)
            status.oldest_pending = oldest
            status.last_error = session.scalar(
                select(UploadMessage.last_error)
                .where(UploadMessage.endpoint == endpoint, UploadMessage.state == "pending")
                .order_by(UploadMessage.id.desc())
                .limit(1)
            )
        else:
            status.acknowledged = int(count)
    return list(out.values())
