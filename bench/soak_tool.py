#!/usr/bin/env python3
"""Fake GitHub upstream with scheduled faults, a verifying load client, and the soak report.

Subcommands, all run by bench/soak.sh (Python 3.9 or later, standard library only):

  fake    Serves a small GitHub-like API on 127.0.0.1. ETags are computed like GitHub's: the
          SHA-256 over each present Accept and Authorization value followed by ':', then the
          body. It returns 304 for a matching If-None-Match, counts rate-limit units (every response
          other than 304) per login, and injects faults on a fixed cycle (see Schedule).
          GET /_bench/counters returns the counters and POST /_bench/reset clears them.
  load    Sends a bounded, paced mix of requests for several tokens and resources, and checks
          every body against the exact content the fake serves for that token.
  report  Prints the Markdown summary of a mirror run and a direct run.

Bodies depend on the caller's login, so a response cached for one token and served to another
is detected as "foreign". Some resources change every CHANGE_SECONDS, so a response older
than the upstream state it was checked against is detected as "outdated".
"""

import argparse
import base64
import functools
import hashlib
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------- shared model

REPOSITORIES = 20
CHANGE_SECONDS = 45
ROTATE_SECONDS = 60
RATE_LIMIT = 1_000_000  # so large that only the scheduled rate-limit window exhausts a token
JSON_ACCEPT = "application/vnd.github+json"
RAW_ACCEPT = "application/vnd.github.raw"
STALE_OUTCOMES = {"STALE_ERROR", "STALE_TIMEOUT", "STALE_RATE_LIMITED", "OFFLINE_HIT"}
# A response may reflect upstream state from this long before the request was sent: a coalesced
# follower shares a revalidation that started earlier, for at most the mirror's upstream timeout.
VERSION_SLACK_SECONDS = 3.0

STATIC_TOKENS = {"token alpha-token": "alpha", "token beta-token": "beta", "token gamma-token": "gamma"}
LOGIN_IDS = {"alpha": 1, "beta": 2, "gamma": 3, "app": 4}
RATE_LIMITED_LOGIN = "beta"


def login_for(authorization):
    """Return the login that an Authorization value belongs to, or None when it is unknown."""
    if authorization in STATIC_TOKENS:
        return STATIC_TOKENS[authorization]
    if authorization and authorization.startswith("Bearer ghs_app-"):
        return "app"
    return None


def app_token(elapsed):
    """Return the installation token in use `elapsed` seconds after the fake started."""
    return f"Bearer ghs_app-{int(elapsed // ROTATE_SECONDS)}"


def version_at(path, elapsed):
    """Return the content version of a path: a third of the repositories and half of the issue
    lists change every CHANGE_SECONDS, the rest never change."""
    parts = path.split("/")
    if len(parts) < 4 or not parts[3].startswith("repo-"):
        return 0
    index = int(parts[3][len("repo-"):])
    changes = (len(parts) == 4 and index % 3 == 0) or (len(parts) == 5 and parts[4] == "issues" and index % 2 == 0)
    return int(max(0.0, elapsed) // CHANGE_SECONDS) if changes else 0


def compact(document):
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@functools.lru_cache(maxsize=8192)
def representation(path, login, raw, version, base):
    """Return (status, content type, body bytes) for a GET, or None for an unknown path."""
    parts = path.split("/")
    if path == "/user":
        return 200, "application/json; charset=utf-8", compact(
            {"login": login, "id": LOGIN_IDS[login], "url": f"{base}/users/{login}", "type": "User"})
    if len(parts) < 4 or parts[1:3] != ["repos", "soak"] or not parts[3].startswith("repo-"):
        return None
    try:
        index = int(parts[3][len("repo-"):])
    except ValueError:
        return None
    if not 0 <= index < REPOSITORIES:
        return None
    api = f"{base}/repos/soak/repo-{index}"
    if len(parts) == 4:
        return 200, "application/json; charset=utf-8", compact({
            "id": 5000 + index, "name": f"repo-{index}", "full_name": f"soak/repo-{index}",
            "url": api, "issues_url": api + "/issues{/number}", "owner": {"login": "soak", "url": f"{base}/users/soak"},
            "permissions": {"admin": login == "alpha", "push": login in ("alpha", "app"), "pull": True},
            "viewer": login, "version": version, "description": f"Repository {index}, revision {version}. " * 12,
        })
    if len(parts) == 5 and parts[4] == "readme":
        text = readme_text(index, version, base)
        if raw:
            # Not JSON, so the mirror must pass the upstream URL inside it unchanged.
            return 200, "application/vnd.github.raw; charset=utf-8", text
        return 200, "application/json; charset=utf-8", compact({
            "type": "file", "encoding": "base64", "name": "README.md", "path": "README.md",
            "url": api + "/contents/README.md", "git_url": api + "/git/blobs/abc", "viewer": login,
            "content": base64.b64encode(text).decode(),
        })
    if len(parts) == 5 and parts[4] == "issues":
        return 200, "application/json; charset=utf-8", compact([
            {"number": number, "title": f"Issue {number} of repo-{index} at revision {version}",
             "url": f"{api}/issues/{number}", "repository_url": api, "viewer_can_edit": login != "gamma"}
            for number in range(1, 11)
        ])
    return None


@functools.lru_cache(maxsize=256)
def readme_text(index, version, base):
    rng = random.Random(index * 1000 + version)
    lines = [f"# repo-{index} revision {version}", f"API: {base}/repos/soak/repo-{index}", ""]
    while sum(len(line) + 1 for line in lines) < 12_000:
        lines.append(" ".join(rng.choice(("cache", "mirror", "etag", "token", "page", "repo", "issue"))
                              for _ in range(12)))
    return ("\n".join(lines) + "\n").encode()


def github_etag(accept, authorization, body):
    digest = hashlib.sha256()
    for value in (accept, authorization):
        if value is not None:
            digest.update(value.encode())
            digest.update(b":")
    digest.update(body)
    return f'"{digest.hexdigest()}"'


def etag_matches(if_none_match, etag):
    opaque = etag[2:] if etag.startswith("W/") else etag
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or (candidate[2:] if candidate.startswith("W/") else candidate) == opaque:
            return True
    return False


# ---------------------------------------------------------------- fake upstream

class Schedule:
    """Fault windows within each cycle of `cycle` seconds since the fake started:
    [0.60, 0.70) of the cycle: half of all requests get 500;
    [0.70, 0.80): a third of all requests hang for `hang` seconds before responding normally;
    [0.80, 0.90): every request of RATE_LIMITED_LOGIN gets 403 "API rate limit exceeded";
    the rest of the cycle is fault-free."""

    def __init__(self, cycle, hang):
        self.cycle = cycle
        self.hang = hang

    def fault(self, elapsed, login, rng):
        phase = (elapsed % self.cycle) / self.cycle
        if 0.60 <= phase < 0.70 and rng.random() < 0.5:
            return "error"
        if 0.70 <= phase < 0.80 and rng.random() < 1 / 3:
            return "hang"
        if 0.80 <= phase < 0.90 and login == RATE_LIMITED_LOGIN:
            return "rate_limited"
        return None

    def window_end(self, elapsed, until_phase):
        return elapsed - (elapsed % self.cycle) + until_phase * self.cycle


class FakeState:
    def __init__(self, schedule, seed):
        self.started = time.time()
        self.schedule = schedule
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = 0
            self.by_status = {}
            self.units_by_login = {}
            self.not_modified_by_login = {}
            self.injected = {"error": 0, "hang": 0, "rate_limited": 0}
            self.issues_created = 0

    def draw_fault(self, login):
        with self.lock:
            fault = self.schedule.fault(time.time() - self.started, login, self.rng)
            if fault:
                self.injected[fault] += 1
            return fault

    def count(self, login, status):
        with self.lock:
            self.requests += 1
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
            counters = self.not_modified_by_login if status == 304 else self.units_by_login
            key = login or "anonymous"
            counters[key] = counters.get(key, 0) + 1
            return self.units_by_login.get(key, 0)

    def snapshot(self):
        with self.lock:
            return {
                "started": self.started, "requests": self.requests, "by_status": dict(self.by_status),
                "units_by_login": dict(self.units_by_login), "units": sum(self.units_by_login.values()),
                "not_modified_by_login": dict(self.not_modified_by_login), "injected": dict(self.injected),
                "cycle_seconds": self.schedule.cycle, "hang_seconds": self.schedule.hang,
            }


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeGitHub/1.0"
    # Set by run_fake before the server starts.
    state = None
    base = None

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def handle_request(self):
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path == "/_bench/counters":
            return self.send(200, {"Content-Type": "application/json"}, compact(self.state.snapshot()))
        if path == "/_bench/reset" and self.command == "POST":
            self.state.reset()
            return self.send(204, {}, b"")

        authorization = self.headers.get("Authorization")
        login = login_for(authorization)
        if login is None:
            self.state.count(None, 401)
            return self.send(401, {"Content-Type": "application/json; charset=utf-8"},
                             compact({"message": "Bad credentials"}))

        elapsed = time.time() - self.state.started
        fault = self.state.draw_fault(login)
        if fault == "hang":
            time.sleep(self.state.schedule.hang)
        elif fault == "error":
            self.state.count(login, 500)
            return self.send(500, {"Content-Type": "application/json; charset=utf-8"},
                             compact({"message": "Server Error"}))
        elif fault == "rate_limited":
            self.state.count(login, 403)
            reset = int(self.state.started + self.state.schedule.window_end(elapsed, 0.90)) + 1
            return self.send(403, {"Content-Type": "application/json; charset=utf-8",
                                   "X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": "0",
                                   "X-RateLimit-Used": str(RATE_LIMIT), "X-RateLimit-Reset": str(reset),
                                   "X-RateLimit-Resource": "core"},
                             compact({"message": f"API rate limit exceeded for user ID {LOGIN_IDS[login]}.",
                                      "documentation_url": "https://docs.github.com/rest/rate-limit"}))

        if self.command == "POST":
            parts = path.split("/")
            if len(parts) == 5 and parts[4] == "issues" and representation("/" + "/".join(parts[1:4]), login,
                                                                           False, 0, self.base):
                with self.state.lock:
                    self.state.issues_created += 1
                    number = 1000 + self.state.issues_created
                used = self.state.count(login, 201)
                return self.send(201, self.rate_headers(used), compact(
                    {"number": number, "url": f"{self.base}{path}/{number}", "created_by": login,
                     "title": json.loads(request_body or b"{}").get("title")}))
            self.state.count(login, 404)
            return self.send(404, {"Content-Type": "application/json; charset=utf-8"}, compact({"message": "Not Found"}))

        accept = self.headers.get("Accept")
        version = version_at(path, elapsed)
        found = representation(path, login, accept == RAW_ACCEPT, version, self.base)
        if found is None:
            used = self.state.count(login, 404)
            return self.send(404, self.rate_headers(used), compact({"message": "Not Found"}))
        status, content_type, body = found
        etag = github_etag(accept, authorization, body)
        headers = {"Content-Type": content_type, "ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60",
                   "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
                   "Last-Modified": formatdate(self.state.started + version * CHANGE_SECONDS, usegmt=True)}
        if path.endswith("/issues"):
            headers["Link"] = f'<{self.base}{path}?page=2>; rel="next", <{self.base}{path}?page=3>; rel="last"'
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match and etag_matches(if_none_match, etag):
            used = self.state.count(login, 304)
            headers.update(self.rate_headers(used))
            del headers["Content-Type"]
            return self.send(304, headers, b"")
        used = self.state.count(login, status)
        headers.update(self.rate_headers(used))
        return self.send(status, headers, body)

    def rate_headers(self, used):
        return {"X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - used)),
                "X-RateLimit-Used": str(used), "X-RateLimit-Reset": str(int(time.time()) // 3600 * 3600 + 3600),
                "X-RateLimit-Resource": "core"}

    def send(self, status, headers, body):
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304 and status != 204:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The mirror gave up on a hung request and closed the connection.
            self.close_connection = True


def run_fake(args):
    state = FakeState(Schedule(args.cycle, args.hang), args.seed)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), FakeHandler)
    server.daemon_threads = True
    port = server.server_address[1]
    FakeHandler.state = state
    FakeHandler.base = f"http://127.0.0.1:{port}"
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as file:
            file.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"fake upstream listening on 127.0.0.1:{port}, cycle {args.cycle}s, hang {args.hang}s", flush=True)
    deadline = time.time() + args.max_seconds
    server.timeout = 1.0
    while time.time() < deadline:
        server.handle_request()
    print("fake upstream stopping: --max-seconds reached", flush=True)


# ---------------------------------------------------------------- load client

class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}

    def add(self, name, amount=1):
        with self.lock:
            self.values[name] = self.values.get(name, 0) + amount


def choose_request(rng, elapsed):
    """Return (method, path, authorization, accept, login) for one request of the mix."""
    authorization = rng.choice(list(STATIC_TOKENS) + [app_token(elapsed)])
    index = rng.randrange(REPOSITORIES)
    roll = rng.random()
    accept = JSON_ACCEPT
    method = "GET"
    if roll < 0.60:
        path = f"/repos/soak/repo-{index}"
    elif roll < 0.75:
        path = f"/repos/soak/repo-{index}/readme"
    elif roll < 0.82:
        path = f"/repos/soak/repo-{index}/readme"
        accept = RAW_ACCEPT
    elif roll < 0.96:
        path = f"/repos/soak/repo-{index}/issues"
    elif roll < 0.99:
        path = "/user"
    else:
        method = "POST"
        path = f"/repos/soak/repo-{index}/issues"
    return method, path, authorization, accept, login_for(authorization)


def expected_body(path, login, raw, version, fake_base, target_base):
    found = representation(path, login, raw, version, fake_base)
    if found is None:
        return None
    body = found[2]
    if found[1].startswith("application/json"):
        body = body.replace(fake_base.encode(), target_base.encode())
    return body


def classify_get(path, login, accept, body, cache, sent, received, fake_started, fake_base, target_base):
    """Return "ok", "outdated", "foreign" or "wrong" for a 200 response to a GET."""
    raw = accept == RAW_ACCEPT
    newest = version_at(path, received - fake_started)
    oldest = 0 if cache in STALE_OUTCOMES else version_at(path, sent - fake_started - VERSION_SLACK_SECONDS)
    for version in range(newest, -1, -1):
        if body == expected_body(path, login, raw, version, fake_base, target_base):
            return "ok" if version >= oldest else "outdated"
    for other in LOGIN_IDS:
        if other != login:
            for version in range(newest, -1, -1):
                if body == expected_body(path, other, raw, version, fake_base, target_base):
                    return "foreign"
    return "wrong"


def load_worker(args, worker, fake_started, deadline, budget, tally, examples):
    rng = random.Random(args.seed * 1000 + worker)
    host, port = args.target.split("//", 1)[1].split(":")
    connection = None
    interval = args.threads / args.rate if args.rate > 0 else 0.0
    next_send = time.time() + rng.random() * interval
    while time.time() < deadline:
        with budget["lock"]:
            if budget["left"] <= 0:
                return
            budget["left"] -= 1
        if interval:
            pause = next_send - time.time()
            if pause > 0:
                time.sleep(pause)
            next_send = max(next_send + interval, time.time() - interval)
        sent = time.time()
        method, path, authorization, accept, login = choose_request(rng, sent - fake_started)
        headers = {"Authorization": authorization, "Accept": accept, "User-Agent": "ghmirror-soak"}
        body = None
        if method == "POST":
            body = compact({"title": f"soak issue from {login}"})
            headers["Content-Type"] = "application/json"
        try:
            if connection is None:
                connection = http.client.HTTPConnection(host, int(port), timeout=args.request_timeout)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            received = time.time()
        except (OSError, http.client.HTTPException) as error:
            kind = "client_timeout" if isinstance(error, socket.timeout) else "connection_error"
            tally.add(f"error:{kind}")
            tally.add("requests")
            with budget["lock"]:
                if len(examples) < 20:
                    examples.append({"verdict": kind, "error": repr(error), "method": method, "path": path,
                                     "login": login, "sent": time.strftime("%H:%M:%S", time.gmtime(sent))})
            if connection is not None:
                connection.close()
            connection = None
            continue

        tally.add("requests")
        tally.add(f"status:{response.status}")
        cache = response.getheader("X-Cache")
        tally.add(f"x_cache:{cache or 'absent'}")
        tally.add("latency_ms_sum", int((received - sent) * 1000))
        if method == "POST":
            if response.status == 201:
                created = json.loads(data)
                tally.add("verified:ok" if created.get("created_by") == login else "verified:foreign")
            else:
                tally.add(f"error:http_{response.status}")
            continue
        if response.status != 200:
            tally.add(f"error:http_{response.status}")
            continue
        verdict = classify_get(path, login, accept, data, cache, sent, received, fake_started,
                               args.fake_base, args.target)
        if verdict == "ok" and path.endswith("/issues"):
            link = response.getheader("Link") or ""
            if not link.startswith(f"<{args.target}/"):
                verdict = "wrong_link"
        tally.add(f"verified:{verdict}")
        if verdict != "ok":
            with budget["lock"]:
                if len(examples) < 20:
                    examples.append({"verdict": verdict, "path": path, "login": login, "accept": accept,
                                     "x_cache": cache, "body_head": data[:200].decode("utf-8", "replace")})


def run_load(args):
    fake_started = fetch_json(args.fake_base + "/_bench/counters")["started"]
    tally = Tally()
    examples = []
    started = time.time()
    deadline = started + args.seconds
    budget = {"lock": threading.Lock(), "left": args.max_requests}
    threads = [threading.Thread(target=load_worker, daemon=True,
                                args=(args, worker, fake_started, deadline, budget, tally, examples))
               for worker in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.time()) + args.request_timeout + 5)
    elapsed = time.time() - started
    result = {"target": args.target, "seconds": round(elapsed, 1), "rate_requested": args.rate,
              "threads": args.threads, "counters": dict(sorted(tally.values.items())), "examples": examples,
              "stuck_threads": sum(thread.is_alive() for thread in threads)}
    with open(args.output, "w") as file:
        json.dump(result, file, indent=1)
    values = tally.values
    print(f"{values.get('requests', 0)} requests in {elapsed:.0f} s to {args.target}; "
          f"wrong={values.get('verified:wrong', 0)} foreign={values.get('verified:foreign', 0)} "
          f"outdated={values.get('verified:outdated', 0)}", flush=True)


def fetch_json(url):
    """GET a loopback URL and return the decoded JSON body."""
    host, rest = url.split("//", 1)[1].split("/", 1)
    name, port = host.split(":")
    connection = http.client.HTTPConnection(name, int(port), timeout=10)
    try:
        connection.request("GET", "/" + rest)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


# ---------------------------------------------------------------- report

def run_report(args):
    def load(path):
        with open(path) as file:
            return json.load(file)

    mirror = load(args.mirror_load)
    direct = load(args.direct_load)
    mirror_fake = load(args.mirror_fake)
    direct_fake = load(args.direct_fake)
    memory = load(args.memory)

    def counters(run):
        return run["counters"]

    def kinds(run, prefix):
        return {key[len(prefix):]: value for key, value in counters(run).items() if key.startswith(prefix)}

    mirror_requests = counters(mirror).get("requests", 0)
    direct_requests = counters(direct).get("requests", 0)
    scale = mirror_requests / direct_requests if direct_requests else 0.0
    print("# bench/soak.sh results\n")
    print(f"{args.environment}\n")
    print("| | via mirror | straight to fake |")
    print("| --- | ---: | ---: |")
    print(f"| duration s | {mirror['seconds']} | {direct['seconds']} |")
    print(f"| requests sent | {mirror_requests} | {direct_requests} |")
    for verdict in ("ok", "wrong", "foreign", "outdated", "wrong_link"):
        print(f"| verified {verdict} | {counters(mirror).get('verified:' + verdict, 0)} "
              f"| {counters(direct).get('verified:' + verdict, 0)} |")
    error_kinds = sorted(set(kinds(mirror, "error:")) | set(kinds(direct, "error:")))
    for kind in error_kinds:
        print(f"| error {kind} | {kinds(mirror, 'error:').get(kind, 0)} | {kinds(direct, 'error:').get(kind, 0)} |")
    print(f"| upstream requests | {mirror_fake['requests']} | {direct_fake['requests']} |")
    print(f"| upstream units (responses other than 304) | {mirror_fake['units']} | {direct_fake['units']} |")
    for status in ("200", "201", "403", "500"):
        print(f"| upstream {status} responses | {mirror_fake['by_status'].get(status, 0)} "
              f"| {direct_fake['by_status'].get(status, 0)} |")
    print(f"| upstream 304s | {mirror_fake['by_status'].get('304', 0)} | {direct_fake['by_status'].get('304', 0)} |")
    scaled = direct_fake["units"] * scale
    print(f"| direct units scaled to the mirror's request count | | {scaled:.0f} |")
    if scaled:
        print(f"\nUnits via the mirror / units of the same requests sent straight: "
              f"{mirror_fake['units'] / scaled:.3f}")
        # Injected 500s and 403s count as units above, though GitHub may not charge for them.
        mirror_ok = sum(mirror_fake["by_status"].get(status, 0) for status in ("200", "201"))
        direct_ok = sum(direct_fake["by_status"].get(status, 0) for status in ("200", "201")) * scale
        if direct_ok:
            print(f"Counting only 200 and 201 responses: {mirror_ok} / {direct_ok:.0f} = {mirror_ok / direct_ok:.3f}")
        print()
    print("Upstream units per login (mirror run / direct run scaled):\n")
    print("| login | via mirror | direct, scaled |")
    print("| --- | ---: | ---: |")
    for login in sorted(set(mirror_fake["units_by_login"]) | set(direct_fake["units_by_login"])):
        print(f"| {login} | {mirror_fake['units_by_login'].get(login, 0)} "
              f"| {direct_fake['units_by_login'].get(login, 0) * scale:.0f} |")
    print("\nFaults injected by the fake (mirror run / direct run): "
          + ", ".join(f"{kind} {mirror_fake['injected'].get(kind, 0)} / {direct_fake['injected'].get(kind, 0)}"
                      for kind in ("error", "hang", "rate_limited")))
    print("\nX-Cache of responses via the mirror: "
          + ", ".join(f"{key} {value}" for key, value in sorted(kinds(mirror, "x_cache:").items())))
    print("\nStatus codes via the mirror: "
          + ", ".join(f"{key} {value}" for key, value in sorted(kinds(mirror, "status:").items())))
    print("\nStatus codes straight to the fake: "
          + ", ".join(f"{key} {value}" for key, value in sorted(kinds(direct, "status:").items())))
    print("\nMirror memory (heap used after a full GC by jcmd GC.run; RSS from /proc/PID/status):\n")
    print("| point | heap used after full GC MiB | RSS MiB |")
    print("| --- | ---: | ---: |")
    for point in memory["points"]:
        print(f"| {point['name']} | {point['heap_kb'] / 1024:.1f} | {point['rss_kb'] / 1024:.0f} |")
    rss = [sample for sample in memory.get("rss_samples_kb", []) if sample > 0]
    if rss:
        print(f"\nRSS sampled every {memory.get('rss_interval', '?')} s during the run: min {min(rss) / 1024:.0f} MiB, "
              f"max {max(rss) / 1024:.0f} MiB, last {rss[-1] / 1024:.0f} MiB ({len(rss)} samples)")
    if mirror["examples"]:
        print("\nFirst requests via the mirror that failed verification or raised a client error (UTC times):\n")
        for example in mirror["examples"][:5]:
            print(f"- {json.dumps(example)}")


# ---------------------------------------------------------------- command line

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    fake = commands.add_parser("fake", help="serve the fake upstream on 127.0.0.1")
    fake.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)")
    fake.add_argument("--port-file", help="file to write the chosen port to")
    fake.add_argument("--cycle", type=float, default=60.0, help="seconds per fault cycle (default: 60)")
    fake.add_argument("--hang", type=float, default=6.0, help="seconds a hung request waits (default: 6)")
    fake.add_argument("--seed", type=int, default=1, help="seed of the fault draws (default: 1)")
    fake.add_argument("--max-seconds", type=float, default=7200.0,
                      help="stop serving after this many seconds (default: 7200)")

    load = commands.add_parser("load", help="send the verifying request mix")
    load.add_argument("--target", required=True, help="base URL to send to, such as http://127.0.0.1:8080")
    load.add_argument("--fake-base", required=True, help="base URL of the fake upstream")
    load.add_argument("--seconds", type=float, required=True, help="how long to send, at most 3600")
    load.add_argument("--rate", type=float, default=200.0, help="requests per second in total; 0 is unpaced")
    load.add_argument("--threads", type=int, default=8, help="client threads (default: 8)")
    load.add_argument("--max-requests", type=int, default=2_000_000, help="stop after this many requests")
    load.add_argument("--request-timeout", type=float, default=30.0, help="client timeout per request in seconds")
    load.add_argument("--seed", type=int, default=7)
    load.add_argument("--output", required=True, help="JSON file for the counters")

    report = commands.add_parser("report", help="print the Markdown summary")
    for name in ("--mirror-load", "--direct-load", "--mirror-fake", "--direct-fake", "--memory"):
        report.add_argument(name, required=True)
    report.add_argument("--environment", default="")

    args = parser.parse_args()
    if args.command == "fake":
        run_fake(args)
    elif args.command == "load":
        if not 0 < args.seconds <= 3600:
            sys.exit("--seconds must be more than 0 and at most 3600")
        if not 1 <= args.threads <= 256:
            sys.exit("--threads must be between 1 and 256")
        run_load(args)
    else:
        run_report(args)


if __name__ == "__main__":
    main()
