#!/usr/bin/env bash
# Installs what dualcarbon needs on a fresh machine: uv, the locked Python environment, and (for tests)
# the services and Debian packages the suite talks to. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

need_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet uv
  fi
}

sync_env() {
  uv sync --frozen --quiet "$@"
}

ensure_java() {
  # A Java runtime for the PySpark rollup job (extra `scale`; tests/monitoring/test_spark.py)
  if ! command -v java >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
    else
      echo "warning: java missing and not root; the Spark tests will skip" >&2
    fi
  fi
}

ensure_services() {
  # PostgreSQL (store tests run on it as well as on SQLite)
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  fi
  # Mosquitto (meter ingestion tests)
  if command -v mosquitto >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
    mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
  fi
}

ensure_browser() {
  # chromium + CJK fonts for the browser tests; LibreOffice Calc + poppler for the workbook print test
  # (tests/workbooks/test_libreoffice.py converts every workbook to PDF and reads it back); Pango for WeasyPrint
  # (the PDF documents, src/dualcarbon/documents/)
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
      || ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 \
      || ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0"; then
    if [ "$(id -u)" = "0" ]; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium fonts-noto-cjk libreoffice-calc poppler-utils libpango-1.0-0 libpangoft2-1.0-0 >/dev/null
    else
      echo "warning: chromium / fonts-noto-cjk / libreoffice-calc / poppler-utils missing and not root;" \
        "browser and workbook print tests will fail or skip" >&2
    fi
  fi
}

case "${1:-run}" in
  run) need_uv; sync_env ;;
  test) need_uv; sync_env --extra scale; ensure_java; ensure_services; ensure_browser ;;
esac
