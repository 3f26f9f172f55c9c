"""The retrofit project library (节能改造项目库): projects, one plan per enterprise (一企一策), lifecycle,
deadlines, completion shares and verified savings (M&V)."""
