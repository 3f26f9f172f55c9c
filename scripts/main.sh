#!/usr/bin/env bash
# Main job from a fresh clone: install, then assess the bundled example survey into catalog.xlsx.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh run
uv run dualcarbon assess --example --basis gb -o catalog.xlsx "$@"
echo "wrote $(pwd)/catalog.xlsx"
