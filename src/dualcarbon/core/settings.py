"""Runtime settings, all read from ``DUALCARBON_*`` environment variables in one place.

These are operational knobs (where the data lives, pool sizes, session lifetimes, logging), never domain
values: policy numbers such as the report deviation tolerance are reference data
(:mod:`dualcarbon.reference`, table ``platform_rules``).

=====================================  ===================  ===========================================
variable                               default              meaning
=====================================  ===================  ===========================================
``DUALCARBON_DATA_DIR``                ``dualcarbon-data``  data directory (SQLite file, imports, backups)
``DUALCARBON_DATABASE_URL``            (none)               database URL; wins over the data directory
``DUALCARBON_MAX_FAILED_LOGINS``       5                    consecutive failures before a lock-out
``DUALCARBON_LOCKOUT_MINUTES``         15                   length of a lock-out
``DUALCARBON_SESSION_HOURS``           12                   lifetime of a browser session
``DUALCARBON_TOKEN_DAYS``              365                  default lifetime of an API token
``DUALCARBON_SECURE_COOKIES``          false                mark cookies ``Secure`` (behind HTTPS)
``DUALCARBON_PRINCIPAL_CACHE_SECONDS`` 5                    how long a process may reuse a resolved token
                                                            (0: never; bounds staleness across processes)
``DUALCARBON_RESPONSE_CACHE_MB``       64                   memory for cached API read answers per process
                                                            (0: off; never stale, docs/decisions/0012)
``DUALCARBON_DASHBOARD_KEEP_SECONDS``  300                  longest reuse of the regulator dashboard's figures
                                                            while the audit head stays (0: never reuse)
``DUALCARBON_AUDIT_KEY_FILE``          see meaning          secret key of the audit chain; default
                                                            ``audit.key`` beside the SQLite file, else in
                                                            the data directory (docs/audit.md)
``DUALCARBON_AUDIT_CHECKPOINT_FILE``   see meaning          signed checkpoints of the audit head; default
                                                            ``audit-checkpoints.jsonl`` beside the key's
                                                            default place
``DUALCARBON_AUDIT_SINK_URL``          (none)               also POST each checkpoint to this URL
``DUALCARBON_DB_POOL_SIZE``            30                   connections the served app keeps
``DUALCARBON_DB_MAX_OVERFLOW``         10                   extra connections beyond the pool
``DUALCARBON_MAX_IN_FLIGHT``           the pool size        API requests inside the app at once (capped
                                                            at the pool size, docs/decisions/0007)
``DUALCARBON_DEBUG``                   false                show tracebacks of internal CLI errors
``DUALCARBON_LOG_LEVEL``               ``INFO``             DEBUG, INFO, WARNING, ERROR or CRITICAL
``DUALCARBON_LOG_FORMAT``              ``auto``             ``json``, ``text``, or ``auto`` (text on a
                                                            terminal, JSON lines otherwise)
``DUALCARBON_TIMEZONE``                ``Asia/Shanghai``    zone of the times pages and workbooks show
                                                            (an IANA name; labelled, e.g. 北京时间)
=====================================  ===================  ===========================================

An empty variable counts as unset. A value that does not parse is an error naming the variable
(``DUALCARBON_SESSION_HOURS: must be a positive integer, got 'abc'``); nothing falls back silently.
Settings are read afresh by every :func:`get_settings` call (cheap), so a changed environment, e.g. a test's
``monkeypatch.setenv``, is seen at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dualcarbon.core.errors import InvalidInput

ENV_PREFIX = "DUALCARBON_"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["json", "text", "auto"]

# Variables that were settings once and are now something else: set, they are an error, not ignored.
RETIRED: dict[str, str] = {
    "DUALCARBON_REPORT_DEVIATION_TOLERANCE_PCT": (
        "no longer a setting: the report deviation tolerance is reference data now (table platform_rules, "
        "key report_deviation_tolerance_pct); unset the variable and import a new version of that table with "
        "`dualcarbon reference import` to change it"
    ),
}


class InvalidSetting(InvalidInput):
    """An environment variable holds a value that is not allowed; ``field`` is the variable's name."""


class Settings(BaseSettings):
    """Every runtime setting; field ``x`` is read from ``DUALCARBON_X``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True)

    data_dir: Path = Path("dualcarbon-data")
    database_url: str | None = None

    max_failed_logins: PositiveInt = 5
    lockout_minutes: PositiveInt = 15
    session_hours: PositiveInt = 12
    token_days: PositiveInt = 365
    secure_cookies: bool = False
    principal_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    response_cache_mb: float = Field(default=64.0, ge=0, le=65536)
    dashboard_keep_seconds: float = Field(default=300.0, ge=0, le=86400)

    audit_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_sink_url: str | None = None

    db_pool_size: PositiveInt = 30
    db_max_overflow: NonNegativeInt = 10
    max_in_flight: PositiveInt | None = Field(default=None, description="None: as many as the pool holds")

    debug: bool = False
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "auto"
    timezone: str = "Asia/Shanghai"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from dualcarbon.core.localtime import zone_for

        zone_for(value.strip())  # ValueError for an unknown zone
        return value.strip()

    @property
    def in_flight_limit(self) -> int:
        """API requests let into the app at once: ``max_in_flight``, never more than the pool size."""
        return min(self.max_in_flight or self.db_pool_size, self.db_pool_size)


_POSITIVE = "a positive integer"
_BOOLEAN = "true or false (also 1/0, yes/no, on/off)"
# What each field accepts, for the error message.
_EXPECTED: dict[str, str] = {
    "data_dir": "a directory path",
    "database_url": "a database URL",
    "max_failed_logins": _POSITIVE,
    "lockout_minutes": _POSITIVE,
    "session_hours": _POSITIVE,
    "token_days": _POSITIVE,
    "secure_cookies": _BOOLEAN,
    "principal_cache_seconds": "a number of seconds from 0 to 300",
    "response_cache_mb": "a number of megabytes from 0 to 65536",
    "dashboard_keep_seconds": "a number of seconds from 0 to 86400",
    "audit_key_file": "a file path",
    "audit_checkpoint_file": "a file path",
    "audit_sink_url": "an http(s) URL",
    "db_pool_size": _POSITIVE,
    "db_max_overflow": "an integer ≥ 0",
    "max_in_flight": _POSITIVE,
    "debug": _BOOLEAN,
    "log_level": "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    "log_format": "one of json, text, auto",
    "timezone": "an IANA time zone name such as Asia/Shanghai",
}


def env_name(field: str) -> str:
    """The environment variable of a settings field: ``session_hours`` → ``DUALCARBON_SESSION_HOURS``."""
    return ENV_PREFIX + field.upper()


def invalid_setting(exc: ValidationError) -> InvalidSetting:
    """The first problem of a settings ``ValidationError`` as one error naming the variable."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    raw = os.environ.get(env_name(field), first.get("input"))  # as written, before any normalising
    got = repr(raw) if isinstance(raw, str) else repr(str(raw))
    expected = _EXPECTED.get(field, "a valid value")
    return InvalidSetting(f"must be {expected}, got {got}", field=env_name(field))


def get_settings() -> Settings:
    """The settings as the environment says now; ``InvalidSetting`` naming the first bad variable."""
    for name, reason in RETIRED.items():
        if os.environ.get(name, "").strip():
            raise InvalidSetting(reason, field=name)
    try:
        return Settings()
    except ValidationError as exc:
        raise invalid_setting(exc) from None


# ---- views used by the subjects (unchanged shape) ------------------------------------------------------


@dataclass(frozen=True)
class SecuritySettings:
    max_failed_logins: int = 5  # consecutive failures before the account is locked
    lockout_minutes: int = 15
    session_hours: int = 12
    token_days: int = 365
    secure_cookies: bool = False  # set DUALCARBON_SECURE_COOKIES=1 behind HTTPS
    principal_cache_seconds: float = 5.0  # reuse of a resolved token per process (accounts/service_auth.py)


def security_settings(settings: Settings | None = None) -> SecuritySettings:
    """Login lock-out, session and token lifetimes, cookie flags."""
    current = settings or get_settings()
    return SecuritySettings(
        max_failed_logins=current.max_failed_logins,
        lockout_minutes=current.lockout_minutes,
        session_hours=current.session_hours,
        token_days=current.token_days,
        secure_cookies=current.secure_cookies,
        principal_cache_seconds=current.principal_cache_seconds,
    )


@dataclass(frozen=True)
class ServerSettings:
    """Connection pool and admission limit of the served app (see docs/decisions/0007-admission-limit.md)."""

    db_pool_size: int = 30  # connections the app's engine keeps
    db_max_overflow: int = 10  # extra connections for the rare request that needs two (login)
    max_in_flight: int = 30  # API requests inside the app at once; the rest wait in the event loop


def server_settings(settings: Settings | None = None) -> ServerSettings:
    """Pool size, overflow and the admission limit (never above the pool size)."""
    current = settings or get_settings()
    return ServerSettings(
        db_pool_size=current.db_pool_size,
        db_max_overflow=current.db_max_overflow,
        max_in_flight=current.in_flight_limit,
    )
