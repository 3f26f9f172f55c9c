"""Users, role assignments, agency assignments, API tokens and jobs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from dualcarbon.accounts.models import AgencyAssignment, ApiToken, RoleAssignment, User
from dualcarbon.registry.models import Enterprise
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import Job

ARGON2 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def test_user_roles_tokens_round_trip(zhejiang: Engine) -> None:
    token = "dc_" + "x" * 40
    with session_scope(zhejiang) as session:
        enterprise_id = session.scalars(select(Enterprise.id)).one()
        user = User(username="wz_regulator", display_name="温州经信局", password_hash=ARGON2, language="zh")
        user.roles.append(RoleAssignment(role="regulator", region_code="330300"))
        user.roles.append(RoleAssignment(role="enterprise", enterprise_id=enterprise_id))
        user.api_tokens.append(
            ApiToken(
                name="ingest",
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                prefix=token[:8],
                scopes="readings:write reports:read",
                expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
        agency = User(username="agency", display_name="节能诊断机构")
        session.add_all([user, agency])
        session.flush()
        session.add(AgencyAssignment(user_id=agency.id, enterprise_id=enterprise_id))
    with session_scope(zhejiang) as session:
        user = session.scalars(select(User).where(User.username == "wz_regulator")).one()
        assert (user.disabled, user.failed_logins, user.locked_until, user.language) == (False, 0, None, "zh")
        assert [(r.role, r.region_code, r.enterprise_id is not None) for r in user.roles] == [
            ("regulator", "330300", False),
            ("enterprise", None, True),
        ]
        stored = user.api_tokens[0]
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert stored.prefix == "dc_xxxxx" and token not in (stored.token_hash, stored.scopes)
        assert session.scalars(select(AgencyAssignment.enterprise_id)).all() == [user.roles[1].enterprise_id]


def test_deleting_a_user_removes_roles_and_tokens(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        user = User(username="temp", display_name="临时")
        user.roles.append(RoleAssignment(role="public"))
        user.api_tokens.append(ApiToken(name="t", token_hash="b" * 64, prefix="bbbbbbbb"))
        session.add(user)
    with session_scope(zhejiang) as session:
        session.delete(session.scalars(select(User)).one())
    with session_scope(zhejiang) as session:
        assert session.scalars(select(RoleAssignment)).all() == []
        assert session.scalars(select(ApiToken)).all() == []


@pytest.mark.parametrize(
    "bad",
    [
        lambda: [User(username="same", display_name="a"), User(username="same", display_name="b")],
        lambda: [User(username="u", display_name="u", language="fr")],
        lambda: [User(username="u", display_name="u", roles=[RoleAssignment(role="superuser")])],
        lambda: [
            User(
                username="u",
                display_name="u",
                roles=[RoleAssignment(role="regulator", region_code="330300", enterprise_id=1)],
            )
        ],
        lambda: [
            User(username="a", display_name="a", api_tokens=[ApiToken(name="1", token_hash="c" * 64, prefix="c")]),
            User(username="b", display_name="b", api_tokens=[ApiToken(name="2", token_hash="c" * 64, prefix="c")]),
        ],
    ],
    ids=["duplicate_username", "language", "role", "two_scopes", "duplicate_token_hash"],
)
def test_security_constraints(zhejiang: Engine, bad: object) -> None:
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add_all(bad())  # type: ignore[operator]
        session.flush()


def test_job_progress(engine: Engine) -> None:
    with session_scope(engine) as session:
        job = Job(kind="catalog.build")
        session.add(job)
    with session_scope(engine) as session:
        running = session.get_one(Job, job.id)
        assert (running.state, running.progress) == ("queued", 0.0)
        running.state, running.progress, running.started_at = "running", 0.5, datetime.now(UTC)
    with session_scope(engine) as session:
        done = session.get_one(Job, job.id)
        done.state, done.progress, done.result = "done", 1.0, {"entries": 42}
        done.finished_at = done.started_at + timedelta(seconds=3) if done.started_at else None
    with session_scope(engine) as session:
        finished = session.get_one(Job, job.id)
        assert (finished.state, finished.result) == ("done", {"entries": 42})
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Job(kind="x", state="paused"))
