"""Period-report files: the annual-report workbook (template, filled writer, reader) and the list export.

The workbook is modelled on 能源利用状况报告 tables 基本情况表, 能源消费结构表, 单位产品综合能耗表; see
docs/reports.md for its columns. Readers check every cell and raise ``WorkbookInvalid`` with each
problem's sheet, row, column and reason.
"""

from dualcarbon.reports.io.export import write_report_list
from dualcarbon.reports.io.reader import ReadReport, read_annual_report
from dualcarbon.reports.io.template import AnnualReport, write_annual_report, write_annual_report_template
from dualcarbon.workbooks.problems import WorkbookInvalid, WorkbookProblem

__all__ = [
    "AnnualReport",
    "ReadReport",
    "WorkbookInvalid",
    "WorkbookProblem",
    "read_annual_report",
    "write_annual_report",
    "write_annual_report_template",
    "write_report_list",
]
