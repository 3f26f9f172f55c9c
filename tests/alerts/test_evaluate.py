"""The nightly evaluation: anomalies against the meter's own profile, imbalance, conflicts, de-duplication,
and the lifecycle open → acknowledged → closed with who sees what (both stores).

The plant (enterprise a): hourly ``interval`` electricity meters M (master, not counted) with counted sub-meters
S1, S2. In the eight weeks before 2024-03-29 (PR-A02; from 02-02) every hour reads S1 = 10 + (week % 2) kWh (10, 11,
10, 11, … → median 10.5, MAD = median |x − 10.5| = 0.5), S2 = 5, M = S1 + S2. On 2024-03-29 S1 reads 10 (even
hours) or 11 (odd), inside 10.5 ± k × 1.4826 × MAD = 10.5 ± 3 × 1.4826 × 0.5 = 10.5 ± 2.224 (PR-A01 k = 3; 1.4826
the normal-consistency constant of Leys et al. 2013), except 20 at 14:00: |20 − 10.5| = 9.5 > 2.224 and ≥ 20 % of
10.5 (PR-A09) → anomalous.
S2 has MAD 0 everywhere → not judged.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.alerts import service_alerts
from dualcarbon.core.access import Grant, Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.store.db import session_scope

from .conftest import enterprise_id, import_meters, ingest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from race_helpers import race

DAY = date(2024, 3, 29)


def plant_meters(world: Any, tmp_path: Any, admin: Principal, reference: Any) -> str:
    """The plant's meters M (master, not counted), S1 and S2 (counted), hourly interval kWh; a's credit code."""
    a = world.codes["a"]
    import_meters(
        world,
        tmp_path,
        admin,
        reference,
        [
            [a, "M", "electricity", "kWh", "interval", 1, 60, "", "false"],
            [a, "S1", "electricity", "kWh", "interval", 1, 60, "M", "true"],
            [a, "S2", "electricity", "kWh", "interval", 1, 60, "M", "true"],
        ],
    )
    return a


def plant(
    world: Any, tmp_path: Any, admin: Principal, reference: Any, *, spike: float = 20.0, master_extra: float = 0.0
) -> None:
    a = plant_meters(world, tmp_path, admin, reference)
    start = datetime(2024, 2, 2)
    rows = []
    for h in range(56 * 24):  # 2024-02-02 … 03-28
        moment = start + timedelta(hours=h)
        week = h // (7 * 24)
        s1 = 10.0 + (week % 2)
        s2 = 5.0
        m = s1 + s2
        rows += [(a, "S1", moment, s1), (a, "S2", moment, s2), (a, "M", moment, m)]
    for h in range(24):
        moment = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=h)
        s1 = spike if h == 14 else 10.0 + (h % 2)
        rows += [(a, "S1", moment, s1), (a, "S2", moment, 5.0), (a, "M", moment, s1 + 5.0 + master_extra)]
    ingest(world, admin, rows)


def _evaluate(world: Any, principal: Principal, reference: Any, day: date = DAY) -> Any:
    with session_scope(world.engine) as session:
        return service_alerts.evaluate(session, principal, day, reference)


def test_anomaly_against_the_meters_own_profile_and_dedup(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    summary = _evaluate(world, admin, reference)
    # Only S1 at 14:00 is anomalous; M is 25 at 14:00 against median 15.5, MAD 0.5 → anomalous too (|25 − 15.5| = 9.5).
    assert summary.opened == 2 and summary.by_source == {"anomaly": 2}
    with session_scope(world.engine) as session:
        alerts, total = service_alerts.list_alerts(session, admin, source="anomaly")
    assert total == 2
    s1 = next(a for a in alerts if a.detail["meter"] == "S1")
    assert s1.level == "yellow" and s1.state == "open" and s1.occurrences == 1
    assert s1.detail["hours"] == [{"hour": 14, "energy": 20.0, "median": 10.5, "mad": 0.5}]
    # the same condition seen again: no new alert, one more occurrence
    again = _evaluate(world, admin, reference)
    assert (again.opened, again.seen_again) == (0, 2)
    with session_scope(world.engine) as session:
        alerts, total = service_alerts.list_alerts(session, admin, source="anomaly")
    assert total == 2 and {a.occurrences for a in alerts} == {2}


def test_imbalance_beyond_the_tolerance(world, tmp_path, admin, reference) -> None:
    # M reads 1 kWh more than S1 + S2 every hour of DAY. Σ S1 = 11 even hours × 10 + 20 (14:00) + 12 odd hours × 11
    # = 110 + 20 + 132 = 262; Σ S2 = 24 × 5 = 120; children = 382; M = 382 + 24 = 406; loss = 24 kWh;
    # loss % = 24 / 406 × 100 = 5.911 % > 5 % (PR-A04) → alert.
    plant(world, tmp_path, admin, reference, spike=20.0, master_extra=1.0)
    summary = _evaluate(world, admin, reference)
    assert summary.by_source.get("imbalance") == 1
    with session_scope(world.engine) as session:
        alerts, _ = service_alerts.list_alerts(session, admin, source="imbalance")
    detail = alerts[0].detail
    assert (detail["parent"], detail["children"]) == (pytest.approx(406.0), pytest.approx(382.0))
    assert detail["loss_pct"] == pytest.approx(24 / 406 * 100)
    assert alerts[0].level == "orange"


def test_lifecycle_roles_and_races(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    _evaluate(world, admin, reference)
    with session_scope(world.engine) as session:
        alerts, _ = service_alerts.list_alerts(session, admin)
    alert_id = alerts[0].id
    ent_a = Principal(None, "ent-a", (Grant("enterprise", enterprise_id=enterprise_id(world, "a")),))
    ent_b = Principal(None, "ent-b", (Grant("enterprise", enterprise_id=enterprise_id(world, "b")),))
    expert = Principal(None, "expert", (Grant("reviewer", region_code="330300"),))
    with session_scope(world.engine) as session:
        assert service_alerts.list_alerts(session, ent_b)[1] == 0  # another enterprise's alerts are invisible
        with pytest.raises(NotFound):
            service_alerts.acknowledge(session, ent_b, alert_id)
        assert service_alerts.list_alerts(session, expert)[1] == 2  # a reviewer in scope reads …
        with pytest.raises(PermissionDenied):
            service_alerts.acknowledge(session, expert, alert_id)  # … but does not act
    with session_scope(world.engine) as session:
        acked = service_alerts.acknowledge(session, ent_a, alert_id, "看到了", lock_version=0)
    assert acked.state == "acknowledged" and acked.lock_version == 1
    with session_scope(world.engine) as session, pytest.raises(Conflict):
        service_alerts.close(session, ent_a, alert_id, "已处理", lock_version=0)  # a stale version loses
    with session_scope(world.engine) as session, pytest.raises(InvalidInput, match="comment"):
        service_alerts.close(session, ent_a, alert_id, "  ")
    with session_scope(world.engine) as session:
        closed = service_alerts.close(session, ent_a, alert_id, "更换互感器后恢复", lock_version=1)
    assert closed.state == "closed" and closed.closed_at is not None
    assert [(e.action, e.comment) for e in closed.events] == [
        ("opened", None),
        ("acknowledged", "看到了"),
        ("closed", "更换互感器后恢复"),
    ]
    with session_scope(world.engine) as session, pytest.raises(Conflict):
        service_alerts.acknowledge(session, ent_a, alert_id)
    # the condition persists: a closed alert does not stop a new one opening for the same key
    summary = _evaluate(world, admin, reference)
    assert (summary.opened, summary.seen_again) == (1, 1)


def test_two_simultaneous_closes_one_wins(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    _evaluate(world, admin, reference)
    with session_scope(world.engine) as session:
        alert_id = service_alerts.list_alerts(session, admin)[0][0].id

    def prepare(session: Any) -> None:
        service_alerts.get_alert(session, admin, alert_id)  # both read the open alert (version 0) first

    def act(session: Any) -> None:
        service_alerts.close(session, admin, alert_id, "处理完毕")

    outcomes = race(world.engine, 2, act, prepare)
    assert outcomes == {"ok": 1, "Conflict": 1}
    with session_scope(world.engine) as session:
        closed = service_alerts.get_alert(session, admin, alert_id)
    assert [e.action for e in closed.events] == ["opened", "closed"]


def test_anomaly_rule_by_hand() -> None:
    import numpy as np

    from dualcarbon.alerts.service_detect import anomalous_hours

    # one hour-of-week over 8 weeks: 100, 102, 98, 101, 99, 100, 103, 97 → median 100; |x − 100| = 0, 2, 2, 1, 1,
    # 0, 3, 3 → median 1.5; MAD = 1.4826 × 1.5 = 2.2239; k × MAD = 3 × 2.2239 = 6.6717
    history = np.full((8, 24), np.nan)
    history[:, 9] = [100, 102, 98, 101, 99, 100, 103, 97]
    today = np.full(24, np.nan)
    today[9] = 110  # 10 > 6.67, but 10 < 20 % of 100 (PR-A09): not anomalous
    assert anomalous_hours(history, today, 3, 6, 20) == []
    assert anomalous_hours(history, today, 3, 6, 0) == [(9, 110.0, 100.0, 1.5)]  # without the floor it would be
    today[9] = 125  # 25 > 6.67 and 25 ≥ 20
    assert anomalous_hours(history, today, 3, 6, 20) == [(9, 125.0, 100.0, 1.5)]
    assert anomalous_hours(history, today, 3, 9, 20) == []  # fewer than 9 known values: not judged


def test_a_day_still_being_collected_is_not_a_quality_failure(world, tmp_path, admin, reference) -> None:
    """The quality of a day counts its values against the whole day's quota (24 for an hourly item). While the
    enterprise's data have not reached the day's end — the live day — 10 of 24 is "so far", not a failure: no quality
    alert (the demo opened one for every meter of today). Once a reading of the next day exists, the same 10 of 24
    is a failure (< 90 %, PR-004) and the alert opens."""
    from dualcarbon.monitoring.service_quality import compute_quality
    from dualcarbon.registry.service_access import require_enterprise

    a = plant_meters(world, tmp_path, admin, reference)
    start = datetime.combine(DAY, datetime.min.time())
    ingest(world, admin, [(a, code, start + timedelta(hours=h), 5.0) for h in range(10) for code in ("M", "S1", "S2")])

    def quality_alerts() -> list[str]:
        with session_scope(world.engine) as session:
            enterprise = require_enterprise(session, admin, a)
            compute_quality(session, admin, enterprise, DAY, DAY, reference)
        _evaluate(world, admin, reference)
        with session_scope(world.engine) as session:
            found, _ = service_alerts.list_alerts(session, admin, source="quality")
        return sorted(alert.title_zh for alert in found)

    assert quality_alerts() == []
    ingest(world, admin, [(a, code, start + timedelta(days=1), 5.0) for code in ("M", "S1", "S2")])
    assert quality_alerts() == [f"计量器具 {code} 数据质量不合格" for code in ("M", "S1", "S2")]
