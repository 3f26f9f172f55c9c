"""Registry models: regions and subtrees, enterprises, sites, production units."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from dualcarbon.registry.models import Enterprise, ProductionUnit, Region, Site, descendant_codes, in_region_subtree
from dualcarbon.store.db import session_scope


def _enterprise(credit_code: str, region_code: str, name: str = "某企业") -> Enterprise:
    return Enterprise(credit_code=credit_code, name=name, region_code=region_code, industry_code="C3011")


def test_region_paths_and_subtree(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        assert session.get_one(Region, "330381").path == "330000/330300/330381"
        assert descendant_codes(session, "330300") == ["330300", "330302", "330381"]
        assert descendant_codes(session, "330300", include_self=False) == ["330302", "330381"]
        assert len(descendant_codes(session, "330000")) == 6
        assert descendant_codes(session, "999999") == []
        assert [r.code for r in session.get_one(Region, "330300").children] == ["330302", "330381"]


def test_enterprises_in_a_subtree(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        session.add(_enterprise("91330106MA2BBBBB2Y", "330106", "杭州企业"))
    with session_scope(zhejiang) as session:

        def names(root: str) -> list[str]:
            query = select(Enterprise.name).where(in_region_subtree(Enterprise.region_code, root))
            return sorted(session.scalars(query))

        assert names("330000") == ["杭州企业", "瑞安某某泵业有限公司"]
        assert names("330300") == ["瑞安某某泵业有限公司"]
        assert names("330381") == ["瑞安某某泵业有限公司"]
        assert names("330302") == []


def test_region_code_must_be_six_digits() -> None:
    with pytest.raises(ValueError, match="6-digit"):
        Region.create("33030", "bad", "city")


def test_enterprise_round_trip_with_sites_and_units(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        enterprise = session.scalars(select(Enterprise)).one()
        site = Site(name="一厂区", address="瑞安市经济开发区")
        enterprise.sites.append(site)
        enterprise.production_units.append(
            ProductionUnit(
                site=site,
                name="1#水泥熟料线",
                field="水泥",
                product="水泥熟料",
                benchmark_row_id="BM2023-061",
                capacity=4500.0,
                capacity_unit="t/d",
            )
        )
        enterprise.land_area_mu = 120.5
    with session_scope(zhejiang) as session:
        enterprise = session.scalars(select(Enterprise)).one()
        assert enterprise.above_scale is True and enterprise.key_energy_user is False
        assert enterprise.land_area_mu == 120.5
        assert enterprise.region.name == "瑞安市"
        assert [s.name for s in enterprise.sites] == ["一厂区"]
        unit = enterprise.production_units[0]
        assert (unit.site_id, unit.benchmark_row_id, unit.capacity) == (enterprise.sites[0].id, "BM2023-061", 4500.0)
        assert enterprise.version == 2  # created as 1, one update


def test_duplicate_credit_code_is_refused(zhejiang: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add(_enterprise("91330381MA2AAAAA1X", "330302"))


def test_unknown_region_is_refused(zhejiang: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add(_enterprise("91330106MA2BBBBB2Y", "110101"))


def test_credit_code_length_is_checked(zhejiang: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(zhejiang) as session:
        session.add(_enterprise("913303", "330381"))


def test_concurrent_edit_of_an_enterprise_is_detected(zhejiang: Engine) -> None:
    with session_scope(zhejiang) as session:
        stale = session.scalars(select(Enterprise)).one()
    with session_scope(zhejiang) as session:
        session.scalars(select(Enterprise)).one().name = "新名称"
    with pytest.raises(StaleDataError), session_scope(zhejiang) as session:
        stale = session.merge(stale, load=False)
        stale.contact = "张三"
