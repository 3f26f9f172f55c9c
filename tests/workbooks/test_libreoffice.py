"""Every workbook we hand out prints: LibreOffice (headless) converts it to PDF with its title and pages.

The house style (``dualcarbon.workbooks.style``) sets A4 landscape, one page wide, repeated header rows, the
sheet name on top and "第 n 页 共 m 页" below. This test writes the five workbooks people print — the survey
catalog, the published catalog, the obligations list, the annual report and the report list — converts them
with ``soffice --headless --convert-to pdf`` and reads the PDF back with poppler (``pdfinfo``, ``pdftotext``):
the PDF exists, has at least one page, and its text carries the workbook's Chinese title and page footer.
Debian packages: ``libreoffice-calc poppler-utils`` (installed by ``scripts/bootstrap.sh test``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dualcarbon.assess.catalog import write_catalog
from dualcarbon.assess.example import example_path
from dualcarbon.assess.pipeline import assess_survey
from dualcarbon.catalog.io.obligations_workbook import write_obligations_workbook
from dualcarbon.reference import ReferenceSet, shipped_reference
from dualcarbon.reports.io.export import write_report_list
from dualcarbon.reports.io.template import write_annual_report_template
from dualcarbon.reports.schemas import ReportSummary
from dualcarbon.workbooks.catalog import write_catalog_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed here")

CODE = "91530102MA6K00001X"


def _survey_catalog(folder: Path, reference: ReferenceSet) -> Path:
    path = folder / "survey-catalog.xlsx"
    write_catalog(assess_survey(example_path(), reference), path, keep_going=True)
    return path


def _published_catalog(folder: Path, _reference: ReferenceSet) -> Path:
    entry = {
        "credit_code": CODE, "enterprise_name": "示例水泥有限公司", "region_code": "530102",
        "region_name": "五华区", "product": "水泥熟料", "value": 118, "unit": "kgce/t", "tier": "fails_limit",
        "tier_zh": "未达到3级限定值", "gap_to_benchmark": 18.0, "gap_to_baseline": 1.0,
        "saving_to_benchmark_tce": 21600.0, "benchmark_row_id": "BM2023-061",
        "evidence": {
            "reference": {"grade_1": 100, "grade_2": 107, "grade_3": 117},
            "row": {"id": "BM2023-061", "field": "水泥熟料", "indicator": "熟料单位产品综合能耗"},
            "output": {"quantity": 1200000, "unit": "t"},
        },
    }  # fmt: skip
    catalog = {
        "basis": "gb", "basis_zh": "国家标准", "region_code": "530100", "region_name": "昆明市", "half": "2026-H1",
        "edition": "2023", "state": "published", "state_zh": "已发布", "issue_no": 1,
        "published_at": "2026-07-01T02:00:00+00:00", "snapshot_hash": "0" * 64,
    }  # fmt: skip
    path = folder / "published-catalog.xlsx"
    path.write_bytes(write_catalog_workbook(catalog, [entry], []))
    return path


def _obligations(folder: Path, _reference: ReferenceSet) -> Path:
    finding = {
        "obligation": "energy_audit", "status": "applies", "obligation_zh": "能源审计", "status_zh": "适用",
        "rule_id": "YN-OB-01", "checks": [{"condition": "年综合能耗 ≥ 5000 tce"}],
        "source": {"document": "示例政策文件", "clause": "第三条", "text": "年综合能耗5000吨标准煤以上的用能单位"},
    }  # fmt: skip
    listing = {
        "region_code": "530100", "year": 2025, "basis_zh": "当量值",
        "pack": {"id": "yunnan", "title_zh": "云南省节能监察", "document": "示例政策文件", "number": "示例〔2024〕1号"},
        "items": [{"credit_code": CODE, "name": "示例水泥有限公司", "region_code": "530102", "region_name": "五华区",
                   "annual_energy_tce": 152000.0, "obligations": [finding], "note": ""}],
    }  # fmt: skip
    path = folder / "obligations.xlsx"
    path.write_bytes(write_obligations_workbook(listing))
    return path


def _annual_report(folder: Path, reference: ReferenceSet) -> Path:
    return write_annual_report_template(folder / "annual-report.xlsx", reference=reference)


def _report_list(folder: Path, _reference: ReferenceSet) -> Path:
    item = ReportSummary(
        id=1, credit_code=CODE, enterprise_name="示例水泥有限公司", region_code="530102", period_kind="year",
        year=2025, period=0, period_label="2025年度", state="approved", state_label="已审核",
        state_label_en="approved", version=2, created_at="2026-02-20T08:00:00+00:00",
        submitted_at="2026-03-01T08:00:00+00:00", approved_at="2026-03-10T01:30:00+00:00",
        total_tce_equivalent=152000.0, total_tce_equal=None, total_tco2=401000.0, tce_per_10k_yuan_value_added=0.8123,
        has_flagged_deviation=False,
    )  # fmt: skip
    path = folder / "report-list.xlsx"
    path.write_bytes(write_report_list([item]))
    return path


#: (writer, a Chinese title the printed pages must carry)
WORKBOOKS: dict[str, tuple[Callable[[Path, ReferenceSet], Path], str]] = {
    "survey-catalog": (_survey_catalog, "能效清单汇总"),
    "published-catalog": (_published_catalog, "昆明市 高耗能行业重点领域企业能效清单目录"),
    "obligations": (_obligations, "530100 2025年 节能义务清单"),
    "annual-report": (_annual_report, "能源利用状况报告（年报）填报说明"),
    "report-list": (_report_list, "报告列表"),
}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every workbook written and converted in one LibreOffice run (a private profile: no clash with others)."""
    folder = tmp_path_factory.mktemp("printed")
    reference = shipped_reference()
    books = [writer(folder, reference) for writer, _ in WORKBOOKS.values()]
    profile = folder / "lo-profile"
    command = [str(SOFFICE), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf"]
    done = subprocess.run(
        [*command, "--outdir", str(folder), *map(str, books)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return {name: folder / f"{book.stem}.pdf" for name, book in zip(WORKBOOKS, books, strict=True)}


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils (pdfinfo, pdftotext) is not installed")
@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_workbook_prints_with_title_and_page_numbers(pdfs: dict[str, Path], name: str) -> None:
    pdf = pdfs[name]
    assert pdf.exists() and pdf.stat().st_size > 1000
    pages = _pages(pdf)
    assert pages >= 1
    text = _text(pdf)
    compact = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", WORKBOOKS[name][1]) in compact, text[:2000]
    # the house footer "第 n 页 共 m 页": the last page of the file says 共 m 页, m ≥ 1
    totals = [int(m) for m in re.findall(r"共\s*(\d+)\s*页", text)]
    assert totals and max(totals) >= 1, text[-2000:]
