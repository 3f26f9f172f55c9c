"""The region tree (行政区划, GB/T 2260): seeding it, reading it for pickers.

Owns: adding and renaming regions (admin only, audit-logged), seeding the 31 provincial-level divisions
shipped in ``reference/data/regions.csv``, reading a region list file (CSV: code, name, optional
parent code), and the nested tree the UI and API offer for region pickers.

Cities and districts are not shipped: a deployment seeds its own from a list (``dualcarbon regions seed
--file``), and the demo generator seeds its synthetic city. A region's parent follows from its code
(``330302`` → ``330300`` → ``330000``) unless given; when the implied city is absent (省直辖县级) the
province is the parent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import dualcarbon.reference as reference_package
from dualcarbon.core.access import Principal, require_role
from dualcarbon.core.errors import InvalidInput
from dualcarbon.core.vocab import RegionLevel
from dualcarbon.domain.identifiers import region_level, validate_region_code
from dualcarbon.registry.models import Region
from dualcarbon.registry.schemas import RegionNode
from dualcarbon.store.audit import append_audit

SHIPPED_REGIONS = Path(reference_package.__file__).resolve().parent / "data" / "regions.csv"

_STORE_LEVEL: dict[str, RegionLevel] = {"province": "province", "prefecture": "city", "county": "district"}
LEVEL_LABELS_ZH = {"province": "省级", "city": "地级", "district": "县级"}

# Header spellings accepted in a region list file → field.
_HEADERS = {
    "code": "code",
    "行政区划代码": "code",
    "代码": "code",
    "name": "name",
    "name_zh": "name",
    "名称": "name",
    "parent_code": "parent_code",
    "上级代码": "parent_code",
}


@dataclass(frozen=True)
class RegionSpec:
    """One region to seed: 6-digit code, name, and (optional) parent code."""

    code: str
    name: str
    parent_code: str | None = None


@dataclass
class SeedResult:
    created: int = 0
    renamed: int = 0
    unchanged: int = 0


def store_level(code: str) -> RegionLevel:
    """Store level of a code: ``province`` (xx0000), ``city`` (xxxx00) or ``district``."""
    return _STORE_LEVEL[region_level(code)]


def implied_parent_codes(code: str) -> list[str]:
    """Candidate parents of ``code`` by its structure, nearest first (empty for a province)."""
    level = region_level(code)
    if level == "province":
        return []
    if level == "prefecture":
        return [code[:2] + "0000"]
    return [code[:4] + "00", code[:2] + "0000"]


def shipped_provinces() -> list[RegionSpec]:
    """The 31 provincial-level divisions shipped with the package (GB/T 2260, see regions.csv)."""
    with SHIPPED_REGIONS.open(encoding="utf-8", newline="") as handle:
        return [RegionSpec(row["code"], row["name_zh"]) for row in csv.DictReader(handle)]


def read_region_file(path: Path) -> list[RegionSpec]:
    """Regions from a CSV file with columns code/行政区划代码, name/名称 and optional parent_code/上级代码."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    reader = csv.DictReader(io.StringIO(text))
    fields = {header: _HEADERS.get((header or "").strip()) for header in reader.fieldnames or []}
    if "code" not in fields.values() or "name" not in fields.values():
        raise InvalidInput(
            f"{path.name}: needs the columns code (行政区划代码) and name (名称)",
            field="header",
            zh=f"{path.name} 缺少“行政区划代码”和“名称”列",
        )
    specs = []
    for line, row in enumerate(reader, start=2):
        values = {fields[k]: (v or "").strip() for k, v in row.items() if fields.get(k)}
        if not values.get("code") and not values.get("name"):
            continue
        try:
            code = validate_region_code(values.get("code", ""))
        except InvalidInput as exc:
            exc.zh = exc.zh or f"第 {line} 行的行政区划代码须为6位数字的 GB/T 2260 代码"
            raise exc.at(f"row {line}.code") from None
        if not values.get("name"):
            raise InvalidInput("name is empty", field=f"row {line}.name", zh=f"第 {line} 行的地区名称为空")
        specs.append(RegionSpec(code, values["name"], values.get("parent_code") or None))
    return specs


def seed_regions(session: Session, actor: Principal, specs: Iterable[RegionSpec]) -> SeedResult:
    """Add the regions that are missing and rename those whose name changed (admin only).

    Parents are resolved from the database or from earlier specs of the same call; specs are applied
    from the top level down, so their order does not matter. Re-seeding the same list changes nothing.
    """
    require_role(actor, "admin")
    result = SeedResult()
    ordered = sorted(specs, key=lambda spec: (_depth(spec.code), spec.code))
    known: dict[str, Region] = {r.code: r for r in session.scalars(select(Region))}
    for spec in ordered:
        code = validate_region_code(spec.code)
        name = spec.name.strip()
        if not name:
            raise InvalidInput(f"region {code} has no name", field="name", zh=f"地区 {code} 没有名称")
        existing = known.get(code)
        if existing is not None:
            if existing.name == name:
                result.unchanged += 1
                continue
            before = {"name": existing.name}
            existing.name = name
            append_audit(session, actor.username, "region.rename", "region", code, before, {"name": name})
            result.renamed += 1
            continue
        parent = _parent_for(code, spec.parent_code, known)
        region = Region.create(code, name, store_level(code), parent)
        session.add(region)
        known[code] = region
        session.flush()
        append_audit(
            session,
            actor.username,
            "region.create",
            "region",
            code,
            None,
            {"code": code, "name": name, "level": region.level, "parent_code": region.parent_code},
        )
        result.created += 1
    return result


def seed_provinces(session: Session, actor: Principal) -> SeedResult:
    """Seed the 31 shipped provincial-level divisions (idempotent)."""
    return seed_regions(session, actor, shipped_provinces())


def _depth(code: str) -> int:
    return {"province": 0, "prefecture": 1, "county": 2}[region_level(validate_region_code(code))]


def _parent_for(code: str, parent_code: str | None, known: dict[str, Region]) -> Region | None:
    level = region_level(code)
    if parent_code:
        parent = known.get(validate_region_code(parent_code))
        if parent is None:
            raise InvalidInput(
                f"parent region {parent_code} of {code} does not exist",
                field="parent_code",
                zh=f"地区 {code} 的上级地区 {parent_code} 不存在",
            )
        if parent.code[:2] != code[:2] or _depth(parent.code) >= _depth(code):
            raise InvalidInput(
                f"{parent_code} cannot be the parent of {code}",
                field="parent_code",
                zh=f"{parent_code} 不能作为 {code} 的上级地区",
            )
        return parent
    if level == "province":
        return None
    for candidate in implied_parent_codes(code):
        if candidate in known:
            return known[candidate]
    raise InvalidInput(
        f"region {code}: its province {code[:2]}0000 is not in the tree; seed it first",
        field="code",
        zh=f"地区 {code} 所属的省级地区 {code[:2]}0000 尚未导入，请先导入省级地区",
    )


# ---- reading ------------------------------------------------------------------------------------
def region_tree(session: Session, root_code: str | None = None, *, depth: int | None = None) -> list[RegionNode]:
    """The regions as nested :class:`RegionNode` (code, name, level, children) for pickers.

    The whole tree, or the subtree of ``root_code`` (a list with that one node); ``depth`` 0 keeps only
    the top nodes, 1 adds their children, and so on. Region names are public facts: no scope applies.
    """
    query = select(Region.code, Region.name, Region.level, Region.parent_code, Region.path).order_by(Region.path)
    top_depth = 0
    if root_code is not None:
        root = session.get(Region, root_code)
        if root is None:
            return []
        query = query.where((Region.path == root.path) | Region.path.like(root.path + "/%"))
        top_depth = root.path.count("/")
    nodes: dict[str, RegionNode] = {}
    roots: list[RegionNode] = []
    for row in session.execute(query):
        level_below_top = row.path.count("/") - top_depth
        if depth is not None and level_below_top > depth:
            continue
        node = RegionNode(code=row.code, name=row.name, level=row.level)
        nodes[row.code] = node
        parent = nodes.get(row.parent_code) if row.parent_code else None
        (parent.children if parent is not None and level_below_top > 0 else roots).append(node)
    return roots


def region_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """``{code: name}`` for the given codes (unknown codes are left out)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {
        code: name for code, name in session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted)))
    }
