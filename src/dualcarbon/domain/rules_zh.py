"""The Chinese sentence (``condition_zh``) of a trace line, beside the English ``condition`` it restates; and
the English a page shows of a stored line (:func:`trace_condition`: fact keys by their English titles).

Pure wording: the numbers, units and boundaries are the rule's; a fact is named by its Chinese title from the
pack (``title_zh``, without any English aside in parentheses) and by its key when the pack gives none. Bounds
read as the policy texts do: ``≥ x`` is "x 以上（含）", ``> x`` "超过 x（不含）", ``≤ x`` "x 以下（含）",
``< x`` "低于 x（不含）". Sums in 元 of 10 000 or more are written in 万元 when that is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from dualcarbon.reference.glossary import english
from dualcarbon.reference.policy_incentives import Bounds, FactTest, IncentiveRule, fmt

#: cap scopes as the decision letter and pages say them
CAP_SCOPE_ZH = {
    "project": "每个项目",
    "enterprise": "每家单位累计",
    "enterprise_year": "每家单位每年",
    "year": "全部申请每年",
    "cumulative": "全部申请累计",
}
#: facts of the obligation rules (data centres) that have no Chinese title in their declaration
OBLIGATION_FACT_ZH = {"pue": "PUE", "rack_count": "单体规模", "years_in_operation": "连续投产时间"}
#: where a fact of an application came from (``fact_sources``) → Chinese
SOURCE_ZH = {
    "declared by the applicant": "申请人申报",
    "approved and paid applications (cap scope)": "已批准及已拨付的申请（上限范围）",
    "reported": "报送值",
    "meter": "计量值",
    "meters": "计量表计",
}
#: the shapes of the evidence sources (subsidies.service_evidence) → Chinese, tried in order
_SOURCE_SHAPES = (
    (re.compile(r"^pv (\d+) grid-connection mode$"), "光伏 {0} 并网模式"),
    (re.compile(r"^pv (\d+) connected to the city platform$"), "光伏 {0} 接入市级平台"),
    (re.compile(r"^project (\d+) investment_yuan$"), "项目 {0} 投资额"),
    (re.compile(r"^project (\d+) verified_tce_per_year \(M&V\)$"), "项目 {0} 核定年节能量（M&V）"),
    (re.compile(r"^pv (\d+) (\S+) \((\S+)\)$"), "光伏 {0} {1}（{2}）"),
    (re.compile(r"^storage (\d+) (\S+) \((\S+)\)$"), "储能 {0} {1}（{2}）"),
    (re.compile(r"^accepted diagnosis reports (.+)$"), "已验收诊断报告 {0}"),
    (re.compile(r"^designation (\d+) level$"), "绿色制造认定 {0} 级别"),
    (re.compile(r"^designation (\d+) kind$"), "绿色制造认定 {0} 类别"),
)
#: sources stored in Chinese before the evidence wrote them in English (``PV 1 并网模式``) → that English
_LEGACY_SOURCE_SHAPES = (
    (re.compile(r"^PV (\d+) 并网模式$"), "pv {0} grid-connection mode"),
    (re.compile(r"^PV (\d+) 接入市级平台$"), "pv {0} connected to the city platform"),
)
#: the kind of thing an application funds (``project:12`` → 项目 12), as a cap's trace line names it
SUBJECT_ZH = {"project": "项目", "pv": "光伏", "storage": "储能", "designation": "绿色制造认定"}
#: the figures a ``rate_offset`` rule gives
OUTPUT_ZH = {"min_rate_pct": "最低贷款利率（%）"}
_UNIT_ZH = {"a": "年", "1": "", "month": "个月", "tce/a": "吨标准煤/年", "tce": "吨标准煤"}


def money_zh(yuan: float) -> str:
    """``1000000`` → ``100万元``; ``3500.5`` → ``3500.5元``."""
    if abs(yuan) >= 10000 and float(yuan * 100).is_integer() and (yuan * 100) % 10000 == 0:
        return f"{fmt(yuan / 10000)}万元"
    return f"{fmt(yuan)}元"


def quantity_zh(value: float, unit: str) -> str:
    """A number with its unit as written in Chinese text: 元 in 万元 where exact, ``%`` attached."""
    if unit == "元":
        return money_zh(value)
    shown = _UNIT_ZH.get(unit, unit)
    if not shown or shown == "%":
        return f"{fmt(value)}{shown}"
    return f"{fmt(value)} {shown}"


def range_zh(
    label: str, low: float | None, low_in: bool | None, high: float | None, high_in: bool | None, unit: str
) -> str:
    """``年节能量 30 吨标准煤/年以上（含）``, ``投资额 100万元（含）至 200万元（不含）``."""
    if low is not None and high is not None:
        return (
            f"{label} {quantity_zh(low, unit)}（{'含' if low_in else '不含'}）"
            f"至 {quantity_zh(high, unit)}（{'含' if high_in else '不含'}）"
        )
    if low is not None:
        amount = quantity_zh(low, unit)
        return f"{label} {amount}以上（含）" if low_in else f"{label}{_gap(label)}超过 {amount}（不含）"
    if high is not None:
        amount = quantity_zh(high, unit)
        return f"{label} {amount}以下（含）" if high_in else f"{label}{_gap(label)}低于 {amount}（不含）"
    return label


def _gap(label: str) -> str:
    """A space between a Latin label (PUE) and the Chinese word after it."""
    return " " if label[-1:].isascii() else ""


def bounds_zh(bounds: Bounds, label: str, unit: str) -> str:
    return range_zh(label, bounds.min, bounds.min_inclusive, bounds.max, bounds.max_inclusive, unit)


def fact_zh(rule: IncentiveRule, name: str) -> str:
    """The pack's Chinese title of fact ``name`` (``实际放电量``), its key when it has none."""
    spec = rule.facts.get(name)
    title = spec.title_zh if spec else ""
    return title.split(" (")[0].strip() or name


def value_zh(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return fmt(value)
    return str(value)


def choice_zh(rule: IncentiveRule | None, name: str, value: object) -> str:
    """A fact's value as Chinese text: a choice by the pack's label (``national`` → ``国家级``), else as is."""
    spec = rule.facts.get(name) if rule else None
    if spec is not None and isinstance(value, str) and value in spec.labels_zh:
        return spec.labels_zh[value]
    return value_zh(value)


def choice_labels_zh(rule: IncentiveRule | None) -> dict[str, str]:
    """Every choice label of the rule's facts, code → label (for a trace value, which does not name its fact)."""
    if rule is None:
        return {}
    return {code: label for spec in rule.facts.values() for code, label in spec.labels_zh.items()}


def leaf_zh(rule: IncentiveRule, leaf: FactTest) -> str:
    """One eligibility test in Chinese."""
    label = fact_zh(rule, leaf.fact)
    if leaf.equals is not None:
        if isinstance(leaf.equals, bool):
            return f"{label}：{value_zh(leaf.equals)}"
        return f"{label}为“{choice_zh(rule, leaf.fact, leaf.equals)}”"
    if leaf.one_of:
        return f"{label}为 {'、'.join(choice_zh(rule, leaf.fact, c) for c in leaf.one_of)} 之一"
    return bounds_zh(leaf, label, leaf.unit)


def group_zh(all_of: bool, count: int) -> str:
    if count == 1:
        return "满足以上 1 项条件"
    return f"以上 {count} 项条件全部满足" if all_of else f"以上 {count} 项条件至少满足一项"


def fixed_zh(rule: IncentiveRule, keys: Iterable[str], facts: dict[str, object], label: str) -> str:
    shown = "，".join(f"{fact_zh(rule, k)} {choice_zh(rule, k, facts.get(k))}" for k in keys)
    return f"固定奖励（{shown}）" + (f"：{label}" if label else "")


def tiers_zh(rule: IncentiveRule, base: str) -> str:
    label, unit = fact_zh(rule, base), rule.facts[base].unit
    bands = "；".join(t.label_zh or bounds_zh(t, label, unit) for t in rule.amount.tiers)
    return f"按{label}分档：{bands}"


def rate_zh(rule: IncentiveRule, base: str, rate: float, rate_unit: str) -> str:
    rate_text = f"{fmt(rate)}%" if rate_unit == "%" else f"{fmt(rate)} {rate_unit}"
    return f"补助金额 = {fact_zh(rule, base)} × {rate_text}"


def offset_zh(rule: IncentiveRule) -> str:
    amount = rule.amount
    offset = float(amount.offset or 0)
    sign = "+" if offset >= 0 else "−"
    unit = amount.offset_unit if amount.offset_unit != "%" else "个百分点"
    return (
        f"{OUTPUT_ZH.get(amount.output, amount.output)} = {fact_zh(rule, amount.base)} {sign} {fmt(abs(offset))} {unit}"
    )


def share_zh(share_pct: float) -> str:
    return f"本次拨付：补助金额的 {fmt(share_pct)}%"


def cap_zh(max_yuan: float, per: str, granted: float | None = None, room: float | None = None) -> str:
    text = f"补助金额不超过{CAP_SCOPE_ZH.get(per, per)}上限 {money_zh(max_yuan)}"
    if granted is not None:
        text += f"，扣除此前已获 {money_zh(granted)}（尚余 {money_zh(room if room is not None else 0.0)}）"
    return text


def subject_zh(subject: str) -> str:
    """``project:12`` → ``项目 12``; a subject of an unknown kind as written."""
    kind, _, number = subject.partition(":")
    return f"{SUBJECT_ZH[kind]} {number}" if kind in SUBJECT_ZH and number else subject


#: an English aside a pack adds to a Chinese text (`` (the year of entry into force is not in our copy)``)
_ENGLISH_ASIDE = re.compile(r" \([\x20-\x7e]*[A-Za-z][\x20-\x7e]*\)")


#: an English gloss a pack adds after a Chinese quote (``实际投运 — a project that discharged nothing …``,
#: ``最低档 100万元 of the retrofit tiers``): three English words or more, and no Chinese after them
_ENGLISH_TAIL = re.compile(r"\s*(?:—\s*)?(?:[A-Za-z][A-Za-z'-]*\s+){2,}[A-Za-z][^\u3400-\u9fff]*$")


def without_english_aside(text: str) -> str:
    """A pack's Chinese text (a clause, a validity note, a condition's note) for a Chinese page: its English
    asides in brackets and an English gloss at its end left out."""
    if not re.search(r"[\u3400-\u9fff]", text):
        return text  # an English text is all aside: shown as written
    return _ENGLISH_TAIL.sub("", _ENGLISH_ASIDE.sub("", text)).strip()


def claim_zh(claim: str) -> str:
    """A claim key of an application in Chinese: ``storage:1:2023-01`` → ``储能 1 2023-01``,
    ``audit_report:3`` → ``诊断报告 3``; an unknown kind as written."""
    kind, _, rest = claim.partition(":")
    names = {**SUBJECT_ZH, "audit_report": "诊断报告"}
    return f"{names[kind]} {rest.replace(':', ' ')}" if kind in names and rest else claim


def source_zh(name_zh: str, source: str) -> str:
    """``实际放电量 来源：计量值`` — an application fact and where it came from."""
    return f"{name_zh} 来源：{where_zh(source)}"


def where_zh(source: str) -> str:
    """An evidence source in Chinese; the text as is when its shape is unknown."""
    if source in SOURCE_ZH:
        return SOURCE_ZH[source]
    for shape, template in _SOURCE_SHAPES:
        match = shape.match(source)
        if match:
            parts = [("/".join(SOURCE_ZH.get(w, w) for w in g.split("/"))) for g in match.groups()]
            return template.format(*parts)
    return source


def obligation_zh(condition: Any) -> str:
    """One condition of an obligation rule (``reference.policy_rules.Condition``) in Chinese."""
    label = OBLIGATION_FACT_ZH.get(condition.fact, condition.fact)
    if condition.equals is not None:
        return f"{label}：{value_zh(condition.equals)}"
    low, high = condition.min, condition.max
    return range_zh(label, low, condition.min_inclusive, high, condition.max_inclusive, condition.unit)


def pue_grade_zh(threshold: float, grade: int) -> str:
    """GB 40879-2021: ``PUE 1.3 以下（含）：能效2级``."""
    return f"PUE {fmt(threshold)} 以下（含）：能效{grade}级"


#: the sizes of ``calc datacentre`` as the Yunnan text names them
DATACENTRE_SIZE_ZH = {"small": "小型", "medium": "中型", "large": "大型", "super_large": "超大型"}


def pue_new_large_zh(pue_max: float, applicable: bool, why_zh: str = "") -> str:
    """Yunnan: new 大型及以上 data centres ``不高于`` the value (the value itself is allowed)."""
    text = f"新建大型及以上数据中心 PUE 不高于 {fmt(pue_max)}（含）"
    if applicable:
        return text
    return f"{text}——不适用（{why_zh}）" if why_zh else f"{text}——不适用"


def new_build_na_zh(new: bool | None, size: str | None) -> str:
    """Why the Yunnan new-build limit does not apply, in Chinese (the English ``why`` restated)."""
    if new is False:
        return "非新建数据中心"
    if new is None:
        return "未说明是否新建（new）"
    if size is None:
        return "未说明规模（size），无法判断是否为大型及以上"
    return f"规模为{DATACENTRE_SIZE_ZH.get(size, size)}，不属于大型及以上"


def pue_above_limit_zh(limit: float) -> str:
    """GB 40879-2021: a PUE above the 3级 value (能效限定值) does not comply."""
    return f"PUE 超过能效3级（能效限定值）{fmt(limit)}：不符合 GB 40879-2021"


def missing_facts_zh(names: Iterable[str]) -> list[str]:
    """Facts a data-centre rule needs but was not given, by their Chinese names."""
    return [OBLIGATION_FACT_ZH.get(name, name) for name in names]


def pue_retrofit_zh(pue_above: float) -> str:
    """Yunnan: PUE ``超过`` the value needs a retrofit (the value itself does not)."""
    return f"PUE 超过 {fmt(pue_above)}（不含），需实施节能改造"


def where_en(source: str) -> str:
    """An evidence source in English: those stored in Chinese by an earlier version in their English shape."""
    for shape, template in _LEGACY_SOURCE_SHAPES:
        match = shape.match(source)
        if match:
            return template.format(*match.groups())
    return source


def fact_en(rule: IncentiveRule | None, name: str) -> str:
    """The English title of fact ``name`` (the glossary's row for the pack's Chinese title); the key without one."""
    spec = rule.facts.get(name) if rule else None
    return (english(spec.title_zh, "fact") if spec and spec.title_zh else None) or name


#: a sum of money or a rate in 元 inside an English condition (``5000000 元``, ``0.8 元/kWh``, ``5000 元/份``)
_YUAN = re.compile(r"元(?:/[^\s,;:()（）]+)?")


def condition_en(line: Mapping[str, Any], rule: IncentiveRule | None) -> str:
    """A trace line's English ``condition`` as an English page shows it: facts by their English titles instead
    of their keys, Chinese choices (自发自用、余量上网) and units (元/kWh) by their glossary names, sources stored
    in Chinese in English. Numbers, operators and boundaries are the line's own."""
    text = str(line.get("condition") or "")
    if line.get("clause") == "facts" and " from " in text:  # the provenance lines: "<fact> from <source>"
        name, source = text.split(" from ", 1)
        return f"{fact_en(rule, name)} from {where_en(source)}"
    if rule is not None:
        names = "|".join(re.escape(name) for name in sorted(rule.facts, key=len, reverse=True))
        keys = re.compile(rf"(?<![A-Za-z0-9_])(?:{names})(?![A-Za-z0-9_])")  # one pass: a title is never re-read
        text = keys.sub(lambda match: fact_en(rule, match.group(0)), text)
        for spec in rule.facts.values():
            for choice in sorted(spec.choices, key=len, reverse=True):
                shown = english(choice, "choice")
                if shown:
                    text = text.replace(choice, shown)
    return _YUAN.sub(lambda m: english(m.group(0), "unit") or m.group(0), text)


def trace_condition(line: Mapping[str, Any], language: str, rule: IncentiveRule | None = None) -> str:
    """A trace line's condition (and note) for a reader of ``language``: Chinese where the line has it.

    Lines stored before ``condition_zh`` existed fall back to the English ``condition``. English pages get
    :func:`condition_en` of it when the money ``rule`` is given, and a note (a tier's label) by its glossary row.
    """
    chinese = language == "zh"
    if chinese or rule is None:
        text = str((line.get("condition_zh") if chinese else None) or line.get("condition") or "")
    else:
        text = condition_en(line, rule)
    note = (line.get("note_zh") if chinese else None) or line.get("note")
    if note and chinese and not line.get("note_zh"):
        note = without_english_aside(str(note))  # a pack's note: its Chinese quote, without the English gloss
    elif note:
        note = english(str(note), "level") or str(note)
    return f"{text}（{note}）" if note else text
