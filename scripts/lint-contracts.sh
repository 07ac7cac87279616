#!/bin/sh
# Every exported function has a one-sentence contract comment directly above
# its declaration (STYLE.md; issue 17): in each header, a function declared
# (or defined static inline) at file level must follow a comment with no
# blank line, code or preprocessor line between them. A comment at the end of
# another declaration's line does not count, and one comment above a group of
# declarations covers only the first.
#
# Run from the repository root: `make lint-contracts` (also part of `make check`).
set -u

PARTS="common codec adjudicate eob notify work intake server queue"

# shellcheck disable=SC2046
find $PARTS -name '*.h' | sort | xargs awk '
function report(   name, s) {
    s = stmt
    sub(/\(.*/, "", s)
    n = split(s, w, /[^A-Za-z0-9_]+/)
    name = w[n]
    if (name == "" && n > 1)
        name = w[n - 1]
    printf "%s:%d: %s has no contract comment directly above it\n", FILENAME, stmtline, name
    bad++
}
function finish(   s) {
    s = stmt
    gsub(/^[ \t]+/, "", s)
    if (!aggregate && s ~ /\(/ && s !~ /^(typedef|_Static_assert|static_assert)[^A-Za-z0-9_]/ \
        && !commented)
        report()
    stmt = ""
    aggregate = 0
}
FNR == 1 { depth = 0; incomment = 0; prevcomment = 0; stmt = ""; pp = 0; aggregate = 0 }
{
    line = $0
    if (pp) { pp = (line ~ /\\$/); prevcomment = 0; next }
    if (!incomment && line ~ /^[ \t]*#/) { pp = (line ~ /\\$/); prevcomment = 0; next }
    if (!incomment && line ~ /^[ \t]*$/) { prevcomment = 0; next }
    code = ""; rest = line; hadcomment = incomment
    while (length(rest) > 0) {
        if (incomment) {
            i = index(rest, "*/")
            if (i == 0) { rest = "" } else { rest = substr(rest, i + 2); incomment = 0 }
        } else {
            i = index(rest, "/*"); j = index(rest, "//")
            if (j > 0 && (i == 0 || j < i)) {
                code = code substr(rest, 1, j - 1); rest = ""; hadcomment = 1
            } else if (i > 0) {
                code = code substr(rest, 1, i - 1) " "; rest = substr(rest, i + 2)
                incomment = 1; hadcomment = 1
            } else {
                code = code rest; rest = ""
            }
        }
    }
    if (code ~ /^[ \t]*$/) {
        # A line of comment only: it ends a contract comment when the comment
        # is closed here and began at the start of a line.
        if (!incomment && hadcomment && (prevcomment || startcomment || line ~ /^[ \t]*(\/\*|\/\/)/))
            prevcomment = 1
        startcomment = incomment && (startcomment || line ~ /^[ \t]*\/\*/)
        next
    }
    startcomment = 0
    if (depth == 0 && stmt == "")
        commented = prevcomment
    prevcomment = 0
    for (k = 1; k <= length(code); k++) {
        c = substr(code, k, 1)
        if (depth == 0 && (stmt != "" || c !~ /[ \t]/)) {
            if (stmt == "")
                stmtline = FNR
            stmt = stmt c
        }
        if (c == "{") {
            if (depth == 0) {
                s = stmt; gsub(/^[ \t]+/, "", s)
                if (s ~ /\)[ \t]*\{$/ && s !~ /^(struct|union|enum|typedef)[ \t]/) {
                    finish()
                } else {
                    aggregate = 1
                }
            }
            depth++
        } else if (c == "}") {
            depth--
        } else if (c == ";" && depth == 0) {
            finish()
        }
    }
    if (depth == 0 && stmt != "")
        stmt = stmt " "
}
END { exit bad > 0 }
' || {
    echo "lint-contracts: each exported function wants a one-sentence contract comment directly above its declaration (see scripts/lint-contracts.sh)"
    exit 1
}
echo "lint-contracts: every exported function has its contract comment"
