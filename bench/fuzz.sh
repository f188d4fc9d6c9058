#!/usr/bin/env bash
# Runs the property-based fuzz targets over request-target parsing, upstream URL construction and
# the cache-key function for longer than CI does: CI runs each property once (a few thousand tries,
# about a second); this repeats the run with fresh random seeds until FUZZ_SECONDS have passed.
#
#   bench/fuzz.sh                 # 600 s
#   FUZZ_SECONDS=60 bench/fuzz.sh
#
# A failing run stops the loop; jqwik prints the seed and the shrunk counterexample, and keeps the
# failure in .jqwik-database so the next run tries it first.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-600}"
if [[ -z "${JAVA_HOME:-}" ]] && [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi

deadline=$(( $(date +%s) + seconds ))
runs=0
# Compile once; each round then only runs the tests.
./mvnw -q -B test-compile -Dbuild.dir=target-fuzz
while (( $(date +%s) < deadline )); do
  runs=$((runs + 1))
  if ! ./mvnw -q -B surefire:test -Dbuild.dir=target-fuzz \
      -Dtest='HostileTargetPropertyTest' -Dsurefire.failIfNoSpecifiedTests=false; then
    echo "fuzz: run ${runs} failed; see target-fuzz/surefire-reports for the seed and the counterexample" >&2
    exit 1
  fi
done
echo "fuzz: ${runs} runs passed in ${seconds} s"
