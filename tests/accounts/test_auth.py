"""Passwords, lockout, tokens and the account summary (services ``auth`` and ``accounts``) on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.accounts import service as accounts
from dualcarbon.accounts import service_audit as audit_log
from dualcarbon.accounts.models import ApiToken, User
from dualcarbon.accounts.service_auth import authenticate, hash_secret, principal_for, resolve_token
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.core.errors import AuthenticationFailed, InvalidInput, NotFound, PermissionDenied
from dualcarbon.store.base import utcnow
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


@pytest.mark.parametrize(("given", "stored"), [("write read", "read write"), (["read"], "read"), (None, "read write")])
def test_scopes_are_normalised(given: Any, stored: str) -> None:
    assert accounts.normalise_scopes(given) == stored


@pytest.mark.parametrize("given", ["", "admin", "read delete"])
def test_unknown_scopes_are_refused(given: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        accounts.normalise_scopes(given)
    assert caught.value.field == "scopes"


def test_lockout_after_repeated_failures(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALCARBON_MAX_FAILED_LOGINS", "3")
    monkeypatch.setenv("DUALCARBON_LOCKOUT_MINUTES", "15")
    start = utcnow()
    for attempt in range(3):
        # pytest.raises inside session_scope: the block ends normally, so the failure count is committed
        with session_scope(world.engine) as session, pytest.raises(AuthenticationFailed):
            authenticate(session, "ent_a", "wrong-password", now=start + timedelta(seconds=attempt))
    # 3 committed failures lock the account for 15 minutes from the third (at start + 2 s)
    with session_scope(world.engine) as session:
        user = session.scalars(select(User).where(User.username == "ent_a")).one()
        assert user.locked_until == start + timedelta(seconds=2, minutes=15)
        assert session.scalars(select(AuditLog).where(AuditLog.action == "user.lock")).one().actor == "system"
    # the right password is refused while locked (start + 10 min < start + 15 min 2 s) …
    with session_scope(world.engine) as session, pytest.raises(AuthenticationFailed, match="locked"):
        authenticate(session, "ent_a", world.password, now=start + timedelta(minutes=10))
    # … and accepted once the lock has ended (start + 15 min 3 s)
    with session_scope(world.engine) as session:
        assert authenticate(session, "ent_a", world.password, now=start + timedelta(minutes=15, seconds=3))


def test_create_list_and_revoke_tokens(world: Any) -> None:
    with session_scope(world.engine) as session:
        ent_a = who(session, "ent_a")
        secret, token = accounts.create_token(session, ent_a, name="erp", scopes="read", lifetime_days=7)
        assert token.token_hash == hash_secret(secret) and secret not in token.token_hash
        assert token.prefix == secret[:8]
        # expires 7 days after creation
        assert token.expires_at is not None and abs(
            token.expires_at - token.created_at - timedelta(days=7)
        ) < timedelta(seconds=5)
        names = [t.name for t in accounts.list_tokens(session, ent_a)]
        assert names == ["test", "erp"]
        item = accounts.token_item(token)
        assert "token_hash" not in item.model_dump() and item.scopes == "read"
    with session_scope(world.engine) as session, pytest.raises(NotFound):
        accounts.revoke(session, who(session, "ent_b"), token.id)
    with session_scope(world.engine) as session:
        accounts.revoke(session, who(session, "ent_a"), token.id)
    with session_scope(world.engine) as session, pytest.raises(AuthenticationFailed):
        resolve_token(session, secret)


def test_tokens_for_other_users_need_admin(world: Any) -> None:
    with session_scope(world.engine) as session, pytest.raises(PermissionDenied):
        accounts.create_token(session, who(session, "city"), name="x", username="ent_a")
    with session_scope(world.engine) as session:
        secret, _ = accounts.create_token(session, SYSTEM, name="ops", username="ent_a")
        assert resolve_token(session, secret)[0].username == "ent_a"
    with session_scope(world.engine) as session, pytest.raises(AuthenticationFailed):
        accounts.create_token(session, SYSTEM, name="x")  # SYSTEM has no account of its own
    with session_scope(world.engine) as session, pytest.raises(InvalidInput):
        accounts.create_token(session, SYSTEM, name="x", username="ent_a", lifetime_days=0)


def test_browser_sessions_are_not_listed_as_tokens(world: Any) -> None:
    with session_scope(world.engine) as session:
        user = session.scalars(select(User).where(User.username == "city")).one()
        secret, token = accounts.start_browser_session(session, user)
        assert token.scopes == "session"
        assert token.id not in {t.id for t in accounts.list_tokens(session, who(session, "city"))}
        assert resolve_token(session, secret, session_only=True)[0].username == "city"
        with pytest.raises(AuthenticationFailed):
            resolve_token(session, world.tokens["city"], session_only=True)
        assert session.scalar(select(ApiToken).where(ApiToken.token_hash == secret)) is None


def test_account_summary(world: Any) -> None:
    with session_scope(world.engine) as session:
        summary = accounts.account_summary(session, who(session, "expert"))
        assert [role.model_dump() for role in summary.roles] == [
            {
                "role": "reviewer",
                "role_label": "评审专家",
                "region_code": "330300",
                "region_name": "温州市",
                "enterprise_credit_code": None,
                "enterprise_name": None,
            }
        ]
        agency = accounts.account_summary(session, who(session, "agency"))
        assert [e.model_dump() for e in agency.agency_enterprises] == [
            {"credit_code": world.codes["a"], "name": "鹿城甲阀门有限公司"}
        ]


def test_audit_listing_scope(world: Any) -> None:
    with session_scope(world.engine) as session:
        everything, total = audit_log.list_audit(session, SYSTEM, limit=1000)
        assert total == len(everything) and everything[0].id > everything[-1].id  # newest first
        mine, _ = audit_log.list_audit(session, who(session, "longwan"), limit=1000)
        assert {(r.entity, r.entity_id) for r in mine} == {("enterprise", world.codes["b"])}
        creates, n = audit_log.list_audit(session, SYSTEM, audit_log.AuditQuery(action="enterprise."))
        assert n == 3 and {r.action for r in creates} == {"enterprise.create"}
        with pytest.raises(PermissionDenied):
            audit_log.list_audit(session, who(session, "ent_a"))
        with pytest.raises(PermissionDenied):
            audit_log.verify_audit(session, who(session, "city"))
        assert audit_log.verify_audit(session, SYSTEM).intact
