"""Figures of the regional dashboard kept until the audited data behind them changes.

Every change of state on this platform is written in the same transaction as a row of the audit chain
(``store.audit.append_audit``), and writers append to the chain one at a time (PostgreSQL: an advisory
lock held to the commit; SQLite: the write lock): the chain's head — its newest row's id and hash — moves
with every committed change and never comes back. So figures computed in a transaction that read the head
*first* are still exact while the head has not moved (on PostgreSQL's read-committed reads, the figures can
only be newer than the head they are filed under, which costs a recomputation, never a stale view).

:func:`kept_until_change` files a computed value under (key, head) and gives it back while a later view
reads the same head: one indexed lookup instead of the dashboard's aggregates (the region totals alone
cost what the plain SQL aggregate over every approved report costs). The key names everything else the
value depends on: the caller (scope and roles: one caller's figures are never shown to another), the
region and the day. A write outside the services — which the platform does not make — would not move the
head; ``DUALCARBON_DASHBOARD_KEEP_SECONDS`` (default 300, 0: never keep) bounds how long a value is
reused all the same.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy.orm import Session

from dualcarbon.store.audit import audit_head

T = TypeVar("T")

#: Values kept per process (least recently used first out): a caller, region and day each.
KEEP_ENTRIES = 128
KEEP_SECONDS_ENV = "DUALCARBON_DASHBOARD_KEEP_SECONDS"
DEFAULT_KEEP_SECONDS = 300.0

_kept: OrderedDict[Hashable, tuple[object, float, object]] = OrderedDict()  # key → (head, filed at, value)
_lock = threading.Lock()


_setting: tuple[str | None, float] | None = None  # (the variable's text, its value): settings parsed once per text


def keep_seconds() -> float:
    """How long a value may be reused while the head stays (setting ``DUALCARBON_DASHBOARD_KEEP_SECONDS``; a
    bad value is ``InvalidSetting`` naming it, as for every setting)."""
    global _setting
    raw = os.environ.get(KEEP_SECONDS_ENV)
    if _setting is None or _setting[0] != raw:  # the settings object is parsed only when the variable changed
        from dualcarbon.core.settings import get_settings

        _setting = (raw, get_settings().dashboard_keep_seconds)
    return _setting[1]


def kept_until_change(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` run in ``session``'s transaction, or the value it gave under ``key`` when the audit
    chain's head is where it was then (and the value is younger than :func:`keep_seconds`).

    The head is read before ``compute`` runs, in the same transaction. The value must not be changed by
    its readers (it is shared by every view of the same key in this process).
    """
    seconds = keep_seconds()
    if seconds <= 0:
        return compute()
    key = (str(session.get_bind().engine.url), key)  # one process may serve (or test) several stores
    head = audit_head(session)
    now = time.monotonic()
    with _lock:
        found = _kept.get(key)
        if found is not None and found[0] == head and now - found[1] < seconds:
            _kept.move_to_end(key)
            return found[2]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _kept[key] = (head, now, value)
        _kept.move_to_end(key)
        while len(_kept) > KEEP_ENTRIES:
            _kept.popitem(last=False)
    return value


def forget_kept() -> None:
    """Drop every kept value (tests; a store restored under a running process)."""
    with _lock:
        _kept.clear()
