"""Who may revoke whose API token (docs/api.md): a user its own, an admin anyone's; others get 404."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _token_id(client: TestClient, world: Any, username: str) -> int:
    items = client.get("/api/v1/auth/tokens", headers=world.auth(username)).json()["items"]
    [test_token] = [item["id"] for item in items if item["name"] == "test"]
    return int(test_token)


def test_users_revoke_their_own_tokens_and_an_admin_anyones(client: TestClient, world: Any) -> None:
    a, b = _token_id(client, world, "ent_a"), _token_id(client, world, "ent_b")
    # another user's token is not found, and stays valid
    refused = client.delete(f"/api/v1/auth/tokens/{b}", headers=world.auth("ent_a"))
    assert refused.status_code == 404 and refused.json()["error"] == "NotFound"
    assert client.get("/api/v1/auth/me", headers=world.auth("ent_b")).status_code == 200
    # the administrator revokes it: it no longer authenticates; a second revocation is a conflict
    assert client.delete(f"/api/v1/auth/tokens/{b}", headers=world.auth("admin")).status_code == 204
    assert client.get("/api/v1/auth/me", headers=world.auth("ent_b")).status_code == 401
    again = client.delete(f"/api/v1/auth/tokens/{b}", headers=world.auth("admin"))
    assert again.status_code == 409 and again.json()["error"] == "Conflict"
    # a user revokes its own token (the one it is calling with)
    assert client.delete(f"/api/v1/auth/tokens/{a}", headers=world.auth("ent_a")).status_code == 204
    assert client.get("/api/v1/auth/me", headers=world.auth("ent_a")).status_code == 401
    # ids beyond what the store holds are refused before any query
    huge = client.delete(f"/api/v1/auth/tokens/{2**63}", headers=world.auth("admin"))
    assert huge.status_code == 422 and huge.json()["field"] == "token_id"
