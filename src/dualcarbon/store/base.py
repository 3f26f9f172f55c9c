"""Declarative base, column types and vocabularies shared by every store model.

Owns: the SQLAlchemy ``Base`` (with a constraint naming convention so Alembic migrations name things
deterministically on SQLite and PostgreSQL), the timezone-aware ``UTCDateTime`` column type, ``utcnow``
(and the demo's ``simulated_clock``), and the helper that turns a vocabulary of :mod:`dualcarbon.core.vocab`
into a CHECK constraint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Double, MetaData, String
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: SQL condition tying ``period`` to ``period_kind`` (0 for a year, 1-4 for a quarter, 1-12 for a month).
PERIOD_RANGE_SQL = (
    "(period_kind = 'year' AND period = 0)"
    " OR (period_kind = 'quarter' AND period BETWEEN 1 AND 4)"
    " OR (period_kind = 'month' AND period BETWEEN 1 AND 12)"
)


def one_of_sql(column: str, values: tuple[str, ...]) -> str:
    """SQL text ``column IN ('a', 'b')`` for a CHECK constraint over a closed vocabulary."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


#: A moment ``utcnow`` returns instead of the clock (the demo dates its year of work in the periods it
#: simulates); None: the real clock. Set only through :func:`simulated_clock`.
_SIMULATED_NOW: ContextVar[datetime | None] = ContextVar("dualcarbon_simulated_now", default=None)


def utcnow() -> datetime:
    """The current instant as a timezone-aware UTC datetime (the simulated one inside :func:`simulated_clock`)."""
    return _SIMULATED_NOW.get() or datetime.now(UTC)


@contextmanager
def simulated_clock(moment: datetime) -> Iterator[datetime]:
    """Inside, :func:`utcnow` — every timestamp the services and row defaults write, audit rows included — is
    ``moment``; never later than the real time (a moment in the future is replaced by now). For the demo
    only, which builds a city's past years of work in seconds; yields the moment used."""
    real = datetime.now(UTC)
    used = min(moment if moment.tzinfo else moment.replace(tzinfo=UTC), real)
    token = _SIMULATED_NOW.set(used)
    try:
        yield used
    finally:
        _SIMULATED_NOW.reset(token)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores ``timestamptz``; SQLite has no time zone, so values are stored as naive UTC and
    UTC is attached again on load. Naive datetimes are refused on the way in: their zone is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table in the dualcarbon database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        float: Double(),
        str: String(200),
        dict[str, Any]: JSON(),
    }
