"""What other subjects may use of the survey assessment (企业能效调查情况表): read a survey workbook,
validate its rows, and name its columns the way the form does.

The period-report import (:mod:`dualcarbon.reports.service_import`) takes one enterprise's rows of a
survey through these; the batch assessment itself runs in :mod:`dualcarbon.assess.pipeline`.
"""

from __future__ import annotations

from dualcarbon.assess.columns import ENERGY_COLUMNS, header_of
from dualcarbon.assess.pipeline import assess_frame, assess_survey
from dualcarbon.assess.reader import ROW, Survey, read_survey
from dualcarbon.assess.validate import validate_survey

__all__ = [
    "ENERGY_COLUMNS",
    "ROW",
    "Survey",
    "assess_frame",
    "assess_survey",
    "header_of",
    "read_survey",
    "validate_survey",
]
