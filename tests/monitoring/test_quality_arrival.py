"""Timeliness from arrival times (数据时效): a day whose data arrived after the deadline is ``late`` (both stores).

Deadline (PR-014, assumed): 24 h after the day ends, Asia/Shanghai. Enterprise a, one real-time meter R with 96
values of 1 kWh on each of three days, all on the 15-min grid (on their statistic time):

* yesterday (local), ingested now: deadline = the end of tomorrow → on time: timeliness 96 / 96 = 1.0;
* ten days ago, ingested now (nine days after its deadline) → ``late``: no timely value, timeliness 0 / 96 = 0.0,
  index = (completeness 1 + accuracy 1 + timeliness 0 + validity 1) / 4 = 0.75;
* twenty days ago, ingested as a backfill under a simulated clock two hours after the day ended → on time.
A second batch re-sending yesterday's values (all duplicates) records no arrival.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualcarbon.monitoring import service_ingest, service_meters, service_quality_read
from dualcarbon.monitoring.models import ReadingArrival
from dualcarbon.monitoring.service_quality import local_now
from dualcarbon.reference import ReferenceSet
from dualcarbon.store.base import simulated_clock
from dualcarbon.store.db import session_scope

HEADER = ["credit_code", "meter_code", "carrier", "unit", "kind", "multiplier", "statistic_type", "calibrated_until"]


def _day_values(day: date) -> list[dict[str, Any]]:
    start = datetime(day.year, day.month, day.day)
    return [
        {"meter": "R", "ts": (start + timedelta(minutes=15 * n)).isoformat() + "+08:00", "value": 1} for n in range(96)
    ]


def _show(world: Any, admin: Any, reference: ReferenceSet, day: date) -> Any:
    with session_scope(world.engine) as session:
        return service_quality_read.quality_show(session, admin, world.codes["a"], reference, day=day)


def test_a_late_day_is_flagged_and_an_on_time_day_is_not(
    world: Any, client: Any, tmp_path: Path, write_csv: Callable[..., Path], admin: Any, reference: ReferenceSet
) -> None:
    a = world.codes["a"]
    today = local_now().date()
    on_time, late, backfill = today - timedelta(days=1), today - timedelta(days=10), today - timedelta(days=20)
    path = write_csv(
        tmp_path / "m.csv", HEADER, [[a, "R", "electricity", "kWh", "interval", 1, "realtime", "2099-12-31"]]
    )
    with session_scope(world.engine) as session:
        service_meters.import_meters(session, admin, path, reference)
        receipt = service_ingest.ingest_json(session, admin, _day_values(on_time) + _day_values(late), enterprise=a)
        assert receipt.accepted == 192
    # The backfill "arrives" two hours after its day ended (18:00 UTC = 02:00 the next day in Shanghai).
    arrived = datetime(backfill.year, backfill.month, backfill.day, 18, 0, tzinfo=UTC)
    with session_scope(world.engine) as session, simulated_clock(arrived):
        assert service_ingest.ingest_json(session, admin, _day_values(backfill), enterprise=a).accepted == 96
    with session_scope(world.engine) as session:
        first_arrivals = {r.day: r.last_arrival_at for r in session.scalars(select(ReadingArrival))}
        assert set(first_arrivals) == {on_time, late, backfill}
        assert session.scalars(select(ReadingArrival)).first().arrivals == 96
        resent = service_ingest.ingest_json(session, admin, _day_values(on_time), enterprise=a)
        assert (resent.accepted, resent.duplicate) == (0, 96)
    with session_scope(world.engine) as session:  # the re-send of duplicates recorded nothing
        again = {r.day: r.last_arrival_at for r in session.scalars(select(ReadingArrival))}
        assert again == first_arrivals

    good = _show(world, admin, reference, on_time)
    assert good.timeliness == pytest.approx(1.0) and good.late_items == 0
    assert [p.code for p in good.items[0].problems] == []

    bad = _show(world, admin, reference, late)
    assert bad.timeliness == pytest.approx(0.0) and bad.late_items == 1 and bad.items[0].late_days == 1
    assert bad.index == pytest.approx(0.75)  # (1 + 1 + 0 + 1) / 4
    problem = next(p for p in bad.items[0].problems if p.code == "late")
    deadline = late + timedelta(days=2)  # the day ends at midnight, + 24 h
    assert f"after the deadline {deadline.isoformat()} 00:00" in problem.detail
    assert "晚于截止时间" in (problem.detail_zh or "")

    assert _show(world, admin, reference, backfill).late_items == 0

    answer = client.get(f"/api/v1/quality?enterprise={a}&date={late.isoformat()}", headers=world.auth("ent_a"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["late_items"], body["arrival_deadline_hours"], body["timeliness"]) == (1, 24.0, 0.0)
    assert body["items"][0]["late_days"] == 1 and "late" in [p["code"] for p in body["items"][0]["problems"]]
