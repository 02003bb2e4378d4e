#!/usr/bin/env bash
# Playwright drives Debian's Chromium (/usr/bin/chromium). Install it when missing and we can;
# otherwise stop with a clear message. Never `npx playwright install`: it downloads, and cannot here.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Chromium is missing: installing Debian's chromium package…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x /usr/bin/chromium ] && exit 0
fi
echo "The browser tests need Debian's Chromium at /usr/bin/chromium. Install it with: sudo apt-get install -y chromium" >&2
exit 1
