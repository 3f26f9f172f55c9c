"""PV, storage and data-centre registers (光伏、储能、数据中心) with their policy checks."""
