#!/bin/sh
# Validates FHIR R4 JSON files: tests/fhir/validate.sh FILE...
# Installs the validators from package-lock.json (npm ci) when they are missing
# or older than the lock file. Exits non-zero on any validation error.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "validate.sh: node and npm are required (Debian: apt-get install nodejs npm)" >&2
    exit 3
fi
stamp="$here/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2) || {
        echo "validate.sh: npm ci failed" >&2
        exit 3
    }
fi
exec node "$here/validate.js" "$@"
