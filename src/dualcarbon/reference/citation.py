"""Reference values cited as a person cites them: the document or standard, and its annex or table.

The tables keep two kinds of text about a value: *where we found it* (``source``: a web page, a repository
file, "primary text not retrieved") and *what it is from* — the policy document
(发改产业〔2023〕723号《…》), the limit standard of the grades (``GB 16780-2021 水泥单位产品能源消耗限额``), the
part of GB/T 2589 a coefficient belongs to (``version_basis``: ``GB/T 2589 附录A``). A workbook's reference
notes need the second, written the way a reader would quote it: ``GB 16780-2021《水泥单位产品能源消耗限额》``,
``GB/T 2589-2008 附录B``. Our own remarks in ASCII brackets (``(per P2)``, ``(edition not stated by
sources)``) are not part of a citation and are dropped; a text that names no document gives "" — the
caller shows the source instead, never an invented clause.
"""

from __future__ import annotations

import re

from dualcarbon.reference.model import BenchmarkRow
from dualcarbon.reference.tables import ReferenceSet

_REMARK = re.compile(r"\s*\([^()（）]*\)")  # "(per P2)", "(primary text not retrieved)"
_STANDARD = re.compile(r"^(?P<code>(?:GB|DB\d*|T)(?:/[A-Z]+)?\s*[\d.]+(?:-\d{4})?)(?P<rest>.*)$")
_DOCUMENT = re.compile(r"^.*?〔\d{4}〕\d+号(?:《[^》]+》)?")  # 发改产业〔2023〕723号《…》
_PART = re.compile(r"^(附录\s*[A-Z]|表\s*[A-Z]?\.?\d+(?:\.\d+)?|第[一二三四五六七八九十\d]+条)")


def _clean(text: str) -> str:
    return _REMARK.sub("", text or "").strip()


def standard_citation(text: str) -> str:
    """``GB 16780-2021 水泥单位产品能源消耗限额`` → ``GB 16780-2021《水泥单位产品能源消耗限额》``;
    ``GB/T 2589 附录A (per P2)`` → ``GB/T 2589 附录A``; "" when ``text`` names no standard."""
    cleaned = _clean(text)
    match = _STANDARD.match(cleaned)
    if not match:
        return ""
    code, rest = re.sub(r"\s+", " ", match["code"]).strip(), match["rest"].strip()
    if not rest:
        return code
    part = _PART.match(rest)
    if part:
        return code + " " + "".join(part.group(0).split())
    title = rest.partition("（")[0].strip()  # "…限额（代替GB 36889-2018）": the replaced edition is a remark
    if not re.match(r"[\u4e00-\u9fff]", title):  # ": 等价值 = …", "definition": our notes, not a title
        return code
    return f"{code}《{title}》"


def document_citation(text: str) -> str:
    """A policy document as cited: ``发改产业〔2023〕723号《…（2023年版）》`` from a source cell that may carry
    our remarks after it; a standard is cited as by :func:`standard_citation`; "" when neither is named."""
    cleaned = _clean(text)
    match = _DOCUMENT.match(cleaned)
    if match:
        return match.group(0)
    return standard_citation(cleaned)


def benchmark_citations(row: BenchmarkRow) -> tuple[str, str]:
    """(citation of the 标杆/基准 values, citation of the 1级…3级 grades) of a benchmark row."""
    return document_citation(row.policy_provenance.source), standard_citation(row.limit_standard)


def row_citation(reference: ReferenceSet, table: str, row_id: str) -> str:
    """The citation of one row of a coefficient table (its ``version_basis``, e.g. ``GB/T 2589 附录A``);
    "" when the row or a citable basis is missing."""
    if table not in reference.tables:
        return ""
    for row in reference.tables[table].rows:
        if row.get("row_id") == row_id:
            return standard_citation(row.get("version_basis", "")) or document_citation(row.get("source", ""))
    return ""
