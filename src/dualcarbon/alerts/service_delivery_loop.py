"""The served app's delivery loop: a daemon thread that sends the due webhook and e-mail deliveries every
``interval_s`` seconds (``delivery.interval_s`` in ``<data dir>/alerts.yaml``), so a subscriber is told of a new
alert without anyone running ``dualcarbon alerts deliver``. Each round is :func:`service_delivery.deliver_due`
(claim, send outside any transaction, record), so the loop, the command and other served processes may run at the
same time without sending an attempt twice. An error is logged and the loop carries on at the next tick;
:meth:`DeliveryLoop.request_stop` ends it — the round in progress sends nothing more and gives back what it claimed
but did not send — and :meth:`DeliveryLoop.join` waits for that (the server does both before the interpreter exits).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import httpx
from sqlalchemy import Engine

from dualcarbon.alerts.schemas import DeliveryRun
from dualcarbon.alerts.service_delivery import (
    DEFAULT_HTTP_TIMEOUT_S,
    SmtpConfig,
    deliver_due,
    load_delivery_config,
    load_smtp_config,
)
from dualcarbon.alerts.service_rules import AlertRules
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.store.db import is_transient_lock_error

log = logging.getLogger(__name__)


class DeliveryLoop:
    """Sends the due deliveries every ``interval_s`` seconds in a daemon thread until :meth:`stop`."""

    def __init__(self, engine: Engine, rules: AlertRules, smtp: SmtpConfig, *, interval_s: float) -> None:
        if not interval_s > 0:
            raise ValueError("the delivery interval is a positive number of seconds")
        self.engine, self.rules, self.smtp, self.interval_s = engine, rules, smtp, interval_s
        self.runs = 0
        self.failures = 0
        self.total = DeliveryRun(sent=0, retried=0, failed=0)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._client = httpx.Client(timeout=DEFAULT_HTTP_TIMEOUT_S)
        self._thread = threading.Thread(target=self._run, name="dualcarbon-deliveries", daemon=True)

    @classmethod
    def for_data_dir(
        cls, engine: Engine, reference: ReferenceSet, data_dir: Path, *, interval_s: float | None = None
    ) -> DeliveryLoop | None:
        """The loop configured by ``<data dir>/alerts.yaml`` (SMTP, interval), or None when it turns delivery
        off (``delivery: {enabled: false}``); ``interval_s`` overrides the file's interval."""
        config = load_delivery_config(data_dir)
        if not config.enabled:
            return None
        rules = AlertRules.of(reference)
        return cls(engine, rules, load_smtp_config(data_dir), interval_s=interval_s or config.interval_s)

    def tick(self) -> DeliveryRun:
        """One round: everything due now."""
        run = deliver_due(self.engine, self.rules, http=self._client, smtp=self.smtp, stopping=self._stop)
        self.runs += 1
        self.total.sent += run.sent
        self.total.retried += run.retried
        self.total.failed += run.failed
        if run.sent or run.retried or run.failed:
            log.info("alerts: deliveries sent %d, to retry %d, failed %d", run.sent, run.retried, run.failed)
        return run

    def wake(self) -> None:
        """Run the next round now rather than at the end of the interval (e.g. after alerts opened)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # a failed round must not end the loop: log it, try again at the next tick
                self.failures += 1
                if is_transient_lock_error(exc):  # the database was busy (e.g. the live subscriber writing)
                    log.info("alerts: database busy, deliveries wait for the next round in %g s", self.interval_s)
                else:
                    log.warning(
                        "alerts: the delivery round failed; trying again in %g s", self.interval_s, exc_info=True
                    )
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def start(self) -> DeliveryLoop:
        self._thread.start()
        log.info("alerts: delivering webhooks and e-mail every %g s in the background", self.interval_s)
        return self

    def request_stop(self) -> None:
        """Ask the loop to end after the send in progress (see the module docstring and :meth:`join`)."""
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the loop to end, then close its HTTP client; True when it has ended."""
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        if self._thread.is_alive():
            return False
        self._client.close()
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """:meth:`request_stop` then :meth:`join`; True when the loop has ended."""
        self.request_stop()
        return self.join(timeout)
