"""Runtime settings read from the environment (``DUALCARBON_*``). Operational knobs, not domain values."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw and raw.strip().isdigit() else default


@dataclass(frozen=True)
class SecuritySettings:
    max_failed_logins: int = 5  # consecutive failures before the account is locked
    lockout_minutes: int = 15
    session_hours: int = 12
    token_days: int = 365
    secure_cookies: bool = False  # set DUALCARBON_SECURE_COOKIES=1 behind HTTPS


def security_settings() -> SecuritySettings:
    return SecuritySettings(
        max_failed_logins=_int("DUALCARBON_MAX_FAILED_LOGINS", 5),
        lockout_minutes=_int("DUALCARBON_LOCKOUT_MINUTES", 15),
        session_hours=_int("DUALCARBON_SESSION_HOURS", 12),
        token_days=_int("DUALCARBON_TOKEN_DAYS", 365),
        secure_cookies=os.environ.get("DUALCARBON_SECURE_COOKIES", "") in {"1", "true", "yes"},
    )


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


@dataclass(frozen=True)
class ReportSettings:
    """Knobs of the period-report review (``dualcarbon.reports.service*``)."""

    # A reported figure differing from the computed one by more than this (in % of the computed value)
    # is flagged as a deviation on the review screen.
    deviation_tolerance_pct: float = 2.0


def report_settings() -> ReportSettings:
    return ReportSettings(
        deviation_tolerance_pct=_float("DUALCARBON_REPORT_DEVIATION_TOLERANCE_PCT", 2.0),
    )


@dataclass(frozen=True)
class ServerSettings:
    """Connection pool and admission limit of the served app (see docs/decisions/0007-admission-limit.md)."""

    db_pool_size: int = 30  # connections the app's engine keeps
    db_max_overflow: int = 10  # extra connections for the rare request that needs two (login)
    max_in_flight: int = 30  # API requests inside the app at once; the rest wait in the event loop


def server_settings() -> ServerSettings:
    pool = _int("DUALCARBON_DB_POOL_SIZE", 30)
    return ServerSettings(
        db_pool_size=pool,
        db_max_overflow=_int("DUALCARBON_DB_MAX_OVERFLOW", 10),
        max_in_flight=min(_int("DUALCARBON_MAX_IN_FLIGHT", pool), pool),
    )
