"""The library's state and type pickers are wide enough for their labels (acceptance walk of #9: on /projects
they showed as "S…"/"T…" in English and "项…" in Chinese)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_library_filters_have_a_minimum_width(
    fetch_pages: Callable[[list[str], list[str]], dict[str, list[Any]]],
) -> None:
    status, html = fetch_pages(["city"], ["/projects"])["city/projects"]
    assert status == 200
    assert html.count('"tag":"nicegui-select","class":["min-w-[10rem]"]') == 2
