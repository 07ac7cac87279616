#!/bin/sh
# The benchmark's own Debian packages (bench/run.sh): wrk, jq, curl, redis-tools
# (redis-cli). As root, installs the missing ones with apt-get; otherwise prints
# the command and fails. Run by `make bench`, never by `make check`.
set -eu
PACKAGES="wrk jq curl redis-tools"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "make bench needs these Debian packages:$missing" >&2
    echo "Run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
