#!/usr/bin/env python3
"""Turn the raw result lines of bench/run.sh into Markdown tables with checks and ratios.

Usage: bench_report.py ENVIRONMENT_FILE RESULTS_FILE

Each result line is a list of key=value pairs: one line per wrk run (workload=, target= and the
counters written by bench/wrk-check.lua) and one "memory" line per mirror. A run passes its check
only when every response was a 200, no socket error or timeout happened, every sampled body
contained the expected base URL and, for a mirror, every response carried X-Cache HIT or
COALESCED. Ratios are printed only between runs of the same round that passed; with several
rounds their median per workload follows.
"""

import shlex
import statistics
import sys

MIRRORS = ("mirror-memory", "mirror-disk", "mirror-redis")
RATIOS = (
    ("mirror-memory", "nginx-proxy"),
    ("mirror-disk", "mirror-memory"),
    ("mirror-redis", "mirror-memory"),
    ("nginx-proxy", "nginx-direct"),
)


def parse_pairs(line):
    pairs = {}
    for token in shlex.split(line):
        if "=" in token:
            key, value = token.split("=", 1)
            pairs[key] = value
    return pairs


def number(run, key):
    return float(run.get(key, "0") or 0)


def check(run):
    """Return "ok" or the reasons the run does not count."""
    problems = []
    if number(run, "requests") <= 0:
        problems.append("no requests")
    for key in ("non200", "status_errors", "socket_errors", "timeouts", "bodies_bad"):
        if number(run, key) > 0:
            problems.append(f"{key}={int(number(run, key))}")
    if number(run, "bodies_checked") <= 0:
        problems.append("no body checked")
    if run["target"] in MIRRORS:
        cached = number(run, "cache_hit") + number(run, "cache_coalesced")
        if cached != number(run, "responses"):
            problems.append(f"{int(number(run, 'responses') - cached)} responses not HIT or COALESCED")
    return "ok" if not problems else "FAILED: " + ", ".join(problems)


def ratio(results, round_and_workload, first, second, key):
    """Return first/second of the key, or None unless both runs passed their check."""
    a = results.get(round_and_workload + (first,))
    b = results.get(round_and_workload + (second,))
    if not a or not b or a["check"] != "ok" or b["check"] != "ok":
        return None
    return number(a, key) / max(1.0, number(b, key))


def percent(part, whole):
    return f"{100.0 * part / whole:.1f}" if whole else "-"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench_report.py ENVIRONMENT_FILE RESULTS_FILE")
    with open(sys.argv[1]) as file:
        environment = parse_pairs(file.read())
    runs = []
    memory = []
    with open(sys.argv[2]) as file:
        for line in file:
            if line.startswith("memory "):
                memory.append(parse_pairs(line))
            elif line.startswith("workload="):
                runs.append(parse_pairs(line))

    print("# bench/run.sh results\n")
    print(", ".join(f"{key}: {value}" for key, value in environment.items()) + "\n")

    print("| round | workload | target | requests/s | p50 ms | p99 ms | HIT % | COALESCED % | load1 before | check |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    results = {}
    for run in runs:
        run["check"] = check(run)
        run.setdefault("round", "1")
        results[(run["round"], run["workload"], run["target"])] = run
        responses = number(run, "responses")
        print(f"| {run['round']} | {run['workload']} | {run['target']} | {number(run, 'rps'):,.0f} "
              f"| {number(run, 'p50_us') / 1000:.2f} | {number(run, 'p99_us') / 1000:.2f} "
              f"| {percent(number(run, 'cache_hit'), responses)} "
              f"| {percent(number(run, 'cache_coalesced'), responses)} | {run.get('load1', '-')} "
              f"| {run['check']} |")

    rounds = list(dict.fromkeys(run["round"] for run in runs))
    workloads = list(dict.fromkeys(run["workload"] for run in runs))
    columns = [f"{a} / {b}" for a, b in RATIOS] + ["p99 mirror-memory / nginx-proxy"]
    print("\nRatios of requests/s (first target over second, same round and workload), and of p99 latency:\n")
    print("| round | workload | " + " | ".join(columns) + " |")
    print("| ---: | --- |" + " ---: |" * len(columns))
    per_workload = {workload: [[] for _ in columns] for workload in workloads}
    for round_name in rounds:
        for workload in workloads:
            values = [ratio(results, (round_name, workload), first, second, "rps") for first, second in RATIOS]
            values.append(ratio(results, (round_name, workload), "mirror-memory", "nginx-proxy", "p99_us"))
            for column, value in enumerate(values):
                if value is not None:
                    per_workload[workload][column].append(value)
            cells = ["n/a" if value is None else f"{value:.2f}" for value in values]
            print(f"| {round_name} | {workload} | " + " | ".join(cells) + " |")
    if len(rounds) > 1:
        for workload in workloads:
            cells = [f"{statistics.median(values):.2f}" if values else "n/a" for values in per_workload[workload]]
            print(f"| median | {workload} | " + " | ".join(cells) + " |")

    print("\nMemory of each mirror after all runs (full GC by jcmd GC.run before the heap figure):\n")
    print("| mirror | RSS idle MiB | RSS after runs MiB | RSS after GC MiB | heap used after full GC MiB "
          "| memory tier hits | second tier hits |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for entry in memory:
        def mib(key):
            value = entry.get(key, "")
            return f"{int(value) / 1024:.0f}" if value.isdigit() else "unknown"
        print(f"| {entry['target']} | {mib('rss_idle_kb')} | {mib('rss_after_kb')} | {mib('rss_after_gc_kb')} "
              f"| {mib('heap_used_after_gc_kb')} | {entry.get('memory_tier_hits', '-')} "
              f"| {entry.get('second_tier_hits', '-')} |")


if __name__ == "__main__":
    main()
