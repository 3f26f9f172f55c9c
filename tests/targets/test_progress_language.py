"""A target's progress notes and the annual decline still needed come in both languages: the service gives
``notes`` / ``notes_en`` (same order) and ``required_text_zh`` / ``required_text_en``; the target page shows the
English on an English page and the Chinese otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import Api
from .test_targets_api import seed_longgang


def test_notes_and_needed_rate_in_both_languages(api: Api, fetch_pages: Any) -> None:
    targets = seed_longgang(api)
    projects = targets["longgang-2022.target.retrofit-projects"]["id"]
    got = api("GET", f"/api/v1/targets/{projects}/progress", "city").json()
    assert got["notes"] == ["尚未填报完成情况"] and got["notes_en"] == ["nothing recorded yet"]

    intensity = targets["longgang-2022.target.value-added-intensity"]["id"]
    edited = api("PATCH", f"/api/v1/targets/{intensity}", "city", json={"lock_version": 0, "base_year": 2021})
    assert edited.status_code == 200, edited.text
    body = {"year": 2022, "achieved": 4, "lock_version": 1}
    assert api("POST", f"/api/v1/targets/{intensity}/years", "city", json=body).status_code == 200
    got = api("GET", f"/api/v1/targets/{intensity}/progress", "city").json()
    # A = 4 %, T = 9 %, 1 year left: r = 1 − 0.91 / 0.96 = 5.21 %
    assert got["required_text_zh"] == "剩余 1 年需年均下降 5.21%"
    assert got["required_text_en"] == "5.21% decline a year needed over the 1 year left"
    ended = api("POST", f"/api/v1/targets/{intensity}/years", "city", json={**body, "year": 2023, "lock_version": 2})
    assert ended.status_code == 200, ended.text
    got = api("GET", f"/api/v1/targets/{intensity}/progress", "city").json()
    assert got["notes"] == ["目标期已于 2023 年结束"] and got["notes_en"] == ["the target period ended in 2023"]

    if api.world.engine.dialect.name != "sqlite":
        pytest.skip("page rendering does not depend on the store; the UI mounts once per process")
    path = f"/targets/{projects}"
    pages = fetch_pages(["city"], [path, f"/web/lang/en?next={path}"])  # the second sets dc_lang=en
    (zh_status, chinese), (en_status, english) = pages["city" + path], pages[f"city/web/lang/en?next={path}"]
    assert zh_status == 200 and en_status == 200
    assert "尚未填报完成情况" in chinese and "nothing recorded yet" not in chinese
    assert "nothing recorded yet" in english and "尚未填报完成情况" not in english
