"""A pack's decisions (政策解释说明) in the page's language.

A decision as a result carries it (``question``, ``decision``, ``reason`` in English, and since the packs have
them ``question_zh``, ``decision_zh``, ``reason_zh``). A result stored before the Chinese was added has only the
English: its Chinese is taken from the pack's current decision with the same English question, and when there is
none the English is shown — never a made-up text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dualcarbon.reference.policy_incentives import Decision

FIELDS = ("question", "decision", "reason")


def with_zh(decisions: Iterable[Mapping[str, Any]], pack_decisions: Iterable[Decision] = ()) -> list[dict[str, Any]]:
    """The decisions, each with its ``_zh`` fields, filled from ``pack_decisions`` (matched by question) if blank."""
    known = {item.question: item for item in pack_decisions}
    out = []
    for decision in decisions:
        row = dict(decision)
        current = known.get(str(row.get("question", "")))
        for name in FIELDS:
            if not row.get(f"{name}_zh") and current is not None and current.question_zh:
                row[f"{name}_zh"] = getattr(current, f"{name}_zh")
        out.append(row)
    return out


def decision_parts(decision: Mapping[str, Any], language: str) -> tuple[str, str, str]:
    """Question, decision and reason in ``language`` ("zh": the Chinese where the pack gives it)."""
    parts = []
    for name in FIELDS:
        english = str(decision.get(name, ""))
        chinese = str(decision.get(f"{name}_zh") or "") if language == "zh" else ""
        parts.append(chinese or english)
    return parts[0], parts[1], parts[2]


def decision_line(decision: Mapping[str, Any], language: str) -> str:
    """One line: ``question → decision（reason）``."""
    question, answer, reason = decision_parts(decision, language)
    return f"{question} → {answer}（{reason}）"
