"""Slow clients against the web server: does a visitor still get pages while many connections
send their request headers one line every few seconds (slowloris)?

    .venv/bin/python benchmarks/slow_clients.py [--slow 100] [--seconds 20] [--server granian]

Starts `dailypapers serve --no-worker` on a demo database in a temporary data directory (with
the server given, or both in turn), opens the slow connections, then asks for the home page
every 0.2 s and reports how many answered within 5 s and their p50/p95 latency.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not come up")


def slow_connection(port: int, stop: threading.Event, every: float) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            n = 0
            while not stop.wait(every):
                n += 1
                sock.sendall(f"X-Slow-{n}: {'a' * 10}\r\n".encode())
    except OSError:
        pass  # the server closed it: that is what a well-defended server does


def measure(server: str, slow: int, seconds: float, data_dir: str) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": data_dir, "DAILYPAPERS_SERVER": server}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dailypapers",
            "serve",
            "--no-worker",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, process)
        stop = threading.Event()
        threads = [
            threading.Thread(target=slow_connection, args=(port, stop, 5.0), daemon=True)
            for _ in range(slow)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2)  # let them connect and start dribbling
        latencies, failures = [], 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                ok = httpx.get(url + "/", timeout=5).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1
            time.sleep(0.2)
        stop.set()
    finally:
        process.terminate()
        process.wait(timeout=30)
    total = len(latencies) + failures
    latencies.sort()
    return {
        "answered": len(latencies) / total if total else 0.0,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "requests": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--server", choices=["granian", "gunicorn"], action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": data_dir}
        env.pop("DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "dailypapers", "migrate", "-v0"], env=env, check=True)
        subprocess.run([sys.executable, "-m", "dailypapers", "demo"], env=env, check=True)
        for server in args.server or ["gunicorn", "granian"]:
            result = measure(server, args.slow, args.seconds, data_dir)
            print(
                f"{server:9} with {args.slow} slow clients: {result['answered']:.0%} of "
                f"{result['requests']} page requests answered within 5 s; "
                f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms"
            )


if __name__ == "__main__":
    main()
