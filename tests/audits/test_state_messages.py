"""A refused state change names the action in Chinese (the acceptance walk saw "不能acceptance")."""

from __future__ import annotations

from ..conftest import Api
from .test_audits_api import CHECKLIST, filed_and_submitted, register_agency


def test_acceptance_of_a_returned_report_is_refused_in_chinese(api: Api) -> None:
    register_agency(api)
    report = filed_and_submitted(api)
    returned = api("POST", f"/api/v1/audits/{report['id']}/return", "city", json={"reason": "补充能量平衡表"})
    assert returned.status_code == 200, returned.text
    refused = api("POST", f"/api/v1/audits/{report['id']}/acceptance", "city", json=CHECKLIST)
    assert refused.status_code == 409
    body = refused.json()
    assert body["field"] == "state"
    assert body["message"] == "报告当前状态为已退回，不能验收"  # a Chinese reader: the Chinese sentence alone
    english = api.client.request(
        "POST",
        f"/api/v1/audits/{report['id']}/acceptance",
        json=CHECKLIST,
        headers={**api.world.auth("city"), "Accept-Language": "en"},
    )
    assert "acceptance needs submitted" in english.json()["message"]
    # feedback on a submitted report: the action is named 评价
    again = filed_and_submitted(api)
    early = api("POST", f"/api/v1/audits/{again['id']}/feedback", "ent_a", json={"score": 5})
    assert early.status_code == 409
    assert "不能评价" in early.json()["message"]
