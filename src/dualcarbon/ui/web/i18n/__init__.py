"""Translations of the web UI: Simplified Chinese (default) and English.

The tables are ``zh.json`` and ``en.json`` beside this module, flat maps from dotted keys
(``nav.dashboard``) to text with ``str.format`` placeholders (``{count}``). A key missing from English falls
back to Chinese, and a key missing from both shows the key itself, so a gap is visible but never fatal.
Every label a page shows goes through :func:`translate` (pages call it as ``ctx.t``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


@cache
def table(language: str) -> dict[str, str]:
    """The translation table of ``language`` (``zh`` or ``en``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    text = resources.files(__name__).joinpath(f"{language}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def normalise_language(value: str | None) -> str:
    """``zh`` or ``en`` from a cookie or user setting; anything else is the default (``zh``)."""
    value = (value or "").strip().lower()[:2]
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str, **values: Any) -> str:
    """The text for ``key`` in ``language``, with ``values`` filled into its placeholders."""
    text = table(normalise_language(language)).get(key)
    if text is None:
        text = table(DEFAULT_LANGUAGE).get(key, key)
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def has_key(language: str, key: str) -> bool:
    return key in table(normalise_language(language))
