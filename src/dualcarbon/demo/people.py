"""The demo's people and places: the region tree, the staff and enterprise logins, the enterprises.

Owns who is who in the demo: the first administrator (created by ``SYSTEM``) seeds the region tree (the
31 provinces and the synthetic city) and the staff accounts; the city regulator registers the
enterprises with their main site and production unit and sets the reporting deadlines; four enterprises
that will appeal get logins, and a service agency gets a handful of enterprises. ``Actors`` holds the
principals the later stages act as, and decides who files an enterprise's reports.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine

from dualcarbon.accounts.models import User
from dualcarbon.accounts.service_auth import NewUser, assign_agency, create_user, principal_for
from dualcarbon.core.access import SYSTEM, Grant, Principal
from dualcarbon.demo.plan import CityPlan, EnterprisePlan, owes, report_deadline
from dualcarbon.reference import ReferenceSet
from dualcarbon.registry import service as registry
from dualcarbon.registry import service_regions as regions
from dualcarbon.registry import service_sites as registry_sites
from dualcarbon.reports import service as report_service
from dualcarbon.store.db import session_scope

CHUNK = 100
EDITION = "2023"
BASIS = "gb"
APPEAL_DOCUMENT = "能源计量数据复核说明（演示）.pdf"

AGENCY_ENTERPRISES = 6  # enterprises assigned to the demo's service agency
AGENCY_DIAGNOSED = 4  # … of them owing a diagnosis, at most (the retrofit stage files four diagnoses)


class Progress(Protocol):
    """Where the build reports its progress (a rich progress bar in the CLI)."""

    def stage(self, description: str, total: int) -> None: ...

    def advance(self, steps: int = 1) -> None: ...


class NoProgress:
    """Progress that goes nowhere (tests, benchmarks)."""

    def stage(self, description: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


@dataclass(frozen=True)
class DemoLogin:
    """A printed demo login: username, role, what it covers, and its generated password."""

    username: str
    role: str
    scope: str
    password: str


@dataclass
class Actors:
    """The demo's people (principals and users by username) and what the build learnt about the enterprises:
    who holds which enterprise, the agency's enterprises, enterprise and production-unit ids."""

    by_name: dict[str, Principal] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    enterprise_users: dict[int, str] = field(default_factory=dict)  # plan index → username
    agency_enterprises: set[int] = field(default_factory=set)  # plan indices assigned to the agency
    enterprise_ids: dict[str, int] = field(default_factory=dict)  # credit code → enterprise id
    unit_ids: dict[str, int] = field(default_factory=dict)  # credit code → its production unit's id

    def __getitem__(self, username: str) -> Principal:
        return self.by_name[username]

    def filer(self, enterprise: EnterprisePlan) -> Principal:
        """Who files the enterprise's reports: its user, its agency, or a synthetic filer of its own."""
        if enterprise.index in self.enterprise_users:
            return self.by_name[self.enterprise_users[enterprise.index]]
        if enterprise.index in self.agency_enterprises:
            return self.by_name["agency"]
        enterprise_id = self.enterprise_ids[enterprise.credit_code]
        return Principal(None, f"demo:{enterprise.credit_code}", (Grant("enterprise", enterprise_id=enterprise_id),))

    def content(self, enterprise: EnterprisePlan, content: dict[str, Any]) -> dict[str, Any]:
        """Report content with its output line tied to the enterprise's registered production unit."""
        unit_id = self.unit_ids[enterprise.credit_code]
        return {**content, "outputs": [{**line, "production_unit_id": unit_id} for line in content["outputs"]]}


def chunked(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def new_password() -> str:
    """A random 16-character URL-safe password (never derived from the seed)."""
    return secrets.token_urlsafe(12)


# ---- people and places -----------------------------------------------------------------------------------
STAFF: tuple[tuple[str, str, str, str], ...] = (
    # username, role, display name, scope key (city | district | none)
    ("admin", "admin", "系统管理员（演示）", "none"),
    ("city", "regulator", "示范市经信局（演示）", "city"),
    ("dongcheng", "regulator", "东城区经信局（演示）", "district"),
    ("expert", "reviewer", "能效评审专家（演示）", "city"),
    ("agency", "agency", "示范节能服务有限公司（演示）", "none"),
)


def seed_places_and_staff(
    engine: Engine, plan: CityPlan, passwords: Callable[[], str]
) -> tuple[Actors, list[DemoLogin]]:
    """The first admin, the region tree (31 provinces + the synthetic city), and the staff accounts."""
    actors = Actors()
    logins: list[DemoLogin] = []
    city_code, city_name = plan.city
    district_code, district_name = plan.districts[0]
    scopes = {
        "city": (city_code, f"{city_name} {city_code}"),
        "district": (district_code, f"{district_name} {district_code}"),
        "none": (None, ""),
    }
    with session_scope(engine) as session:
        admin_password = passwords()
        admin = create_user(session, SYSTEM, NewUser("admin", admin_password, "admin", display_name=STAFF[0][2]))
        actors.users["admin"] = admin
        actors.by_name["admin"] = principal_for(session, admin)
        logins.append(DemoLogin("admin", "admin", "全部 (all)", admin_password))
        regions.seed_provinces(session, actors["admin"])
        specs = [regions.RegionSpec(city_code, city_name, plan.province[0])]
        specs += [regions.RegionSpec(code, name, city_code) for code, name in plan.districts]
        regions.seed_regions(session, actors["admin"], specs)
        for username, role, display, scope_key in STAFF[1:]:
            region_code, scope_text = scopes[scope_key]
            password = passwords()
            user = create_user(
                session,
                actors["admin"],
                NewUser(username, password, role, display_name=display, region_code=region_code),
            )
            actors.users[username] = user
            actors.by_name[username] = principal_for(session, user)
            logins.append(DemoLogin(username, role, scope_text or "分配的企业 (assigned enterprises)", password))
    return actors, logins


def register_enterprises(
    engine: Engine,
    actor: Principal,
    enterprises: Sequence[EnterprisePlan],
    reference: ReferenceSet,
    progress: Progress,
    actors: Actors,
) -> None:
    """Each enterprise with its main site and its production unit, registered by ``actor`` (a regulator)."""
    for chunk in chunked(enterprises):
        with session_scope(engine) as session:
            for plan in chunk:
                enterprise = registry.create_enterprise(
                    session,
                    actor,
                    registry.EnterpriseSpec(
                        plan.credit_code,
                        plan.name,
                        plan.region_code,
                        plan.profile.industry_code,
                        above_scale=plan.above_scale,
                        land_area_mu=plan.land_area_mu,
                        key_energy_user=plan.key_energy_user,
                        address=plan.address,
                        contact=plan.contact,
                    ),
                )
                actors.enterprise_ids[plan.credit_code] = enterprise.id
                site = registry_sites.add_site(
                    session, actor, plan.credit_code, registry_sites.SiteSpec("主厂区", plan.address)
                )
                unit = registry_sites.add_production_unit(
                    session,
                    actor,
                    plan.credit_code,
                    registry_sites.UnitSpec(
                        plan.profile.unit_name.format(n=1),
                        plan.capacity,
                        plan.profile.capacity_unit,
                        benchmark_row_id=plan.profile.row_id,
                        product=plan.profile.product,
                        site_id=site.id,
                    ),
                    reference,
                )
                actors.unit_ids[plan.credit_code] = unit.id
                progress.advance()


def choose_enterprise_users(plan: CityPlan) -> list[EnterprisePlan]:
    """Four enterprises whose latest report is approved in 3级 or below the limit — they appeal; the
    first lies in the district whose regulator gets a login."""
    order = {"fails_limit": 0, "grade_3": 1, "grade_2": 2, "grade_1": 3}
    approved = [e for e in plan.enterprises if e.latest.fate == "approved"]
    candidates = [e for e in approved if e.tier in ("fails_limit", "grade_3")]
    if len(candidates) < 4:  # a small city (--enterprises 10) may not have four: the next-worst approved ones appeal
        candidates += sorted((e for e in approved if e not in candidates), key=lambda e: order.get(e.tier, 4))
    candidates.sort(key=lambda e: (order.get(e.tier, 4) > 0, e.index))
    first_district = plan.districts[0][0]
    first = next((e for e in candidates if e.region_code == first_district), candidates[0])
    others = [e for e in candidates if e is not first]
    others.sort(key=lambda e: (e.region_code == first_district, e.index))
    return [first, *others[:3]]


def seed_enterprise_logins(
    engine: Engine, plan: CityPlan, actors: Actors, passwords: Callable[[], str]
) -> list[DemoLogin]:
    """Enterprise users of the appealing enterprises, and the agency's assigned enterprises."""
    logins: list[DemoLogin] = []
    chosen = choose_enterprise_users(plan)
    taken = {e.index for e in chosen}
    eligible = [e for e in plan.enterprises if e.index not in taken and e.latest.fate in ("approved", "submitted")]
    # the agency (节能诊断服务机构) serves the enterprises owing a diagnosis first (the retrofit stage diagnoses
    # them), then others spread over the districts, :data:`AGENCY_ENTERPRISES` in all
    diagnosed = [e for e in eligible if owes("diagnosis", e.latest.total_tce)][:AGENCY_DIAGNOSED]
    spread = sorted((e for e in eligible if e not in diagnosed), key=lambda e: (e.region_code, e.index))
    spread = spread[:: max(1, len(spread) // AGENCY_ENTERPRISES)][: AGENCY_ENTERPRISES - len(diagnosed)]
    agency = diagnosed + spread
    with session_scope(engine) as session:
        for number, enterprise in enumerate(chosen, start=1):
            username = f"qiye{number}"
            password = passwords()
            user = create_user(
                session,
                actors["admin"],
                NewUser(
                    username,
                    password,
                    "enterprise",
                    display_name=enterprise.name,
                    enterprise_credit_code=enterprise.credit_code,
                ),
            )
            actors.by_name[username] = principal_for(session, user)
            actors.enterprise_users[enterprise.index] = username
            logins.append(DemoLogin(username, "enterprise", f"{enterprise.name} {enterprise.credit_code}", password))
        for enterprise in agency:
            assign_agency(session, actors["city"], "agency", enterprise.credit_code)
            actors.agency_enterprises.add(enterprise.index)
        actors.by_name["agency"] = principal_for(session, actors.users["agency"])  # now with its enterprises
    return logins


def set_deadlines(engine: Engine, plan: CityPlan, actor: Principal) -> None:
    """The annual-report deadlines of the three years for the whole city (31 March of the next year)."""
    with session_scope(engine) as session:
        for year in plan.spec.years:
            report_service.set_deadline(session, actor, plan.city[0], "year", year, 0, report_deadline(year))
