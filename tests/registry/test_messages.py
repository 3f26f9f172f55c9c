"""Refusals of the registry and accounts APIs speak the reader's language and name the field (issue #7 item 5).

No ``Accept-Language`` (or one preferring Chinese): the Chinese message, naming the field as a person calls
it, with no internal ids or field names; ``Accept-Language: en``: the English one. The JSON ``field`` names
the offending input either way.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from dualcarbon.domain.identifiers import make_credit_code

NEW_CODE = make_credit_code("91330302MA2DD0004")
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
# what must not reach a Chinese reader: ASCII words of three letters or more (field names, "enterprise 12")
INTERNAL = re.compile(r"[A-Za-z_]{3,}")


def _enterprise(**overrides: Any) -> dict[str, Any]:
    return {
        "credit_code": NEW_CODE,
        "name": "鹿城丁机械有限公司",
        "region_code": "330302",
        "industry_code": "C3411",
    } | (overrides)


def _refusal(response: Any, status: int, field: str | None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field
    return str(body["message"])


def test_a_bad_credit_code_is_refused_in_chinese_naming_the_field(client: TestClient, world: Any) -> None:
    city = world.auth("city")
    short = client.post("/api/v1/enterprises", json=_enterprise(credit_code=NEW_CODE[:16]), headers=city)
    assert _refusal(short, 422, "credit_code") == "统一社会信用代码须为18位，收到 16 位"
    english = client.post("/api/v1/enterprises", json=_enterprise(credit_code=NEW_CODE[:16]), headers=city | ENGLISH)
    assert _refusal(english, 422, "credit_code") == f"must have 18 characters, has 16 ('{NEW_CODE[:16]}')"

    wrong_check = NEW_CODE[:17] + ("0" if NEW_CODE[17] != "0" else "1")
    checked = client.post("/api/v1/enterprises", json=_enterprise(credit_code=wrong_check), headers=city)
    message = _refusal(checked, 422, "credit_code")
    assert message == "统一社会信用代码有误：末位校验码与前17位不符（GB 32100），请核对" and not INTERNAL.search(
        message
    )


def test_registry_field_messages_in_both_languages(client: TestClient, world: Any) -> None:
    city = world.auth("city")
    industry = client.post("/api/v1/enterprises", json=_enterprise(industry_code="XY1"), headers=city)
    assert _refusal(industry, 422, "industry_code") == "「XY1」不是 GB/T 4754 行业代码（门类字母加2–4位数字，如 C3011）"
    assert "not a GB/T 4754 code" in _refusal(
        client.post("/api/v1/enterprises", json=_enterprise(industry_code="XY1"), headers=city | ENGLISH),
        422,
        "industry_code",
    )
    outside = client.post("/api/v1/enterprises", json=_enterprise(region_code="330106"), headers=world.auth("lucheng"))
    assert _refusal(outside, 403, "region_code") == "西湖区不在您的管辖范围内，不能在此登记企业"

    missing = client.post("/api/v1/enterprises", json={"credit_code": NEW_CODE}, headers=city)
    assert _refusal(missing, 422, "name") == "请填写名称"  # FastAPI's own validation, labelled as the form labels it
    missing_en = client.post("/api/v1/enterprises", json={"credit_code": NEW_CODE}, headers=city | ENGLISH)
    assert _refusal(missing_en, 422, "name") == "Field required"

    own = world.codes["a"]
    renamed = client.patch(f"/api/v1/enterprises/{own}", json={"name": "新名称"}, headers=world.auth("ent_a"))
    assert _refusal(renamed, 403, "name") == "只有主管部门可以修改企业名称"
    unknown = client.get(f"/api/v1/enterprises/{NEW_CODE}", headers=city)
    assert _refusal(unknown, 404, None) == "未找到该企业，或不在您的管辖范围内"
    assert _refusal(client.get(f"/api/v1/enterprises/{NEW_CODE}", headers=city | ENGLISH), 404, None) == (
        f"enterprise {NEW_CODE} not found"
    )

    unit = {"name": "1号窑", "capacity": 100, "capacity_unit": "香蕉/年", "field": "水泥熟料", "product": "熟料"}
    bad_unit = client.post(f"/api/v1/enterprises/{own}/units", json=unit, headers=city)
    assert _refusal(bad_unit, 422, "capacity_unit") == "无法识别的产能单位「香蕉/年」（如 万吨/年、t/d、MW）"
    denied = client.post("/api/v1/enterprises", json=_enterprise(), headers=world.auth("ent_a"))
    assert _refusal(denied, 403, None) == "此操作需要监管部门权限"


def test_accounts_messages_in_both_languages(client: TestClient, world: Any) -> None:
    admin = world.auth("admin")
    taken = {"username": "city", "password": "long-enough-1", "role": "regulator", "region_code": "330300"}
    duplicate = client.post("/api/v1/users", json=taken, headers=admin)
    assert _refusal(duplicate, 409, "username") == "用户名 city 已被使用"
    assert _refusal(client.post("/api/v1/users", json=taken, headers=admin | ENGLISH), 409, "username") == (
        "user 'city' already exists"
    )
    short = client.post("/api/v1/users", json=taken | {"username": "newcomer", "password": "short"}, headers=admin)
    assert _refusal(short, 422, "password") == "密码至少需要 8 个字符"
    scopes = client.post("/api/v1/auth/tokens", json={"name": "读数", "scopes": "root"}, headers=admin)
    assert _refusal(scopes, 422, "scopes").startswith("令牌权限范围只能是")
    nobody = client.post("/api/v1/users/ghost/disable", headers=admin)
    assert _refusal(nobody, 404, None) == "未找到用户 ghost"
    revoked = client.delete("/api/v1/auth/tokens/987654", headers=admin | ENGLISH)
    assert _refusal(revoked, 404, None) == "token 987654 not found"
