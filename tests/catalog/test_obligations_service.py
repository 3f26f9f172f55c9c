"""The obligations list of a region: annual tce from approved reports → rules of a policy pack."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dualcarbon.catalog.schemas import EnterpriseObligations
from dualcarbon.catalog.service_export import export_obligations_xlsx
from dualcarbon.catalog.service_obligations import list_obligations
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


def _applying(item: EnterpriseObligations) -> dict[str, str]:
    return {o.obligation: o.status for o in item.obligations}


def test_shanghai_pack_thresholds_worked_by_hand(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        listing = list_obligations(session, yunnan["city"], "530100", 2024, "shanghai-baiyi-2022")
    assert listing.pack.number == "沪经信节〔2022〕167号" and listing.basis_zh == "当量值"
    # A: 15,000 t 原煤 × 0.7143 tce/t = 10,714.5 tce ≥ 5,000 (audit) and ≥ 10,000 (energy-management centre).
    by_name = {item.name: item for item in listing.items}
    a = by_name["五华水泥甲有限公司"]
    assert a.annual_energy_tce == pytest.approx(10_714.5)
    assert _applying(a) == {"energy_audit": "applies", "energy_management_centre": "applies"}
    # B: exactly 5,000 tce 标准煤: "5000 吨标准煤及以上" includes 5,000 → audit; the diagnosis band is
    # 2,000 ≤ x < 5,000 → not diagnosis.
    b = by_name["五华水泥乙有限公司"]
    assert b.annual_energy_tce == pytest.approx(5_000.0)
    assert _applying(b) == {"energy_audit": "applies"}
    # C: 4,000 t × 0.7143 = 2,857.2 tce, 规上 → diagnosis.
    c = by_name["盘龙水泥丙有限公司"]
    assert c.annual_energy_tce == pytest.approx(2_857.2)
    assert _applying(c) == {"energy_saving_diagnosis": "applies"}
    # D: 714.3 tce → nothing.
    assert _applying(by_name["盘龙水泥丁有限公司"]) == {}
    # P has no approved report: no figure, the consumption rules undetermined.
    p = by_name["五华水泥庚有限公司"]
    assert p.annual_energy_tce is None and "no approved annual report" in (p.note or "")
    assert set(_applying(p).values()) == {"undetermined"}
    audit = next(o for o in a.obligations if o.obligation == "energy_audit")
    assert audit.rule_id == "sh-baiyi-2022.energy-audit"
    assert "5000 吨标准煤及以上" in audit.source.text
    assert audit.checks[0].condition.startswith("5000 tce/a ≤")
    # Q (曲靖) is not in 昆明's list.
    assert len(listing.items) == 6


def test_national_pack_key_energy_user(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        listing = list_obligations(session, yunnan["city"], "530100", 2024)
    applying = {item.name: _applying(item) for item in listing.items}
    # ≥ 10,000 tce → 重点用能单位; B's 5,000 tce would need the province's designation (flag not set).
    assert applying["五华水泥甲有限公司"] == {"key_energy_using_unit": "applies"}
    assert applying["五华水泥乙有限公司"] == {}


def test_scope_and_input_checks(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        own = list_obligations(session, yunnan["wuhua"], "530102", 2024, "shanghai-baiyi-2022")
        assert [item.region_code for item in own.items] == ["530102"] * 3  # A, B, P
        for username, region in (("wuhua", "530103"), ("wuhua", "530100"), ("ent_a", "530102")):
            with pytest.raises(NotFound):
                list_obligations(session, yunnan[username], region, 2024)
        with pytest.raises(InvalidInput) as caught:
            list_obligations(session, yunnan["city"], "530100", 2024, "no-such-pack")
        assert caught.value.field == "pack"
        with pytest.raises(InvalidInput) as caught:
            list_obligations(session, yunnan["city"], "530100", 2024, basis="gross")
        assert caught.value.field == "basis"


def test_obligations_workbook(yunnan: World) -> None:
    with session_scope(yunnan.engine) as session:
        content = export_obligations_xlsx(session, yunnan["city"], "530100", 2024, "shanghai-baiyi-2022")
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["义务清单", "规则依据", "说明"]
    sheet = book["义务清单"]
    header = [cell.value for cell in sheet[3]]
    rows = [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=4)]
    a = next(row for row in rows if row["企业名称"] == "五华水泥甲有限公司")
    assert (a["能源审计"], a["能源管理中心"], a["节能诊断"]) == ("适用", "适用", None)
    assert a["年综合能耗(tce)"] == pytest.approx(10_714.5)
    assert book["规则依据"].max_row == 1 + 2 + 1 + 1 + 3  # A 2 rules, B 1, C 1, P 3 undetermined
