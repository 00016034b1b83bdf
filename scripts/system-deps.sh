#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real, if they are missing:
# PostgreSQL (server binaries), Redis, Chromium (for Playwright; never `playwright install`),
# wrk (the benchmark), nginx and openssl (the reverse proxy of tests/test_client_identity.py),
# Java (the Nu HTML Checker of tests/test_html_validation.py).
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium fonts-liberation)
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl >/dev/null || need+=(openssl)
command -v java >/dev/null || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  echo "system-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
