"""Excel workbooks in the forms officials use (xlsxwriter): the efficiency catalog and the obligations list.

Writers here take plain data (dicts prepared by the services) and return the workbook bytes; they read
no database and check no permission.
"""

from dualcarbon.exports.catalog_workbook import write_catalog_workbook
from dualcarbon.exports.obligations_workbook import write_obligations_workbook

__all__ = ["write_catalog_workbook", "write_obligations_workbook"]
