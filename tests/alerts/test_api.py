"""``/api/v1/alerts``, subscriptions, budgets, forecasts and ``/metrics`` over HTTP (both stores)."""

from __future__ import annotations

from dualcarbon.alerts import service_alerts
from dualcarbon.store.db import session_scope

from .test_evaluate import DAY, plant


def test_alerts_over_http(world, client, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
    mine = client.get("/api/v1/alerts", headers=world.auth("ent_a"), params={"source": "anomaly"})
    assert mine.status_code == 200 and mine.json()["total"] == 2
    assert client.get("/api/v1/alerts", headers=world.auth("ent_b")).json()["total"] == 0
    assert client.get("/api/v1/alerts", headers=world.auth("longwan")).json()["total"] == 0  # 龙湾 ≠ 鹿城
    assert client.get("/api/v1/alerts", headers=world.auth("city"), params={"region": "330302"}).json()["total"] == 2
    alert_id = mine.json()["items"][0]["id"]
    hidden = client.get(f"/api/v1/alerts/{alert_id}", headers=world.auth("ent_b"))
    assert hidden.status_code == 404 and hidden.json()["message"] == "未找到该告警，或不在您的管辖范围内"
    bad = client.get("/api/v1/alerts", headers=world.auth("ent_a"), params={"level": "purple"})
    assert bad.status_code == 422 and bad.json()["field"] == "level"
    assert bad.json()["message"] == "此项只能是以下之一：黄色、橙色、红色"

    ack = client.post(f"/api/v1/alerts/{alert_id}/ack", headers=world.auth("ent_a"), json={"lock_version": 0})
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    again = client.post(f"/api/v1/alerts/{alert_id}/ack", headers=world.auth("ent_a"), json={"lock_version": 0})
    assert again.status_code == 409 and again.json()["message"] == "告警当前为「已确认」状态，不能再确认，请刷新后查看"
    no_comment = client.post(f"/api/v1/alerts/{alert_id}/close", headers=world.auth("ent_a"), json={})
    assert no_comment.status_code == 422 and no_comment.json()["message"] == "关闭告警须填写处理说明"
    closed = client.post(
        f"/api/v1/alerts/{alert_id}/close",
        headers=world.auth("city"),
        json={"comment": "现场核实：检修", "lock_version": 1},
    )
    assert closed.status_code == 200 and [e["action"] for e in closed.json()["events"]] == [
        "opened",
        "acknowledged",
        "closed",
    ]
    reviewer = client.post(f"/api/v1/alerts/{alert_id}/ack", headers=world.auth("expert"), json={})
    assert reviewer.status_code == 403 and reviewer.json()["message"] == "您的角色不能处理该告警（只读）"
    assert client.post(f"/api/v1/alerts/{alert_id}/ack", headers=world.auth("ent_a"), json={}).status_code == 409
    assert client.get("/api/v1/alerts", headers={}).status_code == 401


def test_subscriptions_budgets_forecasts_and_metrics(world, client) -> None:
    made = client.post(
        "/api/v1/alerts/subscriptions",
        headers=world.auth("ent_a"),
        json={"channel": "webhook", "target": "https://hooks.example/a", "min_level": "orange"},
    )
    assert made.status_code == 201 and len(made.json()["secret"]) == 64
    listed = client.get("/api/v1/alerts/subscriptions", headers=world.auth("ent_a")).json()
    assert [s["target"] for s in listed] == ["https://hooks.example/a"] and listed[0]["secret"] is None
    sub_id = made.json()["id"]
    assert client.delete(f"/api/v1/alerts/subscriptions/{sub_id}", headers=world.auth("ent_b")).status_code == 404
    assert client.delete(f"/api/v1/alerts/subscriptions/{sub_id}", headers=world.auth("ent_a")).status_code == 204

    code = world.codes["b"]
    put = client.put(f"/api/v1/budgets/{code}/2024", headers=world.auth("ent_b"), json={"budget_tce": 1200})
    # no monitored history: 1 200 tce in twelfths = 100 tce a month
    assert put.status_code == 200 and put.json()["monthly_budget_tce"] == [100.0] * 12
    assert (
        client.put(f"/api/v1/budgets/{code}/2024", headers=world.auth("expert"), json={"budget_tce": 1}).status_code
        == 403
    )
    assert (
        client.put(f"/api/v1/budgets/{code}/2024", headers=world.auth("ent_b"), json={"budget_tce": -5}).status_code
        == 422
    )
    got = client.get(f"/api/v1/budgets/{code}/2024", headers=world.auth("longwan"), params={"as_of": "2024-04-01"})
    assert got.status_code == 200 and got.json()["projected_year_end_tce"] is None and got.json()["level"] is None
    forecast = client.get(
        "/api/v1/forecasts", headers=world.auth("city"), params={"scope": "region", "id": "330300", "year": 2024}
    )
    assert forecast.status_code == 200 and forecast.json()["tce"]["method"] == "none"

    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'dualcarbon_http_request_duration_seconds_count{method="PUT",status="2xx"} 1.0' in text
    assert 'dualcarbon_ingest_rows_last_hour{outcome="accepted"} 0.0' in text


def test_in_app_subscription_filters_the_list(world, client, tmp_path, admin, reference) -> None:
    plant(world, tmp_path, admin, reference)  # two yellow anomaly alerts
    with session_scope(world.engine) as session:
        service_alerts.evaluate(session, admin, DAY, reference)
    mine = {"subscribed": "true"}
    assert client.get("/api/v1/alerts", headers=world.auth("ent_a"), params=mine).json()["total"] == 0  # none yet
    client.post(
        "/api/v1/alerts/subscriptions", headers=world.auth("ent_a"), json={"channel": "inapp", "min_level": "orange"}
    )
    assert (
        client.get("/api/v1/alerts", headers=world.auth("ent_a"), params=mine).json()["total"] == 0
    )  # yellow < orange
    client.post(
        "/api/v1/alerts/subscriptions",
        headers=world.auth("ent_a"),
        json={"channel": "inapp", "min_level": "yellow", "sources": ["anomaly"]},
    )
    assert client.get("/api/v1/alerts", headers=world.auth("ent_a"), params=mine).json()["total"] == 2
