#!/usr/bin/env bash
# Soak test: SOAK_SECONDS of mixed, verified load through the mirror in front of a fake GitHub
# upstream that injects 500s, hangs and rate limiting on a fixed cycle, then the same workload
# straight to the fake for comparison. Reports wrong responses (must be 0), errors by kind,
# upstream rate-limit units spent, and the mirror's heap after a full GC at start and end.
# Everything runs on 127.0.0.1; every process started here is stopped by PID on exit.
#
# Settings (environment variables, defaults in brackets):
#   SOAK_SECONDS [600]   load through the mirror, 10 to 3600 seconds
#   DIRECT_SECONDS []    load straight to the fake. The default is SOAK_SECONDS/5 rounded to
#                        whole fault cycles, and at least one cycle
#   SOAK_RATE [200]      requests per second in total, 1 to 5000
#   SOAK_THREADS [8]     client threads
#   CYCLE_SECONDS [60]   length of the fake's fault cycle (see Schedule in bench/soak_tool.py)
#   CACHE_TYPE [disk]    memory or disk
#   SKIP_BUILD [0]       1 reuses target-bench/github-mirror.jar instead of running Maven
#   RESULTS_FILE []      also write the report to this file
#   KEEP_WORK [0]        1 keeps the temporary directory with logs and counters
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
JCMD="$JAVA_HOME/bin/jcmd"
JAR="$ROOT/target-bench/github-mirror.jar"

SOAK_SECONDS="${SOAK_SECONDS:-600}"
SOAK_RATE="${SOAK_RATE:-200}"
SOAK_THREADS="${SOAK_THREADS:-8}"
CYCLE_SECONDS="${CYCLE_SECONDS:-60}"
CACHE_TYPE="${CACHE_TYPE:-disk}"
SKIP_BUILD="${SKIP_BUILD:-0}"
RESULTS_FILE="${RESULTS_FILE:-}"
KEEP_WORK="${KEEP_WORK:-0}"
# The mirror gives up on a hung upstream request after UPSTREAM_TIMEOUT; the fake hangs longer.
UPSTREAM_TIMEOUT_SECONDS=2
HANG_SECONDS=6

die() {
    echo "soak.sh: $*" >&2
    exit 1
}

require_integer() {
    local name="$1" value="$2" min="$3" max="$4"
    [[ "$value" =~ ^[0-9]+$ ]] || die "$name must be a whole number, got '$value'"
    ((value >= min && value <= max)) || die "$name must be between $min and $max, got $value"
}

require_integer SOAK_SECONDS "$SOAK_SECONDS" 10 3600
require_integer SOAK_RATE "$SOAK_RATE" 1 5000
require_integer SOAK_THREADS "$SOAK_THREADS" 1 256
require_integer CYCLE_SECONDS "$CYCLE_SECONDS" 10 3600
if [[ -z "${DIRECT_SECONDS:-}" ]]; then
    cycles=$(((SOAK_SECONDS / 5 + CYCLE_SECONDS / 2) / CYCLE_SECONDS))
    DIRECT_SECONDS=$((CYCLE_SECONDS * (cycles > 0 ? cycles : 1)))
fi
require_integer DIRECT_SECONDS "$DIRECT_SECONDS" 10 3600
[[ "$CACHE_TYPE" == memory || "$CACHE_TYPE" == disk ]] || die "CACHE_TYPE must be memory or disk, got '$CACHE_TYPE'"
[[ -x "$JAVA" ]] || die "no java at $JAVA; set JAVA_HOME to a JDK 21 or later"
command -v curl >/dev/null 2>&1 || die "curl is missing; install it with apt-get install curl"

if [[ "$SKIP_BUILD" != 1 ]]; then
    echo "Building $JAR"
    (cd "$ROOT" && ./mvnw -q -B package -DskipTests -Dbuild.dir=target-bench)
fi
[[ -f "$JAR" ]] || die "no jar at $JAR; run without SKIP_BUILD=1"

WORK="$(mktemp -d /tmp/ghmirror-soak.XXXXXX)"
PIDS=()

stop_pid() {
    local pid="$1" waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && ((waited < 150)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "soak.sh: process $pid did not stop within 15 s of SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

cleanup() {
    local status=$?
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [[ "$KEEP_WORK" == 1 ]]; then
        echo "Logs and counters kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# Runs a full GC in the mirror and prints the heap used afterwards, in KiB.
heap_after_gc_kb() {
    "$JCMD" "$1" GC.run >/dev/null
    "$JCMD" "$1" GC.heap_info | awk '/heap/ && /used/ { if (match($0, /used [0-9]+K/)) { print substr($0, RSTART + 5, RLENGTH - 6); exit } }'
}

MEMORY_POINTS=()
record_memory_point() {
    local name="$1" pid="$2" heap
    heap="$(heap_after_gc_kb "$pid")"
    MEMORY_POINTS+=("{\"name\": \"$name\", \"heap_kb\": ${heap:-0}, \"rss_kb\": $(rss_kb "$pid")}")
    echo "memory at $name: heap after full GC ${heap:-unknown} KiB, RSS $(rss_kb "$pid") KiB"
}

# ---------------------------------------------------------------- fake upstream

# The fake stops by itself after the whole run could have finished, even if this script is killed.
FAKE_MAX_SECONDS=$((SOAK_SECONDS + DIRECT_SECONDS + 600))
python3 "$BENCH/soak_tool.py" fake --port-file "$WORK/fake.port" --cycle "$CYCLE_SECONDS" \
    --hang "$HANG_SECONDS" --max-seconds "$FAKE_MAX_SECONDS" >"$WORK/fake.log" 2>&1 &
FAKE_PID=$!
PIDS+=("$FAKE_PID")
for _ in $(seq 1 50); do
    [[ -s "$WORK/fake.port" ]] && break
    kill -0 "$FAKE_PID" 2>/dev/null || die "the fake upstream exited; see $WORK/fake.log"
    sleep 0.2
done
[[ -s "$WORK/fake.port" ]] || die "the fake upstream did not start within 10 s; see $WORK/fake.log"
FAKE="http://127.0.0.1:$(cat "$WORK/fake.port")"
curl -sf --max-time 5 -o /dev/null "$FAKE/_bench/counters" || die "the fake upstream at $FAKE did not respond to GET /_bench/counters"

# ---------------------------------------------------------------- mirror run

MIRROR_PORT="$(free_port)"
MIRROR="http://127.0.0.1:$MIRROR_PORT"
REQUEST_LOG_LEVEL=WARN "$JAVA" -jar "$JAR" --bind-address=127.0.0.1 --port="$MIRROR_PORT" \
    --github-api-url="$FAKE" --github-status-url= --cache-type="$CACHE_TYPE" --cache-dir="$WORK/cache" \
    --upstream-timeout="${UPSTREAM_TIMEOUT_SECONDS}s" --circuit-open-duration=5s \
    --shutdown-grace-period=2s >"$WORK/mirror.log" 2>&1 &
MIRROR_PID=$!
PIDS+=("$MIRROR_PID")
tries=0
until curl -sf -o /dev/null --max-time 1 "$MIRROR/healthz"; do
    kill -0 "$MIRROR_PID" 2>/dev/null || die "the mirror exited; see $WORK/mirror.log"
    tries=$((tries + 1))
    ((tries < 300)) || die "the mirror did not respond to /healthz within 60 s; see $WORK/mirror.log"
    sleep 0.2
done

record_memory_point "start, idle" "$MIRROR_PID"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# RSS every 10 s in the background; it stops by itself when the mirror exits or after the run.
RSS_INTERVAL=10
(
    end=$((SECONDS + SOAK_SECONDS + 60))
    while kill -0 "$MIRROR_PID" 2>/dev/null && ((SECONDS < end)); do
        rss_kb "$MIRROR_PID" >>"$WORK/rss.txt"
        sleep "$RSS_INTERVAL"
    done
) &
PIDS+=($!)

# Heap after the first cycle, with every resource cached, is the baseline for growth.
(
    sleep "$((CYCLE_SECONDS < SOAK_SECONDS / 2 ? CYCLE_SECONDS : SOAK_SECONDS / 2))"
    heap="$(heap_after_gc_kb "$MIRROR_PID")"
    echo "{\"name\": \"after the first $((CYCLE_SECONDS < SOAK_SECONDS / 2 ? CYCLE_SECONDS : SOAK_SECONDS / 2)) s of load\", \"heap_kb\": ${heap:-0}, \"rss_kb\": $(rss_kb "$MIRROR_PID")}" >"$WORK/memory-early.json"
) &
EARLY_PID=$!
PIDS+=("$EARLY_PID")

curl -sf --max-time 5 -X POST -o /dev/null "$FAKE/_bench/reset"
echo "Soak through the mirror ($CACHE_TYPE cache) for ${SOAK_SECONDS}s at $SOAK_RATE requests/s"
timeout --kill-after=10 $((SOAK_SECONDS + 120)) python3 "$BENCH/soak_tool.py" load --target "$MIRROR" \
    --fake-base "$FAKE" --seconds "$SOAK_SECONDS" --rate "$SOAK_RATE" --threads "$SOAK_THREADS" \
    --max-requests $((SOAK_RATE * SOAK_SECONDS * 2 + 1000)) --output "$WORK/mirror-load.json"
curl -sf --max-time 5 "$FAKE/_bench/counters" >"$WORK/mirror-fake.json"
curl -sf --max-time 5 "$MIRROR/metrics" >"$WORK/mirror-metrics.txt" || echo "soak.sh: GET /metrics failed; the report lacks the mirror metrics" >&2
wait "$EARLY_PID" || true
record_memory_point "end, after ${SOAK_SECONDS} s of load" "$MIRROR_PID"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
stop_pid "$MIRROR_PID"

# ---------------------------------------------------------------- direct run

curl -sf --max-time 5 -X POST -o /dev/null "$FAKE/_bench/reset"
echo "Same workload straight to the fake for ${DIRECT_SECONDS}s"
timeout --kill-after=10 $((DIRECT_SECONDS + 120)) python3 "$BENCH/soak_tool.py" load --target "$FAKE" \
    --fake-base "$FAKE" --seconds "$DIRECT_SECONDS" --rate "$SOAK_RATE" --threads "$SOAK_THREADS" \
    --max-requests $((SOAK_RATE * DIRECT_SECONDS * 2 + 1000)) --output "$WORK/direct-load.json"
curl -sf --max-time 5 "$FAKE/_bench/counters" >"$WORK/direct-fake.json"

# ---------------------------------------------------------------- report

points="${MEMORY_POINTS[0]}"
if [[ -s "$WORK/memory-early.json" ]]; then
    points="$points, $(cat "$WORK/memory-early.json")"
fi
points="$points, ${MEMORY_POINTS[1]}"
rss_samples="$(paste -sd, "$WORK/rss.txt" 2>/dev/null || true)"
echo "{\"points\": [$points], \"rss_interval\": $RSS_INTERVAL, \"rss_samples_kb\": [${rss_samples}]}" >"$WORK/memory.json"

environment="Date $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo);"
environment="$environment $("$JAVA" -version 2>&1 | head -1); cache $CACHE_TYPE; rate $SOAK_RATE requests/s,"
environment="$environment $SOAK_THREADS client threads; fault cycle ${CYCLE_SECONDS}s, hang ${HANG_SECONDS}s,"
environment="$environment mirror upstream timeout ${UPSTREAM_TIMEOUT_SECONDS}s; load average before $load_before, after $load_after."
python3 "$BENCH/soak_tool.py" report --mirror-load "$WORK/mirror-load.json" --direct-load "$WORK/direct-load.json" \
    --mirror-fake "$WORK/mirror-fake.json" --direct-fake "$WORK/direct-fake.json" --memory "$WORK/memory.json" \
    --environment "$environment" | tee "$WORK/report.md"
echo
{
    echo
    echo "Mirror /metrics at the end of its run (responses by outcome, upstream requests, units):"
    echo
    echo '```'
    grep -E '^(request_latency_seconds_count|github_mirror_upstream_requests_total|github_mirror_rate_limit_units_total|github_mirror_offline_transitions_total)' \
        "$WORK/mirror-metrics.txt" || echo "(no /metrics captured)"
    echo '```'
} | tee -a "$WORK/report.md"
if [[ -n "$RESULTS_FILE" ]]; then
    cp "$WORK/report.md" "$RESULTS_FILE"
fi
