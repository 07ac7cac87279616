#!/usr/bin/env bash
# Browser tests of the web portal (docs/portal.md): headless Debian chromium
# driven by puppeteer-core against the built claimsd and its own redis-server.
#   CLAIMSD_BIN   the server to test (default build/release/claimsd; `make check` sets it)
#   CHROMIUM_BIN  default /usr/bin/chromium
#   PORTAL_SCREENSHOTS  where the screenshots go (default build/portal-screenshots)
# Installs what is missing: nodejs/npm and chromium from Debian (as root
# only), the npm packages from package-lock.json (npm ci).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "run.sh: $* missing; install it with: sudo apt-get install $*" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    fi
}

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
[ -x "$CHROMIUM_BIN" ] || apt_install chromium
command -v redis-server >/dev/null 2>&1 || apt_install redis-server

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

export CLAIMSD_BIN="${CLAIMSD_BIN:-$repo/build/release/claimsd}"
if [ ! -x "$CLAIMSD_BIN" ]; then
    echo "run.sh: $CLAIMSD_BIN is not built (run make first, or set CLAIMSD_BIN)" >&2
    exit 1
fi
export PORTAL_SCREENSHOTS="${PORTAL_SCREENSHOTS:-$repo/build/portal-screenshots}"
cd "$here"
exec node --test --test-reporter=spec portal.test.mjs
