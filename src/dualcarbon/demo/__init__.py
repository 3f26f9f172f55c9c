"""The demo: a synthetic city (示范市) with a few hundred enterprises, three years of annual reports,
published efficiency catalogs and appeals, built through the services into a fresh embedded workspace.

* :mod:`dualcarbon.demo.profiles` — the invented regions, key fields, name lists;
* :mod:`dualcarbon.demo.plan` — the deterministic plan of the city (pure, seeded);
* :mod:`dualcarbon.demo.build` — writing the plan through the services (also used by the benchmarks);
* :mod:`dualcarbon.demo.workspace` — the data directory, the logins file, the port check.

``dualcarbon demo`` (``dualcarbon.demo.cli``) ties them together and serves the UI and API.
"""

from dualcarbon.demo.build import DemoLogin, DemoResult, build_demo, summarise
from dualcarbon.demo.plan import DemoSpec, latest_complete_year, plan_city

__all__ = ["DemoLogin", "DemoResult", "DemoSpec", "build_demo", "latest_complete_year", "plan_city", "summarise"]
