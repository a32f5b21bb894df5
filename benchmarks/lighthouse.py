"""Lighthouse scores of the home, paper and search pages, on a desktop and an emulated phone.

    python benchmarks/lighthouse.py [--runs 1] [--pages home,paper,search]

Starts `dailypapers serve` on 127.0.0.1 with a fresh SQLite database holding the demo papers and
DAILYPAPERS_SITE_URL set to that address (as an operator sets it to theirs), then runs Google's
Lighthouse (npm `lighthouse`, version 12) against Debian's chromium (CHROME_PATH, by default
/usr/bin/chromium; never a downloaded browser). Lighthouse comes from LIGHTHOUSE (a path to its
`lighthouse` command), else from `node_modules` under benchmarks/.lighthouse, installed there with
npm on first use. Mobile runs use Lighthouse's default emulation (a mid-range phone, slow 4G,
simulated); desktop runs its desktop preset. With --runs above 1 each score is the median.

Prints performance, accessibility, best practices and SEO per page and form factor, the failing
audits if any, and whether the targets of issue 15 hold: 100 for accessibility, best practices and
SEO, at least 95 for performance. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CLI = [sys.executable, "-m", "dailypapers"]
HERE = Path(__file__).resolve().parent
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
SETUP = """
from dailypapers.ingest.demo import load_demo
from dailypapers.feed.models import DailyEntry
from dailypapers.search import fulltext
load_demo()
fulltext.catch_up()
print("paper", DailyEntry.objects.order_by("-day", "-paper__upvotes")[0].paper.get_absolute_url())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lighthouse_command() -> list[str]:
    if os.environ.get("LIGHTHOUSE"):
        return [os.environ["LIGHTHOUSE"]]
    prefix = HERE / ".lighthouse"
    binary = prefix / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if shutil.which("npm") is None:
            sys.exit("npm is needed to install Lighthouse (apt-get install npm), or set LIGHTHOUSE")
        print(f"installing lighthouse@12 into {prefix} ...", flush=True)
        prefix.mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "lighthouse@12"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return [str(binary)]


def audit(command: list[str], url: str, desktop: bool, out: Path) -> dict:
    """One Lighthouse run: the four scores (0-100) and the audits that lost points."""
    flags = [
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    if desktop:
        flags.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run([*command, url, *flags], env=env, check=True, stdout=subprocess.DEVNULL)
    report = json.loads(out.read_text())
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    failing = sorted(
        {
            audit_id
            for c in CATEGORIES
            for ref in report["categories"][c]["auditRefs"]
            if ref["weight"] > 0
            and (audit_id := ref["id"])
            and (report["audits"][audit_id]["score"] or 0) < 1
            and report["audits"][audit_id]["scoreDisplayMode"] in ("binary", "numeric")
        }
    )
    metrics = report["audits"]
    timing = {
        "FCP": metrics["first-contentful-paint"]["numericValue"],
        "LCP": metrics["largest-contentful-paint"]["numericValue"],
        "TBT": metrics["total-blocking-time"]["numericValue"],
        "CLS": metrics["cumulative-layout-shift"]["numericValue"],
    }
    return {"scores": scores, "failing": failing, "timing": timing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median is kept")
    parser.add_argument("--pages", default="home,paper,search")
    args = parser.parse_args()
    command = lighthouse_command()

    data_dir = Path(tempfile.mkdtemp(prefix="dailypapers-lighthouse-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAILYPAPERS_", "DATABASE_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DAILYPAPERS_DATA_DIR=str(data_dir), DAILYPAPERS_AUTO_DEMO="false", DAILYPAPERS_SITE_URL=base
    )
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    lines = subprocess.run(
        [*CLI, "shell", "-c", SETUP], env=env, check=True, capture_output=True, text=True
    ).stdout.split("\n")
    paper = next(line.split()[1] for line in lines if line.startswith("paper "))
    pages = {"home": "/", "paper": paper, "search": "/search?q=vision+language+models"}
    server = subprocess.Popen(
        [*CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-worker"],
        env={**env, "DAILYPAPERS_ACCESS_LOG": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    missed: list[str] = []
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        for name in args.pages.split(","):
            urllib.request.urlopen(base + pages[name], timeout=30).read()  # warm the caches
        print(
            f"Lighthouse on {base} (chromium {os.environ.get('CHROME_PATH', '/usr/bin/chromium')})"
        )
        print(f"  {'page':<8} {'device':<8} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}"
              f"   {'FCP':>7} {'LCP':>7} {'TBT':>6} {'CLS':>6}")  # fmt: skip
        for name in args.pages.split(","):
            for device in ("desktop", "mobile"):
                runs = [
                    audit(command, base + pages[name], device == "desktop", data_dir / "lh.json")
                    for _ in range(args.runs)
                ]
                scores = {c: statistics.median(r["scores"][c] for r in runs) for c in CATEGORIES}
                timing = {
                    k: statistics.median(r["timing"][k] for r in runs) for k in runs[0]["timing"]
                }
                print(
                    f"  {name:<8} {device:<8} "
                    + " ".join(f"{scores[c]:>5.0f}" for c in CATEGORIES)
                    + f"   {timing['FCP']:>5.0f}ms {timing['LCP']:>5.0f}ms"
                    f" {timing['TBT']:>4.0f}ms {timing['CLS']:>6.3f}",
                    flush=True,
                )
                failing = sorted({a for r in runs for a in r["failing"]})
                if failing:
                    print(f"           audits losing points: {', '.join(failing)}")
                missed += [
                    f"{name}/{device} {c} {scores[c]:.0f} < {t}"
                    for c, t in TARGETS.items()
                    if scores[c] < t
                ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
    if missed:
        print("targets missed: " + "; ".join(missed))
        sys.exit(1)
    print("targets met: 100 accessibility, best practices and SEO; performance >= 95")


if __name__ == "__main__":
    main()
