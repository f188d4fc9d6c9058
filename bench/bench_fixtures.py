#!/usr/bin/env python3
"""Write the static JSON files that nginx serves as the GitHub-like upstream of bench/run.sh.

Layout under ROOT, served by nginx with `try_files $uri.json`:
  repos/bench/repo-N.json          about 1 KB, one repository object   (workload "small")
  repos/bench/repo-N/readme.json   about 20 KB, a file object with base64 content ("large")
  repos/bench/repo-N/issues.json   a JSON array of 10 issues, about 7 KB ("list")

Every body carries absolute URLs that start with the upstream base URL, so the mirror's URL
rewriting runs on each response. The list pages hold 10 items, fewer than GitHub's default page
size of 30, so the mirror revalidates them like any other entry instead of refetching a page that
may hide a next page. The path lists are written to OUT_DIR/paths-<workload>.txt.
"""

import argparse
import base64
import json
import os
import random

SMALL_BYTES = 1024
LARGE_BYTES = 20 * 1024
ISSUES_PER_PAGE = 10


def pad_to(document, field, size):
    """Set document[field] to filler so that the compact JSON encoding is `size` bytes long."""
    document[field] = ""
    missing = size - len(json.dumps(document, separators=(",", ":")).encode())
    document[field] = "x" * max(0, missing)
    return json.dumps(document, separators=(",", ":")).encode()


def repository(base, index):
    api = f"{base}/repos/bench/repo-{index}"
    document = {
        "id": 100000 + index,
        "name": f"repo-{index}",
        "full_name": f"bench/repo-{index}",
        "private": False,
        "owner": {"login": "bench", "url": f"{base}/users/bench", "repos_url": f"{base}/users/bench/repos"},
        "url": api,
        "issues_url": api + "/issues{/number}",
        "pulls_url": api + "/pulls{/number}",
        "contents_url": api + "/contents/{+path}",
        "default_branch": "main",
        "description": "",
    }
    return pad_to(document, "description", SMALL_BYTES)


def readme(base, index, rng):
    api = f"{base}/repos/bench/repo-{index}"
    document = {
        "type": "file",
        "encoding": "base64",
        "size": 0,
        "name": "README.md",
        "path": "README.md",
        "url": api + "/contents/README.md?ref=main",
        "git_url": api + "/git/blobs/0123456789abcdef",
        "_links": {"self": api + "/contents/README.md?ref=main", "git": api + "/git/blobs/0123456789abcdef"},
        "content": "",
    }
    document["content"] = base64.b64encode(rng.randbytes(LARGE_BYTES * 3 // 4)).decode()
    encoded = json.dumps(document, separators=(",", ":")).encode()
    # Trim the content so that the whole body is LARGE_BYTES long, keeping valid base64 length.
    excess = len(encoded) - LARGE_BYTES
    if excess > 0:
        document["content"] = document["content"][: len(document["content"]) - excess]
    return json.dumps(document, separators=(",", ":")).encode()


def issues(base, index):
    api = f"{base}/repos/bench/repo-{index}"
    page = []
    for number in range(1, ISSUES_PER_PAGE + 1):
        page.append({
            "id": index * 1000 + number,
            "number": number,
            "title": f"Issue {number} of repo-{index}",
            "state": "open",
            "url": f"{api}/issues/{number}",
            "repository_url": api,
            "comments_url": f"{api}/issues/{number}/comments",
            "events_url": f"{api}/issues/{number}/events",
            "user": {"login": "bench", "url": f"{base}/users/bench"},
            "labels": [{"name": "bench", "url": f"{api}/labels/bench"}],
            "body": "Benchmark issue body. " * 8,
        })
    return json.dumps(page, separators=(",", ":")).encode()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="directory that nginx serves")
    parser.add_argument("--out-dir", required=True, help="directory for the paths-<workload>.txt files")
    parser.add_argument("--base", required=True, help="upstream base URL, such as http://127.0.0.1:8081")
    parser.add_argument("--count", type=int, default=50, help="resources of each kind (default: 50)")
    args = parser.parse_args()

    rng = random.Random(42)
    paths = {"small": [], "large": [], "list": []}
    for index in range(args.count):
        repo_dir = os.path.join(args.root, "repos", "bench")
        write(os.path.join(repo_dir, f"repo-{index}.json"), repository(args.base, index))
        write(os.path.join(repo_dir, f"repo-{index}", "readme.json"), readme(args.base, index, rng))
        write(os.path.join(repo_dir, f"repo-{index}", "issues.json"), issues(args.base, index))
        paths["small"].append(f"/repos/bench/repo-{index}")
        paths["large"].append(f"/repos/bench/repo-{index}/readme")
        paths["list"].append(f"/repos/bench/repo-{index}/issues")

    for workload, workload_paths in paths.items():
        with open(os.path.join(args.out_dir, f"paths-{workload}.txt"), "w") as file:
            file.write("\n".join(workload_paths) + "\n")


if __name__ == "__main__":
    main()
