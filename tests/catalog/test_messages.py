"""Messages a person reads are in their language, with no internal ids or field names (brief 8 item 5).

The API answers a refused action with the Chinese message by default and when ``Accept-Language`` prefers
Chinese, the English one when it prefers English; the web kit's ``error_message`` shows the Chinese one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from dualcarbon.app.api import create_app, reader_language
from dualcarbon.core.errors import Conflict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, bearer_tokens, yunnan_fixture  # noqa: F401 - the fixture "yunnan"

GENERATE = {"region_code": "530100", "edition": "2023", "half": "2025-H1", "basis": "gb"}
# what must not reach a Chinese reader: ASCII words (field names, states such as "published"), "catalog 12"
INTERNAL = re.compile(r"[A-Za-z_]{3,}|\b\d+\s*\)")


@pytest.fixture
def client_tokens(yunnan: World) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(yunnan.url)
    with TestClient(app) as client:
        yield client, bearer_tokens(yunnan)
    app.state.engine.dispose()


def test_a_refused_publish_speaks_the_readers_language(client_tokens: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = client_tokens
    auth = {"Authorization": f"Bearer {tokens['city']}"}
    catalog_id = client.post("/api/v1/catalogs", headers=auth, json=GENERATE).json()["id"]
    assert client.post(f"/api/v1/catalogs/{catalog_id}/publish", headers=auth).status_code == 200

    again = client.post(f"/api/v1/catalogs/{catalog_id}/publish", headers=auth)  # no Accept-Language: Chinese
    assert again.status_code == 409
    assert again.json()["message"] == "该目录已是「已发布」状态，只有草稿可以发布"
    assert not INTERNAL.search(again.json()["message"])
    english = client.post(
        f"/api/v1/catalogs/{catalog_id}/publish", headers={**auth, "Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
    )
    assert english.json()["message"] == f"catalog {catalog_id} is published; only a draft can be published"

    missing = client.get("/api/v1/catalogs/999999", headers=auth)
    assert missing.status_code == 404 and missing.json()["message"] == "未找到该目录，或您无权查看"


def test_reader_language_from_accept_language() -> None:
    assert reader_language(None) == "zh"
    assert reader_language("") == "zh"
    assert reader_language("fr-FR,fr;q=0.9") == "zh"  # neither: Chinese
    assert reader_language("en-US,en;q=0.8") == "en"
    assert reader_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert reader_language("zh;q=0.3,en;q=0.7") == "en"  # by quality, not order
    assert reader_language("en;q=0,zh-TW") == "zh"  # q=0 means "not this one"


def test_web_error_message_uses_the_chinese_text() -> None:
    from dualcarbon.ui.web.i18n import translate
    from dualcarbon.ui.web.layout import error_message

    exc = Conflict(
        "entry 7 already has an open appeal (3)", zh="该条目已有一件尚未办结的申辩，请在其办结后再提出新的申辩"
    )
    zh = SimpleNamespace(language="zh", t=lambda key, **kw: translate("zh", key, **kw))
    en = SimpleNamespace(language="en", t=lambda key, **kw: translate("en", key, **kw))
    assert error_message(zh, exc) == "状态冲突：该条目已有一件尚未办结的申辩，请在其办结后再提出新的申辩"  # type: ignore[arg-type]
    assert error_message(en, exc).endswith("entry 7 already has an open appeal (3)")  # type: ignore[arg-type]
