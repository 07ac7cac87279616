#!/usr/bin/env bash
# The benchmark (issue 7, docs/performance.md), run by `make bench`.
#
# Starts its own redis-server (AOF on; a pass with appendfsync everysec and
# one with always) on a free port in a temporary folder, claimsd against it,
# loads enrollment through the API (bench/gen_claims) and measures, next to
# the ceilings of this machine measured the same way in the same run:
#   intake      POST /v1/claims req/s and p50/p99/p99.9 at fixed concurrency (wrk)
#   fixed rate  POST /v1/claims latency at half the measured saturation (bench/rate_load)
#   reads       GET /v1/claims/{id} req/s (wrk)
#   end to end  202 -> finalized claims/s and p50/p99, from the audit stream (bench/e2e_stats)
#   memory      Redis used_memory growth per finalized claim (INFO before/after)
#   scaling     --workers 1, 2, 4 and a second --role intake process
# Every measurement runs on a fresh Redis with freshly loaded enrollment, so
# that no claim is a duplicate of an earlier phase's. A measurement whose
# endpoint or role does not exist yet prints "not available yet".
#
# Prints a table (figure, value, ceiling, ratio) and writes
# build/bench/report.json. Stops everything it started on exit.
#
# Environment: CLAIMSD, BENCH_BIN (binaries), BENCH_OUT (report folder),
# BENCH_DURATION (seconds per wrk run, default 8), BENCH_CONNECTIONS (wrk
# connections, default 32), BENCH_PASSES (default "everysec always"),
# BENCH_CLAIMS (claims generated per phase, default 120000).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLAIMSD=${CLAIMSD:-$ROOT/build/release/claimsd}
BIN=${BENCH_BIN:-$ROOT/build/release/bench}
OUT=${BENCH_OUT:-$ROOT/build/bench}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNECTIONS:-32}
PASSES=${BENCH_PASSES:-everysec always}
N_CLAIMS=${BENCH_CLAIMS:-120000}
ADMIN_TOKEN=bench-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
PLAN=$ROOT/config/sample/plans/PPO-500.json
NA="not available yet"

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
ROWS=$WORK/rows     # pass, figure, value, unit, ceiling, ratio, note; 0x1f between
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

# row PASS FIGURE VALUE UNIT CEILING NOTE: one line of the report; the ratio
# is computed when both value and ceiling are numbers.
row() {
    local ratio=""
    if [[ $3 =~ ^[0-9.]+$ && $5 =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($5 > 0)}"; then
        ratio=$(awk "BEGIN{printf \"%.2f\", $3 / $5}")
    fi
    printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\n' "$1" "$2" "$3" "$4" "$5" "$ratio" "${6:-}" >>"$ROWS"
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

# start_redis FSYNC: a fresh redis-server; sets REDIS_PORT and REDIS_PID.
# Tries another port when the one picked was taken meanwhile.
start_redis() {
    local dir attempt
    for attempt in 1 2 3 4 5; do
        dir=$(mktemp -d "$WORK/redis.XXXX")
        REDIS_PORT=$(free_port)
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
            --appendfsync "$1" --save '' --logfile "$dir/redis.log" --daemonize no >/dev/null &
        REDIS_PID=$!
        started "$REDIS_PID"
        for _ in $(seq 100); do
            redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
            kill -0 "$REDIS_PID" 2>/dev/null || break
            sleep 0.05
        done
        log "redis-server on port $REDIS_PORT did not start: $(tail -n 1 "$dir/redis.log")"
        stop "$REDIS_PID"
    done
    exit 1
}

# start_claimsd ARGS...: sets CLAIMSD_PORT and CLAIMSD_PID; returns 1 when it
# does not come up (an option or role that does not exist yet).
start_claimsd() {
    local logf
    logf=$(mktemp "$WORK/claimsd.XXXX.log")
    CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=$ADMIN_TOKEN "$CLAIMSD" --redis "redis://127.0.0.1:$REDIS_PORT" \
        --listen 127.0.0.1:0 "$@" >"$logf" 2>&1 &
    CLAIMSD_PID=$!
    started "$CLAIMSD_PID"
    CLAIMSD_PORT=""
    for _ in $(seq 100); do
        if ! kill -0 "$CLAIMSD_PID" 2>/dev/null; then
            log "claimsd $* exited: $(tail -n 3 "$logf" | tr '\n' ' ')"
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

# load_enrollment PORT: PUT plan, groups, members; tokens; DATA/claims.tsv.
# Returns 1 when the endpoints are not there yet.
DATA=$WORK/data
load_enrollment() {
    mkdir -p "$DATA"
    if ! "$BIN/gen_claims" --url "http://127.0.0.1:$1" --admin-token "$ADMIN_TOKEN" --plan "$PLAN" \
        --out "$DATA" --claims "$N_CLAIMS" --check 20 >"$WORK/gen.out" 2>&1; then
        log "enrollment or claim submission failed: $(tail -n 2 "$WORK/gen.out" | tr '\n' ' ')"
        return 1
    fi
    GEN_SUMMARY=$(head -n 1 "$WORK/gen.out")
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
# before this run starts anything (other work on a shared machine skews
# every figure).
busy_percent() {
    local a b
    a=($(head -n 1 /proc/stat))
    sleep 1
    b=($(head -n 1 /proc/stat))
    awk -v u="$((b[1] + b[2] + b[3] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[6] - a[7] - a[8]))" \
        -v i="$((b[4] + b[5] - a[4] - a[5]))" 'BEGIN{printf "%.0f", 100 * u / (u + i)}'
}

used_memory() { redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
now_ms() { date +%s%3N; }

# wrk_post PORT [CONNS] [DURATION]: the RESULT line of a POST /v1/claims run.
wrk_post() {
    CLAIMS_FILE=$DATA/claims.tsv wrk -t1 -c"${2:-$CONNS}" -d"${3:-$DURATION}s" --timeout 5s \
        -s "$ROOT/bench/post_claims.lua" "http://127.0.0.1:$1" 2>&1 | grep '^RESULT' || true
}

# ---- the ceilings: the same wrk run against the minimal servers ----
http_ceiling() {
    local mode=$1 logf port pid res
    logf=$(mktemp "$WORK/minimal.XXXX")
    "$BIN/minimal_server" $mode >"$logf" 2>&1 &
    pid=$!
    started "$pid"
    for _ in $(seq 50); do
        port=$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$logf")
        [[ -n $port ]] && break
        sleep 0.05
    done
    res=$(wrk_post "$port")
    stop "$pid"
    echo "$res"
}

declare -A FIG   # figures reused across rows (ceilings, saturation)

measure_pass() {
    local pass=$1 res rate mem0 mem1 since n

    log "pass appendfsync=$pass: Redis ceiling"
    start_redis "$pass"
    # The better of one deep pipeline and 32 shallow ones (with always, Redis
    # shares one fsync among the connections served in one loop turn).
    local mode best shape r1 r2
    for mode in pipeline lua; do
        r1=$("$BIN/redis_ceiling" --port "$REDIS_PORT" --claims 60000 --mode "$mode")
        r2=$("$BIN/redis_ceiling" --port "$REDIS_PORT" --claims 60000 --mode "$mode" --connections 32 --depth 2)
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
        "12 commands/claim; ${FIG[redis_pipeline_shape]}"
    row "$pass" "Redis ceiling: same writes in one EVALSHA per claim (claims/s)" "${FIG[redis_lua]}" \
        claims/s "${FIG[redis_pipeline]}" "the script layer's own cost; ${FIG[redis_lua_shape]}"
    row "$pass" "Redis ceiling: bytes per claim at intake (writes only)" "${FIG[redis_bytes]}" bytes "" \
        "record, indexes, stream entries, audit; no EOB"

    # ---- intake at fixed concurrency, reads, intake memory ----
    log "pass $pass: intake at $CONNS connections, ${DURATION}s"
    if ! fresh "$pass" --workers 0; then
        row "$pass" "intake POST /v1/claims (req/s)" "$NA" req/s "${FIG[http_evhttp]:-}" "POST /v1/claims or enrollment endpoints missing"
        return
    fi
    [[ -n ${GEN_SUMMARY:-} ]] && log "$GEN_SUMMARY"
    mem0=$(used_memory)
    n=$(redis-cli -p "$REDIS_PORT" zcard 'claims:{c}idx:all')
    local c0 r0 c1 r1
    c0=$(cpu_ms "$CLAIMSD_PID")
    r0=$(cpu_ms "$REDIS_PID")
    res=$(wrk_post "$CLAIMSD_PORT")
    c1=$(cpu_ms "$CLAIMSD_PID")
    r1=$(cpu_ms "$REDIS_PID")
    mem1=$(used_memory)
    FIG[intake]=$(field rps "$res")
    row "$pass" "intake POST /v1/claims, $CONNS connections (req/s)" "${FIG[intake]}" req/s \
        "${FIG[http_evhttp]:-}" "ceiling: minimal evhttp server; non-2xx=$(field non2xx "$res") --workers 0"
    row "$pass" "intake vs Redis ceiling (claims/s)" "${FIG[intake]}" claims/s "${FIG[redis_lua]}" \
        "ceiling: the same writes as EVALSHA, pipelined"
    row "$pass" "intake p50 latency (ms)" "$(ms p50_us "$res")" ms \
        "${FIG[http_evhttp_p50]:-}" "closed loop, $CONNS connections"
    row "$pass" "intake p99 latency (ms)" "$(ms p99_us "$res")" ms \
        "${FIG[http_evhttp_p99]:-}" ""
    row "$pass" "intake p99.9 latency (ms)" "$(ms p999_us "$res")" ms \
        "${FIG[http_evhttp_p999]:-}" ""
    n=$(( $(redis-cli -p "$REDIS_PORT" zcard 'claims:{c}idx:all') - n ))
    if ((n > 0)); then
        row "$pass" "CPU per claim at intake: claimsd (us)" "$(( (c1 - c0) * 1000 / n ))" us "" \
            "user+system time of the process / claims stored"
        row "$pass" "CPU per claim at intake: redis-server (us)" "$(( (r1 - r0) * 1000 / n ))" us "" \
            "the ceiling's writes alone: $(awk "BEGIN{printf \"%d\", 1e6 / ${FIG[redis_lua]:-1}}") us"
        row "$pass" "Redis bytes per claim at intake (not yet adjudicated)" "$(( (mem1 - mem0) / n ))" \
            bytes "${FIG[redis_bytes]}" "used_memory delta / $n claims"
    fi

    log "pass $pass: status reads"
    redis-cli -p "$REDIS_PORT" zrange 'claims:{c}idx:all' 0 19999 >"$WORK/ids.txt"
    local one
    one=$(head -n 1 "$WORK/ids.txt")
    if [[ -n $one ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$DATA/staff.token")" \
        "http://127.0.0.1:$CLAIMSD_PORT/v1/claims/$one") == 200 ]]; then
        res=$(IDS_FILE=$WORK/ids.txt STAFF_TOKEN_FILE=$DATA/staff.token wrk -t1 -c"$CONNS" \
            -d"${DURATION}s" -s "$ROOT/bench/get_claims.lua" "http://127.0.0.1:$CLAIMSD_PORT" 2>&1 |
            grep '^RESULT' || true)
        row "$pass" "status reads GET /v1/claims/{id} (req/s)" "$(field rps "$res")" req/s \
            "${FIG[http_evhttp]:-}" "staff token; p99 $(ms p99_us "$res") ms; non-2xx=$(field non2xx "$res")"
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
        local all99
        all99=$(for r in "${runs[@]}"; do ms p99_us "${r%%|*}"; done | tr '\n' ' ')
        row "$pass" "intake p50 at $rate req/s (half saturation, ms)" \
            "$(ms p50_us "$res")" ms "" "open loop, median run of 3; achieved $(field achieved_rps "$res") req/s"
        row "$pass" "intake p99 at $rate req/s (ms)" "$(ms p99_us "$res")" ms "5" \
            "target < 5 ms; p99 of the 3 runs: ${all99}ms; errors=$(field errors "$res") unanswered=$(field unanswered "$res")"
        row "$pass" "intake p99.9 at $rate req/s (ms)" "$(ms p999_us "$res")" ms "" \
            "max $(ms max_us "$res") ms; worst per second (ms), each run: $(for r in "${runs[@]}"; do printf '[%s] ' "${r#*|}"; done)"
    fi

    # ---- end to end, scaling with --workers ----
    local workers_list="1 2 4"
    [[ $pass != everysec ]] && workers_list=2
    for w in $workers_list; do
        log "pass $pass: end to end, --workers $w"
        if ! fresh "$pass" --workers "$w"; then
            row "$pass" "end to end, --workers $w (claims/s)" "$NA" claims/s "" "claimsd --workers $w did not start"
            continue
        fi
        mem0=$(used_memory)
        since=$(now_ms)
        c0=$(cpu_ms "$CLAIMSD_PID")
        r0=$(cpu_ms "$REDIS_PID")
        wrk_post "$CLAIMSD_PORT" >"$WORK/e2e_wrk.out"
        res=$("$BIN/e2e_stats" --port "$REDIS_PORT" --since "$since" --timeout 180)
        c1=$(cpu_ms "$CLAIMSD_PID")
        r1=$(cpu_ms "$REDIS_PID")
        mem1=$(used_memory)
        local fin
        fin=$(field finalized "$res")
        if [[ -z $fin || $fin == 0 ]]; then
            row "$pass" "end to end, --workers $w (claims/s)" "$NA" claims/s "" "no claim was finalized (worker pool missing)"
            continue
        fi
        FIG[e2e_$w]=$(field claims_per_s "$res")
        row "$pass" "end to end 202->finalized, --workers $w (claims/s)" "${FIG[e2e_$w]}" claims/s 10000 \
            "target >= 10000; intake at saturation meanwhile $(field rps "$(cat "$WORK/e2e_wrk.out")") req/s; $fin finalized, $(field pended "$res") pended, $(field left "$res") left"
        if [[ $w == 2 ]]; then
            row "$pass" "CPU per finalized claim, intake + worker: claimsd (us)" "$(( (c1 - c0) * 1000 / fin ))" us "" \
                "2 cores give 2,000,000 us/s: 10,000 claims/s needs <= 200 us/claim for everything"
            row "$pass" "CPU per finalized claim, intake + commit: redis-server (us)" "$(( (r1 - r0) * 1000 / fin ))" us "" ""
            row "$pass" "Redis bytes per finalized claim (record, EOB, indexes, audit)" \
                "$(( (mem1 - mem0) / fin ))" bytes 4096 "target <= 4096; used_memory delta / $fin claims"
            FIG[e2e_rate]=$(awk "BEGIN{printf \"%d\", ${FIG[e2e_2]} / 2}")
        fi
    done

    # ---- end-to-end latency below saturation ----
    if [[ -n ${FIG[e2e_rate]:-} && ${FIG[e2e_rate]} -gt 0 ]]; then
        log "pass $pass: end-to-end latency at ${FIG[e2e_rate]} claims/s, --workers 2"
        fresh "$pass" --workers 2 || true
        since=$(now_ms)
        res=$("$BIN/rate_load" --port "$CLAIMSD_PORT" --rate "${FIG[e2e_rate]}" --duration "$((DURATION + 2))" \
            --warmup 0.5 --connections 64 --file "$DATA/claims.tsv" || true)
        res=$("$BIN/e2e_stats" --port "$REDIS_PORT" --since "$since" --timeout 120)
        row "$pass" "end to end p50 at ${FIG[e2e_rate]} claims/s (half e2e saturation, ms)" \
            "$(field p50_ms "$res")" ms "" "--workers 2; from the audit stream's ms clock"
        row "$pass" "end to end p99 at ${FIG[e2e_rate]} claims/s (ms)" "$(field p99_ms "$res")" ms "" \
            "max $(field max_ms "$res") ms"
    fi

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
                "ceiling column: one process; $((CONNS / 2)) connections to each"
        else
            row "$pass" "intake with two --role intake processes (req/s)" "$NA" req/s "" "--role intake not available"
        fi
    fi
    stop_all
}

BUSY=$(busy_percent)
log "machine busy before the run: ${BUSY}% of $(nproc) cores (other work skews every figure)"
log "claimsd $("$CLAIMSD" --version 2>/dev/null || echo '?'); $(nproc) cores; $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"

log "HTTP ceilings: minimal servers, wrk -t1 -c$CONNS -d${DURATION}s, the same POST bodies"
# The claims file must exist for the ceiling runs: one enrollment load first.
start_redis everysec
if start_claimsd --workers 0 && load_enrollment "$CLAIMSD_PORT"; then :; else
    log "cannot generate claims; intake figures will be unavailable"
fi
stop_all
if [[ -s $DATA/claims.tsv ]]; then
    res=$(http_ceiling "")
    FIG[http_evhttp]=$(field rps "$res")
    FIG[http_evhttp_p50]=$(ms p50_us "$res")
    FIG[http_evhttp_p99]=$(ms p99_us "$res")
    FIG[http_evhttp_p999]=$(ms p999_us "$res")
    row ceiling "HTTP ceiling: minimal evhttp server, 202 to the same bodies (req/s)" "${FIG[http_evhttp]}" req/s "" \
        "p50 ${FIG[http_evhttp_p50]} ms, p99 ${FIG[http_evhttp_p99]} ms"
    res=$(http_ceiling --project)
    row ceiling "HTTP layer: intake/http.c with a trivial handler (req/s)" "$(field rps "$res")" req/s \
        "${FIG[http_evhttp]}" "the project's HTTP layer alone"
fi

for pass in $PASSES; do
    measure_pass "$pass"
done

# ---- the report ----
{
    printf 'machine: %s cores, %s; %s%% busy with other work before the run\n' "$(nproc)" \
        "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" "$BUSY"
    printf '%-10s %-78s %12s %10s %7s\n' pass figure value ceil/tgt ratio
    while IFS=$'\x1f' read -r pass figure value unit ceiling ratio note; do
        printf '%-10s %-78s %12s %10s %7s\n' "$pass" "$figure" "$value" "$ceiling" "$ratio"
        [[ -n $note ]] && printf '%-10s   %s\n' "" "$note"
    done <"$ROWS"
} | tee "$OUT/report.txt"

jq -R -s --arg when "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cpu "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
    --arg cores "$(nproc)" --arg mem "$(free -b | awk '/^Mem:/{print $2}')" \
    --arg busy "$BUSY" --arg duration "$DURATION" --arg conns "$CONNS" --arg gen "${GEN_SUMMARY:-}" '
    def num: if test("^[0-9.]+$") then tonumber else . end;
    {generated_at: $when,
     machine: {cpu: $cpu, cores: ($cores | tonumber), memory_bytes: ($mem | tonumber),
              busy_percent_before_run: ($busy | tonumber)},
     settings: {wrk_threads: 1, connections: ($conns | tonumber), seconds: ($duration | tonumber),
                load: $gen},
     figures: [split("\n")[] | select(length > 0) | split("\u001f") |
               {pass: .[0], figure: .[1], value: (.[2] | num), unit: .[3],
                ceiling: (if .[4] == "" then null else (.[4] | num) end),
                ratio: (if .[5] == "" then null else (.[5] | num) end), note: .[6]}]}' \
    "$ROWS" >"$OUT/report.json"
log "report written to $OUT/report.json"
