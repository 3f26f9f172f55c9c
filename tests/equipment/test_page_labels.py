"""#7 §5 on the equipment pages: a grading note (written "<Chinese> / <English>") is shown in the page's
language — no Chinese left on an English page, no reference table name on a Chinese one; the technology field
and the waste-heat media are named by the glossary in English mode."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from dualcarbon.equipment import grading
from dualcarbon.equipment.pages import match_row, note_text, technology_row
from dualcarbon.reference.tables import shipped_reference
from dualcarbon.ui.web.i18n import translate

HAN = re.compile(r"[\u3400-\u9fff]")
#: A standard's own title (GB 20052-2024 电力变压器能效限定值及能效等级) is a name, left as written.
STANDARD_TITLE = re.compile(r"GB \d+-\d+ [\u3400-\u9fff]+")
TABLE_NAME = re.compile(r"motor_efficiency_gb18613|equipment_efficiency_grades")


def _ctx(language: str) -> SimpleNamespace:
    return SimpleNamespace(language=language, t=lambda key, **kw: translate(language, key, **kw))


def _notes() -> list[str]:
    reference = shipped_reference()
    tables = {name: reference.tables[name].rows for name in (grading.MOTOR_TABLE, grading.GRADES_TABLE)}
    cases = [("transformer", 100.0, None), ("pump", 15.0, None), ("fan", 15.0, None), ("air_compressor", 45.0, None)]
    cases += [("boiler", 100.0, None), ("motor", 15.3, 4), ("motor", 15.0, 3)]
    notes = [grading.find_grade_row(tables, kind, kw, poles).note for kind, kw, poles in cases]
    assert all(notes)
    return [note for note in notes if note]


@pytest.mark.parametrize("index", range(7))
def test_grading_notes_in_the_page_language(index: int) -> None:
    note = _notes()[index]
    english = note_text(_ctx("en"), note)  # type: ignore[arg-type]
    assert not HAN.search(STANDARD_TITLE.sub("", english)) and "、" not in english, english
    chinese = note_text(_ctx("zh"), note)  # type: ignore[arg-type]
    assert HAN.search(chinese) and not TABLE_NAME.search(chinese), chinese
    assert " / no " not in chinese and "not graded" not in chinese


def test_technology_field_and_media_from_the_glossary() -> None:
    tech = SimpleNamespace(model_dump=lambda: {"code": "T-1", "name": "高效电机", "field": "电机系统"}, cited_by=[])
    assert technology_row(tech, _ctx("en"))["field"] == "motor systems"  # type: ignore[arg-type]
    assert technology_row(tech, _ctx("zh"))["field"] == "电机系统"  # type: ignore[arg-type]
    point = SimpleNamespace(enterprise_name="E", name="窑炉烟气", medium="烟气", temperature_c=320.0)
    sink = SimpleNamespace(enterprise_name="F", name="工艺热水", medium="热水", temperature_c=80.0)
    item = SimpleNamespace(
        source=point, sink=sink, quantity_overlap=1.0, schedule_overlap=1.0, distance_km=1.0, score=1.0, notes=[]
    )
    row = match_row(_ctx("en"), item)  # type: ignore[arg-type]
    assert "（flue gas）" in row["source"] and "（hot water）" in row["sink"]
    assert "（烟气）" in match_row(_ctx("zh"), item)["source"]  # type: ignore[arg-type]


def test_chinese_note_names_the_table_once_by_its_title() -> None:
    family = next(note for note in _notes() if "EQ-" in note and "参考表" in note)
    chinese = note_text(_ctx("zh"), family)  # type: ignore[arg-type]
    title = translate("zh", "glossary.table.motor_efficiency_gb18613")
    assert chinese.count(title) == 1 and "参考表 " + title not in chinese, chinese


def test_pump_and_compressor_metrics_in_the_page_language() -> None:
    # GB 19762 pumps are graded on formula coefficients and Ci, GB 19153 compressors on specific power: the
    # Chinese page names them in Chinese (units in words, "-" left out), the English page in English
    notes = {kind: note for kind, note in zip(("transformer", "pump", "fan", "air_compressor"), _notes(), strict=False)}
    chinese = note_text(_ctx("zh"), notes["pump"])  # type: ignore[arg-type]
    assert "按公式系数、效率修正值（百分点）定级" in chinese, chinese
    assert not re.search(r"formula|coefficients|offset|points|\(-\)", chinese), chinese
    english = note_text(_ctx("en"), notes["pump"])  # type: ignore[arg-type]
    assert "grades pump on formula coefficients (all grades) (-), Ci (efficiency offset in formula) (% points)" in (
        english
    ), english
    compressor = note_text(_ctx("en"), notes["air_compressor"])  # type: ignore[arg-type]
    assert "grades air compressor on package specific power (kW/(m³/min))" in compressor, compressor
    assert "按机组比功率（kW/(m³/min)）定级" in note_text(_ctx("zh"), notes["air_compressor"])  # type: ignore[arg-type]
