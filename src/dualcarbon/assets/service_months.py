"""The last month an asset has a reported figure for, so an asset's page can open on a period with data.

Read-only; scope as every asset read (:func:`dualcarbon.assets.service_common.load_asset`). A metered asset
(``meter_id`` set) is read from its meter, never from reported months, so it has no reported month here.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualcarbon.assets.models import AssetReportedMonth
from dualcarbon.assets.service_common import MODEL_OF, load_asset
from dualcarbon.core.access import Principal


def last_reported_month(session: Session, actor: Principal, kind: str, asset_id: int) -> tuple[int, int] | None:
    """(year, month) of the asset's latest reported figure; None when it is metered or reported nothing."""
    row, _enterprise = load_asset(session, actor, MODEL_OF[kind], asset_id)  # type: ignore[type-var]
    if getattr(row, "meter_id", None) or getattr(row, "total_meter_id", None):
        return None
    latest = session.scalar(
        select(func.max(AssetReportedMonth.year * 100 + AssetReportedMonth.month)).where(
            AssetReportedMonth.asset_kind == kind, AssetReportedMonth.asset_id == asset_id
        )
    )
    return None if latest is None else divmod(int(latest), 100)
