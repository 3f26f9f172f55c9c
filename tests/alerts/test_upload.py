"""The provincial upload survives a receiver that fails, times out and recovers: nothing lost, nothing sent
again once acknowledged; messages are built once per key; acknowledged ones are pruned after the retention,
pending ones never (both stores)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from dualcarbon.alerts import service_upload
from dualcarbon.alerts.models import UploadMessage
from dualcarbon.alerts.service_rules import AlertRules
from dualcarbon.core.errors import InvalidInput
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import session_scope

from .receivers import http_receiver
from .test_evaluate import DAY, plant


def test_outage_nothing_lost_nothing_sent_twice(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    rules = AlertRules.of(reference)
    with http_receiver() as province, http_receiver() as backup:
        # the province: 500, then an answer slower than the 0.3 s timeout (processed, but the answer is lost), then 200s
        province.script = lambda n: ("status", 500) if n == 0 else ("sleep", 1.0) if n == 1 else ("status", 200)
        config = service_upload.UploadConfig(
            endpoints=[
                service_upload.Endpoint(name="province", url=province.url, timeout_s=0.3),
                service_upload.Endpoint(name="backup", url=backup.url, kinds=["day"]),
            ]
        )
        with session_scope(world.engine) as session:
            built = service_upload.build_messages(session, admin, DAY, config, reference)
        # enterprise a: enterprise info, meter register, realtime (hourly), day → 4 for the province, 1 (day) for backup
        assert built == 5
        with session_scope(world.engine) as session:
            assert service_upload.build_messages(session, admin, DAY, config, reference) == 0  # keys already there
        now = utcnow()
        with session_scope(world.engine) as session:
            first = service_upload.send_due(session, config, rules, now=now)
        assert (first.sent, first.acknowledged, first.retried) == (5, 3, 2)
        with session_scope(world.engine) as session:
            early = service_upload.send_due(session, config, rules, now=now + timedelta(seconds=29))
        assert early.sent == 0  # back-off 30 s (PR-A06)
        with session_scope(world.engine) as session:
            second = service_upload.send_due(session, config, rules, now=now + timedelta(seconds=31))
        assert (second.sent, second.acknowledged) == (2, 2)
        with session_scope(world.engine) as session:
            after = service_upload.send_due(session, config, rules, now=now + timedelta(days=1))
            status = {s.endpoint: s for s in service_upload.upload_status(session)}
        assert after.sent == 0  # acknowledged messages are never sent again
        assert (status["province"].pending, status["province"].acknowledged) == (0, 4)
        assert (status["backup"].pending, status["backup"].acknowledged) == (0, 1)
    # values are sent without the noise of summing floats (at most UPLOAD_DECIMALS places)
    day_records = next(json.loads(r.body)["records"] for r in backup.requests)
    sent_as = config.fields("day")["value"]
    assert day_records and all(
        rec[sent_as] == round(rec[sent_as], service_upload.UPLOAD_DECIMALS) for rec in day_records
    )
    keys = [r.headers["Idempotency-Key"] for r in province.requests]
    # 6 requests: the failed one and the timed-out one were each sent again, the others once
    assert sorted(Counter(keys).values()) == [1, 1, 2, 2]
    # the receiver, keeping one copy per key, has every message of the outbox exactly once
    with session_scope(world.engine) as session:
        outbox = set(session.scalars(select(UploadMessage.idempotency_key).where(UploadMessage.endpoint == "province")))
    code = world.codes["a"]
    assert set(keys) == outbox and {f"day:{code}:2024-03-29", f"realtime:{code}:2024-03-29"} <= outbox
    day_body = next(r.body for r in backup.requests)
    assert b'"statDate":"2024-03-29T00:00:00+08:00"' in day_body and b'"enterpriseCode"' in day_body


def test_retention_prunes_only_acknowledged(world, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    rules = AlertRules.of(reference)
    config = service_upload.UploadConfig(endpoints=[service_upload.Endpoint(name="p", url="http://127.0.0.1:9/x")])
    with session_scope(world.engine) as session:
        assert service_upload.build_messages(session, admin, DAY, config, reference) == 4
        ids = session.scalars(select(UploadMessage.id).order_by(UploadMessage.id)).all()
        old = utcnow() - timedelta(days=rules.upload_retention_days + 1)
        session.execute(update(UploadMessage).values(created_at=old))
        session.execute(update(UploadMessage).where(UploadMessage.id.in_(ids[:2])).values(state="acknowledged"))
    with session_scope(world.engine) as session:
        assert service_upload.prune(session, rules) == 2  # 190 days (PR-A08) passed: the 2 acknowledged go
        assert session.scalar(select(UploadMessage.state).limit(1)) == "pending"


def test_config_file_errors_name_the_file(tmp_path: Path) -> None:
    assert service_upload.load_config(tmp_path).endpoints == []
    (tmp_path / "upload.yaml").write_text("endpoints:\n  - name: p\n    url: ftp://x\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"upload\.yaml"):
        service_upload.load_config(tmp_path)
    (tmp_path / "upload.yaml").write_text(
        "endpoints:\n  - {name: p, url: 'https://prov.example/api'}\nmapping:\n  day: {value: shuju}\n",
        encoding="utf-8",
    )
    config = service_upload.load_config(tmp_path)
    assert config.fields("day") == {"value": "shuju"} and config.fields("month")["start"] == "statMonth"
