#!/usr/bin/env bash
# Runs bench/StoreBench.java: restart time of the disk store with ENTRIES entries, mirror start
# to /healthz with that cache, and bytes per cached response for the disk and Redis stores.
# A private redis-server runs on a free 127.0.0.1 port and is stopped by PID on exit.
#
# Settings (environment variables, defaults in brackets):
#   ENTRIES [100000]  entries in the store whose restart is timed
#   REPEATS [5]       timed repetitions; the report shows the median
#   SKIP_BUILD [0]    1 reuses target-bench/github-mirror.jar instead of running Maven
#   KEEP_WORK [0]     1 keeps the temporary directory with the databases and logs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
JAR="$ROOT/target-bench/github-mirror.jar"
ENTRIES="${ENTRIES:-100000}"
REPEATS="${REPEATS:-5}"
SKIP_BUILD="${SKIP_BUILD:-0}"
KEEP_WORK="${KEEP_WORK:-0}"

die() {
    echo "store-bench.sh: $*" >&2
    exit 1
}

[[ -x "$JAVA" ]] || die "no java at $JAVA; set JAVA_HOME to a JDK 21 or later"
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo "Installing redis-server and redis-tools with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
fi
if [[ "$SKIP_BUILD" != 1 ]]; then
    echo "Building $JAR"
    (cd "$ROOT" && ./mvnw -q -B package -DskipTests -Dbuild.dir=target-bench)
fi
[[ -f "$JAR" ]] || die "no jar at $JAR; run without SKIP_BUILD=1"

WORK="$(mktemp -d /tmp/ghmirror-store-bench.XXXXXX)"
REDIS_PID=""

cleanup() {
    local status=$?
    if [[ -n "$REDIS_PID" ]]; then
        kill -TERM "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    if [[ "$KEEP_WORK" == 1 ]]; then
        echo "Databases and logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

REDIS_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
mkdir -p "$WORK/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize no \
    --dir "$WORK/redis" --logfile "$WORK/redis/redis.log" &
REDIS_PID=$!
for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.2
done
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || die "redis-server on port $REDIS_PORT did not reply to PING"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
timeout --kill-after=10 3600 "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" "$ROOT/bench/StoreBench.java" --dir "$WORK/stores" \
    --entries "$ENTRIES" --repeats "$REPEATS" --jar "$JAR" --redis-port "$REDIS_PORT"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
