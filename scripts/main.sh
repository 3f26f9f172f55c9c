#!/usr/bin/env bash
# Main job from a fresh clone: install, build the demo city in ./dualcarbon-demo (replacing an earlier demo
# workspace) and serve the web UI and API on http://127.0.0.1:8000 with a demo login per role printed.
# Extra arguments go to `dualcarbon demo` (e.g. --port 8080, --enterprises 500, --no-serve).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh run
exec uv run dualcarbon demo --force "$@"
