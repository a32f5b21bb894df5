"""Crash safety: processes killed with SIGKILL mid-work, restarted, then the database checked.

(The digest sender killed mid-run is in test_digests.py.)
"""

import gzip
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "dailypapers"]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAILYPAPERS_", "DATABASE_", "DJANGO_"))
    }
    env.update(DAILYPAPERS_DATA_DIR=str(data_dir), DAILYPAPERS_AUTO_DEMO="false", **extra)
    return env


def db_of(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "dailypapers.sqlite3")


def kill_when_rows(process: subprocess.Popen, data_dir: Path, table: str, rows: int) -> bool:
    """SIGKILL the process as soon as the table holds `rows` rows (or after 120 s); True if it
    was still running when killed."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        with db_of(data_dir) as db:
            try:
                if db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= rows:
                    break
            except sqlite3.OperationalError:  # not migrated yet, or busy
                pass
        time.sleep(0.02)
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return running


def test_an_import_killed_mid_file_leaves_whole_files_and_a_rerun_completes(tmp_path):
    data_dir = tmp_path / "data"
    env = env_for(data_dir)
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    shards = []
    for n in range(4):
        rows = (
            json.dumps(
                {
                    "id": f"2605.{n}{i + 1:04d}",
                    "title": f"Paper {n}-{i}",
                    "abstract": "x " * 80,
                    "authors": ["A B"],
                    "categories": ["cs.LG"],
                    "listed_date": "2026-05-04",
                }
            )
            for i in range(8000)
        )
        path = tmp_path / f"shard{n}.jsonl.gz"
        path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
        shards.append(str(path))
    importer = subprocess.Popen(
        [*CLI, "import", "arxiv", *shards, "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kill_when_rows(importer, data_dir, "papers_paper", 8000)  # the first whole file
    with db_of(data_dir) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = db.execute("SELECT count(*) FROM papers_paper").fetchone()[0]
        listed = db.execute(
            "SELECT count(*) FROM papers_paper WHERE listed_on IS NOT NULL"
        ).fetchone()[0]
    assert count % 8000 == 0 and count < 32000  # whole files only: each file is one transaction
    assert listed == count

    subprocess.run(
        [*CLI, "import", "arxiv", *shards, "--no-progress"],
        env=env,
        check=True,
        capture_output=True,
    )
    with db_of(data_dir) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM papers_paper").fetchone()[0] == 32000
        assert (
            db.execute("SELECT count(DISTINCT arxiv_id) FROM papers_paper").fetchone()[0] == 32000
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    log = Path(env["DAILYPAPERS_DATA_DIR"]).parent / f"server-{time.monotonic_ns()}.log"
    with log.open("wb") as output:  # the server keeps its own copy of the descriptor
        server = subprocess.Popen(
            [*CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/daily_papers?limit=1", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    raise AssertionError(f"the server did not start:\n{log.read_text()[-3000:]}")


SETUP = """
from django.contrib.auth.models import User
from dailypapers.api.models import ApiToken
from dailypapers.ingest.demo import load_demo
load_demo()
for i in range(12):
    user = User.objects.create_user(f"voter{i}")
    print(ApiToken.create_for(user, "crash test")[1])
"""


@pytest.mark.slow
def test_a_server_killed_while_voting_loses_no_acknowledged_vote(tmp_path):
    data_dir = tmp_path / "data"
    env = env_for(
        data_dir,
        DAILYPAPERS_RATE_LIMITS="login=10/300,signup=5/3600,vote=100000/60,comment=10/60,"
        "submit=10/3600,password-reset=5/3600,subscribe=5/3600",
    )
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    tokens = subprocess.run(
        [*CLI, "shell", "-c", SETUP], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    with db_of(data_dir) as db:
        papers = [r[0] for r in db.execute(
            "SELECT p.arxiv_id FROM papers_paper p JOIN papers_dailyentry e ON e.paper_id = p.id "
            "WHERE p.arxiv_id IS NOT NULL ORDER BY p.id LIMIT 40")]  # fmt: skip
    port = free_port()
    server = start_server(env, port)
    acknowledged: list[tuple[str, str]] = []
    lock = threading.Lock()

    def voter(token: str) -> None:
        for arxiv_id in papers:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/votes/{arxiv_id}",
                data=b'{"vote": true}',
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        with lock:
                            acknowledged.append((token, arxiv_id))
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                return  # the server is gone

    threads = [threading.Thread(target=voter, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    for t in threads:
        t.join()
    assert 60 <= len(acknowledged) < len(tokens) * len(papers)

    server = start_server(env, port)  # it comes back up on the same database
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()
    with db_of(data_dir) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        votes = db.execute("SELECT count(*) FROM community_vote").fetchone()[0]
        counted = db.execute("SELECT sum(upvotes_local) FROM papers_paper").fetchone()[0]
        stored = set(
            db.execute(
                "SELECT t.key_hash, p.arxiv_id FROM community_vote v "
                "JOIN papers_paper p ON p.id = v.paper_id "
                "JOIN api_apitoken t ON t.user_id = v.user_id"
            )
        )
    assert votes == counted  # every counter matches its vote rows
    from dailypapers.api.models import hash_token

    missing = [(t, a) for t, a in acknowledged if (hash_token(t), a) not in stored]
    assert missing == []  # no vote answered 200 was lost


def test_embedding_killed_mid_run_leaves_whole_vectors_and_a_rerun_completes(tmp_path):
    """`index sync` (as the worker's embedding task) SIGKILLed between chunks: every stored
    vector is whole, and the next run embeds exactly the papers still missing one."""
    pytest.importorskip("onnxruntime")
    data_dir = tmp_path / "data"
    env = env_for(data_dir, DAILYPAPERS_MODEL_DIR=os.environ["DAILYPAPERS_MODEL_DIR"])
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    topics = ["graphs", "proteins", "robots", "galaxies", "markets", "language", "vision"]
    rows = (
        json.dumps(
            {
                "id": f"2605.{i + 1:05d}",
                "title": f"Study {i} of {topics[i % 7]}",
                "abstract": f"We look at {topics[i % 7]} and {topics[(i * 3) % 7]} in case {i}.",
                "authors": ["A B"],
                "categories": ["cs.LG"],
                "listed_date": "2026-05-04",
            }
        )
        for i in range(1500)
    )
    shard = tmp_path / "shard.jsonl.gz"
    shard.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    subprocess.run([*CLI, "import", "arxiv", str(shard), "--no-progress"], env=env, check=True)
    syncer = subprocess.Popen(
        [*CLI, "index", "sync", "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert kill_when_rows(syncer, data_dir, "search_papervector", 256), "the sync ended first"
    with db_of(data_dir) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = db.execute("SELECT count(*) FROM search_papervector").fetchone()[0]
        assert 256 <= count < 1500 and count % 256 == 0  # whole chunks only
        assert db.execute(
            "SELECT count(*) FROM search_papervector WHERE length(vector) != 768"
        ).fetchone() == (0,)
    rerun = subprocess.run(
        [*CLI, "index", "sync", "--no-progress"], env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"Embedded {1500 - count:,} papers" in rerun.stdout
    with db_of(data_dir) as db:
        assert db.execute("SELECT count(*) FROM search_papervector").fetchone() == (1500,)


def start_worker(env: dict[str, str], task: str, log: Path | None = None) -> subprocess.Popen:
    """`dailypapers worker` (the huey consumer), its output to `log` if given, then `task`
    (module:function) enqueued for it."""
    with log.open("w") if log else open(os.devnull, "w") as out:
        worker = subprocess.Popen([*CLI, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
    module, function = task.split(":")
    enqueue = f"from {module} import {function}; {function}()"
    subprocess.run([*CLI, "shell", "-c", enqueue], env=env, check=True, capture_output=True)
    return worker


@pytest.mark.parametrize("runner", ["command", "worker"])
def test_an_ingestion_killed_between_pages_resumes_from_its_token(tmp_path, runner):
    """An OAI-PMH harvest SIGKILLed after its first page, run by `dailypapers ingest` or by the
    worker's scheduled task: the page and its resumption token were committed together, and the
    next run resumes from the token, ending with every paper once."""
    from tests.ingest.test_ingest import OAI_FIRST, TOKEN_1, TOKEN_2, xml
    from tests.replay_server import ReplayServer

    data_dir = tmp_path / "data"
    task = "dailypapers.ingest.tasks:ingest_due"

    def token() -> str | None:
        with db_of(data_dir) as db:
            row = db.execute(
                "SELECT cursor FROM papers_ingeststate WHERE name = 'oaipmh:cs.LG'"
            ).fetchone()
        return json.loads(row[0])["token"] if row else "no run yet"

    with ReplayServer(time.monotonic) as server:
        server.route("/oai", xml("oai_page1.xml"), **OAI_FIRST)
        server.route("/oai", xml("oai_page2.xml"), resumptionToken=TOKEN_1)
        server.route("/oai", xml("oai_page3.xml"), resumptionToken=TOKEN_2)
        env = env_for(
            data_dir,
            DAILYPAPERS_ARXIV_OAI_URL=f"{server.url}/oai",
            DAILYPAPERS_ARXIV_DELAY="3",  # a page every 3 s: time to kill between pages
            DAILYPAPERS_INGEST_SOURCES="oaipmh",  # what the worker's task runs
            DAILYPAPERS_INGEST_CATEGORIES="cs.LG",
            DAILYPAPERS_SEMANTIC="false",
        )
        subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
        command = [*CLI, "ingest", "oaipmh", "--category", "cs.LG", "--no-progress"]
        if runner == "command":
            harvest = subprocess.Popen(
                [*command, "--from", "2026-05-25"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        else:
            harvest = start_worker(env, task)
        assert kill_when_rows(harvest, data_dir, "papers_paper", 3), "the harvest ended first"
        with db_of(data_dir) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("SELECT count(*) FROM papers_paper").fetchone() == (3,)
        assert token() == TOKEN_1
        hits_before = len(server.hits)
        if runner == "command":
            rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
            assert rerun.returncode == 0, rerun.stderr
        else:  # a new worker: the dead one's task lock must not refuse the run
            worker = start_worker(env, task)
            deadline = time.monotonic() + 60
            while token() is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            worker.terminate()
            worker.wait(timeout=30)
        assert server.hits[hits_before].query == {
            "verb": "ListRecords",
            "resumptionToken": TOKEN_1,
        }
    with db_of(data_dir) as db:
        assert db.execute("SELECT count(*) FROM papers_paper").fetchone() == (6,)
        assert db.execute(
            "SELECT count(*) FROM papers_paper WHERE listed_on IS NOT NULL"
        ).fetchone() == (6,)
    assert token() is None
