"""Registry service on SQLite and PostgreSQL: validation, scope, edits with audit rows, lists, sites, units.

The ``world`` fixture (tests/conftest.py): enterprise a in 鹿城区 330302, b in 龙湾区 330303 (温州 330300),
c in 西湖区 330106 (杭州 330100); b has one clinker line on benchmark row BM2023-061.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import principal_for
from dualcarbon.core.access import SYSTEM, Principal
from dualcarbon.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dualcarbon.registry import service as registry
from dualcarbon.registry import service_sites as registry_sites
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service import EnterpriseQuery, EnterpriseSpec
from dualcarbon.registry.service_sites import SiteSpec, UnitSpec
from dualcarbon.store.db import session_scope
from dualcarbon.store.models import AuditLog

# GB 32100 check character, worked by hand: body "10000000000000000" has value 1 at position 1 (weight 1)
# and 0 elsewhere, so Σ = 1; 31 − (1 mod 31) = 30, and the character of value 30 in
# "0123456789ABCDEFGHJKLMNPQRTUWXY" is "Y". "…X" (value 29) is therefore wrong.
VALID_CODE = "10000000000000000Y"
WRONG_CHECK = "10000000000000000X"


def who(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def audit_rows(session: Session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def spec(**overrides: Any) -> EnterpriseSpec:
    values: dict[str, Any] = {
        "credit_code": VALID_CODE,
        "name": "鹿城新材料有限公司",
        "region_code": "330302",
        "industry_code": "c3011",
        "above_scale": "是",
        "land_area_mu": "12.5",
    }
    return EnterpriseSpec(**(values | overrides))


def test_create_cleans_values_and_audits(world: Any) -> None:
    with session_scope(world.engine) as session:
        created = registry.create_enterprise(session, who(session, "city"), spec())
        assert (created.industry_code, created.above_scale, created.land_area_mu) == ("C3011", True, 12.5)
        (row,) = audit_rows(session, "enterprise.create")[-1:]
        assert (row.actor, row.entity, row.entity_id, row.before) == ("city", "enterprise", VALID_CODE, None)
        assert row.after["name"] == "鹿城新材料有限公司" and row.after["region_code"] == "330302"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"credit_code": WRONG_CHECK}, "credit_code"),
        ({"credit_code": "12345"}, "credit_code"),
        ({"region_code": "33030"}, "region_code"),
        ({"industry_code": "3011"}, "industry_code"),
        ({"name": "  "}, "name"),
        ({"land_area_mu": "-1"}, "land_area_mu"),
        ({"above_scale": "maybe"}, "above_scale"),
        ({"region_code": "330399"}, "region_code"),  # well-formed but not in the tree
    ],
)
def test_bad_values_name_the_field(world: Any, overrides: dict[str, Any], field: str) -> None:
    with session_scope(world.engine) as session, pytest.raises(InvalidInput) as caught:
        registry.create_enterprise(session, who(session, "city"), spec(**overrides))
    assert caught.value.field == field


def test_create_refuses_duplicates_other_regions_and_non_regulators(world: Any) -> None:
    with session_scope(world.engine) as session, pytest.raises(Conflict):
        registry.create_enterprise(session, SYSTEM, spec(credit_code=world.codes["a"]))
    with session_scope(world.engine) as session, pytest.raises(PermissionDenied) as caught:
        registry.create_enterprise(session, who(session, "lucheng"), spec(region_code="330303"))
    assert caught.value.field == "region_code"
    for username in ("ent_a", "expert", "agency"):
        with session_scope(world.engine) as session, pytest.raises(PermissionDenied):
            registry.create_enterprise(session, who(session, username), spec())


def test_update_writes_only_changed_fields(world: Any) -> None:
    code = world.codes["a"]
    with session_scope(world.engine) as session:
        registry.update_enterprise(
            session,
            who(session, "city"),
            code,
            {"key_energy_user": "否", "name": "鹿城甲阀门有限公司", "land_area_mu": 30},
        )
        (row,) = audit_rows(session, "enterprise.update")
        # name was sent unchanged, so only the two changed fields are in the row
        assert row.before == {"key_energy_user": True, "land_area_mu": None}
        assert row.after == {"key_energy_user": False, "land_area_mu": 30.0}
    with session_scope(world.engine) as session:
        registry.update_enterprise(session, who(session, "city"), code, {"key_energy_user": False})
        assert len(audit_rows(session, "enterprise.update")) == 1  # a no-op edit writes nothing


def test_update_rules(world: Any) -> None:
    code = world.codes["a"]
    with session_scope(world.engine) as session:
        registry.update_enterprise(session, who(session, "ent_a"), code, {"address": "温州市鹿城区1号"})
    with session_scope(world.engine) as session, pytest.raises(PermissionDenied) as caught:
        registry.update_enterprise(session, who(session, "ent_a"), code, {"key_energy_user": False})
    assert caught.value.field == "key_energy_user"
    with session_scope(world.engine) as session, pytest.raises(NotFound):
        registry.update_enterprise(session, who(session, "ent_b"), code, {"address": "x"})
    with session_scope(world.engine) as session, pytest.raises(InvalidInput) as invalid:
        registry.update_enterprise(session, SYSTEM, code, {"credit_code": VALID_CODE})
    assert invalid.value.field == "credit_code"
    with session_scope(world.engine) as session, pytest.raises(PermissionDenied):
        registry.update_enterprise(session, who(session, "lucheng"), code, {"region_code": "330303"})
    with session_scope(world.engine) as session:
        version = session.scalars(select(Enterprise.version).where(Enterprise.credit_code == code)).one()
    with session_scope(world.engine) as session, pytest.raises(Conflict):
        registry.update_enterprise(session, SYSTEM, code, {"contact": "王工"}, expected_version=version - 1)
    with session_scope(world.engine) as session:
        registry.update_enterprise(
            session, who(session, "city"), code, {"region_code": "330303"}, expected_version=version
        )
        assert registry.get_enterprise(session, who(session, "longwan"), code).region_code == "330303"


def _codes(session: Session, username: str, **query: Any) -> list[str]:
    items, total = registry.list_enterprises(session, who(session, username), EnterpriseQuery(**query))
    assert total == len(items)
    return sorted(item.credit_code for item in items)


def test_lists_follow_scope_and_filters(world: Any) -> None:
    a, b, c = (world.codes[k] for k in "abc")
    with session_scope(world.engine) as session:
        assert _codes(session, "admin") == _codes(session, "province") == sorted([a, b, c])
        assert _codes(session, "city") == _codes(session, "expert") == sorted([a, b])
        assert _codes(session, "lucheng") == _codes(session, "ent_a") == _codes(session, "agency") == [a]
        assert _codes(session, "longwan") == _codes(session, "ent_b") == [b]
        assert _codes(session, "city", region_code="330303") == [b]
        assert _codes(session, "lucheng", region_code="330303") == []  # a filter never widens the scope
        assert _codes(session, "admin", region_code="330300") == sorted([a, b])
        assert _codes(session, "admin", q="水泥") == [b]
        assert _codes(session, "admin", q=c[:10].lower()) == [c]
        assert _codes(session, "admin", q="100%") == []  # wildcards are escaped
        assert _codes(session, "admin", key_energy_user=False) == [c]
        assert _codes(session, "admin", field="水泥熟料") == [b]
        assert _codes(session, "admin", industry_code="c30") == [b]
        page, total = registry.list_enterprises(session, SYSTEM, None, limit=1, offset=1)
        assert total == 3 and len(page) == 1
        # ordered by region code: 330106 (c), 330302 (a), 330303 (b); the second is a
        assert page[0].credit_code == a and page[0].region_name == "鹿城区"


def test_sites_and_units(world: Any) -> None:
    a = world.codes["a"]
    with session_scope(world.engine) as session:
        ent_a = who(session, "ent_a")
        site = registry_sites.add_site(session, ent_a, a, SiteSpec("一厂区", "鹿城路1号"))
        unit = registry_sites.add_production_unit(
            session, ent_a, a, UnitSpec("2号线", 60, "万吨/年", "BM2023-061", site_id=site.id)
        )
        assert (unit.field, unit.product, unit.capacity_unit) == ("水泥熟料", "水泥熟料", "万吨/年")
        registry_sites.update_production_unit(session, ent_a, a, unit.id, {"capacity": 80})
        registry_sites.update_site(session, ent_a, a, site.id, {"address": "鹿城路2号"})
        detail = registry.enterprise_detail(session, ent_a, a)
        assert [s.address for s in detail.sites] == ["鹿城路2号"]
        assert [(u.name, u.capacity, u.site_id) for u in detail.production_units] == [("2号线", 80.0, site.id)]
        assert [r.after for r in audit_rows(session, "production_unit.update")] == [{"enterprise": a, "capacity": 80.0}]
    with session_scope(world.engine) as session, pytest.raises(NotFound):
        registry_sites.add_site(session, who(session, "ent_b"), a, SiteSpec("x"))
    with session_scope(world.engine) as session, pytest.raises(PermissionDenied):
        registry_sites.add_site(session, who(session, "expert"), a, SiteSpec("x"))  # reviewers read only


@pytest.mark.parametrize(
    ("unit", "field"),
    [
        ({"benchmark_row_id": "BM2023-999"}, "benchmark_row_id"),
        ({"benchmark_row_id": "BM2023-061", "field": "乙烯"}, "field"),
        ({"capacity": 0}, "capacity"),
        ({"capacity_unit": "香蕉/年"}, "capacity_unit"),
        ({"benchmark_row_id": None}, "field"),  # neither a row nor field and product
        ({"site_id": 99999}, "site_id"),
    ],
)
def test_unit_validation(world: Any, unit: dict[str, Any], field: str) -> None:
    values = {"name": "线", "capacity": 10, "capacity_unit": "t/d", "benchmark_row_id": "BM2023-061"} | unit
    with session_scope(world.engine) as session, pytest.raises(InvalidInput) as caught:
        registry_sites.add_production_unit(session, SYSTEM, world.codes["a"], UnitSpec(**values))
    assert caught.value.field == field


def test_nothing_written_when_a_change_fails(world: Any) -> None:
    with session_scope(world.engine) as session:
        before = session.scalar(select(func.count(AuditLog.id)))
    with pytest.raises(InvalidInput), session_scope(world.engine) as session:
        registry.update_enterprise(session, SYSTEM, world.codes["a"], {"contact": "李", "industry_code": "?"})
    with session_scope(world.engine) as session:
        assert session.scalar(select(func.count(AuditLog.id))) == before
        assert registry.get_enterprise(session, SYSTEM, world.codes["a"]).contact is None
