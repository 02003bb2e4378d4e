#!/usr/bin/env bash
# `npm test`: the whole suite. Type-check, lint, Vitest (unit and integration on a real migrated
# database: PGlite, or PostgreSQL when DATABASE_URL is set), the crash test (scripts/crash-test.ts: the
# consent API killed with SIGKILL under load), then the Playwright journeys.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
mkdir -p reports

echo "== type-check"; ./node_modules/.bin/tsc --noEmit
echo "== lint"; ./node_modules/.bin/eslint --max-warnings=0 .
echo "== vitest"; ./node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json
echo "== crash test"; ./node_modules/.bin/tsx scripts/crash-test.ts
echo "== playwright"; bash scripts/ensure-chromium.sh; ./node_modules/.bin/playwright test
node scripts/test-summary.mjs reports/vitest.json reports/playwright.json
