#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, starts services, checks the import rules,
# runs pytest in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
export DUALCARBON_REQUIRE_PG=1
# The layer and subject rules of pyproject.toml ([tool.importlinter]); a new cycle or upward import fails here.
PYTHONPATH=tools uv run --frozen lint-imports --no-cache
# In parallel: one worker per core (each worker has its own SQLite files and PostgreSQL databases);
# the browser tests share one served app, so they stay together on one worker (--dist loadgroup).
set +e
uv run --frozen pytest -q -p no:cacheprovider -n "${DUALCARBON_TEST_WORKERS:-auto}" --dist loadgroup "$@"
rc=$?
set -e
if [ "$rc" = "5" ]; then echo "no tests collected" >&2; exit 1; fi
exit "$rc"
