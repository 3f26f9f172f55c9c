#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, starts services, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
export DUALCARBON_REQUIRE_PG=1
set +e
uv run pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" = "5" ]; then echo "no tests collected" >&2; exit 1; fi
exit "$rc"
