"""Master/sub-meter balance (总表/分表平衡) per day: the parent's energy vs the sum of its counted children.

Per Asia/Shanghai day of the range (``to`` inclusive): ``parent`` = the parent's day energy; ``children`` =
the sum of the day energies of its direct children with ``counted`` true (virtual meters included only if
counted; ``instant`` meters give no energy); ``loss`` = parent − children; ``loss_pct`` = loss ÷ parent × 100.
Any of them is null when an input is unknown: the parent's energy is null, a child's is null (flag
``children_incomplete``: a sum over part of the children is not a balance), or the parent's is 0 (no %).
Children in another carrier or unit than the parent cannot be added and are listed under ``excluded``;
production (产量) meters are neither a balance's parent nor among its children.
``completeness`` is the lowest of the parent's and children's day completeness; ``flags`` unites theirs.

No loss threshold is applied: the sources give none, so the answer reports the loss and leaves judging to
the reader.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import InvalidInput, zh_en
from dualcarbon.monitoring.models import Meter
from dualcarbon.monitoring.service_meters import find_meter, get_meter
from dualcarbon.monitoring.service_rollups import local_range, rollups_of
from dualcarbon.reference.tables import ReferenceSet

#: Longest range one balance answer covers (days), so one request stays small.
MAX_DAYS = 3660


def meter_balance(
    session: Session,
    principal: Principal,
    date_from: date,
    date_to: date,
    reference: ReferenceSet,
    *,
    meter_id: int | None = None,
    credit_code: str | None = None,
    meter_code: str | None = None,
) -> dict[str, Any]:
    """The daily balance of a parent meter the caller may read (by id, or by enterprise and code)."""
    if meter_id is not None:
        parent, enterprise = get_meter(session, principal, meter_id)
    elif credit_code and meter_code:
        parent, enterprise = find_meter(session, principal, credit_code, meter_code)
    else:
        zh = "请给出表计编号，或企业统一社会信用代码和表号"
        raise InvalidInput(zh_en(zh, "give the meter id, or the enterprise and the meter code"), field="meter", zh=zh)
    start, end = local_range("day", date_from, date_to)
    if (end - start).days > MAX_DAYS:
        zh = f"一次最多查询 {MAX_DAYS} 天"
        raise InvalidInput(zh_en(zh, f"at most {MAX_DAYS} days at a time"), field="to", zh=zh)
    if parent.measures != "energy":
        zh = f"表计「{parent.code}」计量产量而非能耗，不做总分表平衡"
        en = f"meter '{parent.code}' measures production (产量), not energy: no balance"
        raise InvalidInput(zh_en(zh, en), field="meter", zh=zh)
    children = list(
        session.scalars(
            select(Meter)
            .where(Meter.parent_id == parent.id, Meter.counted.is_(True), Meter.measures == "energy")
            .order_by(Meter.code)
        )
    )
    if not children:
        zh = f"表计「{parent.code}」没有计入总量的分表，无法做总分表平衡"
        en = f"meter '{parent.code}' has no counted sub-meters (分表) to balance"
        raise InvalidInput(zh_en(zh, en), field="meter", zh=zh)
    included = [c for c in children if (c.carrier, c.unit) == (parent.carrier, parent.unit) and c.kind != "instant"]
    excluded = [c for c in children if c not in included]
    table, _ = rollups_of(session, enterprise, [parent, *included], "day", date_from, date_to, reference)
    rows: dict[date, dict[int, dict[str, Any]]] = {}
    for row in table.to_pylist():
        rows.setdefault(row["start"].date(), {})[row["meter_id"]] = row
    days = []
    for day in sorted(rows):
        by_meter = rows[day]
        mine = by_meter[parent.id]
        kids = [by_meter[c.id] for c in included]
        flags: list[str] = []
        for r in [mine, *kids]:
            flags.extend(f for f in r["flags"] if f not in flags)
        child_sum = None if not kids or any(k["energy"] is None for k in kids) else sum(k["energy"] for k in kids)
        if kids and child_sum is None:
            flags.append("children_incomplete")
        loss = None if mine["energy"] is None or child_sum is None else mine["energy"] - child_sum
        loss_pct = None if loss is None or not mine["energy"] else loss / mine["energy"] * 100.0
        days.append(
            {
                "date": day.isoformat(),
                "parent": mine["energy"],
                "children": child_sum,
                "loss": loss,
                "loss_pct": loss_pct,
                "completeness": min(r["completeness"] for r in [mine, *kids]),
                "flags": flags,
            }
        )
    return {
        "meter_id": parent.id,
        "meter": parent.code,
        "credit_code": enterprise.credit_code,
        "carrier": parent.carrier,
        "unit": parent.unit,
        "from": start.date().isoformat(),
        "to": (end - timedelta(days=1)).date().isoformat(),
        "timezone": "Asia/Shanghai",
        "children": [{"meter_id": c.id, "meter": c.code} for c in included],
        "excluded": [
            {
                "meter_id": c.id,
                "meter": c.code,
                "reason": f"{c.carrier} in {c.unit}, not {parent.carrier} in {parent.unit}",
            }
            if c.kind != "instant"
            else {"meter_id": c.id, "meter": c.code, "reason": "instant meter: no energy"}
            for c in excluded
        ],
        "days": days,
    }
