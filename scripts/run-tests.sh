#!/bin/sh
# Runs each Check test binary, lets Check print its summary line, and fails
# if any binary fails. VALGRIND=1 runs each under valgrind (leaks are errors).
set -u
status=0
failed=""
for t in "$@"; do
    echo "== $(basename "$t")"
    if [ "${VALGRIND:-0}" = 1 ]; then
        CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --show-leak-kinds=definite,indirect "$t"
    else
        "$t"
    fi
    rc=$?
    if [ $rc -ne 0 ]; then
        status=1
        failed="$failed $(basename "$t")"
    fi
done
if [ $status -ne 0 ]; then
    echo "FAILED:$failed"
else
    echo "all test binaries passed"
fi
exit $status
