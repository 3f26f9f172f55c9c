"""Times as a person reads them: moved from UTC (how the store keeps them) to the configured display zone.

The zone is the setting ``timezone`` (``DUALCARBON_TIMEZONE``, default ``Asia/Shanghai``). Asia/Shanghai has
been UTC+8 without daylight saving since 1991, so it works even where the system has no tz database; any
other IANA name needs one. Pages and workbooks label the zone beside a time — ``2026-12-04 23:05（北京时间）``
— so a reader never has to guess whether a time is UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
_FIXED = {"Asia/Shanghai": timezone(timedelta(hours=8), "Asia/Shanghai"), "UTC": UTC}
#: Names people use for a zone, per language; other zones are labelled with their IANA name.
_ZONE_LABELS = {
    "Asia/Shanghai": {"zh": "北京时间", "en": "Beijing time"},
    "UTC": {"zh": "协调世界时", "en": "UTC"},
}


@lru_cache(maxsize=16)
def zone_for(name: str) -> tzinfo:
    """The tzinfo of an IANA zone name; ``ValueError`` naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name in _FIXED:
            return _FIXED[name]
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as 'Asia/Shanghai')") from None


def display_zone_name() -> str:
    """The configured zone's IANA name (settings ``timezone``)."""
    from dualcarbon.core.settings import get_settings  # settings import pydantic-settings: keep this module light

    return get_settings().timezone


def zone_label(language: str = "zh", name: str | None = None) -> str:
    """``北京时间`` / ``Beijing time`` for Asia/Shanghai, the IANA name for other zones."""
    zone = name or display_zone_name()
    return _ZONE_LABELS.get(zone, {}).get(language, zone)


def to_local(value: datetime, name: str | None = None) -> datetime:
    """``value`` in the display zone, without tzinfo. Naive values are taken as UTC (the store keeps UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone_for(name or display_zone_name())).replace(tzinfo=None)


def parse_moment(value: datetime | date | str) -> datetime | date:
    """A datetime or date from an ISO text (``2026-12-04T15:05:00+00:00``, ``2026-12-04``); others unchanged."""
    if isinstance(value, str):
        text = value.strip()
        return datetime.fromisoformat(text) if "T" in text or ":" in text else date.fromisoformat(text)
    return value


def local_text(value: datetime | date | str | None, language: str = "zh", *, labelled: bool = True) -> str:
    """``2026-12-04 23:05（北京时间）`` (``… (Beijing time)`` in English); a date stays a date; "" for None.

    Text that is not a date or time is returned as written.
    """
    if value is None or value == "":
        return ""
    try:
        moment = parse_moment(value)
    except ValueError:
        return str(value)
    if not isinstance(moment, datetime):
        return moment.isoformat()
    shown = to_local(moment).strftime("%Y-%m-%d %H:%M")
    if not labelled:
        return shown
    label = zone_label(language)
    return f"{shown}（{label}）" if language == "zh" else f"{shown} ({label})"


def iso_or_none(value: datetime | date | None) -> str | None:
    """A stored time as ISO 8601 text for an API body (as stored, UTC for times); None stays None."""
    return None if value is None else value.isoformat()
