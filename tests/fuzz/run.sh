#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (docs/fuzzing.md), one after the other:
#   tests/fuzz/run.sh SECONDS SEED BUILD_DIR TARGET...
# Each starts from a fresh working corpus in BUILD_DIR/corpus/TARGET, read
# from its seeds (tests/fuzz/corpus/TARGET, never written to) with the fixed
# SEED (0: a random one). Findings (crash, leak, timeout, out of memory) are
# saved in BUILD_DIR/artifacts/ and fail the run; every target runs anyway.
# The full libFuzzer output of each is in BUILD_DIR/logs/TARGET.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=$1 seed=$2 build=$3
shift 3

# Deterministic enough: the same seeds, seed and options each time; leaks
# are findings; a symbolized report on a finding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

mkdir -p "$build/artifacts" "$build/logs"
failed=()
for t in "$@"; do
    bin=$build/fuzzers/$t
    seeds=tests/fuzz/corpus/${t#fuzz_}
    work=$build/corpus/$t
    log=$build/logs/$t.log
    rm -rf "$work" && mkdir -p "$work"
    opts=(-max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=2048
          -malloc_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$build/artifacts/$t-")
    dict=tests/fuzz/${t#fuzz_}.dict
    [ -f "$dict" ] && opts+=(-dict="$dict")
    "$bin" "${opts[@]}" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    files=$(find "$work" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        printf '%-16s ok      %10s runs in %ss, %s, %s new inputs\n' \
            "$t" "${runs:-?}" "$seconds" "${cov:-cov: ?}" "$files"
    else
        printf '%-16s FAILED  (exit %s) after %s runs; the report:\n' "$t" "$rc" "${runs:-?}"
        # From the first line of the report on (sanitizer, failed property,
        # timeout, out of memory), at most 80 lines.
        first='^==[0-9]*==ERROR\|runtime error\|property failed\|ALARM\|out-of-memory\|deadly signal'
        sed -n "/$first/,\$p" "$log" | head -80
        ls "$build"/artifacts/"$t"-* 2>/dev/null | sed 's/^/  input saved: /'
        echo "  reproduce: $bin <input>   (full log: $log)"
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]}" >&2
    exit 1
fi
