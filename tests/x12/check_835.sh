#!/bin/sh
# Checks an 835 of claimsd against the claims' JSON decisions with an
# independent parser: tests/x12/check_835.sh FILE.835 EXPECTED.json
# (check_835.mjs says what is checked). Installs node-x12 from
# package-lock.json (npm ci) when it is missing or older than the lock file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "check_835.sh: node and npm are required (Debian: apt-get install nodejs npm)" >&2
    exit 3
fi
stamp="$here/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ]; then
    # npm prints its summary ("added 1 package") on stdout whatever the log level:
    # only its errors may reach the caller, which compares the checker's output.
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || {
        echo "check_835.sh: npm ci failed" >&2
        exit 3
    }
fi
exec node "$here/check_835.mjs" "$@"
