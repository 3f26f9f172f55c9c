"""MQTT ingestion: a subscriber on ``dualcarbon/{credit_code}/{meter_code}`` (QoS 1) and the Mosquitto
password/ACL files that keep each enterprise under its own prefix.

Payload: a JSON object ``{"ts": ISO-8601, "value": number}`` or a list of them; the topic names the enterprise
and the meter. Messages are buffered and flushed through :func:`service_ingest.ingest_table` (source
``mqtt``) every ``batch_size`` readings or ``flush_seconds``; they are acknowledged to the broker only after
the flush committed (manual acknowledgement), so a crash before the commit makes the broker redeliver them and
the store's (meter, ts) rule turns the redelivery into duplicates. A malformed message (bad topic, bad JSON)
is logged, counted and acknowledged — it never stops the subscriber.

Mosquitto files (``write_mosquitto_files``): one user per enterprise, named by its credit code, that may
publish only under ``dualcarbon/<credit code>/#``, and one subscriber user that may read ``dualcarbon/#``.
Passwords are stored as Mosquitto's PBKDF2-SHA512 hashes (``$7$``), the secrets are returned once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pyarrow as pa
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.monitoring.schemas import IngestReceipt
from dualcarbon.monitoring.service_ingest import ingest_table, reading_value_text
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import enterprise_filter

log = logging.getLogger(__name__)

TOPIC_ROOT = "dualcarbon"
SUBSCRIBER_USER = "dualcarbon-ingest"
_PBKDF2_ITERATIONS = 101  # what mosquitto_passwd writes for $7$


@dataclass
class SubscriberStats:
    """Counts since the subscriber started: the summed receipt and the malformed messages."""

    receipt: IngestReceipt = field(default_factory=IngestReceipt)
    malformed: int = 0
    flushes: int = 0
    failed_flushes: int = 0  # commits that failed and were retried with the next flush


def readings_of_message(topic: str, payload: bytes | bytearray) -> list[dict[str, str | None]]:
    """The rows (credit_code, meter_code, ts, value as text) of one message; ValueError when malformed."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != TOPIC_ROOT or not parts[1] or not parts[2]:
        raise ValueError(f"topic {topic!r} is not {TOPIC_ROOT}/<credit code>/<meter code>")
    try:
        data: Any = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad JSON, bad UTF-8 and an integer of more than 4,300 digits; RecursionError a
        # payload nested thousands of levels deep. Either is a malformed message, never a crashed subscriber.
        raise ValueError(f"payload is not JSON ({exc})") from None
    items = data if isinstance(data, list) else [data]
    rows = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError('payload must be {"ts": …, "value": …} or a list of them')
        rows.append(
            {
                "credit_code": parts[1],
                "meter_code": parts[2],
                "ts": _text(item.get("ts")),
                "value": reading_value_text(item.get("value")),
            }
        )
    return rows


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def workspace_client_id(prefix: str, workspace: str) -> str:
    """An MQTT client id unique to one workspace (``workspace``: its database URL or data directory): the
    subscriber keeps a persistent session (``clean_session=False``), so two workspaces on one broker must never
    share an id, or the second receives the first one's queued backlog."""
    return f"{prefix}-{hashlib.sha256(workspace.encode()).hexdigest()[:12]}"


class MqttIngester:
    """Subscribes, buffers and flushes readings into the store; see the module docstring."""

    def __init__(
        self,
        principal: Principal,
        transaction: Callable[[], AbstractContextManager[Session]],
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        username: str | None = None,
        password: str | None = None,
        batch_size: int = 10_000,
        flush_seconds: float = 1.0,
        max_pending: int = 20,
        client_id: str = "dualcarbon-ingest",
    ) -> None:
        self.principal = principal
        self.transaction = transaction
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        # Messages are acknowledged only after their commit, so the broker stops sending once its in-flight window
        # (Mosquitto's max_inflight_messages, 20 by default) is full and queues the rest — and drops what exceeds
        # max_queued_messages (1000 by default). Flushing as soon as the window is full keeps the queue moving.
        self.max_pending = max(1, max_pending)
        self.stats = SubscriberStats()
        self._rows: list[dict[str, str | None]] = []
        self._pending: list[tuple[int, int]] = []  # (mid, qos) to acknowledge after the flush
        self._lock = threading.Lock()
        # One flush at a time: the network thread (window full) and the timer loop may both want to flush, and
        # two concurrent transactions updating the same rollups would contend or fail.
        self._flush_lock = threading.Lock()
        self._last_flush = time.monotonic()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True
        )
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.subscribed = threading.Event()  # set once the broker has acknowledged the subscription
        self.host, self.port = host, port

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(f"{TOPIC_ROOT}/+/+", qos=1)

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _props: Any) -> None:
        if all(not getattr(reason, "is_failure", False) for reason in reasons):
            self.subscribed.set()
        else:
            log.error("MQTT subscription refused: %s", reasons)

    def _on_message(self, client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            rows = readings_of_message(message.topic, message.payload)
        except ValueError as exc:
            log.warning("malformed MQTT message on %s: %s", message.topic, exc)
            with self._lock:
                self.stats.malformed += 1
            client.ack(message.mid, message.qos)
            return
        with self._lock:
            self._rows.extend(rows)
            self._pending.append((message.mid, message.qos))
            full = len(self._rows) >= self.batch_size or len(self._pending) >= self.max_pending
        if full:
            self.flush()

    def flush(self) -> IngestReceipt | None:
        """Write the buffered readings in one transaction, then acknowledge their messages. A failed commit keeps
        the readings buffered (unacknowledged) for the next flush; it never stops the subscriber."""
        with self._flush_lock:
            with self._lock:
                rows, pending = self._rows, self._pending
                self._rows, self._pending = [], []
                self._last_flush = time.monotonic()
            if not rows:
                return None
            try:
                receipt = self._commit(rows)
            except Exception:
                log.exception("MQTT flush of %d readings failed; kept for the next flush", len(rows))
                with self._lock:  # back to the front, in arrival order
                    self._rows = rows + self._rows
                    self._pending = pending + self._pending
                    self.stats.failed_flushes += 1
                return None
            for mid, qos in pending:  # only now: a crash before the commit leaves them unacknowledged
                try:
                    self.client.ack(mid, qos)
                except Exception as exc:  # connection lost: the broker redelivers, the store counts duplicates
                    log.warning("MQTT acknowledgement of message %s failed (%s); it will be redelivered", mid, exc)
            return receipt

    def _commit(self, rows: list[dict[str, str | None]]) -> IngestReceipt:
        table = pa.table({name: pa.array([r[name] for r in rows], pa.string()) for name in rows[0]})
        with self.transaction() as session:
            receipt = ingest_table(session, self.principal, table, source="mqtt")
        with self._lock:  # counted as soon as committed, whatever happens to the acknowledgements
            total = self.stats.receipt
            total.accepted += receipt.accepted
            total.duplicate += receipt.duplicate
            total.conflict += receipt.conflict
            total.rejected += receipt.rejected
            total.problems = (total.problems + receipt.problems)[-100:]
            self.stats.flushes += 1
        return receipt

    def run(self, stop: threading.Event, on_subscribed: Callable[[], None] | None = None) -> SubscriberStats:
        """Connect and ingest until ``stop`` is set; reconnects on its own (paho's loop). ``on_subscribed`` is
        called once, when the broker first acknowledges the subscription."""
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            while not stop.wait(0.1):
                if on_subscribed is not None and self.subscribed.is_set():
                    on_subscribed()
                    on_subscribed = None
                if time.monotonic() - self._last_flush >= self.flush_seconds:
                    self.flush()
            self.flush()
        finally:
            self.client.loop_stop()
            self.client.disconnect()
        return self.stats


# ---- Mosquitto password and ACL files -----------------------------------------------------------------
def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    """A Mosquitto password-file hash ($7$: PBKDF2-SHA512, 101 iterations, 12-byte salt)."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _PBKDF2_ITERATIONS)
    return f"$7${_PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


#: In-flight window written into broker.conf; `ingest mqtt --max-pending` should match it.
SUBSCRIBER_WINDOW = 1000


def write_mosquitto_files(session: Session, principal: Principal, directory: Path) -> dict[str, str]:
    """Write ``passwords`` and ``acl`` for every enterprise the caller may write to (plus the subscriber user)
    into ``directory``; returns {username: password} — shown once, stored only as hashes."""
    codes = session.scalars(
        select(Enterprise.credit_code).where(enterprise_filter(principal, write=True)).order_by(Enterprise.credit_code)
    ).all()
    secrets_by_user = {SUBSCRIBER_USER: secrets.token_urlsafe(18)} | {c: secrets.token_urlsafe(18) for c in codes}
    directory.mkdir(parents=True, exist_ok=True)
    passwords = "".join(f"{user}:{mosquitto_hash(pw)}\n" for user, pw in secrets_by_user.items())
    acl = [f"user {SUBSCRIBER_USER}", f"topic read {TOPIC_ROOT}/#", ""]
    for code in codes:
        acl += [f"user {code}", f"topic write {TOPIC_ROOT}/{code}/#", ""]
    # The broker settings the subscriber needs (it acknowledges after each commit): include this file from
    # mosquitto.conf and run `dualcarbon ingest mqtt --max-pending` with the same window (docs/monitoring.md).
    broker = (
        "# written by `dualcarbon mqtt acl`: include from mosquitto.conf (`include_dir` or copy the lines)\n"
        f"allow_anonymous false\npassword_file {directory.resolve() / 'passwords'}\n"
        f"acl_file {directory.resolve() / 'acl'}\n"
        f"# QoS 1 messages in flight to one client; the subscriber's --max-pending should equal it\n"
        f"max_inflight_messages {SUBSCRIBER_WINDOW}\n"
        "# no queue limit: a subscriber busy committing must never make the broker drop readings\n"
        "max_queued_messages 0\n"
    )
    for name, text in (("passwords", passwords), ("acl", "\n".join(acl)), ("broker.conf", broker)):
        path = directory / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)
    return secrets_by_user
