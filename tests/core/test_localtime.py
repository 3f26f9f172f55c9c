"""Times as people read them: UTC moved to the display zone (DUALCARBON_TIMEZONE) and labelled."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dualcarbon.core.localtime import local_text, to_local, zone_label
from dualcarbon.core.settings import InvalidSetting, get_settings
from dualcarbon.workbooks.style import local_time, time_header

MOMENT = datetime(2026, 12, 4, 15, 5, tzinfo=UTC)  # 15:05 UTC


def test_default_is_beijing_time_labelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUALCARBON_TIMEZONE", raising=False)
    assert get_settings().timezone == "Asia/Shanghai"
    # 15:05 UTC + 8 h = 23:05 the same day in Asia/Shanghai
    assert local_text(MOMENT) == "2026-12-04 23:05（北京时间）"
    assert local_text("2026-12-04T15:05:00+00:00", "en") == "2026-12-04 23:05 (Beijing time)"
    assert local_text("2026-12-04T15:05:00") == "2026-12-04 23:05（北京时间）"  # naive: stored UTC
    assert local_text(date(2026, 3, 31)) == "2026-03-31"  # a date stays a date
    assert local_text(None) == "" and local_text("not a time") == "not a time"
    assert local_time(MOMENT) == datetime(2026, 12, 4, 23, 5)  # workbook cells
    assert time_header("提交时间") == "提交时间（北京时间）"


def test_the_zone_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALCARBON_TIMEZONE", "UTC")
    assert to_local(MOMENT) == datetime(2026, 12, 4, 15, 5)
    assert zone_label("zh") == "协调世界时" and local_text(MOMENT, "en") == "2026-12-04 15:05 (UTC)"
    monkeypatch.setenv("DUALCARBON_TIMEZONE", "Europe/Berlin")  # CET, UTC+1 in December
    assert local_text(MOMENT) == "2026-12-04 16:05（Europe/Berlin）"
    monkeypatch.setenv("DUALCARBON_TIMEZONE", "Mars/Olympus")
    with pytest.raises(InvalidSetting) as info:
        get_settings()
    assert info.value.field == "DUALCARBON_TIMEZONE" and "Mars/Olympus" in info.value.message
