"""Batch efficiency assessment of a survey (企业能效调查情况表) into an efficiency catalog (能效清单目录).

Modules: ``columns`` (the form), ``template`` (the workbook to fill), ``reader`` (.xlsx/.csv → polars),
``products`` (recognising product names), ``validate`` (row/column/reason problems), ``energy``
(unit consumption from energy columns), ``classify`` (vectorised tiers, gaps, savings), ``pipeline``
(read → validate → classify), ``catalog`` (the output workbook), ``example`` (the bundled survey).
``service`` is what other subjects may use. Nothing is imported here, so the command line stays fast.
"""
