"""Reading catalogs: the review screen, entry filters, who sees which catalog, the Excel export."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dualcarbon.catalog.service import EntryFilter, get_catalog, list_catalogs, list_entries
from dualcarbon.catalog.service_export import export_catalog_xlsx
from dualcarbon.catalog.service_generate import generate_catalog
from dualcarbon.catalog.service_publish import publish_catalog
from dualcarbon.catalog.service_review import review_catalog
from dualcarbon.core.errors import InvalidInput, NotFound
from dualcarbon.store.db import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: catalog_fixtures (importlib mode)
from catalog_fixtures import World, yunnan_fixture  # noqa: F401 - yunnan_fixture is the fixture "yunnan"


def _catalog(yunnan: World, basis: str = "gb", publish: bool = False) -> int:
    with session_scope(yunnan.engine) as session:
        catalog_id = generate_catalog(
            session, yunnan["city"], "530100", "2023", "2025-H1", basis, reference=yunnan.reference
        ).catalog.id
        if publish:
            publish_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    return catalog_id


def test_review_counts_by_tier_and_district(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    with session_scope(yunnan.engine) as session:
        review = review_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
    assert review.counts_by_tier == {"grade_1": 1, "grade_2": 1, "grade_3": 2, "fails_limit": 1}
    # 五华: A grade_1, B grade_2; 盘龙: C grade_3, D fails_limit, E (coke 120 vs grades) grade_3.
    assert [d.model_dump() for d in review.counts_by_district] == [
        {"region_code": "530102", "region_name": "五华区", "counts": {"grade_1": 1, "grade_2": 1}, "total": 2},
        {"region_code": "530103", "region_name": "盘龙区", "counts": {"grade_3": 2, "fails_limit": 1}, "total": 3},
    ]
    assert review.total == 5 and len(review.items) == 5
    assert review.catalog.state_zh == "草稿" and review.catalog.issue_no is None


def test_unverified_reference_values_are_flagged(yunnan: World) -> None:
    catalog_id = _catalog(yunnan, "policy")
    with session_scope(yunnan.engine) as session:
        review = review_catalog(session, yunnan["city"], catalog_id, reference=yunnan.reference)
        flagged, total = list_entries(session, yunnan["city"], catalog_id, EntryFilter(unverified=True))
    # Only the coke entry is classified, on BM2023-006 whose 标杆/基准 are "uncertain".
    assert review.unverified_entries == 1 and total == 1
    assert flagged[0].credit_code == yunnan.code("E") and flagged[0].uses_unverified
    undetermined = [item for item in review.items if item.tier == "undetermined"]
    assert len(undetermined) == 4 and all("MissingCoefficient" not in (i.message or "") for i in undetermined)
    assert all("BM2023-061" in (item.message or "") for item in undetermined)


def test_entry_filters(yunnan: World) -> None:
    catalog_id = _catalog(yunnan)
    with session_scope(yunnan.engine) as session:

        def codes(filters: EntryFilter, **kw: int) -> list[str]:
            items, _ = list_entries(session, yunnan["city"], catalog_id, filters, reference=yunnan.reference, **kw)
            return [item.credit_code for item in items]

        assert codes(EntryFilter(tier="grade_3")) == [yunnan.code("C"), yunnan.code("E")]
        assert codes(EntryFilter(field="水泥熟料")) == [yunnan.code(k) for k in "ABCD"]
        assert codes(EntryFilter(field="煤制焦炭")) == [yunnan.code("E")]
        assert codes(EntryFilter(region_code="530102")) == [yunnan.code("A"), yunnan.code("B")]
        assert codes(EntryFilter(credit_code=yunnan.code("D").lower())) == [yunnan.code("D")]
        assert codes(EntryFilter(), limit=2, offset=1) == [yunnan.code("B"), yunnan.code("C")]
        _, total = list_entries(session, yunnan["city"], catalog_id, EntryFilter(), limit=2)
        assert total == 5
        with pytest.raises(InvalidInput) as caught:
            list_entries(session, yunnan["city"], catalog_id, EntryFilter(tier="benchmark"))
        assert caught.value.field == "tier"  # a policy tier in a gb catalog


def test_who_sees_a_catalog(yunnan: World) -> None:
    draft_id = _catalog(yunnan)
    with session_scope(yunnan.engine) as session:
        for username in ("wuhua", "ent_a", "qujing", "expert_qj"):
            with pytest.raises(NotFound):
                get_catalog(session, yunnan[username], draft_id)
        assert get_catalog(session, yunnan["expert"], draft_id).full_view
        publish_catalog(session, yunnan["city"], draft_id, reference=yunnan.reference)
    with session_scope(yunnan.engine) as session:
        # Published: a district regulator sees its own district's entries, an enterprise its own entry.
        wuhua = get_catalog(session, yunnan["wuhua"], draft_id)
        assert (wuhua.full_view, wuhua.counts) == (False, {"grade_1": 1, "grade_2": 1})
        items, total = list_entries(session, yunnan["ent_a"], draft_id)
        assert total == 1 and items[0].credit_code == yunnan.code("A")
        for username in ("qujing", "ent_q", "expert_qj"):
            with pytest.raises(NotFound):
                get_catalog(session, yunnan[username], draft_id)
        listed = {u: list_catalogs(session, yunnan[u])[1] for u in ("city", "wuhua", "ent_a", "ent_q", "qujing")}
    assert listed == {"city": 1, "wuhua": 1, "ent_a": 1, "ent_q": 0, "qujing": 0}


def test_export_workbook_has_one_sheet_per_class(yunnan: World) -> None:
    catalog_id = _catalog(yunnan, publish=True)
    with session_scope(yunnan.engine) as session:
        content = export_catalog_xlsx(session, yunnan["city"], catalog_id)
        partial = export_catalog_xlsx(session, yunnan["wuhua"], catalog_id)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["1级", "2级", "3级", "未达到3级限定值", "汇总", "参考数据说明"]
    fails = book["未达到3级限定值"]
    header = [cell.value for cell in fails[3]]
    row = dict(zip(header, [cell.value for cell in fails[4]], strict=True))
    assert row["统一社会信用代码"] == yunnan.code("D") and row["单位产品能耗"] == 118
    assert (row["1级"], row["3级限定值"], row["达到1级需节能量(tce/年)"]) == (100, 117, 9000)
    summary = [[cell.value for cell in r] for r in book["汇总"].iter_rows(min_row=4)]
    assert summary[-1] == ["合计", None, None, 1, 1, 2, 1, 5]
    notes = [[cell.value for cell in r] for r in book["参考数据说明"].iter_rows()]
    assert any(r[0] == "BM2023-061" and r[-1] == 4 and r[-4] == "是" for r in notes)  # used by 4 entries, verified
    assert any(r[0] == "快照哈希 (sha256)" and len(r[1]) == 64 for r in notes)
    # 五华's regulator gets only its district's rows.
    assert load_workbook(io.BytesIO(partial))["3级"].max_row == 3
