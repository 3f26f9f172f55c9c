"""Trying to break in, through the API, on SQLite and PostgreSQL.

Enterprise users see and change only their own enterprise; a district regulator sees only its district
(not in detail, lists, filters or exports) while the city regulator sees both districts; a read-only token
cannot write; revoked, garbage or missing credentials get 401; a browser session without its CSRF header
cannot write; repeated wrong passwords lock the account (the right password too, until the lock ends);
passwords are argon2id hashes and no token secret is stored anywhere in the database.

World (tests/conftest.py): a in 鹿城区 330302, b in 龙湾区 330303 (温州 330300), c in 西湖区 330106 (杭州).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from dualcarbon.accounts.models import User
from dualcarbon.store.base import Base, utcnow
from dualcarbon.store.db import session_scope, sqlite_path


def codes_listed(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = client.get("/api/v1/enterprises", params=params, headers=headers)
    assert response.status_code == 200
    return [item["credit_code"] for item in response.json()["items"]]


def codes_exported(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get("/api/v1/enterprises/export.xlsx", headers=headers)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [row[0].value for row in sheet.iter_rows(min_row=2)]


# ---- enterprise users ---------------------------------------------------------------------------
def test_enterprise_user_cannot_read_or_change_another_enterprise(client: TestClient, world: Any) -> None:
    own, other = world.codes["a"], world.codes["b"]
    headers = world.auth("ent_a")
    assert client.get(f"/api/v1/enterprises/{own}", headers=headers).status_code == 200
    probe = client.get(f"/api/v1/enterprises/{other}", headers=headers)
    absent = client.get("/api/v1/enterprises/91330303MA2ZZ9999", headers=headers)
    assert probe.status_code == absent.status_code == 404  # existence is not revealed
    assert probe.json()["error"] == absent.json()["error"] == "NotFound"
    assert client.patch(f"/api/v1/enterprises/{other}", json={"address": "x"}, headers=headers).status_code == 404
    assert client.post(f"/api/v1/enterprises/{other}/sites", json={"name": "x"}, headers=headers).status_code == 404
    unit = {"name": "x", "capacity": 1, "capacity_unit": "t", "benchmark_row_id": "BM2023-061"}
    assert client.post(f"/api/v1/enterprises/{other}/units", json=unit, headers=headers).status_code == 404
    assert codes_listed(client, headers) == [own]
    assert codes_listed(client, headers, region_code="330303") == []
    assert codes_listed(client, headers, q=other[:12]) == []
    assert codes_exported(client, headers) == [own]


def test_enterprise_user_cannot_change_regulator_fields_or_create(client: TestClient, world: Any) -> None:
    own, headers = world.codes["a"], world.auth("ent_a")
    for change in ({"region_code": "330303"}, {"key_energy_user": False}, {"name": "改名"}):
        response = client.patch(f"/api/v1/enterprises/{own}", json=change, headers=headers)
        assert response.status_code == 403, change
    new = {"credit_code": "10000000000000000Y", "name": "x", "region_code": "330302", "industry_code": "C3011"}
    assert client.post("/api/v1/enterprises", json=new, headers=headers).status_code == 403
    assert client.patch(f"/api/v1/enterprises/{own}", json={"address": "鹿城路1号"}, headers=headers).status_code == 200


def test_agency_sees_only_assigned_enterprises(client: TestClient, world: Any) -> None:
    headers = world.auth("agency")
    assert codes_listed(client, headers) == [world.codes["a"]]
    assert client.get(f"/api/v1/enterprises/{world.codes['b']}", headers=headers).status_code == 404


# ---- regulators and reviewers -------------------------------------------------------------------
def test_district_regulator_sees_only_its_district(client: TestClient, world: Any) -> None:
    a, b, c = (world.codes[k] for k in "abc")
    lucheng = world.auth("lucheng")
    assert client.get(f"/api/v1/enterprises/{b}", headers=lucheng).status_code == 404
    assert client.patch(f"/api/v1/enterprises/{b}", json={"contact": "x"}, headers=lucheng).status_code == 404
    assert codes_listed(client, lucheng) == [a]
    assert codes_listed(client, lucheng, region_code="330300") == [a]  # asking for the city does not widen
    assert codes_listed(client, lucheng, region_code="330303") == []
    assert codes_exported(client, lucheng) == [a]
    assert client.get("/api/v1/enterprises", headers=lucheng).json()["total"] == 1
    city = world.auth("city")
    assert codes_listed(client, city) == [a, b] == codes_exported(client, city)
    assert client.get(f"/api/v1/enterprises/{b}", headers=city).status_code == 200
    assert client.get(f"/api/v1/enterprises/{c}", headers=city).status_code == 404  # 杭州 is another city


def test_reviewer_reads_in_scope_but_cannot_write(client: TestClient, world: Any) -> None:
    headers = world.auth("expert")
    assert client.get(f"/api/v1/enterprises/{world.codes['a']}", headers=headers).status_code == 200
    assert (
        client.patch(f"/api/v1/enterprises/{world.codes['a']}", json={"contact": "x"}, headers=headers).status_code
        == 403
    )
    assert client.get(f"/api/v1/enterprises/{world.codes['c']}", headers=headers).status_code == 404


def test_audit_and_user_administration_are_guarded(client: TestClient, world: Any) -> None:
    client.patch(f"/api/v1/enterprises/{world.codes['b']}", json={"contact": "王工"}, headers=world.auth("admin"))
    client.patch(f"/api/v1/enterprises/{world.codes['a']}", json={"contact": "李工"}, headers=world.auth("admin"))
    seen = client.get("/api/v1/audit", params={"action": "enterprise.update"}, headers=world.auth("lucheng")).json()
    assert [row["entity_id"] for row in seen["items"]] == [world.codes["a"]]
    everything = client.get("/api/v1/audit", headers=world.auth("admin")).json()
    assert everything["total"] > seen["total"]
    for username in ("ent_a", "expert", "agency"):
        assert client.get("/api/v1/audit", headers=world.auth(username)).status_code == 403
    for username in ("city", "ent_a"):
        assert client.get("/api/v1/audit/verify", headers=world.auth(username)).status_code == 403
        assert client.get("/api/v1/users", headers=world.auth(username)).status_code == 403
        assert client.post("/api/v1/users/ent_b/disable", headers=world.auth(username)).status_code == 403
        new_user = {"username": "mallory", "password": "long-enough-1", "role": "admin"}
        assert client.post("/api/v1/users", json=new_user, headers=world.auth(username)).status_code == 403
    verify = client.get("/api/v1/audit/verify", headers=world.auth("admin")).json()
    assert verify["intact"] and verify["problems"] == []


# ---- credentials --------------------------------------------------------------------------------
PROTECTED = [
    ("GET", "/api/v1/enterprises"),
    ("GET", "/api/v1/enterprises/export.xlsx"),
    ("GET", "/api/v1/enterprises/{a}"),
    ("PATCH", "/api/v1/enterprises/{a}"),
    ("POST", "/api/v1/enterprises"),
    ("POST", "/api/v1/enterprises/{a}/sites"),
    ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/auth/tokens"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/users"),
]


@pytest.mark.parametrize("credentials", [None, "Bearer dc_not-a-real-token", "Basic YWRtaW46YWRtaW4="])
def test_missing_or_garbage_credentials_get_401(client: TestClient, world: Any, credentials: str | None) -> None:
    headers = {"Authorization": credentials} if credentials else {}
    for method, path in PROTECTED:
        response = client.request(method, path.format(a=world.codes["a"]), headers=headers, json={})
        assert response.status_code == 401, (method, path)


def test_read_only_token_cannot_write(client: TestClient, world: Any) -> None:
    headers = {"Authorization": f"Bearer {world.read_only_token}"}
    assert client.get("/api/v1/enterprises", headers=headers).status_code == 200
    code = world.codes["a"]
    assert client.post(f"/api/v1/enterprises/{code}/sites", json={"name": "x"}, headers=headers).status_code == 403
    assert client.patch(f"/api/v1/enterprises/{code}", json={"contact": "x"}, headers=headers).status_code == 403
    assert client.post("/api/v1/auth/tokens", json={"name": "escalate"}, headers=headers).status_code == 403


def test_revoked_token_gets_401(client: TestClient, world: Any) -> None:
    headers = world.auth("ent_b")
    tokens = client.get("/api/v1/auth/tokens", headers=headers).json()["items"]
    assert client.delete(f"/api/v1/auth/tokens/{tokens[0]['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/enterprises", headers=headers).status_code == 401


def test_browser_session_needs_the_csrf_header_to_write(client: TestClient, world: Any) -> None:
    assert client.post("/api/v1/auth/login", json={"username": "longwan", "password": world.password}).is_success
    path = f"/api/v1/enterprises/{world.codes['b']}/sites"
    assert client.get("/api/v1/enterprises").status_code == 200
    missing = client.post(path, json={"name": "x"})
    assert missing.status_code == 403 and "CSRF" in missing.json()["message"]
    assert client.post(path, json={"name": "x"}, headers={"X-CSRF-Token": "guess"}).status_code == 403
    good = client.post(path, json={"name": "x"}, headers={"X-CSRF-Token": client.cookies["dc_csrf"]})
    assert good.status_code == 201


def test_api_token_is_not_accepted_as_a_session_cookie(client: TestClient, world: Any) -> None:
    client.cookies.set("dc_session", world.tokens["city"])
    assert client.get("/api/v1/enterprises").status_code == 401


def test_lockout_refuses_even_the_right_password_until_it_ends(
    client: TestClient, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUALCARBON_MAX_FAILED_LOGINS", "3")
    login = {"username": "ent_a", "password": world.password}
    for _ in range(3):
        wrong = client.post("/api/v1/auth/token", json=login | {"password": "guess-guess"})
        assert wrong.status_code == 401
    for path in ("/api/v1/auth/token", "/api/v1/auth/login"):
        locked = client.post(path, json=login)
        assert locked.status_code == 401 and "锁定" in locked.json()["message"]
    with session_scope(world.engine) as session:
        user = session.scalars(select(User).where(User.username == "ent_a")).one()
        assert user.locked_until is not None and user.locked_until > utcnow()
        # the lock ends: move it into the past rather than waiting 15 minutes
        session.execute(update(User).where(User.id == user.id).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert client.post("/api/v1/auth/token", json=login).status_code == 200


def test_secrets_are_never_stored_in_clear(client: TestClient, world: Any) -> None:
    created = client.post("/api/v1/auth/tokens", json={"name": "fresh"}, headers=world.auth("city")).json()["token"]
    client.post("/api/v1/auth/login", json={"username": "lucheng", "password": world.password})
    secrets = [*world.tokens.values(), world.read_only_token, created, client.cookies["dc_session"], world.password]
    with session_scope(world.engine) as session:
        hashes = list(session.scalars(select(User.password_hash)))
        assert hashes and all(h.startswith("$argon2id$") for h in hashes)
        dump = []
        for table in Base.metadata.sorted_tables:
            dump.extend(repr(tuple(row)) for row in session.execute(table.select()))
    text = "\n".join(dump)
    assert len(dump) > 20
    for secret in secrets:
        assert secret not in text
    database_file = sqlite_path(world.url)
    if database_file is not None:  # also the raw pages, WAL included
        raw = b"".join(p.read_bytes() for p in database_file.parent.glob(database_file.name + "*"))
        for secret in secrets:
            assert secret.encode() not in raw


def test_agency_assignment_needs_scope_over_the_enterprise(client: TestClient, world: Any) -> None:
    b = {"credit_code": world.codes["b"]}
    assert client.post("/api/v1/users/agency/agency", json=b, headers=world.auth("lucheng")).status_code == 404
    assert client.post("/api/v1/users/agency/agency", json=b, headers=world.auth("ent_b")).status_code == 403
    assert client.post("/api/v1/users/agency/agency", json=b, headers=world.auth("city")).status_code == 201
    assert client.post("/api/v1/users/agency/agency", json=b, headers=world.auth("city")).status_code == 409
    not_agency = client.post("/api/v1/users/ent_a/agency", json=b, headers=world.auth("city"))
    assert not_agency.status_code == 422 and not_agency.json()["field"] == "username"
    assert codes_listed(client, world.auth("agency")) == [world.codes["a"], world.codes["b"]]
