#!/bin/sh
# Checks that the build's (and the tests') Debian packages are present. As root, installs the
# missing ones with apt-get; otherwise prints the exact command and fails.
set -eu
# With arguments (`scripts/deps.sh WHO PACKAGE...`, as `make bench` calls it)
# the same for those packages, WHO naming what needs them.
PACKAGES="libevent-dev libjson-c-dev libhiredis-dev libcurl4-openssl-dev libssl-dev openssl uuid-dev zlib1g-dev libargon2-dev check redis-server pkg-config faketime tzdata"
WHO=claimsd
if [ $# -gt 0 ]; then
    WHO=$1
    shift
    PACKAGES="$*"
fi

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ "$WHO" = claimsd ]; then
    # The tests' FHIR validator (tests/fhir) and 835 checker (tests/x12) run on
    # Node.js; any installed Node 18 or later will do, so Debian's is added
    # only when there is none.
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "$WHO needs these Debian packages:$missing" >&2
    echo "Run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
