#!/bin/sh
# Runs each Check test binary, lets Check print its summary line, and fails
# if any binary fails. VALGRIND=1 runs each under valgrind (leaks are errors).
# A test that cannot check anything where it runs says so on stderr with a
# line "SKIPPED: <test>: <why>" (tests/harness/harness.h, test_skipped):
# Check counts it as passed, so those lines are listed again at the end.
set -u
status=0
failed=""
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/skips"
for t in "$@"; do
    name=$(basename "$t")
    echo "== $name"
    {
        if [ "${VALGRIND:-0}" = 1 ]; then
            CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
                --show-leak-kinds=definite,indirect "$t"
        else
            "$t"
        fi
        echo $? >"$tmp/rc"
    } 2>&1 | tee "$tmp/out"
    rc=$(cat "$tmp/rc")
    grep '^SKIPPED: ' "$tmp/out" | sed "s|^SKIPPED: |$name: |" >>"$tmp/skips"
    if [ "$rc" -ne 0 ]; then
        status=1
        failed="$failed $name"
    fi
done
if [ -s "$tmp/skips" ]; then
    echo "SKIPPED ($(wc -l <"$tmp/skips") tests passed without checking anything here):"
    sed 's/^/  /' "$tmp/skips"
fi
if [ $status -ne 0 ]; then
    echo "FAILED:$failed"
else
    echo "all test binaries passed"
fi
exit $status
