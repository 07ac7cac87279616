#!/bin/sh
# Every function a folder exports carries the folder's prefix (issue 17), so
# a name says where it lives: codec_, adj_ (adjudicate/), eob_, notify_,
# worker_ (work/), queue_, intake_, server_. common/ is the exception: a set
# of small value-type modules, each with its own prefix (date_, money_,
# strbuf_, ...), as a C library's headers are.
#
# Run from the repository root: `make lint-names` (also part of `make check`).
set -u

bad=0
for pair in codec:codec_ adjudicate:adj_ eob:eob_ notify:notify_ work:worker_ queue:queue_ \
    intake:intake_ server:server_; do
    dir=${pair%%:*}
    prefix=${pair#*:}
    # A declaration at file level: a line that starts a type and names a
    # function, `type name(` (pointer stars and qualifiers allowed).
    out=$(grep -HnE '^([A-Za-z_][A-Za-z0-9_ ]*[ *]+)?[a-z_][a-z0-9_]*\(' "$dir"/*.h |
        grep -vE '^[^:]+:[0-9]+:(typedef|return) ' |
        awk -v p="$prefix" '{
            i = index($0, ":"); j = index(substr($0, i + 1), ":")
            where = substr($0, 1, i + j - 1); decl = substr($0, i + j + 1)
            sub(/\(.*/, "", decl)
            n = split(decl, w, /[^A-Za-z0-9_]+/)
            if (index(w[n], p) != 1) print where ": " w[n] " does not start with " p
        }')
    if [ -n "$out" ]; then
        echo "$out"
        bad=$((bad + $(echo "$out" | wc -l)))
    fi
done
if [ "$bad" -ne 0 ]; then
    echo "lint-names: $bad exported function(s) without their folder's prefix"
    exit 1
fi
echo "lint-names: every exported function carries its folder's prefix"
