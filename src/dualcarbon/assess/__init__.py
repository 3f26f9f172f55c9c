"""Batch efficiency assessment of a survey (企业能效调查情况表) into an efficiency catalog (能效清单目录).

Modules: ``columns`` (the form), ``template`` (the workbook to fill), ``reader`` (.xlsx/.csv → polars),
``products`` (recognising product names), ``validate`` (row/column/reason problems), ``energy``
(unit consumption from energy columns), ``classify`` (vectorised tiers, gaps, savings), ``pipeline``
(read → validate → classify), ``catalog`` (the output workbook), ``example`` (the bundled survey).
"""

from dualcarbon.assess.pipeline import Assessment, assess_frame, assess_survey

__all__ = ["Assessment", "assess_frame", "assess_survey"]
