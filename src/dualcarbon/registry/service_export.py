"""Export of a filtered enterprise list as an ``.xlsx`` with Chinese headers that the import reads back.

The columns come from :mod:`dualcarbon.registry.service_sheet`, plus the region name (ignored on import).
"""

from __future__ import annotations

import io

import xlsxwriter
from sqlalchemy.orm import Session

from dualcarbon.core.access import Principal
from dualcarbon.registry.service import EnterpriseQuery, list_enterprises
from dualcarbon.registry.service_sheet import COLUMNS, REGION_NAME_HEADER


def export_enterprises_xlsx(session: Session, actor: Principal, query: EnterpriseQuery | None = None) -> bytes:
    """The enterprises the actor may read (filtered) as an .xlsx with Chinese headers; re-importable."""
    items, _ = list_enterprises(session, actor, query, limit=None)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#E8F0E0", "border": 1})
    sheet = workbook.add_worksheet("企业名录")
    headers = [c.zh for c in COLUMNS[:3]] + [REGION_NAME_HEADER] + [c.zh for c in COLUMNS[3:]]
    fields = [c.field for c in COLUMNS[:3]] + ["region_name"] + [c.field for c in COLUMNS[3:]]
    sheet.write_row(0, 0, headers, bold)
    for number, item in enumerate(items, start=1):
        for index, name in enumerate(fields):
            value = getattr(item, name)
            if isinstance(value, bool):
                value = "是" if value else "否"
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(number, index, value)
            else:
                sheet.write_number(number, index, value)
    for index, name in enumerate(fields):
        sheet.set_column(index, index, 22 if name in ("credit_code", "name", "address") else 14)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(items), 1), len(fields) - 1)
    workbook.close()
    return buffer.getvalue()
