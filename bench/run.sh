#!/usr/bin/env bash
# The benchmark (issues 7 and 11, docs/performance.md), run by `make bench`.
#
# Starts its own redis-server (AOF on; one pass per AOF policy, appendfsync
# always, the default, first, then everysec) on a free port in a temporary
# folder, claimsd against it, loads enrollment through the API
# (bench/gen_claims) and measures, next to the ceilings of this machine
# measured the same way in the same run:
#   ceilings    no-work evhttp server (bench/minimal_server); the durable-accept
#               ceiling: evhttp + one XADD of each body before the 202
#               (bench/durable_ceiling), on a fresh Redis with the pass's policy;
#               Redis alone doing intake's writes (bench/redis_ceiling)
#   intake      POST /v1/claims req/s and p50/p99/p99.9 at fixed concurrency (wrk)
#   fixed rate  POST /v1/claims latency at half the measured saturation (bench/rate_load)
#   reads       GET /v1/claims/{id} req/s (wrk)
#   end to end  202 -> finalized claims/s, workers running, from the audit stream
#               (bench/e2e_stats); p50/p99 at half that saturation, open loop
#   burst       one member, one fill date (bench/gen_claims --burst): drain rate
#               against the same number of spread claims, in the same claimsd
#   memory      Redis used_memory growth per finalized claim (INFO before/after)
#               and a per-key breakdown (bench/mem_stats: MEMORY USAGE of a
#               sample of finalized claims' keys and of the shared structures)
#   scaling     --workers 1, 2, 4 and a second --role intake process (everysec)
#   cluster     (issue 12) the end-to-end measurement (--workers 2) again on a
#               Redis Cluster of 3 masters (cluster-enabled redis-servers with
#               the pass's AOF policy, redis-cli --cluster create), claimsd
#               --redis-cluster with "shards" BENCH_CLUSTER_SHARDS (falling
#               back to 1 when claimsd refuses it): claims/s beside one
#               Redis's, Redis CPU per finalized claim (INFO cpu, each master
#               and summed) and from it the claims/s one master carries, so
#               what each added master adds
# Every measurement runs on a fresh Redis with freshly loaded enrollment, so
# that no claim is a duplicate of an earlier phase's. A measurement whose
# endpoint or role does not exist yet prints "not available yet".
#
# The targets of issue 11 are printed with value, target, ratio and whether
# each is met (and by how much it is missed): intake >= 0.5 x the durable
# ceiling; end to end >= 0.3 x the durable ceiling; end-to-end p99 < 50 ms at
# half the end-to-end saturation; the burst drains at >= 0.5 x the spread
# rate; <= 4,096 bytes of Redis per finalized claim.
#
# Prints a table (figure, value, ceiling or target, ratio, verdict; under
# each row its notes and the command and settings that produced it) and
# writes build/bench/report.json. Stops everything it started on exit.
#
# Environment: CLAIMSD, BENCH_BIN (binaries), BENCH_OUT (report folder),
# BENCH_DURATION (seconds per wrk run, default 8), BENCH_CONNECTIONS (wrk
# connections, default 32), BENCH_PASSES (default "always everysec"),
# BENCH_CLAIMS (claims generated per phase, default 120000), BENCH_BURST
# (claims in the one-member burst and in its spread comparison, default
# 5000), BENCH_PHASES ("all", the default, or "cluster": only the one-Redis
# end-to-end run and the cluster phase, per pass), BENCH_CLUSTER_SHARDS (the
# cluster phase's "shards", default 16).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLAIMSD=${CLAIMSD:-$ROOT/build/release/claimsd}
BIN=${BENCH_BIN:-$ROOT/build/release/bench}
OUT=${BENCH_OUT:-$ROOT/build/bench}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNECTIONS:-32}
PASSES=${BENCH_PASSES:-always everysec}
N_CLAIMS=${BENCH_CLAIMS:-120000}
N_BURST=${BENCH_BURST:-5000}
BENCH_SHARDS=${BENCH_SHARDS:-16} # claimsd's "shards" on one Redis (its default for new data)
PHASES=${BENCH_PHASES:-all}
ADMIN_TOKEN=bench-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
PLAN=$ROOT/config/sample/plans/PPO-500.json
NA="not available yet"

case $PHASES in
all | cluster) ;;
*)
    echo "bench: BENCH_PHASES is \"all\" or \"cluster\" (not \"$PHASES\")" >&2
    exit 2
    ;;
esac
for tool in wrk redis-server redis-cli curl; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (Debian package)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/claimsd-bench.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
ROWS=$WORK/rows     # pass, figure, value, unit, ceiling, ratio, note, how, target, verdict, met, missed_by; 0x1f between
: >"$ROWS"

log() { printf 'bench: %s\n' "$*" >&2; }

# A TCP port nobody listens on (a connect to it is refused), below the
# ephemeral range (32768 and up) that the load's own connections use.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# field NAME LINE: the value of NAME=value in a RESULT line.
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<" $2"; }

# ms NAME LINE: a microsecond field of a RESULT line in milliseconds ("" when absent).
ms() {
    local v
    v=$(field "$1" "$2")
    [[ -n $v ]] && awk "BEGIN{print $v / 1000}"
    return 0
}

isnum() { [[ ${1:-} =~ ^[0-9]+([.][0-9]+)?$ ]]; }

put_row() { # the 12 fields of a row
    local IFS=$'\x1f'
    printf '%s\n' "$*" >>"$ROWS"
}

# row PASS FIGURE VALUE UNIT CEILING NOTE [HOW]: one line of the report; the
# ratio is computed when both value and ceiling are numbers. HOW names the
# command and settings that produced the figure.
row() {
    local ratio=""
    if isnum "$3" && isnum "$5" && awk "BEGIN{exit !($5 > 0)}"; then
        ratio=$(awk "BEGIN{printf \"%.2f\", $3 / $5}")
    fi
    put_row "$1" "$2" "$3" "$4" "$5" "$ratio" "${6:-}" "${7:-}" "" "" "" ""
}

# target PASS FIGURE VALUE UNIT BASE FACTOR OP HOW [NOTE]: a row with a
# target of issue 11. With a BASE (a ceiling or a reference rate) the target
# is VALUE OP FACTOR x BASE and the ratio VALUE / BASE; without, the target
# is VALUE OP FACTOR (an absolute bound) and the ratio VALUE / FACTOR. OP is
# ">=", "<" or "<=". The verdict says "met" or by how much it is missed
# (the factor to gain and the absolute shortfall).
target() {
    local pass=$1 fig=$2 value=$3 unit=$4 base=$5 factor=$6 op=$7 how=$8 note=${9:-}
    local tgt ratio="" verdict met="" by="" ceiling
    if [[ -n $base ]]; then
        tgt="$op ${factor} x"
        ceiling=$base
    else
        tgt="$op $factor $unit"
        ceiling=$factor
    fi
    if ! isnum "$value"; then
        verdict=${value:-$NA}
        [[ $verdict == "$NA" ]] || verdict="not measured"
        value=${value:-$NA}
    elif [[ -n $base ]] && ! isnum "$base"; then
        verdict="no reference ($NA)"
    elif [[ -n $base ]] && ! awk "BEGIN{exit !($base > 0)}"; then
        verdict="no reference (0)"
    else
        read -r ratio met by verdict < <(awk -v v="$value" -v b="${base:-}" -v f="$factor" \
            -v op="$op" -v unit="$unit" 'BEGIN{
            if (b != "") { r = v / b; goal = f * b } else { r = v / f; goal = f }
            if (op == ">=")      ok = v >= goal
            else if (op == "<")  ok = v < goal
            else                 ok = v <= goal
            if (ok) {
                m = (op == ">=") ? (goal > 0 ? v / goal : 0) : (v > 0 ? goal / v : 0)
                printf "%.2f true 0 met (%.2fx margin)\n", r, m
            } else if (op == ">=") {
                x = v > 0 ? goal / v : 0
                printf "%.2f false %.2f MISSED by %.2fx (%.0f %s short of %.0f)\n", r, x, x, goal - v, unit, goal
            } else {
                x = v / goal
                printf "%.2f false %.2f MISSED by %.2fx (%.0f %s over %.0f)\n", r, x, x, v - goal, unit, goal
            }}')
    fi
    put_row "$pass" "$fig" "$value" "$unit" "$ceiling" "$ratio" "$note" "$how" "$tgt" "$verdict" "$met" "$by"
}

# The process list to stop at the end (and at the end of each phase).
started() { PIDS+=("$1"); }
stop() {
    local pid=$1 rest=()
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do [[ $p != "$pid" ]] && rest+=("$p"); done
    PIDS=("${rest[@]}")
}

# redis_answers PORT PID: waits up to 5 s for the redis-server PID on PORT to
# answer PING; 1 when it did not (it exited, or never answered).
redis_answers() {
    for _ in $(seq 100); do
        redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# start_redis FSYNC: a fresh redis-server; sets REDIS_PORT and REDIS_PID,
# REDIS_NODES (the masters' ports: this one) and REDIS_ARGS (claimsd's
# option to reach it). Tries another port when the one picked was taken
# meanwhile.
start_redis() {
    local dir attempt
    for attempt in 1 2 3 4 5; do
        dir=$(mktemp -d "$WORK/redis.XXXX")
        REDIS_PORT=$(free_port)
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
            --appendfsync "$1" --save '' --logfile "$dir/redis.log" --daemonize no >/dev/null &
        REDIS_PID=$!
        started "$REDIS_PID"
        if redis_answers "$REDIS_PORT" "$REDIS_PID"; then
            REDIS_NODES=("$REDIS_PORT")
            REDIS_ARGS=(--redis "redis://127.0.0.1:$REDIS_PORT")
            E2E_SHARDS=$BENCH_SHARDS
            return 0
        fi
        log "redis-server on port $REDIS_PORT did not start: $(tail -n 1 "$dir/redis.log")"
        stop "$REDIS_PID"
    done
    exit 1
}

# start_claimsd ARGS...: claimsd on REDIS_ARGS with CLAIMSD_CONFIG (default:
# rate limits off); sets CLAIMSD_PORT and CLAIMSD_PID; returns 1 when it
# does not come up (an option or role that does not exist yet), with its
# exit status in CLAIMSD_EXIT and its last lines in CLAIMSD_LAST.
# The load comes from 400 member and 40 provider tokens on one address: the
# per-token rate limits (docs/configuration.md) would measure the limits, not
# the server, so the benchmark turns them off.
start_claimsd() {
    local logf
    logf=$(mktemp "$WORK/claimsd.XXXX.log")
    [ -f "$WORK/no-limits.json" ] ||
        echo "{\"rate_limits\": null, \"shards\": $BENCH_SHARDS}" >"$WORK/no-limits.json"
    CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=$ADMIN_TOKEN "$CLAIMSD" --config "${CLAIMSD_CONFIG:-$WORK/no-limits.json}" \
        "${REDIS_ARGS[@]}" --listen 127.0.0.1:0 "$@" >"$logf" 2>&1 &
    CLAIMSD_PID=$!
    started "$CLAIMSD_PID"
    CLAIMSD_PORT="" CLAIMSD_EXIT="" CLAIMSD_LAST=""
    for _ in $(seq 100); do
        if ! kill -0 "$CLAIMSD_PID" 2>/dev/null; then
            CLAIMSD_EXIT=0
            wait "$CLAIMSD_PID" 2>/dev/null || CLAIMSD_EXIT=$?
            CLAIMSD_LAST=$(tail -n 3 "$logf" | tr '\n' ' ')
            log "claimsd $* exited with status $CLAIMSD_EXIT: $CLAIMSD_LAST"
            stop "$CLAIMSD_PID"
            return 1
        fi
        if [[ " $* " == *" --role worker "* ]]; then
            sleep 0.3
            return 0
        fi
        CLAIMSD_PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$logf" | head -n 1)
        [[ -n $CLAIMSD_PORT ]] && return 0
        sleep 0.05
    done
    log "claimsd did not start listening"
    stop "$CLAIMSD_PID"
    return 1
}

# load_enrollment PORT: PUT plan, groups, members; tokens; DATA/claims.tsv
# and DATA/burst.tsv.
# Returns 1 when the endpoints are not there yet.
DATA=$WORK/data
load_enrollment() {
    mkdir -p "$DATA"
    if ! "$BIN/gen_claims" --url "http://127.0.0.1:$1" --admin-token "$ADMIN_TOKEN" --plan "$PLAN" \
        --out "$DATA" --claims "$N_CLAIMS" --burst "$N_BURST" --check 20 >"$WORK/gen.out" 2>&1; then
        log "enrollment or claim submission failed: $(tail -n 2 "$WORK/gen.out" | tr '\n' ' ')"
        return 1
    fi
    GEN_SUMMARY=$(grep -m 1 ' families, ' "$WORK/gen.out" || true)
    BURST_SUMMARY=$(grep -m 1 'burst of' "$WORK/gen.out" || true)
}

# fresh FSYNC ARGS...: a new Redis and one claimsd with ARGS, enrollment loaded.
fresh() {
    local fsync=$1
    shift
    stop_all
    start_redis "$fsync"
    start_claimsd "$@" && load_enrollment "$CLAIMSD_PORT"
}

stop_all() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}

# cpu_ms PID: user + system CPU time the process (all its threads) has used.
CLK_TCK=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$CLK_TCK" '{sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / t)}' "/proc/$1/stat"; }

# busy_percent: how much of the machine's CPU was busy over one second,
# before this run starts anything or before a load (other work on a shared
# machine skews every figure).
busy_percent() {
    local a b
    a=($(head -n 1 /proc/stat))
    sleep 1
    b=($(head -n 1 /proc/stat))
    awk -v u="$((b[1] + b[2] + b[3] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[6] - a[7] - a[8]))" \
        -v i="$((b[4] + b[5] - a[4] - a[5]))" 'BEGIN{printf "%.0f", 100 * u / (u + i)}'
}

# info_field PORT SECTION NAME: one field of INFO SECTION.
info_field() { redis-cli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3:\\(.*\\)/\\1/p"; }
# used_memory: used_memory summed over the masters (REDIS_NODES).
used_memory() {
    local p sum=0
    for p in "${REDIS_NODES[@]}"; do sum=$((sum + $(info_field "$p" memory used_memory))); done
    echo "$sum"
}
# redis_cpu_us PORT: the CPU time the redis-server has used (INFO cpu,
# used_cpu_sys + used_cpu_user: getrusage of the whole process), in us.
redis_cpu_us() {
    local sys user
    sys=$(info_field "$1" cpu used_cpu_sys)
    user=$(info_field "$1" cpu used_cpu_user)
    awk -v s="$sys" -v u="$user" 'BEGIN{printf "%.0f", (s + u) * 1e6}'
}
# nodes_cpu_us: redis_cpu_us of each master of REDIS_NODES, in that order.
nodes_cpu_us() {
    local p
    for p in "${REDIS_NODES[@]}"; do printf '%s ' "$(redis_cpu_us "$p")"; done
}
now_ms() { date +%s%3N; }

# wrk_post PORT [CONNS] [DURATION]: the RESULT line of a POST /v1/claims run.
wrk_post() {
    CLAIMS_FILE=$DATA/claims.tsv wrk -t1 -c"${2:-$CONNS}" -d"${3:-$DURATION}s" --timeout 5s \
        -s "$ROOT/bench/post_claims.lua" "http://127.0.0.1:$1" 2>&1 | grep '^RESULT' || true
}

# ---- the ceilings: the same wrk run against the minimal servers ----
# wait_listening LOGFILE PID: the port a bench server printed ("listening on
# port N"), or "" when it exited or never said.
wait_listening() {
    local port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$1")
        [[ -n $port ]] && break
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    echo "$port"
}

# http_ceiling MODE: sets CEIL_RES to the RESULT line of the wrk run against
# bench/minimal_server MODE ("" when it did not start).
http_ceiling() {
    local logf port pid
    logf=$(mktemp "$WORK/minimal.XXXX")
    "$BIN/minimal_server" $1 >"$logf" 2>&1 &
    pid=$!
    started "$pid"
    port=$(wait_listening "$logf" "$pid")
    CEIL_RES=""
    [[ -n $port ]] && CEIL_RES=$(wrk_post "$port")
    stop "$pid"
}

# durable_ceiling PASS: the durable-accept ceiling on a fresh Redis with the
# pass's appendfsync; sets CEIL_RES (and DURABLE_STORED, the stream's length).
durable_ceiling() {
    local logf port pid
    stop_all
    start_redis "$1"
    logf=$(mktemp "$WORK/durable.XXXX")
    "$BIN/durable_ceiling" --redis-port "$REDIS_PORT" --key bench:durable >"$logf" 2>&1 &
    pid=$!
    started "$pid"
    port=$(wait_listening "$logf" "$pid")
    CEIL_RES="" DURABLE_STORED=""
    if [[ -n $port ]]; then
        CEIL_RES=$(wrk_post "$port")
        DURABLE_STORED=$(redis-cli -p "$REDIS_PORT" xlen bench:durable)
    else
        log "durable_ceiling did not start: $(tail -n 2 "$logf" | tr '\n' ' ')"
    fi
    stop_all
}

# submitted_since MS [IDS_FILE]: the claims whose intake step is in the audit
# stream since MS (no waiting: for runs without workers).
submitted_since() {
    local res
    res=$("$BIN/e2e_stats" --port "$REDIS_PORT" --shards "$BENCH_SHARDS" --since "$1" --timeout 0 \
        ${2:+--submitted-ids "$2"} || true)
    field submitted "$res"
}

# post_count FILE N: posts exactly N claims of FILE (cycling) as fast as
# claimsd answers them on $CONNS connections (bench/rate_load --count).
post_count() {
    "$BIN/rate_load" --port "$CLAIMSD_PORT" --rate 1000000 --count "$2" --warmup 0 \
        --connections "$CONNS" --file "$1" >"$WORK/post_count.out" 2>&1 || true
    grep '^RESULT' "$WORK/post_count.out" || true
}

declare -A FIG   # figures reused across rows (ceilings, saturation)
WRK_HOW="wrk -t1 -c$CONNS -d${DURATION}s -s bench/post_claims.lua (gen_claims bodies)"

# e2e_load: the end-to-end load against the running claimsd and the masters
# of REDIS_NODES: wrk at saturation ($WRK_HOW) while the workers run, then
# the backlog drains (bench/e2e_stats from the first master, following the
# E2E_SHARDS shards' streams). Sets E2E_WRK and E2E_RES (the RESULT lines of
# wrk and e2e_stats), E2E_FIN (claims finalized), E2E_CLAIMSD_MS (claimsd's
# CPU time), E2E_REDIS_US (each master's CPU time, INFO cpu, an array),
# E2E_REDIS_SUM (their sum), E2E_MEM (used_memory growth, all masters) and
# E2E_KEYS (keys added on each master, an array), E2E_BUSY (the machine's busy
# share, %, in the second before the load: other work, claimsd being idle).
e2e_load() {
    local mem0 since c0 r0 k0 r1 k1 i
    E2E_BUSY=$(busy_percent)
    mem0=$(used_memory)
    k0=($(nodes_dbsize))
    since=$(now_ms)
    c0=$(cpu_ms "$CLAIMSD_PID")
    r0=($(nodes_cpu_us))
    E2E_WRK=$(wrk_post "$CLAIMSD_PORT")
    E2E_RES=$("$BIN/e2e_stats" --port "${REDIS_NODES[0]}" --shards "${E2E_SHARDS:-1}" --since "$since" \
        --timeout 180 --ids "$WORK/final.ids" || true)
    E2E_CLAIMSD_MS=$(($(cpu_ms "$CLAIMSD_PID") - c0))
    r1=($(nodes_cpu_us))
    k1=($(nodes_dbsize))
    E2E_MEM=$(($(used_memory) - mem0))
    E2E_REDIS_US=() E2E_KEYS=() E2E_REDIS_SUM=0
    for i in "${!REDIS_NODES[@]}"; do
        E2E_REDIS_US+=($((r1[i] - r0[i])))
        E2E_KEYS+=($((k1[i] - k0[i])))
        E2E_REDIS_SUM=$((E2E_REDIS_SUM + r1[i] - r0[i]))
    done
    E2E_FIN=$(field finalized "$E2E_RES")
}

# per_core US: the claims one core carries a second when each costs US us.
per_core() {
    isnum "${1:-}" && awk -v us="$1" 'BEGIN{printf "%d", (us > 0 ? 1e6 / us : 0)}'
    return 0
}

# nodes_dbsize: the number of keys on each master of REDIS_NODES.
nodes_dbsize() {
    local p
    for p in "${REDIS_NODES[@]}"; do printf '%s ' "$(redis-cli -p "$p" dbsize)"; done
}

# start_cluster_node FSYNC: one fresh redis-server with cluster-enabled yes
# (AOF as start_redis; its cluster bus on a free port too); prints its port.
start_cluster_node() {
    local dir port bus pid attempt
    for attempt in 1 2 3; do
        dir=$(mktemp -d "$WORK/cluster.XXXX")
        port=$(free_port)
        bus=$(free_port)
        [[ $bus == "$port" ]] && continue
        redis-server --port "$port" --cluster-port "$bus" --cluster-enabled yes \
            --cluster-config-file "$dir/nodes.conf" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
            --appendfsync "$1" --save '' --logfile "$dir/redis.log" --daemonize no >/dev/null &
        pid=$!
        started "$pid"
        if redis_answers "$port" "$pid"; then
            echo "$port"
            return 0
        fi
        log "cluster node on port $port did not start: $(tail -n 1 "$dir/redis.log")"
        stop "$pid"
    done
    return 1
}

# start_cluster FSYNC N: a fresh Redis Cluster of N masters, no replicas
# (redis-cli --cluster create), every node saying cluster_state:ok; sets
# REDIS_NODES (their ports), REDIS_PORT (the first) and REDIS_ARGS
# (--redis-cluster naming them all). Returns 1 when it does not come up.
start_cluster() {
    local i port addrs=() ok
    REDIS_NODES=()
    for ((i = 0; i < $2; i++)); do
        # In this shell, not $(...): the node must be in PIDS to be stopped.
        start_cluster_node "$1" >"$WORK/node.port" || return 1
        port=$(cat "$WORK/node.port")
        REDIS_NODES+=("$port")
        addrs+=("127.0.0.1:$port")
    done
    if ! redis-cli --cluster create "${addrs[@]}" --cluster-yes >"$WORK/cluster-create.out" 2>&1; then
        log "redis-cli --cluster create failed: $(tail -n 2 "$WORK/cluster-create.out" | tr '\n' ' ')"
        return 1
    fi
    for _ in $(seq 100); do
        ok=0
        for port in "${REDIS_NODES[@]}"; do
            [[ $(info_field_cluster "$port") == ok ]] && ok=$((ok + 1))
        done
        ((ok == $2)) && break
        sleep 0.1
    done
    if ((ok != $2)); then
        log "the cluster did not reach cluster_state:ok ($ok of $2 nodes)"
        return 1
    fi
    REDIS_PORT=${REDIS_NODES[0]}
    REDIS_ARGS=(--redis-cluster "$(IFS=,; echo "${addrs[*]}")")
}
info_field_cluster() { redis-cli -p "$1" cluster info | tr -d '\r' | sed -n 's/^cluster_state://p'; }

# node_slots PORT: the slot ranges a master serves (CLUSTER NODES, "myself").
node_slots() { redis-cli -p "$1" cluster nodes | awk '/myself/{for (i = 9; i <= NF; i++) printf "%s%s", (i > 9 ? " " : ""), $i}'; }

# e2e_missing PASS WORKERS HOW WHY [MORE]: the end-to-end row of --workers W
# (and with 2, its targets) without a figure, because WHY (the row adds MORE).
e2e_missing() {
    local pass=$1 w=$2 how=$3 why=$4
    row "$pass" "end to end, --workers $w (claims/s)" "$NA" claims/s "" "$why${5:-}"
    [[ $w == 2 ]] || return 0
    target "$pass" "TARGET end to end 202->finalized, --workers 2, vs the durable-accept ceiling (claims/s)" \
        "$NA" claims/s "${FIG[durable]:-$NA}" 0.3 ">=" "$how" "$why"
    target "$pass" "TARGET Redis bytes per finalized claim (record, EOB, indexes, audit)" "$NA" bytes "" 4096 "<=" \
        "$how" "$why"
}

# e2e_phase PASS WORKERS: end to end on one Redis with claimsd --workers W
# for each W of WORKERS, each on a fresh Redis (e2e_load); with --workers 2
# the targets, the CPU and memory per finalized claim (FIG[e2e_2],
# FIG[claimsd_us], FIG[redis_us], FIG[bytes]: the cluster phase compares
# with them).
e2e_phase() {
    local pass=$1 w res fin
    local RH="redis-server appendfsync $pass"
    for w in $2; do
        log "pass $pass: end to end, --workers $w"
        local e2e_how="claimsd --workers $w; $WRK_HOW, then the backlog drains; bench/e2e_stats (audit stream); $RH"
        if ! fresh "$pass" --workers "$w"; then
            e2e_missing "$pass" "$w" "$e2e_how" "claimsd --workers $w did not start"
            continue
        fi
        [[ $w == 2 ]] && { "$BIN/mem_stats" --port "$REDIS_PORT" --save "$WORK/mem.before" || true; }
        e2e_load
        res=$E2E_RES fin=$E2E_FIN
        if [[ -z $fin || $fin == 0 ]]; then
            e2e_missing "$pass" "$w" "$e2e_how" "no claim was finalized" " (worker pool missing)"
            continue
        fi
        FIG[e2e_$w]=$(field claims_per_s "$res")
        local e2e_note="finalized / (last finalize - first submit); machine ${E2E_BUSY}% busy with other work in the second before; intake at saturation meanwhile $(field rps "$E2E_WRK") req/s; $fin finalized, $(field pended "$res") pended, $(field left "$res") left"
        if [[ $w == 2 ]]; then
            target "$pass" "TARGET end to end 202->finalized, --workers 2, vs the durable-accept ceiling (claims/s)" \
                "${FIG[e2e_2]}" claims/s "${FIG[durable]:-$NA}" 0.3 ">=" "$e2e_how" "target >= 0.3 x ceiling; $e2e_note"
        else
            row "$pass" "end to end 202->finalized, --workers $w (claims/s)" "${FIG[e2e_$w]}" claims/s "${FIG[durable]}" \
                "ceiling column: the durable-accept ceiling; $e2e_note" "$e2e_how"
        fi
        if [[ $w == 2 ]]; then
            row "$pass" "intake POST /v1/claims with --workers 2 running (req/s)" \
                "$(field rps "$E2E_WRK")" req/s "${FIG[durable]:-}" \
                "ceiling column: the durable-accept ceiling; the wrk run of the end-to-end figure; non-2xx=$(field non2xx "$E2E_WRK")" \
                "$e2e_how"
            FIG[claimsd_us]=$((E2E_CLAIMSD_MS * 1000 / fin))
            FIG[redis_us]=$((E2E_REDIS_SUM / fin))
            FIG[bytes]=$((E2E_MEM / fin))
            row "$pass" "CPU per finalized claim, intake + worker: claimsd (us)" "${FIG[claimsd_us]}" us "" \
                "2 cores give 2,000,000 us/s" "$e2e_how; /proc/PID/stat"
            row "$pass" "CPU per finalized claim, intake + commit: redis-server (us)" "${FIG[redis_us]}" us "" \
                "one core carries $(per_core "${FIG[redis_us]}") claims/s of this Redis work (1,000,000 us / this)" \
                "$e2e_how; INFO cpu used_cpu_sys + used_cpu_user before/after"
            target "$pass" "TARGET Redis bytes per finalized claim (record, EOB, indexes, audit)" \
                "${FIG[bytes]}" bytes "" 4096 "<=" "$e2e_how; INFO memory used_memory before/after" \
                "used_memory delta / $fin finalized claims"
            memory_breakdown "$pass" "$fin" "$e2e_how"
            FIG[e2e_rate]=$(awk "BEGIN{printf \"%d\", ${FIG[e2e_2]} / 2}")
        fi
    done
}

# cluster_phase PASS: the end-to-end measurement of e2e_phase (--workers 2,
# the same enrollment load, wrk and drain) on a fresh Redis Cluster of 3
# masters with the pass's AOF policy, claimsd --redis-cluster with "shards"
# BENCH_CLUSTER_SHARDS (default 16; when claimsd refuses it, exit status 2
# naming "shards", 1 and a note saying so). Rows: claims/s against one
# Redis's, CPU per finalized claim (claimsd; Redis summed over the masters
# and each master's share), and from the Redis CPU per claim the claims/s
# one master carries and so each added master adds.
cluster_phase() {
    local pass=$1 shards=${BENCH_CLUSTER_SHARDS:-16} note="" how fin res i p sum busiest=0
    local CLAIMSD_CONFIG=$WORK/cluster.json
    local name="end to end 202->finalized, Redis Cluster of 3 masters, --workers 2 (claims/s)"
    log "pass $pass: end to end on a Redis Cluster of 3 masters, shards $shards, --workers 2"
    stop_all
    if ! start_cluster "$pass" 3; then
        row "$pass" "$name" "$NA" claims/s "${FIG[e2e_2]:-}" "the cluster did not come up"
        stop_all
        return
    fi
    echo "{\"rate_limits\": null, \"shards\": $shards}" >"$CLAIMSD_CONFIG"
    if ! start_claimsd --workers 2 && [[ $shards != 1 && $CLAIMSD_EXIT == 2 && $CLAIMSD_LAST == *shards* ]]; then
        note="claimsd refused \"shards\": $shards (exit status 2 naming \"shards\"): measured with shards 1, every claims key on one master"
        log "$note"
        shards=1
        echo '{"rate_limits": null, "shards": 1}' >"$CLAIMSD_CONFIG"
        start_claimsd --workers 2 || true
    fi
    if [[ -z $CLAIMSD_PORT ]] || ! load_enrollment "$CLAIMSD_PORT"; then
        row "$pass" "$name" "$NA" claims/s "${FIG[e2e_2]:-}" "claimsd --redis-cluster or the enrollment did not come up${note:+; $note}"
        stop_all
        return
    fi
    E2E_SHARDS=$shards
    e2e_load
    res=$E2E_RES fin=$E2E_FIN
    how="3 x redis-server --cluster-enabled yes, appendfsync $pass, redis-cli --cluster create (no replicas); claimsd --redis-cluster --workers 2, config \"shards\": $shards; $WRK_HOW, then the backlog drains; bench/e2e_stats --shards $shards"
    if [[ -z $fin || $fin == 0 ]]; then
        row "$pass" "$name" "$NA" claims/s "${FIG[e2e_2]:-}" "no claim was finalized${note:+; $note}" "$how"
        stop_all
        return
    fi
    row "$pass" "$name" "$(field claims_per_s "$res")" claims/s "${FIG[e2e_2]:-}" \
        "ceiling column: one Redis, the same load (end to end --workers 2 above); on $(nproc) cores no gain is expected: claimsd, wrk and the three redis-servers share them; machine ${E2E_BUSY}% busy with other work in the second before; intake meanwhile $(field rps "$E2E_WRK") req/s (non-2xx=$(field non2xx "$E2E_WRK")); $fin finalized, $(field pended "$res") pended, $(field left "$res") left; shards $shards${note:+; $note}" \
        "$how"
    row "$pass" "CPU per finalized claim on the cluster: claimsd (us)" "$((E2E_CLAIMSD_MS * 1000 / fin))" us \
        "${FIG[claimsd_us]:-}" "ceiling column: the same with one Redis" "$how; /proc/PID/stat"
    sum=$((E2E_REDIS_SUM / fin))
    row "$pass" "CPU per finalized claim on the cluster: redis-server, 3 masters summed (us)" "$sum" us \
        "${FIG[redis_us]:-}" "ceiling column: one Redis, the same load; the ratio is the cluster's cost (cluster mode, routing, keys on several masters)" \
        "$how; INFO cpu used_cpu_sys + used_cpu_user of each master before/after"
    for i in "${!REDIS_NODES[@]}"; do
        p=${REDIS_NODES[i]}
        ((E2E_REDIS_US[i] > E2E_REDIS_US[busiest])) && busiest=$i
        row "$pass" "  master $((i + 1)) (slots $(node_slots "$p")): redis-server CPU per finalized claim (us)" \
            "$((E2E_REDIS_US[i] / fin))" us "$sum" \
            "ratio: its share of the cluster's Redis CPU; +${E2E_KEYS[i]} keys$( ((E2E_KEYS[i] * 4 < fin)) && echo ': few of the claims keys are here')" \
            "INFO cpu of 127.0.0.1:$p"
    done
    row "$pass" "Redis bytes per finalized claim on the cluster (used_memory, 3 masters)" "$((E2E_MEM / fin))" bytes \
        "${FIG[bytes]:-}" "ceiling column: one Redis" "$how; INFO memory used_memory of each master"
    cluster_estimate "$pass" "$sum" "$((E2E_REDIS_US[busiest] / fin))" "$shards"
    stop_all
}

# cluster_estimate PASS SUM_US BUSIEST_US SHARDS: claims/s per master from the
# Redis CPU a finalized claim costs on the cluster (SUM_US, all masters) and
# on its busiest master (BUSIEST_US).
cluster_estimate() {
    local pass=$1 one busy how="1,000,000 us / the cluster's Redis CPU per finalized claim"
    one=$(per_core "$2")
    busy=$(per_core "$3")
    row "$pass" "estimate: claims/s one master carries (one core / Redis CPU per finalized claim)" \
        "$one" claims/s "$(per_core "${FIG[redis_us]:-}")" \
        "ceiling column: the same from one Redis's CPU per claim. Assumes Redis runs the commands on one thread (its AOF fsync under everysec runs on another and is counted here: the estimate is low by that), the core is all Redis's, and one core at 100 % (keep headroom: plan ~70 %)" \
        "$how"
    row "$pass" "estimate: claims/s added per master, keys spread evenly by shards" "$one" claims/s "" \
        "n masters carry ~n x this while claimsd processes (intake and workers) scale on other machines and the shards spread the claims keys evenly (shards >> masters; 16 shards on 3 masters: 6, 5, 5, so ~1.1 x the even load on the busiest)" \
        "$how"
    row "$pass" "estimate: claims/s this cluster carries with shards $4 (its busiest master's core)" \
        "$busy" claims/s "$one" \
        "1,000,000 us / the busiest master's Redis CPU per finalized claim$( (($4 == 1)) && echo '; with shards 1 every claims key is on one master: adding masters adds nothing for claims until the sharded layout')" \
        "$how"
}

measure_pass() {
    local pass=$1 res rate mem0 mem1 since n
    local RH="redis-server appendfsync $pass"
    FIG[durable]="" FIG[intake]="" FIG[e2e_2]="" FIG[e2e_rate]=""
    FIG[claimsd_us]="" FIG[redis_us]="" FIG[bytes]=""

    # ---- the durable-accept ceiling ----
    log "pass appendfsync=$pass: durable-accept ceiling (evhttp + XADD before each 202)"
    if [[ -s $DATA/claims.tsv ]]; then
        durable_ceiling "$pass"
        FIG[durable]=$(field rps "$CEIL_RES")
        if [[ -n ${FIG[durable]} ]]; then
            row "$pass" "durable-accept ceiling: evhttp, XADD of each body, 202 after Redis replied (req/s)" \
                "${FIG[durable]}" req/s "${FIG[http_evhttp]:-}" \
                "ceiling column: the no-work evhttp server; p50 $(ms p50_us "$CEIL_RES") ms, p99 $(ms p99_us "$CEIL_RES") ms; non-2xx=$(field non2xx "$CEIL_RES"); stream length after: ${DURABLE_STORED:-?}" \
                "bench/durable_ceiling --redis-port P; $WRK_HOW; $RH"
        else
            row "$pass" "durable-accept ceiling (req/s)" "$NA" req/s "" "bench/durable_ceiling did not run" \
                "bench/durable_ceiling; $RH"
        fi
    else
        row "$pass" "durable-accept ceiling (req/s)" "$NA" req/s "" "no claims to send (gen_claims failed)" \
            "bench/durable_ceiling; $RH"
    fi

    log "pass appendfsync=$pass: Redis ceiling"
    start_redis "$pass"
    # The better of one deep pipeline and 32 shallow ones (with always, Redis
    # shares one fsync among the connections served in one loop turn).
    local mode best shape r1 r2
    for mode in pipeline lua; do
        r1=$("$BIN/redis_ceiling" --port "$REDIS_PORT" --claims 60000 --mode "$mode" || true)
        r2=$("$BIN/redis_ceiling" --port "$REDIS_PORT" --claims 60000 --mode "$mode" --connections 32 --depth 2 || true)
        if awk "BEGIN{exit !($(field claims_per_s "$r1") >= $(field claims_per_s "$r2"))}"; then
            best=$r1 shape="1 connection x 64 claims per round trip"
        else
            best=$r2 shape="32 connections x 2 claims per round trip"
        fi
        FIG[redis_$mode]=$(field claims_per_s "$best")
        FIG[redis_${mode}_shape]=$shape
        FIG[redis_bytes]=$(field bytes_per_claim "$best")
    done
    row "$pass" "Redis ceiling: intake writes pipelined (claims/s)" "${FIG[redis_pipeline]}" claims/s "" \
        "12 commands/claim (the pre-issue-11 layout); ${FIG[redis_pipeline_shape]}" \
        "bench/redis_ceiling --claims 60000 --mode pipeline; $RH"
    row "$pass" "Redis ceiling: same writes in one EVALSHA per claim (claims/s)" "${FIG[redis_lua]}" \
        claims/s "${FIG[redis_pipeline]}" "the script layer's own cost; ${FIG[redis_lua_shape]}" \
        "bench/redis_ceiling --claims 60000 --mode lua; $RH"
    row "$pass" "Redis ceiling: bytes per claim at intake (writes only)" "${FIG[redis_bytes]}" bytes "" \
        "record, indexes, stream entries, audit; no EOB" "bench/redis_ceiling; used_memory delta"

    # ---- intake at fixed concurrency, reads, intake memory ----
    log "pass $pass: intake at $CONNS connections, ${DURATION}s"
    if ! fresh "$pass" --workers 0; then
        row "$pass" "intake POST /v1/claims (req/s)" "$NA" req/s "${FIG[http_evhttp]:-}" "POST /v1/claims or enrollment endpoints missing"
        na_targets "$pass" "claimsd or the enrollment endpoints did not come up"
        stop_all
        return
    fi
    [[ -n ${GEN_SUMMARY:-} ]] && log "$GEN_SUMMARY"
    mem0=$(used_memory)
    since=$(now_ms)
    local c0 r0 c1 r1
    c0=$(cpu_ms "$CLAIMSD_PID")
    r0=$(cpu_ms "$REDIS_PID")
    res=$(wrk_post "$CLAIMSD_PORT")
    c1=$(cpu_ms "$CLAIMSD_PID")
    r1=$(cpu_ms "$REDIS_PID")
    mem1=$(used_memory)
    FIG[intake]=$(field rps "$res")
    local intake_how="claimsd --workers 0; $WRK_HOW; $RH"
    target "$pass" "TARGET intake POST /v1/claims vs the durable-accept ceiling (req/s)" "${FIG[intake]:-$NA}" req/s \
        "${FIG[durable]:-$NA}" 0.5 ">=" "$intake_how" \
        "target >= 0.5 x ceiling; non-2xx=$(field non2xx "$res")"
    row "$pass" "intake POST /v1/claims vs the no-work HTTP ceiling (req/s)" "${FIG[intake]}" req/s \
        "${FIG[http_evhttp]:-}" "ceiling: minimal evhttp server" "$intake_how"
    row "$pass" "intake vs Redis ceiling (claims/s)" "${FIG[intake]}" claims/s "${FIG[redis_lua]}" \
        "ceiling: the pre-issue-11 intake writes as EVALSHA, pipelined" "$intake_how"
    row "$pass" "intake p50 latency (ms)" "$(ms p50_us "$res")" ms \
        "${FIG[http_evhttp_p50]:-}" "closed loop, $CONNS connections" "$intake_how"
    row "$pass" "intake p99 latency (ms)" "$(ms p99_us "$res")" ms \
        "${FIG[http_evhttp_p99]:-}" "" "$intake_how"
    row "$pass" "intake p99.9 latency (ms)" "$(ms p999_us "$res")" ms \
        "${FIG[http_evhttp_p999]:-}" "" "$intake_how"
    n=$(submitted_since "$since" "$WORK/ids.all")
    if [[ -n $n ]] && ((n > 0)); then
        row "$pass" "CPU per claim at intake: claimsd (us)" "$(( (c1 - c0) * 1000 / n ))" us "" \
            "user+system time of the process / $n claims stored (claim.submit records in the audit stream)" "$intake_how; /proc/PID/stat"
        row "$pass" "CPU per claim at intake: redis-server (us)" "$(( (r1 - r0) * 1000 / n ))" us "" \
            "the Redis ceiling's writes alone: $(awk "BEGIN{printf \"%d\", 1e6 / (${FIG[redis_lua]:-0} > 0 ? ${FIG[redis_lua]} : 1)}") us" "$intake_how; /proc/PID/stat"
        row "$pass" "Redis bytes per claim at intake (not yet adjudicated)" "$(( (mem1 - mem0) / n ))" \
            bytes "${FIG[redis_bytes]}" "used_memory delta / $n claims" "$intake_how; INFO memory"
    fi

    log "pass $pass: status reads"
    head -n 20000 "$WORK/ids.all" >"$WORK/ids.txt" 2>/dev/null || : >"$WORK/ids.txt"
    local one
    one=$(head -n 1 "$WORK/ids.txt")
    if [[ -n $one ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$DATA/staff.token")" \
        "http://127.0.0.1:$CLAIMSD_PORT/v1/claims/$one") == 200 ]]; then
        res=$(IDS_FILE=$WORK/ids.txt STAFF_TOKEN_FILE=$DATA/staff.token wrk -t1 -c"$CONNS" \
            -d"${DURATION}s" -s "$ROOT/bench/get_claims.lua" "http://127.0.0.1:$CLAIMSD_PORT" 2>&1 |
            grep '^RESULT' || true)
        row "$pass" "status reads GET /v1/claims/{id} (req/s)" "$(field rps "$res")" req/s \
            "${FIG[http_evhttp]:-}" "staff token; p99 $(ms p99_us "$res") ms; non-2xx=$(field non2xx "$res")" \
            "claimsd --workers 0; wrk -t1 -c$CONNS -d${DURATION}s -s bench/get_claims.lua over $(wc -l <"$WORK/ids.txt") ids; $RH"
    else
        row "$pass" "status reads GET /v1/claims/{id} (req/s)" "$NA" req/s "" "GET /v1/claims/{id} missing"
    fi

    # ---- fixed rate at half the saturation ----
    rate=$(awk "BEGIN{printf \"%d\", ${FIG[intake]:-0} / 2}")
    if ((rate > 0)); then
        log "pass $pass: fixed rate $rate req/s, open loop, 3 runs"
        fresh "$pass" --workers 0 || true
        local runs=() i
        for i in 1 2 3; do
            "$BIN/rate_load" --port "$CLAIMSD_PORT" --rate "$rate" --duration "$((DURATION + 2))" \
                --warmup 2 --connections 128 --file "$DATA/claims.tsv" >"$WORK/rate.$i" 2>&1 || true
            runs+=("$(grep '^RESULT' "$WORK/rate.$i" || true)|$(sed -n 's/^WORST_PER_SECOND_MS //p' "$WORK/rate.$i")")
        done
        # The run with the median p99 stands for the three.
        res=$(for r in "${runs[@]}"; do echo "$(field p99_us "${r%%|*}") ${r%%|*}"; done | sort -n | sed -n 2p | cut -d' ' -f2-)
        local all99 rate_how
        all99=$(for r in "${runs[@]}"; do ms p99_us "${r%%|*}"; done | tr '\n' ' ')
        rate_how="claimsd --workers 0; bench/rate_load --rate $rate --duration $((DURATION + 2)) --warmup 2 --connections 128, 3 runs; $RH"
        row "$pass" "intake p50 at $rate req/s (half saturation, ms)" \
            "$(ms p50_us "$res")" ms "" "open loop, median run of 3; achieved $(field achieved_rps "$res") req/s" "$rate_how"
        row "$pass" "intake p99 at $rate req/s (ms)" "$(ms p99_us "$res")" ms "5" \
            "issue 7's target < 5 ms; p99 of the 3 runs: ${all99}ms; errors=$(field errors "$res") unanswered=$(field unanswered "$res")" "$rate_how"
        row "$pass" "intake p99.9 at $rate req/s (ms)" "$(ms p999_us "$res")" ms "" \
            "max $(ms max_us "$res") ms; worst per second (ms), each run: $(for r in "${runs[@]}"; do printf '[%s] ' "${r#*|}"; done)" "$rate_how"
    fi

    # ---- end to end, scaling with --workers; the same on a Redis Cluster ----
    local workers_list="1 2 4"
    [[ $pass != everysec ]] && workers_list=2
    e2e_phase "$pass" "$workers_list"
    cluster_phase "$pass"

    # ---- end-to-end latency below saturation ----
    local lat_name="TARGET end to end p99 202->finalized at half the e2e saturation (ms)"
    if [[ -n ${FIG[e2e_rate]:-} && ${FIG[e2e_rate]} -gt 0 ]]; then
        log "pass $pass: end-to-end latency at ${FIG[e2e_rate]} claims/s, --workers 2"
        local lat_how="claimsd --workers 2; bench/rate_load --rate ${FIG[e2e_rate]} --duration $((DURATION + 2)) --warmup 0.5 --connections 64 (open loop); bench/e2e_stats; $RH"
        fresh "$pass" --workers 2 || true
        since=$(now_ms)
        "$BIN/rate_load" --port "$CLAIMSD_PORT" --rate "${FIG[e2e_rate]}" --duration "$((DURATION + 2))" \
            --warmup 0.5 --connections 64 --file "$DATA/claims.tsv" >"$WORK/e2e_rate.out" 2>&1 || true
        res=$("$BIN/e2e_stats" --port "$REDIS_PORT" --shards "$BENCH_SHARDS" --since "$since" \
            --timeout 120 || true)
        row "$pass" "end to end p50 at ${FIG[e2e_rate]} claims/s (half e2e saturation, ms)" \
            "$(field p50_ms "$res")" ms "" "--workers 2; from the audit stream's ms clock" "$lat_how"
        target "$pass" "$lat_name" "$(field p99_ms "$res")" ms "" 50 "<" "$lat_how" \
            "at ${FIG[e2e_rate]} claims/s; max $(field max_ms "$res") ms; $(field finalized "$res") finalized, $(field pended "$res") pended, $(field left "$res") left"
    else
        target "$pass" "$lat_name" "$NA" ms "" 50 "<" "needs the end-to-end saturation (--workers 2)"
    fi

    # ---- one member, one fill date: the burst against the same number of spread claims ----
    burst_phase "$pass"

    # ---- a second intake process ----
    if [[ $pass == everysec ]]; then
        log "pass $pass: two --role intake processes"
        stop_all
        start_redis "$pass"
        local p1 p2
        if start_claimsd --role intake && p1=$CLAIMSD_PORT && start_claimsd --role intake &&
            p2=$CLAIMSD_PORT && load_enrollment "$p1"; then
            wrk_post "$p1" $((CONNS / 2)) >"$WORK/i1.out" &
            local wpid=$!
            wrk_post "$p2" $((CONNS / 2)) >"$WORK/i2.out"
            wait "$wpid" || true
            local r1 r2
            r1=$(field rps "$(cat "$WORK/i1.out")")
            r2=$(field rps "$(cat "$WORK/i2.out")")
            row "$pass" "intake with two --role intake processes (req/s)" \
                "$(awk "BEGIN{print ${r1:-0} + ${r2:-0}}")" req/s "${FIG[intake]}" \
                "ceiling column: one process; $((CONNS / 2)) connections to each" \
                "2 x claimsd --role intake; 2 x wrk -t1 -c$((CONNS / 2)) -d${DURATION}s; $RH"
        else
            row "$pass" "intake with two --role intake processes (req/s)" "$NA" req/s "" "--role intake not available"
        fi
    fi
    stop_all
}

# na_targets PASS WHY: the five targets as "not available yet".
na_targets() {
    target "$1" "TARGET intake POST /v1/claims vs the durable-accept ceiling (req/s)" "$NA" req/s "${FIG[durable]:-$NA}" 0.5 ">=" "" "$2"
    target "$1" "TARGET end to end 202->finalized, --workers 2, vs the durable-accept ceiling (claims/s)" "$NA" claims/s "${FIG[durable]:-$NA}" 0.3 ">=" "" "$2"
    target "$1" "TARGET Redis bytes per finalized claim (record, EOB, indexes, audit)" "$NA" bytes "" 4096 "<=" "" "$2"
    target "$1" "TARGET end to end p99 202->finalized at half the e2e saturation (ms)" "$NA" ms "" 50 "<" "" "$2"
    target "$1" "TARGET one-member, one-date burst drain vs the same number of spread claims (claims/s)" "$NA" claims/s "$NA" 0.5 ">=" "" "$2"
}

# memory_breakdown PASS FINALIZED HOW: rows from bench/mem_stats, after an
# end-to-end run whose finalized claim ids are in $WORK/final.ids and whose
# keyspace before the load is in $WORK/mem.before.
memory_breakdown() {
    local pass=$1 fin=$2 how=$3 res line
    if [[ ! -s $WORK/mem.before ]]; then
        row "$pass" "Redis bytes per finalized claim, by key" "$NA" bytes "" "mem_stats --save failed"
        return
    fi
    "$BIN/mem_stats" --port "$REDIS_PORT" --before "$WORK/mem.before" --claims "$fin" \
        --sample-ids "$WORK/final.ids" --sample 20 >"$WORK/mem.out" 2>&1 || true
    res=$(grep '^RESULT' "$WORK/mem.out" || true)
    if [[ -z $res ]]; then
        row "$pass" "Redis bytes per finalized claim, by key" "$NA" bytes "" \
            "mem_stats failed: $(tail -n 1 "$WORK/mem.out")"
        return
    fi
    how="$how; bench/mem_stats (SCAN, MEMORY USAGE key SAMPLES 0)"
    row "$pass" "MEMORY USAGE per finalized claim: keys named by the claim id (sample)" \
        "$(field sample_bytes_per_claim "$res")" bytes 4096 \
        "$(field sample_keys_per_claim "$res") keys a claim, average of $(field sample "$res") finalized claims; all such keys' growth / claims: $(field claim_keys_bytes_per_claim "$res") B" "$how"
    while read -r _ pattern rest; do
        row "$pass" "  claim key $pattern" "$(field bytes_per_claim " $rest")" bytes "" \
            "$(field keys_per_claim " $rest") keys a claim"
    done < <(grep '^CLAIM ' "$WORK/mem.out")
    row "$pass" "MEMORY USAGE per finalized claim: shared structures (growth / claims)" \
        "$(field shared_bytes_per_claim "$res")" bytes 4096 \
        "keys without a claim id in their name (streams, sorted sets, per-member and per-family keys), MEMORY USAGE after - before, / $fin claims" "$how"
    while read -r _ pattern rest; do
        row "$pass" "  shared $pattern" "$(field bytes_per_claim " $rest")" bytes "" \
            "$(field keys " $rest") keys; $(field delta_bytes " $rest") bytes more"
    done < <(grep '^SHARED ' "$WORK/mem.out" | head -n 15)
    row "$pass" "MEMORY USAGE per finalized claim: total (claim keys + shared)" \
        "$(field total_bytes_per_claim "$res")" bytes 4096 \
        "below the used_memory figure by the keyspace's dict entries and allocator overhead" "$how"
}

# burst_phase PASS: N_BURST claims spread over the members, drained; then
# N_BURST claims of one member and one fill date, drained; both posted the
# same way (bench/rate_load --count, $CONNS connections, as fast as answered)
# to the same claimsd --workers 2, and their drain rates compared.
burst_phase() {
    local pass=$1 since res spread burst how name
    name="TARGET one-member, one-date burst drain vs the same number of spread claims (claims/s)"
    how="claimsd --workers 2; bench/rate_load --count $N_BURST --connections $CONNS (spread claims.tsv, then burst.tsv); bench/e2e_stats --timeout 180 after each; redis-server appendfsync $pass"
    log "pass $pass: $N_BURST spread claims, then a burst of $N_BURST claims of one member and one date"
    if ! fresh "$pass" --workers 2 || [[ ! -s $DATA/burst.tsv ]]; then
        target "$pass" "$name" "$NA" claims/s "$NA" 0.5 ">=" "$how" "claimsd or gen_claims --burst not available"
        return
    fi
    since=$(now_ms)
    post_count "$DATA/claims.tsv" "$N_BURST" >/dev/null
    res=$("$BIN/e2e_stats" --port "$REDIS_PORT" --shards "$BENCH_SHARDS" --since "$since" --timeout 180 || true)
    spread=$(field claims_per_s "$res")
    row "$pass" "spread claims drained, $N_BURST posted at once (claims/s)" "${spread:-$NA}" claims/s "" \
        "the reference for the burst; $(field finalized "$res") finalized, $(field pended "$res") pended, $(field left "$res") left in $(field seconds "$res") s" "$how"
    since=$(now_ms)
    post_count "$DATA/burst.tsv" "$N_BURST" >/dev/null
    res=$("$BIN/e2e_stats" --port "$REDIS_PORT" --shards "$BENCH_SHARDS" --since "$since" --timeout 180 || true)
    burst=$(field claims_per_s "$res")
    [[ -n $burst && $(field finalized "$res") != 0 ]] || burst=$NA
    target "$pass" "$name" "$burst" claims/s "${spread:-$NA}" 0.5 ">=" "$how" \
        "${BURST_SUMMARY#gen_claims: }; the end-to-end figure at saturation (wrk, --workers 2) was ${FIG[e2e_2]:-$NA} claims/s; $(field finalized "$res") finalized, $(field pended "$res") pended, $(field left "$res") left unfinished at the end, in $(field seconds "$res") s; p99 202->finalized $(field p99_ms "$res") ms"
}

BUSY=$(busy_percent)
log "machine busy before the run: ${BUSY}% of $(nproc) cores (other work skews every figure)"
log "claimsd $("$CLAIMSD" --version 2>/dev/null || echo '?'); $(nproc) cores; $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"

if [[ $PHASES == all ]]; then
    log "HTTP ceilings: minimal servers, wrk -t1 -c$CONNS -d${DURATION}s, the same POST bodies"
    # The claims file must exist for the ceiling runs: one enrollment load first.
    start_redis everysec
    if start_claimsd --workers 0 && load_enrollment "$CLAIMSD_PORT"; then :; else
        log "cannot generate claims; intake figures will be unavailable"
    fi
    stop_all
fi
if [[ $PHASES == all && -s $DATA/claims.tsv ]]; then
    http_ceiling ""
    FIG[http_evhttp]=$(field rps "$CEIL_RES")
    FIG[http_evhttp_p50]=$(ms p50_us "$CEIL_RES")
    FIG[http_evhttp_p99]=$(ms p99_us "$CEIL_RES")
    FIG[http_evhttp_p999]=$(ms p999_us "$CEIL_RES")
    row ceiling "HTTP ceiling: minimal evhttp server, 202 to the same bodies, no work (req/s)" "${FIG[http_evhttp]}" req/s "" \
        "p50 ${FIG[http_evhttp_p50]} ms, p99 ${FIG[http_evhttp_p99]} ms" "bench/minimal_server; $WRK_HOW"
    http_ceiling --project
    row ceiling "HTTP layer: intake/http.c with a trivial handler (req/s)" "$(field rps "$CEIL_RES")" req/s \
        "${FIG[http_evhttp]}" "the project's HTTP layer alone" "bench/minimal_server --project; $WRK_HOW"
fi

for pass in $PASSES; do
    if [[ $PHASES == cluster ]]; then
        # Only the cluster and its reference: one Redis, the same load.
        FIG[e2e_2]="" FIG[claimsd_us]="" FIG[redis_us]="" FIG[bytes]=""
        e2e_phase "$pass" 2
        cluster_phase "$pass"
    else
        measure_pass "$pass"
    fi
done

# ---- the report ----
{
    printf 'machine: %s cores, %s; %s%% busy with other work before the run\n' "$(nproc)" \
        "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" "$BUSY"
    printf 'settings: BENCH_DURATION=%s BENCH_CONNECTIONS=%s BENCH_CLAIMS=%s BENCH_BURST=%s BENCH_PASSES="%s" BENCH_PHASES=%s BENCH_CLUSTER_SHARDS=%s\n' \
        "$DURATION" "$CONNS" "$N_CLAIMS" "$N_BURST" "$PASSES" "$PHASES" "${BENCH_CLUSTER_SHARDS:-16}"
    [[ -n ${GEN_SUMMARY:-} ]] && printf 'load: %s\n' "${GEN_SUMMARY#gen_claims: }"
    printf '%-9s %-84s %10s %10s %6s  %s\n' pass figure value ceil/tgt ratio verdict
    while IFS=$'\x1f' read -r pass figure value unit ceiling ratio note how tgt verdict met by; do
        printf '%-9s %-84s %10s %10s %6s  %s\n' "$pass" "$figure" "$value" "$ceiling" "$ratio" \
            "${tgt:+target $tgt: }$verdict"
        [[ -n $note ]] && printf '%-9s   %s\n' "" "$note"
        [[ -n $how ]] && printf '%-9s   how: %s\n' "" "$how"
    done <"$ROWS"
    printf '\nTargets (issue 11):\n'
    while IFS=$'\x1f' read -r pass figure value unit ceiling ratio note how tgt verdict met by; do
        [[ -n $tgt ]] || continue
        printf '%-9s %-84s %10s %-9s ratio %-5s target %-12s %s\n' "$pass" "${figure#TARGET }" "$value" \
            "$unit" "${ratio:--}" "$tgt" "$verdict"
    done <"$ROWS"
} | tee "$OUT/report.txt"

jq -R -s --arg when "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cpu "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
    --arg cores "$(nproc)" --arg mem "$(free -b | awk '/^Mem:/{print $2}')" \
    --arg busy "$BUSY" --arg duration "$DURATION" --arg conns "$CONNS" --arg gen "${GEN_SUMMARY:-}" \
    --arg claims "$N_CLAIMS" --arg burst "$N_BURST" --arg passes "$PASSES" --arg phases "$PHASES" \
    --arg cshards "${BENCH_CLUSTER_SHARDS:-16}" '
    def num: if test("^[0-9]+([.][0-9]+)?$") then tonumber else . end;
    def opt: if . == "" or . == null then null else num end;
    {generated_at: $when,
     machine: {cpu: $cpu, cores: ($cores | tonumber), memory_bytes: ($mem | tonumber),
              busy_percent_before_run: ($busy | tonumber)},
     settings: {wrk_threads: 1, connections: ($conns | tonumber), seconds: ($duration | tonumber),
                claims_per_phase: ($claims | tonumber), burst_claims: ($burst | tonumber),
                passes: $passes, phases: $phases, cluster_shards: ($cshards | tonumber),
                load: $gen},
     figures: [split("\n")[] | select(length > 0) | split("\u001f") |
               {pass: .[0], figure: .[1], value: (.[2] | num), unit: .[3],
                ceiling: (.[4] | opt), ratio: (.[5] | opt), note: .[6], how: .[7],
                target: (if (.[8] // "") == "" then null else .[8] end),
                verdict: (if (.[9] // "") == "" then null else .[9] end),
                met: (if .[10] == "true" then true elif .[10] == "false" then false else null end),
                missed_by_factor: (if (.[11] // "") == "" or .[11] == "0" then null else (.[11] | num) end)}],
     targets: [split("\n")[] | select(length > 0) | split("\u001f") | select((.[8] // "") != "") |
               {pass: .[0], figure: (.[1] | sub("^TARGET "; "")), value: (.[2] | num), unit: .[3],
                target: .[8], ratio: (.[5] | opt), verdict: .[9],
                met: (if .[10] == "true" then true elif .[10] == "false" then false else null end),
                how: .[7]}]}' \
    "$ROWS" >"$OUT/report.json"
log "report written to $OUT/report.json"
