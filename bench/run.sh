#!/usr/bin/env bash
# Measures the mirror's throughput, latency and memory against two nginx references.
#
# Everything runs on 127.0.0.1: an nginx upstream serving static JSON with ETags, a second nginx
# as a plain reverse proxy in front of it, a private redis-server, and three mirrors (memory,
# disk and Redis cache). wrk drives each target for a fixed time with a fixed number of
# connections, and bench/wrk-check.lua counts statuses and X-Cache values so that a run whose
# responses are errors is marked failed instead of looking fast. docs/benchmarks.md explains the
# results.
#
# Settings (environment variables, defaults in brackets):
#   DURATION [15]      measured seconds per run, at most 600
#   WARMUP [5]         warm-up seconds before each measured run, at most 600
#   JIT_WARMUP [20]    seconds of load on each mirror right after it starts, so that the JIT has
#                      compiled the request path before the first measured run; at most 600
#   ROUNDS [1]         how many times to repeat every workload and target, at most 10
#   CONNECTIONS [32]   wrk connections, at most 1000
#   THREADS [2]        wrk threads
#   WORKLOADS ["small large list"]   which path lists to run (see bench/bench_fixtures.py)
#   RESOURCES [200]    resources of each kind; more resources mean fewer coalesced requests
#   SKIP_BUILD [0]     1 reuses target-bench/github-mirror.jar instead of running Maven
#   RESULTS_FILE []    also write the report to this file
#   MIRROR_JAVA_OPTS [] extra JVM options for the mirrors, such as -Xmx512m
#   KEEP_WORK [0]      1 keeps the temporary directory with logs and configs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
JCMD="$JAVA_HOME/bin/jcmd"
JAR="$ROOT/target-bench/github-mirror.jar"

DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-5}"
JIT_WARMUP="${JIT_WARMUP:-20}"
ROUNDS="${ROUNDS:-1}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
WORKLOADS="${WORKLOADS:-small large list}"
RESOURCES="${RESOURCES:-200}"
SKIP_BUILD="${SKIP_BUILD:-0}"
RESULTS_FILE="${RESULTS_FILE:-}"
MIRROR_JAVA_OPTS="${MIRROR_JAVA_OPTS:-}"
KEEP_WORK="${KEEP_WORK:-0}"

die() {
    echo "run.sh: $*" >&2
    exit 1
}

require_integer() {
    local name="$1" value="$2" min="$3" max="$4"
    [[ "$value" =~ ^[0-9]+$ ]] || die "$name must be a whole number, got '$value'"
    ((value >= min && value <= max)) || die "$name must be between $min and $max, got $value"
}

require_integer DURATION "$DURATION" 1 600
require_integer WARMUP "$WARMUP" 0 600
require_integer JIT_WARMUP "$JIT_WARMUP" 0 600
require_integer ROUNDS "$ROUNDS" 1 10
require_integer CONNECTIONS "$CONNECTIONS" 1 1000
require_integer THREADS "$THREADS" 1 64
require_integer RESOURCES "$RESOURCES" 1 10000
((CONNECTIONS >= THREADS)) || die "CONNECTIONS ($CONNECTIONS) must be at least THREADS ($THREADS)"
[[ -x "$JAVA" ]] || die "no java at $JAVA; set JAVA_HOME to a JDK 21 or later"

# ---------------------------------------------------------------- tools

ensure_packages() {
    local missing=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    if ((${#missing[@]} > 0)); then
        echo "Installing ${missing[*]} with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_packages
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

if [[ "$SKIP_BUILD" != 1 ]]; then
    echo "Building $JAR"
    (cd "$ROOT" && ./mvnw -q -B package -DskipTests -Dbuild.dir=target-bench)
fi
[[ -f "$JAR" ]] || die "no jar at $JAR; run without SKIP_BUILD=1"

# ---------------------------------------------------------------- processes

WORK="$(mktemp -d /tmp/ghmirror-bench.XXXXXX)"
chmod 755 "$WORK" # nginx workers run as www-data and must read the fixtures
PIDS=()

cleanup() {
    local status=$?
    local pid waited
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "run.sh: process $pid did not stop within 10 s of SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    if [[ "$KEEP_WORK" == 1 ]]; then
        echo "Logs and configs kept in $WORK"
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

# Polls URL until it returns 200, for at most SECONDS. Fails when PID exits first.
wait_http() {
    local url="$1" seconds="$2" pid="$3" tries=0
    until curl -sf -o /dev/null --max-time 1 "$url"; do
        kill -0 "$pid" 2>/dev/null || die "process $pid exited before $url responded; see the logs in $WORK"
        tries=$((tries + 1))
        ((tries < seconds * 5)) || die "$url did not return 200 within $seconds s; see the logs in $WORK"
        sleep 0.2
    done
}

write_nginx_conf() {
    local dir="$1" server_block="$2"
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
$server_block
}
EOF
}

start_nginx() {
    local dir="$1" port="$2"
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' &
    PIDS+=($!)
    wait_http "http://127.0.0.1:$port/repos/bench/repo-0" 20 "$!"
}

UPSTREAM_PORT="$(free_port)"
UPSTREAM="http://127.0.0.1:$UPSTREAM_PORT"
mkdir -p "$WORK/fixtures"
python3 "$BENCH/bench_fixtures.py" --root "$WORK/fixtures" --out-dir "$WORK" --base "$UPSTREAM" --count "$RESOURCES"
chmod -R a+rX "$WORK/fixtures"

# The upstream: static files with nginx's ETag ("mtime-size"), and 304 for a matching If-None-Match.
write_nginx_conf "$WORK/nginx-upstream" "
    sendfile on;
    etag on;
    types {}
    default_type 'application/json; charset=utf-8';
    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        root $WORK/fixtures;
        location / { try_files \$uri.json =404; }
    }"
start_nginx "$WORK/nginx-upstream" "$UPSTREAM_PORT"

# Reference B: a plain reverse proxy with keep-alive connections to the upstream.
PROXY_PORT="$(free_port)"
write_nginx_conf "$WORK/nginx-proxy" "
    upstream github_upstream {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$PROXY_PORT;
        location / {
            proxy_pass http://github_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
start_nginx "$WORK/nginx-proxy" "$PROXY_PORT"

REDIS_PORT="$(free_port)"
mkdir -p "$WORK/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize no \
    --dir "$WORK/redis" --logfile "$WORK/redis/redis.log" &
PIDS+=($!)
REDIS_PID=$!
for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited; see $WORK/redis/redis.log"
    sleep 0.2
done
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || die "redis-server on port $REDIS_PORT did not reply to PING"

declare -A MIRROR_PORT MIRROR_PID MIRROR_RSS_IDLE_KB

start_mirror() {
    local name="$1"
    shift
    local port
    port="$(free_port)"
    # shellcheck disable=SC2086 # MIRROR_JAVA_OPTS is a list of JVM options
    REQUEST_LOG_LEVEL=WARN "$JAVA" $MIRROR_JAVA_OPTS -jar "$JAR" \
        --bind-address=127.0.0.1 --port="$port" --github-api-url="$UPSTREAM" \
        --github-status-url= --shutdown-grace-period=2s "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    MIRROR_PORT[$name]="$port"
    MIRROR_PID[$name]="$!"
    wait_http "http://127.0.0.1:$port/healthz" 60 "$!"
    MIRROR_RSS_IDLE_KB[$name]="$(rss_kb "$!")"
}

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

start_mirror mirror-memory --cache-type=memory
start_mirror mirror-disk --cache-type=disk --cache-dir="$WORK/disk-cache" --cache-memory-max-bytes=1KiB
start_mirror mirror-redis --cache-type=redis --primary-endpoint=127.0.0.1 --redis-port="$REDIS_PORT" \
    --redis-key-prefix=bench: --cache-memory-max-bytes=1KiB

# ---------------------------------------------------------------- runs

RAW="$WORK/results.txt"
: >"$RAW"

target_url() {
    case "$1" in
        nginx-direct) echo "$UPSTREAM" ;;
        nginx-proxy) echo "http://127.0.0.1:$PROXY_PORT" ;;
        *) echo "http://127.0.0.1:${MIRROR_PORT[$1]}" ;;
    esac
}

# The base URL that sampled bodies must contain: nginx passes bodies unchanged, the mirror
# rewrites upstream URLs to its own.
expected_base() {
    case "$1" in
        nginx-direct | nginx-proxy) echo "$UPSTREAM/" ;;
        *) echo "http://127.0.0.1:${MIRROR_PORT[$1]}/" ;;
    esac
}

run_wrk() {
    local seconds="$1" url="$2" paths="$3" base="$4" result_file="$5"
    WRK_RESULT_FILE="$result_file" timeout --kill-after=5 $((seconds + 30)) \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s \
        -s "$BENCH/wrk-check.lua" "$url" -- "$paths" "$base" "$THREADS"
}

TARGETS=(nginx-direct nginx-proxy mirror-memory mirror-disk mirror-redis)
for workload in $WORKLOADS; do
    [[ -f "$WORK/paths-$workload.txt" ]] || die "unknown workload '$workload'; use small, large or list"
done

if ((JIT_WARMUP > 0)); then
    cat "$WORK"/paths-*.txt >"$WORK/paths-all.txt"
    for target in mirror-memory mirror-disk mirror-redis; do
        echo "== JIT warm-up of $target: ${JIT_WARMUP}s over all paths"
        run_wrk "$JIT_WARMUP" "$(target_url "$target")" "$WORK/paths-all.txt" "$(expected_base "$target")" "" \
            >"$WORK/jit-warmup-$target.log"
    done
fi

for round in $(seq 1 "$ROUNDS"); do
    for workload in $WORKLOADS; do
        paths="$WORK/paths-$workload.txt"
        # Targets run back to back per workload, so a change in background load shifts them together.
        for target in "${TARGETS[@]}"; do
            url="$(target_url "$target")"
            base="$(expected_base "$target")"
            echo "== round $round, $workload / $target: ${WARMUP}s warm-up, ${DURATION}s measured," \
                "$CONNECTIONS connections"
            if ((WARMUP > 0)); then
                run_wrk "$WARMUP" "$url" "$paths" "$base" "" >"$WORK/warmup-$round-$workload-$target.log"
            fi
            load="$(cut -d' ' -f1 /proc/loadavg)"
            result="$WORK/wrk-$round-$workload-$target.txt"
            : >"$result"
            run_wrk "$DURATION" "$url" "$paths" "$base" "$result" >"$WORK/run-$round-$workload-$target.log"
            echo "workload=$workload target=$target round=$round load1=$load $(cat "$result")" | tee -a "$RAW"
        done
    done
done

# ---------------------------------------------------------------- memory

heap_used_kb() {
    # G1 prints " garbage-first heap   total reserved ..., committed ..., used 12345K [...]".
    "$JCMD" "$1" GC.heap_info | awk '/heap/ && /used/ { if (match($0, /used [0-9]+K/)) { print substr($0, RSTART + 5, RLENGTH - 6); exit } }'
}

tier_hits() {
    curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" \
        | awk -v tier="$2" '$1 ~ /^github_mirror_cache_hits_total\{/ && $1 ~ "tier=\"" tier "\"" { printf "%d", $2 }'
}

for name in mirror-memory mirror-disk mirror-redis; do
    pid="${MIRROR_PID[$name]}"
    port="${MIRROR_PORT[$name]}"
    rss_after="$(rss_kb "$pid")"
    "$JCMD" "$pid" GC.run >/dev/null
    heap_after_gc="$(heap_used_kb "$pid")"
    rss_after_gc="$(rss_kb "$pid")"
    second="${name#mirror-}"
    echo "memory target=$name rss_idle_kb=${MIRROR_RSS_IDLE_KB[$name]} rss_after_kb=$rss_after" \
        "rss_after_gc_kb=$rss_after_gc heap_used_after_gc_kb=${heap_after_gc:-unknown}" \
        "memory_tier_hits=$(tier_hits "$port" memory) second_tier_hits=$([[ $second == memory ]] && echo 0 || tier_hits "$port" "$second")" \
        | tee -a "$RAW"
done

# ---------------------------------------------------------------- report

{
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) cpu=\"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)\"" \
        "cores=$(nproc) java=\"$("$JAVA" -version 2>&1 | head -1)\" nginx=\"$("$NGINX" -v 2>&1)\"" \
        "wrk=\"$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)\" redis=\"$(redis-server --version | cut -d' ' -f3)\"" \
        "duration=$DURATION warmup=$WARMUP jit_warmup=$JIT_WARMUP rounds=$ROUNDS connections=$CONNECTIONS threads=$THREADS resources=$RESOURCES"
} >"$WORK/environment.txt"

python3 "$BENCH/bench_report.py" "$WORK/environment.txt" "$RAW" | tee "$WORK/report.md"
if [[ -n "$RESULTS_FILE" ]]; then
    cp "$WORK/report.md" "$RESULTS_FILE"
fi
