#!/usr/bin/env bash
# The server the Playwright journeys run against: the real `npm start` path (migrate, seed, build if
# needed, next start) on a fresh embedded database, so journeys never touch a developer's data.
set -euo pipefail
cd "$(dirname "$0")/.."
export ATTEST_DATA_DIR=.data/e2e PORT="${1:-3100}" NEXT_TELEMETRY_DISABLED=1
unset DATABASE_URL
rm -rf "$ATTEST_DATA_DIR"
exec ./node_modules/.bin/tsx scripts/start.ts
