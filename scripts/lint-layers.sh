#!/bin/sh
# Only queue/ talks to Redis (DESIGN.md "Redis layout (in queue/, nowhere
# else)"): outside it no file includes hiredis, names a key format (KEYF_,
# CHANF_, queue/keys.h), sends a command or a script (queue_rconn_command,
# script_eval, queue/scripts.h) or reads a hiredis reply. Start-up and the
# command line may hold a blocking connection (redisContext) made and closed
# by queue/redis_conn.h, nothing more.
#
# Run from the repository root: `make lint-layers` (also part of `make check`).
set -u

# Files allowed to break the rule for now, each with why. Remove a line as
# soon as its file is clean.
EXEMPT='
'

PARTS="common codec adjudicate eob notify work intake server"
PATTERN='#include[[:space:]]*[<"]hiredis|KEYF_|CHANF_|queue/keys\.h|queue/scripts\.h|queue_rconn_command|script_eval|redis(Command|AppendCommand|GetReply|Async[A-Za-z]*|Free|Connect[A-Za-z]*)[[:space:]]*\(|redisReply|freeReplyObject|REDIS_REPLY_'

exempt_files=$(printf '%s\n' "$EXEMPT" | awk 'NF {print $1}')
status=0
for f in $(find $PARTS -name '*.[ch]' | sort); do
    if printf '%s\n' "$exempt_files" | grep -qx "$f"; then
        continue
    fi
    hits=$(grep -nE "$PATTERN" "$f")
    if [ -n "$hits" ]; then
        printf '%s\n' "$hits" | sed "s|^|$f:|"
        status=1
    fi
done
if [ $status -ne 0 ]; then
    echo "lint-layers: Redis is reached only through queue/'s typed calls (see scripts/lint-layers.sh)"
    exit 1
fi
for f in $exempt_files; do
    [ -f "$f" ] || { echo "lint-layers: exempt file $f no longer exists: drop it from the list"; exit 1; }
done
if [ -n "$exempt_files" ]; then
    echo "lint-layers: only queue/ talks to Redis (exempt for now:$(printf ' %s' $exempt_files))"
else
    echo "lint-layers: only queue/ talks to Redis"
fi

# Folders depend one way (docs/architecture.md): each may include only the
# folders listed after it, which sit lower. common/ is reached by bare names
# ("date.h") and may include nothing of the others.
LAYERS='
common:
codec: common
queue: common
adjudicate: common
eob: common adjudicate
notify: common queue
work: common codec queue adjudicate eob
intake: common codec queue adjudicate eob notify work
server: common codec queue adjudicate eob notify work intake
cli:
'
status=0
for folder in $(printf '%s\n' "$LAYERS" | awk -F: 'NF {print $1}'); do
    allowed=" $folder $(printf '%s\n' "$LAYERS" | awk -F: -v f="$folder" '$1 == f {print $2}') "
    for f in $(find "$folder" -maxdepth 1 -name '*.[ch]' | sort); do
        for inc in $(sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$f" | sort -u); do
            case "$allowed" in
            *" $inc "*) ;;
            *)
                echo "$f: includes $inc/, which is not below $folder/"
                status=1
                ;;
            esac
        done
    done
done
if [ $status -ne 0 ]; then
    echo "lint-layers: a folder includes only the folders below it (see scripts/lint-layers.sh)"
    exit 1
fi
echo "lint-layers: each folder includes only the folders below it"
