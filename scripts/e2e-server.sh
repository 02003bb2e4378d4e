#!/usr/bin/env bash
# The server the Playwright journeys run against: the real `npm start` path (migrate, seed, build if
# needed, next start) on a fresh embedded database, so journeys never touch a developer's data.
set -euo pipefail
cd "$(dirname "$0")/.."
export ATTEST_DATA_DIR=.data/e2e PORT="${1:-3100}" NEXT_TELEMETRY_DISABLED=1
unset DATABASE_URL
rm -rf "$ATTEST_DATA_DIR"
# Everything the server prints is also kept, so that a journey can prove what never reached the log
# (e2e/account-changes.spec.ts searches it for the card numbers it typed).
mkdir -p reports
: > reports/e2e-server.log
exec ./node_modules/.bin/tsx scripts/start.ts > >(tee -a reports/e2e-server.log) 2>&1
