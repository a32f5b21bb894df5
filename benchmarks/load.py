"""Load test of the production server (`dailypapers serve`) with wrk, loopback only.

    python benchmarks/load.py [--seconds 10] [--connections 32] [--workers 2] [--only votes,...]
                              [--close] [--server granian|gunicorn]

Starts `dailypapers serve` on 127.0.0.1 with a fresh SQLite database holding the demo papers and 20
API tokens, then runs wrk (Debian package `wrk`; installed if missing when run as root) against:
the daily feed page, a paper page, a search, and votes through the API (POST, spread over 20 users
and 40 papers). Prints requests/s, p50 and p99 latency and errors for each; after the votes, checks
that every counter equals its vote rows. Targets (issue 8): feed page >= 500 req/s with p99 < 100
ms; voting >= 200 req/s with counts exact.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CLI = [sys.executable, "-m", "dailypapers"]
SETUP = """
from django.contrib.auth.models import User
from dailypapers.api.models import ApiToken
from dailypapers.ingest.demo import load_demo
from dailypapers.papers.models import Paper
load_demo()
from dailypapers.search import fulltext, semantic
fulltext.sync()
if semantic.enabled():
    semantic.sync()  # steady state: the worker has nothing left to embed while wrk runs
for i in range(20):
    print("token", ApiToken.create_for(User.objects.create_user(f"load{i}"), "load")[1])
for key in Paper.objects.filter(entry__isnull=False, arxiv_id__isnull=False).values_list(
    "arxiv_id", flat=True
)[:40]:
    print("paper", key)
"""
VOTE_SCRIPT = """
tokens = {%(tokens)s}
papers = {%(papers)s}
counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  local paper = papers[(math.floor(counter / #tokens) %% #papers) + 1]
  local vote = (math.floor(counter / (#tokens * #papers)) %% 2 == 0) and "true" or "false"
  return wrk.format("POST", "/api/votes/" .. paper,
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"%(close)s},
    '{"vote": ' .. vote .. '}')
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(
    url: str, seconds: int, connections: int, script: Path | None = None, close: bool = False
) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if close:
        command += ["-H", "Connection: close"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rate": rate,
        "p50": ms("50%"),
        "p99": ms("99%"),
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": errors[1] if errors else "none",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument(
        "--close",
        action="store_true",
        help="a new connection for every request (as a proxy without keep-alive opens them)",
    )
    parser.add_argument(
        "--only", default="feed,paper,search,votes", help="which of feed,paper,search,votes to run"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)

    data_dir = Path(tempfile.mkdtemp(prefix="dailypapers-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAILYPAPERS_", "DATABASE_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DAILYPAPERS_DATA_DIR=str(data_dir),
        DAILYPAPERS_AUTO_DEMO="false",
        # Load comes from one address: lift the per-address vote limit for the measurement.
        DAILYPAPERS_RATE_LIMITS="login=10/300,signup=5/3600,vote=10000000/60,comment=10/60,"
        "submit=10/3600,password-reset=5/3600,subscribe=5/3600",
    )
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    lines = subprocess.run(
        [*CLI, "shell", "-c", SETUP], env=env, check=True, capture_output=True, text=True
    ).stdout.split("\n")
    tokens = [line.split()[1] for line in lines if line.startswith("token ")]
    papers = [line.split()[1] for line in lines if line.startswith("paper ")]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            *CLI,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--no-worker",
        ],
        env={**env, "DAILYPAPERS_ACCESS_LOG": "false", "DAILYPAPERS_SERVER": args.server},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        script = data_dir / "vote.lua"
        script.write_text(
            VOTE_SCRIPT
            % {
                "tokens": ", ".join(f'"{t}"' for t in tokens),
                "papers": ", ".join(f'"{p}"' for p in papers),
                "close": ', ["Connection"] = "close"' if args.close else "",
            }
        )
        print(f"dailypapers serve, {args.workers} {args.server} workers; wrk 2 threads, "
              f"{args.connections} connections, {args.seconds}s each")  # fmt: skip
        runs = {
            "feed": ("feed page /", f"{base}/", None),
            "paper": ("paper page", f"{base}/papers/{papers[0]}", None),
            "search": ("search", f"{base}/search?q=language+models", None),
            "votes": ("votes (API POST)", f"{base}/", script),
        }
        for label, url, lua in (runs[name] for name in args.only.split(",")):
            r = wrk(url, args.seconds, args.connections, lua, args.close)
            print(
                f"  {label:<18} {r['rate']:8,.0f} req/s  p50 {r['p50']:6.1f} ms  "
                f"p99 {r['p99']:6.1f} ms  non-2xx {r['non_2xx']}  "
                f"socket errors: {r['socket_errors']}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    with sqlite3.connect(data_dir / "dailypapers.sqlite3") as db:
        votes = db.execute("SELECT count(*) FROM community_vote").fetchone()[0]
        counted = db.execute("SELECT sum(upvotes_local) FROM papers_paper").fetchone()[0]
    print(f"after the votes: {votes} vote rows, counters sum to {counted}: "
          f"{'exact' if votes == counted else 'MISMATCH'}")  # fmt: skip
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
