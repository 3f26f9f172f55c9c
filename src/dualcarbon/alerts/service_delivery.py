"""Sending the queued alert deliveries (webhook and e-mail) with no transaction open while the network is used.

:func:`deliver_due` works in rounds of at most ``batch`` deliveries:

1. **Claim** (one short write transaction): due ``pending`` deliveries are taken with a compare-and-set on
   ``attempts`` — ``attempts + 1`` and ``next_attempt_at = now + lease`` — so a second deliverer (another
   process, another thread, the CLI beside the served app) sees them as not due and never sends the same attempt.
   On PostgreSQL the rows are read ``FOR UPDATE SKIP LOCKED``; on SQLite the write transaction already
   serialises the claimers. The lease covers the round: a margin plus one send timeout per claimed delivery.
2. **Send** with no transaction open (HTTP and SMTP time-outs never hold the SQLite write lock).
3. **Record** (a second short write transaction): ``sent``; or the retry at ``now`` + base × 2^(attempts − 1)
   (PR-A06, at most PR-A07); or ``failed`` after PR-A05 attempts. Each outcome is written only if the row still
   carries this claim's attempt number (a claim whose lease ran out and was taken over is not recorded twice).
   Each outcome recorded also appends an audit row (``alert.delivery.sent`` / ``.retry`` / ``.failed`` with the
   delivery id, alert, channel and attempt; never the target or the secret) in that same transaction.

A round told to stop (``stopping``: the server shuts down) sends nothing more; its claims not yet sent are released
(``attempts`` and ``next_attempt_at`` put back, no audit row) so that they are due again at once elsewhere.

A crash between send and record leaves the delivery ``pending`` with the lease as its next attempt: it is sent
again when the lease runs out — **at least once**. The webhook carries ``X-Dualcarbon-Delivery`` (and the same
``delivery_id`` in the signed body), the same on every attempt, so a receiver can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dualcarbon.alerts.models import Alert, AlertDelivery, AlertSubscription
from dualcarbon.alerts.schemas import DeliveryRun
from dualcarbon.alerts.service_rules import LEVEL_ZH, SOURCE_ZH, AlertRules
from dualcarbon.core.access import SYSTEM
from dualcarbon.core.errors import InvalidInput
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.audit import append_audit, canonical_json
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import is_transient_lock_error, session_scope

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Dualcarbon-Signature"
DELIVERY_HEADER = "X-Dualcarbon-Delivery"
ATTEMPT_HEADER = "X-Dualcarbon-Attempt"
ALERTS_CONFIG_FILE = "alerts.yaml"

#: Serving defaults (operational, not rules): deliveries claimed per round, and the lease margin beyond one send
#: time-out per claimed delivery.
DEFAULT_BATCH = 50
LEASE_MARGIN_S = 60.0
DEFAULT_HTTP_TIMEOUT_S = 10.0
RECORD_TRIES = 5


class SmtpConfig(BaseModel):
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "dualcarbon@localhost"
    timeout_s: float = 10.0


class DeliveryConfig(BaseModel):
    """The ``delivery`` section of ``alerts.yaml``: the served app's loop (on, and seconds between two rounds)."""

    enabled: bool = True
    interval_s: float = 15.0


def sign(secret: str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=`` + hex HMAC-SHA256 under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def alert_payload(alert: Alert, enterprise: Enterprise, delivery_id: int | None = None) -> dict[str, Any]:
    payload = {
        "id": alert.id,
        "source": alert.source,
        "source_key": alert.source_key,
        "level": alert.level,
        "state": alert.state,
        "title_zh": alert.title_zh,
        "credit_code": enterprise.credit_code,
        "enterprise": enterprise.name,
        "detail": alert.detail,
        "first_seen": alert.first_seen.isoformat(),
    }
    if delivery_id is not None:
        payload["delivery_id"] = delivery_id
    return payload


Sender = Callable[[AlertSubscription, Alert, Enterprise, AlertDelivery], None]


def send_webhook(client: httpx.Client) -> Sender:
    def send(sub: AlertSubscription, alert: Alert, enterprise: Enterprise, delivery: AlertDelivery) -> None:
        body = canonical_json(alert_payload(alert, enterprise, delivery.id)).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(sub.secret or "", body),
            DELIVERY_HEADER: str(delivery.id),
            ATTEMPT_HEADER: str(delivery.attempts),
        }
        response = client.post(sub.target or "", content=body, headers=headers)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"HTTP {response.status_code}")

    return send


def send_email(config: SmtpConfig) -> Sender:
    def send(sub: AlertSubscription, alert: Alert, enterprise: Enterprise, delivery: AlertDelivery) -> None:
        message = EmailMessage()
        message["From"] = config.sender
        message["To"] = sub.target or ""
        message["Subject"] = f"【{enterprise.name}】{alert.title_zh}"
        message[DELIVERY_HEADER] = str(delivery.id)
        detail = json.dumps(alert.detail, ensure_ascii=False, indent=2)
        level = LEVEL_ZH.get(alert.level, alert.level)
        source = SOURCE_ZH.get(alert.source, alert.source)
        message.set_content(
            f"企业：{enterprise.name}（{enterprise.credit_code}）\n告警：{alert.title_zh}\n级别：{level}\n"
            f"来源：{source}\n编号：{alert.id}\n\n详细数据（供系统对接）：\n{detail}\n"
        )
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout_s) as smtp:
            smtp.send_message(message)

    return send


@dataclass
class _Claim:
    delivery: AlertDelivery
    sub: AlertSubscription
    alert: Alert
    enterprise: Enterprise
    attempt: int  # the attempt number this claim owns (``attempts`` after the claim)
    error: str | None = None
    released: bool = False  # not sent (the deliverer is stopping): given back as it was before the claim


def _send_timeout_s(client: httpx.Client, smtp: SmtpConfig) -> float:
    timeout = client.timeout
    http = sum(t for t in (timeout.connect, timeout.write, timeout.read, timeout.pool) if t) or DEFAULT_HTTP_TIMEOUT_S
    return max(http, smtp.timeout_s)


def claim_due(
    engine: Engine, now: datetime, limit: int, lease_per_send_s: float, *, lease_from: datetime | None = None
) -> list[_Claim]:
    """Take up to ``limit`` deliveries due at ``now`` for this deliverer (step 1 above), leased from
    ``lease_from`` (default ``now``); loaded rows stay usable after. Nothing due (the usual case of the loop): one
    read that takes no write lock."""
    due = (
        select(AlertDelivery.id, AlertDelivery.attempts)
        .where(AlertDelivery.state == "pending", AlertDelivery.next_attempt_at <= now)
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(limit)
    )
    with session_scope(engine, write=False) as session:
        if session.execute(due.with_only_columns(AlertDelivery.id).limit(1)).first() is None:
            return []
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        candidates = session.execute(due).all()
        if not candidates:
            return []
        lease_s = LEASE_MARGIN_S + lease_per_send_s * len(candidates)
        lease_until = max(lease_from or now, now) + timedelta(seconds=lease_s)
        owned: dict[int, int] = {}
        for delivery_id, attempts in candidates:
            taken = session.execute(
                update(AlertDelivery)
                .where(
                    AlertDelivery.id == delivery_id,
                    AlertDelivery.state == "pending",
                    AlertDelivery.attempts == attempts,
                    AlertDelivery.next_attempt_at <= now,
                )
                .values(attempts=attempts + 1, next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
            if getattr(taken, "rowcount", 0) == 1:
                owned[delivery_id] = attempts + 1
        if not owned:
            return []
        rows = session.execute(
            select(AlertDelivery, AlertSubscription, Alert, Enterprise)
            .join(AlertSubscription, AlertSubscription.id == AlertDelivery.subscription_id)
            .join(Alert, Alert.id == AlertDelivery.alert_id)
            .join(Enterprise, Enterprise.id == Alert.enterprise_id)
            .where(AlertDelivery.id.in_(owned))
            .order_by(AlertDelivery.id)
            .execution_options(populate_existing=True)
        ).all()
        return [_Claim(d, s, a, e, owned[d.id]) for d, s, a, e in rows]


def _record(engine: Engine, claims: list[_Claim], rules: AlertRules, now: datetime, run: DeliveryRun) -> None:
    """Write the outcomes of a round (step 3 above); the sends are done, so a busy database is waited for (a few
    tries) rather than the outcomes dropped, which would send them again after the lease."""
    for attempt in range(1, RECORD_TRIES + 1):
        counted = DeliveryRun(sent=0, retried=0, failed=0)
        try:
            _record_once(engine, claims, rules, now, counted)
        except DBAPIError as exc:
            if attempt == RECORD_TRIES or not is_transient_lock_error(exc):
                raise
            time.sleep(0.5 * attempt)
            continue
        run.sent, run.retried, run.failed = (
            run.sent + counted.sent,
            run.retried + counted.retried,
            run.failed + counted.failed,
        )
        return


def _record_once(engine: Engine, claims: list[_Claim], rules: AlertRules, now: datetime, run: DeliveryRun) -> None:
    """Each outcome only where the row still carries its claim, with its audit row in the same transaction."""
    with session_scope(engine) as session:
        for claim in claims:
            action = None
            if claim.released:
                values: dict[str, Any] = {"attempts": claim.attempt - 1, "next_attempt_at": now}
            elif claim.error is None:
                values, action = {"state": "sent", "sent_at": utcnow(), "last_error": None}, "sent"
            elif claim.attempt >= rules.delivery_max_attempts:
                values, action = {"state": "failed", "last_error": claim.error}, "failed"
            else:
                retry_at = now + timedelta(seconds=rules.backoff_s(claim.attempt))
                values, action = {"next_attempt_at": retry_at, "last_error": claim.error}, "retry"
            written = session.execute(
                update(AlertDelivery)
                .where(
                    AlertDelivery.id == claim.delivery.id,
                    AlertDelivery.state == "pending",
                    AlertDelivery.attempts == claim.attempt,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if getattr(written, "rowcount", 0) != 1:
                log.warning(
                    "alerts: delivery %d attempt %d was taken over after its lease", claim.delivery.id, claim.attempt
                )
                continue
            if action is None:
                continue
            _audit_outcome(session, claim, action, values)
            if action == "sent":
                run.sent += 1
            elif action == "failed":
                run.failed += 1
            else:
                run.retried += 1


def _audit_outcome(session: Session, claim: _Claim, action: str, values: dict[str, Any]) -> None:
    after: dict[str, Any] = {
        "alert_id": claim.alert.id,
        "subscription_id": claim.sub.id,
        "channel": claim.sub.channel,
        "attempt": claim.attempt,
        "outcome": action,
    }
    if claim.error is not None:
        after["error"] = claim.error
    if action == "retry":
        after["next_attempt_at"] = values["next_attempt_at"]
    append_audit(session, SYSTEM.username, f"alert.delivery.{action}", "alert_delivery", claim.delivery.id, after=after)


def deliver_due(
    engine: Engine,
    rules: AlertRules,
    *,
    http: httpx.Client | None = None,
    smtp: SmtpConfig | None = None,
    now: datetime | None = None,
    limit: int = 1000,
    batch: int = DEFAULT_BATCH,
    stopping: threading.Event | None = None,
) -> DeliveryRun:
    """Send up to ``limit`` deliveries due at ``now`` (default the clock) in rounds of ``batch``: claim, send with
    no transaction open, record (see above). Safe to run in several processes at once. Once ``stopping`` is set,
    nothing more is sent and the claims not yet sent are released (see above)."""

    def clock() -> datetime:  # a given ``now`` (tests) stands still
        return now if now is not None else utcnow()

    due_by = clock()  # what is due when the run starts; a retry that falls due meanwhile waits for the next run
    smtp = smtp or SmtpConfig()
    own_client = http is None
    client = http or httpx.Client(timeout=DEFAULT_HTTP_TIMEOUT_S)
    senders: dict[str, Sender] = {"webhook": send_webhook(client), "email": send_email(smtp)}
    per_send = _send_timeout_s(client, smtp)
    run = DeliveryRun(sent=0, retried=0, failed=0)
    try:
        left = limit
        while left > 0 and not (stopping is not None and stopping.is_set()):
            claims = claim_due(engine, due_by, min(batch, left), per_send, lease_from=clock())
            if not claims:
                break
            left -= len(claims)
            for claim in claims:
                if stopping is not None and stopping.is_set():
                    claim.released = True
                    continue
                claim.delivery.attempts = claim.attempt
                try:
                    senders[claim.sub.channel](claim.sub, claim.alert, claim.enterprise, claim.delivery)
                except (httpx.HTTPError, OSError, smtplib.SMTPException, RuntimeError) as exc:
                    claim.error = f"{type(exc).__name__}: {exc}"[:400]
            _record(engine, claims, rules, clock(), run)
    finally:
        if own_client:
            client.close()
    return run


def _alerts_config(data_dir: Path) -> dict[str, Any]:
    path = data_dir / ALERTS_CONFIG_FILE
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: {str(exc).splitlines()[0]}", field="alerts.yaml") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: expected a mapping of sections (smtp, delivery)", field="alerts.yaml")
    return raw


def _section(data_dir: Path, name: str, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(_alerts_config(data_dir).get(name) or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = f"{data_dir / ALERTS_CONFIG_FILE}: {'.'.join(str(p) for p in (name, *first['loc']))}"
        raise InvalidInput(f"{where}: {first['msg']}", field="alerts.yaml") from None


def load_smtp_config(data_dir: Path) -> SmtpConfig:
    """The ``smtp`` section of ``<data dir>/alerts.yaml`` (host, port, sender, timeout_s); defaults without it."""
    config: SmtpConfig = _section(data_dir, "smtp", SmtpConfig)
    return config


def load_delivery_config(data_dir: Path) -> DeliveryConfig:
    """The ``delivery`` section of ``<data dir>/alerts.yaml`` (enabled, interval_s); defaults without it."""
    config: DeliveryConfig = _section(data_dir, "delivery", DeliveryConfig)
    if not config.interval_s > 0:
        where = data_dir / ALERTS_CONFIG_FILE
        raise InvalidInput(f"{where}: delivery: interval_s must be a positive number of seconds", field="alerts.yaml")
    return config
