"""The page frame's links written as HTML (``ui.web.layout._links_html``): one element per group of links
instead of one per link (issue #7 §6: every NiceGUI element costs on every page), with the tags, classes and
test ids ``ui.link`` gives, and every text and attribute escaped (a user's name or a path can hold ``<``/``"``)."""

from __future__ import annotations

from html.parser import HTMLParser

from dualcarbon.ui.web.layout import _figure_html, _links_html


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = dict(attrs)
            self.found.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None


def _anchors(markup: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Anchors()
    parser.feed(markup)
    return parser.found


def test_links_keep_what_ui_link_gives() -> None:
    markup = _links_html(
        [("项目库", "/projects", "block px-4", "nav-link-projects"), ("首页", "/", "text-white", None)],
        separator="<span>/</span>",
    )
    (first, first_text), (second, second_text) = _anchors(markup)
    assert (first_text, second_text) == ("项目库", "首页")
    assert first == {
        "class": "nicegui-link block px-4",
        "href": "/projects",
        "target": "_self",
        "data-testid": "nav-link-projects",
    }
    assert "data-testid" not in second and second["href"] == "/"
    assert markup.count("<span>/</span>") == 1  # between the links, not around them


def test_texts_and_attributes_are_escaped() -> None:
    markup = _links_html([('<b>"x"</b> & co', '/web/lang/en?next=/a"b&c=<d>', 'x" onclick="y', None)])
    ((attrs, text),) = _anchors(markup)
    assert text == '<b>"x"</b> & co'  # shown as text, never as markup
    assert attrs["href"] == '/web/lang/en?next=/a"b&c=<d>'
    assert attrs["class"] == 'nicegui-link x" onclick="y' and "onclick" not in attrs
    assert "<b>" not in markup
    figure = _figure_html("<script>", "1 & 2")
    assert "<script>" not in figure and "&lt;script&gt;" in figure and "1 &amp; 2" in figure
