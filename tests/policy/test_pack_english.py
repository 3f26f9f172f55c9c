"""English renderings in the policy packs (``title_en``, ``scope_en``, ``clause_en`` / ``text_en`` of a source).

The quoted Chinese governs; the renderings are our reader's aid on English pages. Checked here: the loader refuses
a blank rendering or one with no English in it, naming the file and the field; every item of every shipped pack
has its renderings (and keeps the numbers of the original); an English page shows the English clause with the
original beside it, a Chinese page only the original.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from dualcarbon.core.errors import InvalidInput
from dualcarbon.policy.service import summary
from dualcarbon.reference.glossary import english
from dualcarbon.reference.policy import (
    PolicyPack,
    clause_rendering,
    list_packs,
    load_pack,
    packs_dir,
    rendering,
)
from dualcarbon.reference.policy_files import parse_pack_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "subsidies"))
from subsidy_helpers import apply_storage, storage_with_pool

HAN = re.compile(r"[\u3400-\u9fff]")
STORAGE_CLAUSE = "4、保障措施 （二）3.鼓励储能项目市场化运行"
STORAGE_CLAUSE_EN = "4. Safeguards (2) 3. Encouraging market-based operation of energy-storage projects"

PACK = """\
schema: dualcarbon.policy-pack/1
id: {pack_id}
title_zh: 示例市节能行动方案
title_en: Example city energy-saving action plan
jurisdiction: 示例市
document: {{title: 示例市节能行动方案}}
targets:
  - id: example.target.projects
    kind: energy_saving_projects
    title_zh: 实施 10 项节能改造项目
    comparison: at_least
    value: 10
    unit: 项
    source:
      clause: 一、总体目标
      clause_en: {clause_en}
      text: 实施 10 项节能改造项目
      text_en: Carry out 10 energy-saving retrofit projects
"""


def _pack_file(tmp_path: Path, clause_en: str) -> Path:
    path = tmp_path / "example-2030.yaml"
    path.write_text(PACK.format(pack_id="example-2030", clause_en=clause_en), encoding="utf-8")
    return path


def test_a_valid_rendering_loads_and_is_shown_by_language(tmp_path: Path) -> None:
    pack = load_pack(_pack_file(tmp_path, '"I. Overall targets"'))
    source = pack.targets[0].source
    assert (source.clause_in("en"), source.clause_in("zh")) == ("I. Overall targets", "一、总体目标")
    assert source.text_in("en") == "Carry out 10 energy-saving retrofit projects"
    assert pack.title_in("en") == "Example city energy-saving action plan" and pack.title_in("zh") == pack.title_zh
    assert clause_rendering(pack, "一、总体目标", "en") == ("I. Overall targets", "一、总体目标")
    assert clause_rendering(pack, "一、总体目标", "zh") == ("一、总体目标", "")
    assert clause_rendering(pack, "附则", "en") == ("附则", "")  # a clause the pack does not quote: as written
    assert rendering("原文", None, "en") == ("原文", "")  # no rendering: the original alone


@pytest.mark.parametrize(
    ("clause_en", "message"),
    [
        ('""', "at least 1 character"),
        ("一、总体目标", "needs English words"),
        ("'   '", "at least 1 character"),  # blank once stripped
    ],
)
def test_the_loader_refuses_a_blank_or_chinese_rendering(tmp_path: Path, clause_en: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        load_pack(_pack_file(tmp_path, clause_en))
    assert raised.value.field == "example-2030.yaml: targets[0].source.clause_en", raised.value.field
    assert message in raised.value.message, raised.value.message


def test_the_text_validator_names_the_line_of_a_bad_rendering(tmp_path: Path) -> None:
    text = PACK.format(pack_id="example-2030", clause_en="I. Overall targets").replace(
        "text_en: Carry out 10 energy-saving retrofit projects", "text_en: 实施十项"
    )
    with pytest.raises(InvalidInput) as raised:
        parse_pack_text(text, "example.yaml")
    assert raised.value.field == "example.yaml line 18: targets[0].source.text_en", raised.value.field
    misspelt = PACK.format(pack_id="example-2030", clause_en="I. Overall targets").replace("title_en:", "title_eng:")
    with pytest.raises(InvalidInput) as raised:
        parse_pack_text(misspelt, "example.yaml")
    assert raised.value.field == "example.yaml line 4: title_eng" and raised.value.message == "unknown field"


def _titled_items(pack: PolicyPack) -> list[Any]:
    return [*pack.obligations, *pack.targets, *pack.schedules, *pack.parameters, *pack.rules, *pack.warning_schemes]


def _rendered_texts(pack: PolicyPack) -> list[tuple[str, str, str | None]]:
    """(where, Chinese, English rendering) of every requirement, deadline and band/tier/award label of ``pack``."""
    found: list[tuple[str, str, str | None]] = []
    for rule in pack.obligations:
        found += [(f"{r.id}.text_en", r.text_zh, r.text_en) for r in rule.requirements]
        found += [(f"{rule.id}.deadlines[{i}].what_en", d.what_zh, d.what_en) for i, d in enumerate(rule.deadlines)]
    labelled: list[Any] = [band for scheme in pack.warning_schemes for band in scheme.bands]
    labelled += [item for rule in pack.rules for item in (*rule.amount.tiers, *rule.amount.fixed)]
    found += [(f"label '{item.label_zh}'.label_en", item.label_zh, item.label_en) for item in labelled if item.label_zh]
    return found


#: a number of a Chinese text as a rendering must carry it (``2.6``, ``1000``, ``10,000`` → ``10000``); a number
#: written with 万 / 亿 is rendered in full (2.5万 → 25,000) and a month by its name (8月 → August): those are
#: checked by hand, not here
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:,\d{3})*(?:\.\d+)?(?![\d.,]*\s*[万亿月])")


def _numbers(text: str) -> set[str]:
    return {match.group(0).replace(",", "") for match in _NUMBER.finditer(text)}


@pytest.mark.parametrize("pack_id", list_packs())
def test_every_shipped_item_has_its_english_rendering(pack_id: str) -> None:
    pack = load_pack(pack_id)
    missing = [] if pack.title_en else ["title_en"]
    if pack.scope_zh and not pack.scope_en:
        missing.append("scope_en")
    missing += [f"{item.id}.title_en" for item in _titled_items(pack) if not item.title_en]
    for source in pack.sources():
        missing += [
            f"source '{source.clause}'.{name}" for name in ("clause_en", "text_en") if not getattr(source, name)
        ]
    missing += [where for where, _, english_text in _rendered_texts(pack) if not english_text]
    assert not missing, f"{pack_id}: no English rendering for {missing}"
    # one English name per title: the pack's rendering is the glossary's (English pages show titles through it)
    for item in (pack, *_titled_items(pack)):
        assert item.title_en == english(item.title_zh, "scheme"), (pack_id, item.title_zh, item.title_en)
    # the numbers of the quoted original survive the translation
    for source in pack.sources():
        assert source.text_en is not None
        lost = _numbers(source.text) - _numbers(source.text_en)
        assert not lost, f"{pack_id} '{source.clause}': {sorted(lost)} missing from text_en {source.text_en!r}"
    for where, chinese, english_text in _rendered_texts(pack):
        lost = _numbers(chinese) - _numbers(english_text or "")
        assert not lost, f"{pack_id} {where}: {sorted(lost)} missing from {english_text!r}"
        if where.startswith("label "):  # one English name per label: English pages show labels through the glossary
            assert english_text == english(chinese, "level"), (pack_id, chinese, english_text)


def test_the_number_check_can_fail() -> None:
    assert _numbers("到2025年,新增市级以上绿色工厂30家以上。") == {"2025", "30"}
    assert _numbers("腾出用能空间2.5万吨标煤，≥ 10,000 tce") == {"10000"}
    assert _numbers("于每年1月15日前、7月15日前") == {"15"}
    assert _numbers("By 2025, add 3 green factories") - {"2025", "30"} == {"3"}


def test_the_shipped_files_quote_renderings_beside_their_originals() -> None:
    """The renderings sit in the files (not only in a cache of this process) beside the field they render."""
    text = (packs_dir() / "longgang-2022.yaml").read_text(encoding="utf-8")
    assert f'clause: {STORAGE_CLAUSE}\n      clause_en: "{STORAGE_CLAUSE_EN}"' in text


def test_the_api_objects_keep_their_keys_and_add_english_ones(world: Any) -> None:
    listed = summary(load_pack("longgang-2022"))
    assert listed["title_zh"] == "龙港市制造业节能改造行动方案"
    assert listed["title_en"] == "Longgang action plan for energy-saving retrofits in manufacturing"
    assert listed["scope_en"] and not HAN.search(listed["scope_en"])
    out = apply_storage(world, storage_with_pool(world, ["2023-03"], 5_000), "2023-03")
    assert (out.clause, out.clause_en) == (STORAGE_CLAUSE, STORAGE_CLAUSE_EN)


def test_an_english_application_page_shows_the_english_clause_and_the_original(world: Any, fetch_pages: Any) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    out = apply_storage(world, storage_with_pool(world, ["2023-03"], 5_000), "2023-03")
    path = f"/subsidies/{out.id}"
    pages = fetch_pages(["city"], [path, f"/web/lang/en?next={path}"])  # the second sets dc_lang=en
    (zh_status, zh_html), (en_status, en_html) = pages["city" + path], pages[f"city/web/lang/en?next={path}"]
    assert zh_status == 200 and en_status == 200, (zh_html[-800:], en_html[-800:])
    assert f"Clause：{STORAGE_CLAUSE_EN}" in en_html  # the application's clause line
    assert f"Original: {STORAGE_CLAUSE}" in en_html  # … with the original beneath it
    assert f"{STORAGE_CLAUSE_EN} (Original: {STORAGE_CLAUSE})" in en_html  # the trace's clause column
    assert f"政策条款：{STORAGE_CLAUSE}" in zh_html
    assert STORAGE_CLAUSE_EN not in zh_html and "Original:" not in zh_html


def test_a_seeded_target_and_an_alert_detail_carry_the_english_clause() -> None:
    from dualcarbon.alerts.titles import detail_facts
    from dualcarbon.targets.service import clause_en
    from dualcarbon.ui.web.i18n import translate

    pack = load_pack("longgang-2022")
    target = pack.targets[0]
    stored = f"{target.source.clause}：{target.source.text}"  # as seeding stores it
    assert clause_en(pack.id, target.id, stored) == f"{target.source.clause_en}: {target.source.text_en}"
    assert clause_en(pack.id, target.id, stored + "（已修改）") is None  # edited since: only the original is shown
    scheme = load_pack("completion-rate-warning").warning_schemes[0]

    def t(key: str, **values: Any) -> str:
        return translate("en", key, **values)

    facts = dict(detail_facts(t, {"clause": scheme.source.clause}, "en"))
    assert list(facts.values()) == [f"{scheme.source.clause_en} (Original: {scheme.source.clause})"]
    zh = dict(detail_facts(lambda key, **values: translate("zh", key, **values), {"clause": scheme.source.clause}))
    assert list(zh.values()) == [scheme.source.clause]


def test_the_pv_height_limit_reads_in_english_with_its_original() -> None:
    from types import SimpleNamespace

    from dualcarbon.assets.pages_detail import _height_clause
    from dualcarbon.ui.web.i18n import translate

    limit = load_pack("longgang-2022").parameter_entry("longgang.pv.mount_height_max_flat_roof")
    stored = f"{limit.source.clause}: {limit.title_zh}"  # as the PV service states the limit
    english_page = SimpleNamespace(language="en", t=lambda key, **values: translate("en", key, **values))
    shown = _height_clause(english_page, stored)  # type: ignore[arg-type]
    assert shown == f"{limit.source.clause_en}: {limit.title_en} (Original: {stored})", shown
    chinese_page = SimpleNamespace(language="zh", t=lambda key, **values: translate("zh", key, **values))
    assert _height_clause(chinese_page, stored) == stored  # type: ignore[arg-type]


def test_requirements_deadlines_and_labels_have_renderings_and_a_bad_one_is_named(tmp_path: Path) -> None:
    pack = load_pack("shanghai-baiyi-2022")
    audit = next(rule for rule in pack.obligations if rule.obligation == "energy_audit")
    requirement, deadline = audit.requirements[0], audit.deadlines[0]
    assert requirement.text_in("en") == "Identify an energy-saving potential of no less than 5%"
    assert requirement.text_in("zh") == requirement.text_zh == "形成不少于 5%的节能潜力"
    assert (deadline.what_in("en"), deadline.what_in("zh")) == ("Start the energy audit", "启动能源审计工作")
    band = load_pack("completion-rate-warning").warning_schemes[0].bands[1]
    assert (band.label_in("en"), band.label_in("zh")) == ("Level I (yellow): completion 90%–100%", band.label_zh)
    text = (packs_dir() / "shanghai-baiyi-2022.yaml").read_text(encoding="utf-8")
    assert text.count("what_en: Start the energy audit\n") == 1
    with pytest.raises(InvalidInput) as raised:
        parse_pack_text(text.replace("what_en: Start the energy audit\n", "what_en: 启动审计\n"), "sh.yaml")
    assert raised.value.field.startswith("sh.yaml line "), raised.value.field
    assert raised.value.field.endswith(": obligations[0].deadlines[0].what_en"), raised.value.field
    assert "needs English words" in raised.value.message
    with pytest.raises(InvalidInput) as raised:
        parse_pack_text(text.replace("text_en: Identify", "text_en: ' '\n        # Identify", 1), "sh.yaml")
    assert raised.value.field.endswith(": obligations[0].requirements[0].text_en"), raised.value.field


def test_english_pages_show_a_tier_and_a_warning_label_in_english() -> None:
    from types import SimpleNamespace

    from dualcarbon.domain.rules_zh import trace_condition
    from dualcarbon.ui.web.formatting import data_label

    retrofit = load_pack("longgang-2022").incentive("retrofit")
    tier = retrofit.amount.tiers[1]
    line = {"condition": "tier of investment_yuan: 2000000 元 ≤ investment_yuan", "note": tier.label_zh}
    assert f"（{tier.label_en}）" in trace_condition(line, "en", retrofit)  # the trace column of an application page
    assert trace_condition(line, "zh").endswith(f"（{tier.label_zh}）")
    band = load_pack("hangzhou-warning").warning_schemes[0].bands[2]
    english_page, chinese_page = SimpleNamespace(language="en"), SimpleNamespace(language="zh")
    assert data_label(english_page, band.label_zh, "level") == band.label_en  # type: ignore[arg-type]  # targets page
    assert data_label(chinese_page, band.label_zh, "level") == band.label_zh  # type: ignore[arg-type]
