"""The projects subject's remaining messages read in the reader's language and name their field: documents,
completion shares, the weather import (service and command), the optimistic-lock conflict of ``claim_row``, and
the deadline note of a project (``warnings`` in Chinese, ``warnings_en`` in English, shown on the project page).

An English reader gets English only (no Chinese character), a Chinese reader Chinese only (no `` / `` joining
an English half).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from dualcarbon.app.cli import app
from dualcarbon.core.errors import Conflict, DualcarbonError, InvalidInput, NotFound
from dualcarbon.projects import service_documents, service_weather
from dualcarbon.projects.models import RetrofitProject
from dualcarbon.projects.pages import project_notes
from dualcarbon.projects.schemas import ProjectOut
from dualcarbon.projects.service_projects import add_years, deadline_years_max
from dualcarbon.projects.service_shares import completion_shares
from dualcarbon.reference.policy import load_pack
from dualcarbon.store.db import session_scope
from dualcarbon.store.versioning import claim_row
from dualcarbon.ui.web.i18n import translate

from ..conftest import Api
from .test_projects_api import accepted_measures
from .test_verification_meters import who

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def read_in_both(error: DualcarbonError, field: str) -> tuple[str, str]:
    """(Chinese, English) of ``error`` after checking each is in its own language only and the field is named."""
    assert error.field == field, error
    zh, en = error.message_in("zh"), error.message_in("en")
    assert CJK.search(zh) and " / " not in zh, zh
    assert en.strip() and not CJK.search(en), en
    return zh, en


def answered_in_both(
    api: Api, method: str, path: str, user: str, status: int, field: str, **kw: Any
) -> tuple[str, str]:
    """(Chinese, English) messages of the same refused request, read with and without ``Accept-Language: en``."""
    zh = api(method, path, user, **kw)
    en = api.client.request(method, path, headers={**api.world.auth(user), "Accept-Language": "en"}, **kw)
    for answer in (zh, en):
        assert (answer.status_code, answer.json()["field"]) == (status, field), answer.text
    zh_text, en_text = zh.json()["message"], en.json()["message"]
    assert CJK.search(zh_text) and " / " not in zh_text, zh_text
    assert not CJK.search(en_text), en_text
    return zh_text, en_text


def _project(api: Api, name: str = "余热回收") -> int:
    created = api("POST", "/api/v1/projects", "ent_a", json={"credit_code": api.world.codes["a"], "name": name})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


# ---- documents ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_document_refusals_read_in_each_language(api: Api, tmp_path: Path) -> None:
    pid = _project(api)
    path = f"/api/v1/projects/{pid}/documents"
    files = {"file": ("空.pdf", b"", "application/pdf")}
    zh, en = answered_in_both(api, "POST", path, "ent_a", 422, "file", files=files)
    assert (zh, en) == ("文件为空", "the file is empty")
    zh, en = answered_in_both(api, "GET", f"{path}/999999", "ent_a", 404, "document_id")
    assert en == "document 999999 not found" and "文件" in zh

    uploaded = api("POST", path, "ent_a", files={"file": ("可研报告.pdf", b"%PDF-1.4 feasibility", "application/pdf")})
    assert uploaded.status_code == 200, uploaded.text
    document = uploaded.json()["documents"][0]
    stored = tmp_path / "projects" / str(pid) / document["sha256"]
    assert stored.exists()
    stored.write_bytes(b"%PDF-1.4 altered")  # changed after upload: the recorded hash no longer matches
    with session_scope(api.world.engine) as session, pytest.raises(InvalidInput) as changed:
        service_documents.document_bytes(session, who(session, "ent_a"), pid, document["id"], tmp_path)
    zh, en = read_in_both(changed.value, "document_id")
    assert "可研报告.pdf" in zh and "sha256" in en
    stored.unlink()  # gone from the data directory
    with session_scope(api.world.engine) as session, pytest.raises(NotFound) as missing:
        service_documents.document_bytes(session, who(session, "ent_a"), pid, document["id"], tmp_path)
    zh, en = read_in_both(missing.value, "document_id")
    assert "重新上传" in zh and "missing from the data directory" in en


@pytest.mark.parametrize("name", ["", "..", "  "])
def test_a_nameless_document_is_refused_in_each_language(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        service_documents._clean_name(name)
    assert read_in_both(refused.value, "file") == ("文件名不能为空", "the file needs a name")


# ---- completion shares ------------------------------------------------------------------------------------
@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_pack_without_the_share_schedule_is_named_in_each_language(world: Any) -> None:
    pack = load_pack("yunnan-2022")  # deadlines, no retrofit_completion_share schedule
    with session_scope(world.engine) as session, pytest.raises(InvalidInput) as refused:
        completion_shares(session, who(session, "city"), "330300", pack=pack)
    zh, en = read_in_both(refused.value, "pack")
    assert "yunnan-2022" in zh and "完成比例" in zh
    assert en == "policy pack yunnan-2022 has no retrofit_completion_share schedule"


# ---- weather import ---------------------------------------------------------------------------------------
def test_weather_problems_name_row_and_column_in_each_language() -> None:
    text = "station,date,temperature_c\nA,2024-13-01,5\nA,2024-01-01,abc\n"
    with pytest.raises(service_weather.WeatherFileInvalid) as bad:
        service_weather.parse_weather_csv(text.encode())
    zh, en = read_in_both(bad.value, "file")
    assert (
        zh
        == "气象文件有 2 处问题，未导入任何内容；第一处：第 2 行 日期（date）：“2024-13-01”不是 YYYY-MM-DD 格式的日期"
    )
    assert en == "2 problem(s), nothing imported; first: row 2, date: '2024-13-01' is not a date YYYY-MM-DD"
    second = bad.value.problems[1]
    assert (second.row, second.column) == (3, "temperature_c")
    assert second.text() == (
        "第 3 行 日平均气温（temperature_c）：“abc”不是 -90 … 60 °C 之间的数 / "
        "row 3, temperature_c: 'abc' is not a number in -90 … 60 °C"
    )
    with pytest.raises(service_weather.WeatherFileInvalid) as header:
        service_weather.parse_weather_csv(b"station,day,t\nA,2024-01-01,3\n")
    zh, en = read_in_both(header.value, "file")
    assert "第 1 行 表头（header）：表头须为 station,date,temperature_c，实为 station,day,t" in zh
    assert en.endswith("row 1, header: expected the columns station,date,temperature_c, got station,day,t")
    with pytest.raises(service_weather.WeatherFileInvalid) as binary:
        service_weather.parse_weather_csv(b"station,date\xff")
    zh, en = read_in_both(binary.value, "file")
    assert zh.endswith("第一处：文件：不是 UTF-8 文本（第 12 字节）") and en.endswith(
        "first: file: not UTF-8 text (byte 12)"
    )


def test_weather_reading_errors_name_the_field_in_each_language(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as backwards:
        service_weather.daily_temperatures(tmp_path, "S1", date(2024, 2, 1), date(2024, 1, 1))
    zh, en = read_in_both(backwards.value, "to")
    assert en == "the end 2024-01-01 is before the start 2024-02-01" and "早于" in zh
    with pytest.raises(NotFound) as nothing:
        service_weather.daily_temperatures(tmp_path, "S1", date(2024, 1, 1), date(2024, 1, 2))
    zh, en = read_in_both(nothing.value, "station")
    assert "尚未导入气象数据" in zh and en.startswith("no weather data imported yet")
    (tmp_path / "weather").mkdir()
    service_weather._write(tmp_path, {("S1", date(2024, 1, 1)): 3.0})  # one station imported: S1
    with pytest.raises(NotFound) as unknown:
        service_weather.daily_temperatures(tmp_path, "S9", date(2024, 1, 1), date(2024, 1, 2))
    zh, en = read_in_both(unknown.value, "station")
    assert "S9" in zh and en == "no weather station 'S9' (see dualcarbon weather stations)"


def test_the_weather_command_prints_every_problem_in_both_languages(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "ws"
    assert runner.invoke(app, ["init", "--data-dir", str(data_dir)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("station,date,temperature_c\nS1,2024-01-01,99\n,2024-01-02,1\n", encoding="utf-8")
    result = runner.invoke(app, ["weather", "import", str(bad), "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "第 2 行 日平均气温（temperature_c）：“99”不是 -90 … 60 °C 之间的数 / "
        "row 2, temperature_c: '99' is not a number in -90 … 60 °C",
        "第 3 行 气象站（station）：须为 1–64 个字符 / row 3, station: must be 1–64 characters",
        "error: bad.csv 有 2 处问题，未导入任何内容 / 2 problem(s) in bad.csv; nothing imported",
    ]


# ---- the optimistic-lock conflict ---------------------------------------------------------------------------
@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_row_changed_meanwhile_is_a_conflict_in_each_language(api: Api) -> None:
    pid = _project(api, "照明改造")
    with session_scope(api.world.engine) as session:
        project = session.get(RetrofitProject, pid)
        assert project is not None
        seen = project.lock_version
        # another writer's bump, behind this session's back (the loaded row keeps the version it read)
        session.execute(
            update(RetrofitProject)
            .where(RetrofitProject.id == pid)
            .values(lock_version=RetrofitProject.lock_version + 1)
            .execution_options(synchronize_session=False)
        )
        assert project.lock_version == seen
        with pytest.raises(Conflict) as stale:
            claim_row(session, project, what=f"project {pid}")
    zh, en = read_in_both(stale.value, "lock_version")
    assert zh == "这条记录刚被他人修改，请刷新后重试"
    assert en == f"project {pid} was changed by someone else meanwhile (it is proposed now); reload it and try again"
    with session_scope(api.world.engine) as session:  # the claim that lost changed nothing
        assert session.scalar(select(RetrofitProject.lock_version).where(RetrofitProject.id == pid)) == seen + 1


# ---- the deadline note --------------------------------------------------------------------------------------
def _late_project(api: Api) -> tuple[dict[str, Any], date]:
    measure = accepted_measures(api)[0]
    report = api("GET", "/api/v1/audits", "city").json()["items"][0]
    decided = datetime.fromisoformat(report["decided_at"]).astimezone(ZoneInfo("Asia/Shanghai")).date()
    late_day = date(add_years(decided, deadline_years_max()).year + 1, 6, 30)
    created = api("POST", "/api/v1/projects", "agency", json={"measure_id": measure, "deadline": late_day.isoformat()})
    assert created.status_code == 201, created.text
    return created.json(), late_day


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_the_deadline_note_has_an_english_version_and_the_page_shows_it(api: Api, fetch_pages: Any) -> None:
    body, late_day = _late_project(api)
    assert body["deadline_beyond_policy"] is True
    (zh,), (en,) = body["warnings"], body["warnings_en"]
    assert zh.startswith(f"改造期限 {late_day} 超过诊断/审计报告验收（") and zh.endswith("须说明理由")  # kept as it was
    assert not CJK.search(en) and en.startswith(f"the deadline {late_day} is later than the general term of 3 years")
    assert "the acceptance of the audit report" in en and en.endswith("give the reason")
    again = api("GET", f"/api/v1/projects/{body['id']}", "agency").json()  # read again: the note comes again
    assert (again["warnings"], again["warnings_en"]) == ([zh], [en])
    listed = api("GET", "/api/v1/projects", "agency").json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert all("warnings_en" in item for item in items)

    page = f"/projects/{body['id']}"
    pages = fetch_pages(["city"], [page, "/web/lang/en", page + "#en"])
    (zh_status, zh_html), (en_status, en_html) = pages["city" + page], pages["city" + page + "#en"]
    assert zh_status == en_status == 200
    assert "projects-warning" in zh_html and zh in zh_html and en not in zh_html
    assert "projects-warning" in en_html and en in en_html and zh not in en_html


class _Ctx:
    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)


def test_the_page_picks_the_notes_of_its_language() -> None:
    fields = {name: None for name in ProjectOut.model_fields}
    fields.update(
        id=1, credit_code="x", enterprise_name="x", region_code="330300", name="x", project_type="other",
        project_type_zh="其他", origin="direct", origin_zh="直接录入", deadline_beyond_policy=True, state="proposed",
        state_zh="拟实施", demonstration=False, milestones=[], documents=[], lock_version=1,
        warnings=["中文说明"], warnings_en=["English note"],
    )  # fmt: skip
    project = ProjectOut.model_validate(fields)
    assert project_notes(_Ctx("zh"), project) == ["中文说明"]  # type: ignore[arg-type]
    assert project_notes(_Ctx("en"), project) == ["English note"]  # type: ignore[arg-type]
    older = project.model_copy(update={"warnings_en": []})  # an answer without English keeps the Chinese
    assert project_notes(_Ctx("en"), older) == ["中文说明"]  # type: ignore[arg-type]
