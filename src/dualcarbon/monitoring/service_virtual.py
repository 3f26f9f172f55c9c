"""Virtual meters (虚拟表): values defined by a formula over other meters of the same enterprise.

A formula is linear in the meters, e.g. ``M1 - M2 + 0.5*M3`` or ``(A + B) / 2``: meter codes (letters, digits,
``_`` and ``.``, or any code in square brackets: ``[E-1]``), numbers, ``+ - * /`` and parentheses. It is parsed
by the tiny recursive-descent parser below into coefficients per meter code — never ``eval``. A product needs
a constant on one side, a division a non-zero constant divisor, and there is no constant term (a virtual
meter's energy is zero when its members' are).

Rules checked on import (:func:`formula_problems`): the members exist in the same enterprise (in the file or the
register), measure the same carrier in the same unit as the virtual meter, and virtual members do not form a
cycle. A virtual meter has no readings of its own.

Rollups (:func:`virtual_rollups`): per period, energy = Σ coefficient × member energy — null when any member's
energy is null (gaps stay gaps); completeness = the lowest of the members'; flags = the members' flags; tce,
tce_equal and tco2 = energy × the virtual meter's own per-unit factors (its carrier and unit, the period's year).

Besides the import, :func:`define_virtual_meter` creates one or changes its formula (``POST /api/v1/meters/virtual``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.core.errors import Conflict, InvalidInput, zh_en, zh_part
from dualcarbon.monitoring.models import Meter
from dualcarbon.reference.tables import ReferenceSet
from dualcarbon.registry.models import Enterprise
from dualcarbon.registry.service_access import require_enterprise
from dualcarbon.store.audit import append_audit

MAX_FORMULA = 400
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([^\W\d][\w.]*)|\[([^\]]+)\]|(\S))")

Linear = tuple[dict[str, float], float]  # coefficients per meter code, constant term


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the last alternative matches any non-space character
            raise ValueError(
                zh_en(f"公式第 {position + 1} 位无法识别", f"cannot read the formula at position {position + 1}")
            )
        number, name, bracketed, symbol = match.groups()
        if number is not None:
            out.append(("num", number))
        elif name is not None or bracketed is not None:
            out.append(("meter", (name or bracketed or "").strip()))
        elif symbol in ("+", "-", "*", "/", "(", ")"):
            out.append(("op", symbol))
        else:
            where = match.start(4) + 1
            raise ValueError(
                zh_en(f"公式第 {where} 位的「{symbol}」无法识别", f"unexpected '{symbol}' at position {where}")
            )
        position = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) and self.tokens[self.i][0] == "op" else None

    def expr(self) -> Linear:
        value = self.term()
        while self.peek() in ("+", "-"):
            sign = 1.0 if self.tokens[self.i][1] == "+" else -1.0
            self.i += 1
            value = _add(value, _scale(self.term(), sign))
        return value

    def term(self) -> Linear:
        value = self.factor()
        while self.peek() in ("*", "/"):
            op = self.tokens[self.i][1]
            self.i += 1
            right = self.factor()
            if op == "*":
                if value[0] and right[0]:
                    raise ValueError(
                        zh_en(
                            "两块表的乘积不是能耗：表只能乘以数字",
                            "a product of two meters is not energy; multiply a meter by a number",
                        )
                    )
                value = _scale(right, value[1]) if not value[0] else _scale(value, right[1])
            else:
                if right[0] or right[1] == 0:
                    raise ValueError(zh_en("只能除以不为 0 的数字", "divide only by a number other than 0"))
                value = _scale(value, 1.0 / right[1])
        return value

    def factor(self) -> Linear:
        if self.i >= len(self.tokens):
            raise ValueError(zh_en("公式不完整（结尾缺少表号或数字）", "the formula ends too early"))
        kind, token = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            return {}, float(token)
        if kind == "meter":
            return {token: 1.0}, 0.0
        if token in ("+", "-"):
            return _scale(self.factor(), 1.0 if token == "+" else -1.0)
        if token == "(":
            value = self.expr()
            if self.peek() != ")":
                raise ValueError(zh_en("有未闭合的「(」", "a '(' is not closed"))
            self.i += 1
            return value
        raise ValueError(zh_en(f"此处不应出现「{token}」", f"unexpected '{token}'"))


def _add(a: Linear, b: Linear) -> Linear:
    coefficients = dict(a[0])
    for code, c in b[0].items():
        coefficients[code] = coefficients.get(code, 0.0) + c
    return coefficients, a[1] + b[1]


def _scale(a: Linear, k: float) -> Linear:
    return {code: c * k for code, c in a[0].items()}, a[1] * k


def parse_formula(text: str) -> dict[str, float]:
    """Coefficients per member meter code of a linear formula; raises ValueError with the reason."""
    if not text.strip():
        raise ValueError(zh_en("公式为空", "empty formula"))
    if len(text) > MAX_FORMULA:
        raise ValueError(zh_en(f"公式最多 {MAX_FORMULA} 个字符", f"at most {MAX_FORMULA} characters"))
    try:
        parser = _Parser(_tokens(text))
        coefficients, constant = parser.expr()
        if parser.i != len(parser.tokens):
            token = parser.tokens[parser.i][1]
            raise ValueError(zh_en(f"公式结束后多出「{token}」", f"unexpected '{token}' after the end of the formula"))
        if constant != 0:
            raise ValueError(
                zh_en(
                    "公式不能有常数项：各成员表能耗为零时虚拟表也须为零",
                    "no constant term: a virtual meter's energy is zero when its members' are",
                )
            )
    except ValueError as exc:
        raise ValueError(_with_bracket_hint(str(exc), text)) from None
    coefficients = {code: c for code, c in coefficients.items() if c != 0}
    if not coefficients:
        raise ValueError(zh_en("公式中没有任何表号", "the formula names no meter"))
    return coefficients


#: A meter code written without brackets that holds a ``-`` (``E-01``): read as arithmetic (E minus 01).
_UNBRACKETED = re.compile(r"(?<![\w.\[])([^\W\d][\w.]*(?:-[\w.]+)+)")


def unbracketed_code(text: str) -> tuple[str, int] | None:
    """The first run like ``E-01`` (a code with ``-`` and no spaces, outside brackets) and its 1-based position,
    or None."""
    match = _UNBRACKETED.search(text)
    return (match.group(1), match.start(1) + 1) if match else None


def _with_bracket_hint(reason: str, text: str) -> str:
    """``reason`` led by the fix when the formula holds an unbracketed code with an operator in it."""
    found = unbracketed_code(text)
    if found is None:
        return reason
    code, position = found
    return zh_en(
        f"第 {position} 位的「{code}」被当作算式读取：含 - 等运算符的表号须写在方括号里，"
        f"如 [{code}]；{zh_part(reason)}",
        f"'{code}' at position {position} reads as arithmetic: write a meter code containing '-' or another "
        f"operator in square brackets, e.g. [{code}]; {reason.split(' / ', 1)[-1]}",
    )


def formula_problems(
    rows: dict[str, tuple[int, str, str, str, str | None]],
) -> list[tuple[int, str, str]]:
    """Problems of the formulas of one enterprise's meters.

    ``rows`` maps every meter code (file and register) to (row, kind, carrier, unit, formula); row 0 = register.
    """
    problems: list[tuple[int, str, str]] = []
    members: dict[str, list[str]] = {}
    for code, (row, kind, carrier, unit, formula) in rows.items():
        if kind == "virtual" and not formula:
            problems.append((row, "formula", zh_en("虚拟表须填写公式", "a virtual meter needs a formula")))
        if formula and kind != "virtual":
            problems.append(
                (
                    row,
                    "formula",
                    zh_en("只有类型为 virtual（虚拟表）的表才填公式", "only a meter of kind virtual has a formula"),
                )
            )
        if not formula or kind != "virtual":
            continue
        try:
            coefficients = parse_formula(formula)
        except ValueError as exc:
            problems.append((row, "formula", str(exc)))
            continue
        members[code] = list(coefficients)
        for member in coefficients:
            if member not in rows:
                reason = zh_en(f"本企业没有表号「{member}」", f"no meter '{member}' in this enterprise")
                problems.append((row, "formula", _with_bracket_hint(reason, formula)))
            elif (rows[member][2], rows[member][3]) != (carrier, unit):
                problems.append(
                    (
                        row,
                        "formula",
                        zh_en(
                            f"「{member}」的能源品种或单位与本表（{carrier}，{unit}）不同",
                            f"'{member}' is not {carrier} in {unit} like this meter",
                        ),
                    )
                )
    for code in members:
        if _cycle(code, members):
            reason = zh_en(f"公式经「{code}」形成循环引用", f"the formulas form a cycle through '{code}'")
            problems.append((rows[code][0], "formula", reason))
    return [p for p in problems if p[0] > 0]


def _cycle(start: str, members: dict[str, list[str]]) -> bool:
    stack, seen = list(members.get(start, [])), set()
    while stack:
        code = stack.pop()
        if code == start:
            return True
        if code not in seen:
            seen.add(code)
            stack.extend(members.get(code, []))
    return False


def virtual_rollups(
    session: Session,
    enterprise: Enterprise,
    meter: Meter,
    interval: str,
    start: datetime,
    end: datetime,
    reference: ReferenceSet,
    _depth: int = 0,
) -> pa.Table:
    """Rollup rows of a virtual meter over [start, end) (naive Asia/Shanghai), from its members' rollups."""
    from dualcarbon.monitoring import service_refresh
    from dualcarbon.monitoring.service_factors import factors_for
    from dualcarbon.monitoring.service_rollups import province_name

    if _depth > 32:
        zh = f"虚拟表「{meter.code}」的公式嵌套过深"
        raise InvalidInput(
            zh_en(zh, f"virtual meter '{meter.code}': formulas nested too deeply"), field="formula", zh=zh
        )
    coefficients = parse_formula(meter.formula or "")
    found = {
        m.code: m
        for m in session.scalars(
            select(Meter).where(Meter.enterprise_id == enterprise.id, Meter.code.in_(list(coefficients)))
        )
    }
    missing = sorted(set(coefficients) - set(found))
    if missing:
        zh = f"虚拟表「{meter.code}」的公式引用了不存在的表：{'、'.join(missing)}"
        en = f"virtual meter '{meter.code}': no meter {', '.join(missing)}"
        raise InvalidInput(zh_en(zh, en), field="formula", zh=zh)
    real = [m for m in found.values() if m.kind != "virtual"]
    parts: list[pa.Table] = []
    if real:
        service_refresh.refresh_enterprise(session, enterprise, reference)
        parts.append(service_refresh.read_stored(session, enterprise, real, interval, start, end))
    for m in found.values():
        if m.kind == "virtual":
            parts.append(virtual_rollups(session, enterprise, m, interval, start, end, reference, _depth + 1))
    code_of = {m.id: m.code for m in found.values()}
    by_start: dict[datetime, list[dict[str, Any]]] = {}
    for row in pa.concat_tables(parts).to_pylist():
        by_start.setdefault(row["start"], []).append(row)
    province = province_name(session, enterprise)
    out: dict[str, list[object]] = {c: [] for c in ("start", "energy", "tce", "tce_equal", "tco2", "completeness")}
    flags_out: list[list[str]] = []
    for period, rows in sorted(by_start.items()):
        energies = [r["energy"] for r in rows]
        energy = (
            None
            if any(e is None for e in energies)
            else sum(coefficients[code_of[int(r["meter_id"])]] * float(r["energy"]) for r in rows)
        )
        flags: list[str] = []
        for r in rows:
            flags.extend(f for f in r["flags"] if f not in flags)
        f = factors_for(reference, meter.carrier, meter.unit, period.year, province)
        per_unit = {"tce": f.tce_per_unit, "tce_equal": f.tce_equal_per_unit, "tco2": f.tco2_per_unit}
        out["start"].append(period)
        out["energy"].append(energy)
        for name, k in per_unit.items():
            out[name].append(None if energy is None or k is None else energy * k)
            if energy is not None and k is None and f"{name}_unavailable" not in flags:
                flags.append(f"{name}_unavailable")
        out["completeness"].append(min(float(r["completeness"]) for r in rows))
        flags_out.append(flags)
    n = len(out["start"])
    return pa.table(
        {
            "meter_id": pa.array([meter.id] * n, pa.int32()),
            "start": pa.array(out["start"], pa.timestamp("us")),
            "energy": pa.array(out["energy"], pa.float64()),
            "tce": pa.array(out["tce"], pa.float64()),
            "tce_equal": pa.array(out["tce_equal"], pa.float64()),
            "tco2": pa.array(out["tco2"], pa.float64()),
            "completeness": pa.array(out["completeness"], pa.float64()),
            "flags": pa.array(flags_out, pa.list_(pa.string())),
        }
    )


def define_virtual_meter(
    session: Session,
    principal: Principal,
    credit_code: str,
    code: str,
    carrier: str,
    unit: str,
    formula: str,
    reference: ReferenceSet,
    *,
    counted: bool = False,
) -> tuple[Meter, bool]:
    """Create a virtual meter, or change the formula of an existing one (the API's way; the import is the other).

    Same checks as the import (:func:`formula_problems`); the caller must be allowed to change the enterprise's
    data; audited as ``meter.create`` / ``meter.update``. Returns the meter and whether it was created.
    """
    from dualcarbon.monitoring.service_meters import check_meter_fields

    enterprise = require_enterprise(session, principal, credit_code, write=True)
    code = code.strip()
    if not code or len(code) > 64:
        raise InvalidInput(
            zh_en("表号须为 1 至 64 个字符", "a meter code of 1 to 64 characters"),
            field="code",
            zh="表号须为 1 至 64 个字符",
        )
    carrier_id, unit = check_meter_fields(carrier, unit, reference)
    meters = {m.code: m for m in session.scalars(select(Meter).where(Meter.enterprise_id == enterprise.id))}
    existing = meters.get(code)
    if existing is not None and existing.kind != "virtual":
        zh = f"表号「{code}」已是一块实体表，不能定义为虚拟表"
        raise Conflict(zh_en(zh, f"meter '{code}' exists and is not virtual"), zh=zh)
    rows = {c: (0, m.kind, m.carrier, m.unit, m.formula) for c, m in meters.items()}
    rows[code] = (1, "virtual", carrier_id, unit, formula.strip())
    problems = formula_problems(rows)
    if problems:
        raise InvalidInput(
            "; ".join(reason for _, _, reason in problems),
            field="formula",
            zh="；".join(zh_part(reason) for _, _, reason in problems),
        )
    values = {"carrier": carrier_id, "unit": unit, "formula": formula.strip(), "counted": counted}
    if existing is None:
        meter = Meter(
            enterprise_id=enterprise.id,
            code=code,
            kind="virtual",
            multiplier=1.0,
            interval_minutes=15,
            statistic_type="realtime",
            input_type="automatic",
            **values,
        )
        session.add(meter)
        session.flush()
        append_audit(session, principal.username, "meter.create", "meter", meter.id, None, _audit_view(meter))
        return meter, True
    before = _audit_view(existing)
    for name, value in values.items():
        setattr(existing, name, value)
    if _audit_view(existing) != before:
        session.flush()
        append_audit(session, principal.username, "meter.update", "meter", existing.id, before, _audit_view(existing))
    return existing, False


def _audit_view(meter: Meter) -> dict[str, Any]:
    fields = ("enterprise_id", "code", "kind", "carrier", "unit", "formula", "counted")
    return {f: getattr(meter, f) for f in fields}
