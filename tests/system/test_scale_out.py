"""Scale-out: the change log, every node's indexes, leases, proxies, and operations.

The multi-process tests (two web nodes and a worker on PostgreSQL and Redis; a database that
stops; slow clients) start real `dailypapers` processes, as an operator would.
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection, connections, transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dailypapers.core import conf, leases
from dailypapers.core.models import TaskLease
from dailypapers.papers import changes
from dailypapers.papers.models import ChangeConsumer, Paper, PaperChange
from dailypapers.search import fulltext, indexer
from dailypapers.search.grammar import parse
from dailypapers.web.middleware import ClientAddress
from tests.system.test_crash import env_for as crash_env
from tests.system.test_crash import free_port

CLI = [sys.executable, "-m", "dailypapers"]
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def add(n: int, title: str, **fields: object) -> Paper:
    return Paper.objects.create(
        arxiv_id=f"2607.{n:05d}", title=title, authors=["Ada Lovelace"], **fields
    )


def found(text: str) -> list[str]:
    hits = fulltext.FullTextIndex.get().search(parse(text), limit=20)
    return sorted(Paper.objects.filter(pk__in=hits.ids).values_list("arxiv_id", flat=True))


# --- the change log ---


@pytest.mark.django_db
def test_the_log_records_what_indexes_hold_and_nothing_else():
    paper = add(1, "Sparse attention")
    assert list(PaperChange.objects.values_list("paper_id", "kind")) == [(paper.pk, "p")]
    Paper.objects.filter(pk=paper.pk).update(upvotes_local=5, code_url="https://github.com/x/y")
    assert PaperChange.objects.count() == 1  # a vote or a link is not a change of the index
    Paper.objects.filter(pk=paper.pk).update(title="Sparse attention")  # the same value
    assert PaperChange.objects.count() == 1
    Paper.objects.filter(pk=paper.pk).update(title="Dense attention")
    Paper.objects.filter(pk=paper.pk).update(categories=["cs.CL"])
    pk = paper.pk
    paper.delete()
    assert (
        list(PaperChange.objects.order_by("id").values_list("paper_id", "kind")) == [(pk, "p")] * 4
    )


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_trace():
    with pytest.raises(RuntimeError), transaction.atomic():
        add(2, "Never committed")
        raise RuntimeError
    assert not PaperChange.objects.exists()


@pytest.mark.django_db
def test_the_triggers_survive_a_table_rebuild():
    """SQLite's ALTER TABLE emulation drops a table's triggers; post_migrate puts them back."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER papers_paper_logged_insert")
        else:
            cursor.execute("DROP TRIGGER papers_paper_logged_insert ON papers_paper")
    assert "papers_paper_logged_insert" not in changes.installed_triggers()
    from dailypapers.papers.apps import _triggers

    _triggers(using="default")
    assert {
        "papers_paper_logged_insert",
        "papers_paper_logged_update",
        "papers_paper_logged_delete",
        "search_papervector_logged_insert" if POSTGRES else "search_vector_logged_insert",
    } <= changes.installed_triggers()
    add(3, "Logged again")
    assert PaperChange.objects.count() == 1


@pytest.mark.django_db
def test_the_index_follows_the_log_edits_and_deletions():
    first = add(4, "Protein folding with transformers")
    fulltext.rebuild()
    assert found("protein") == ["2607.00004"]
    add(5, "Protein design")
    Paper.objects.filter(pk=first.pk).update(title="Weather forecasting")
    assert fulltext.catch_up() == 2
    assert found("protein") == ["2607.00005"] and found("weather") == ["2607.00004"]
    Paper.objects.filter(pk=first.pk).delete()
    fulltext.catch_up()
    assert found("weather") == []
    assert fulltext.catch_up() == 0  # nothing new: nothing applied
    row = ChangeConsumer.objects.get(name=changes.consumer_name("fulltext"))
    assert row.pending == 0 and row.applied_at is not None


@pytest.mark.django_db
def test_the_log_is_read_in_resumable_batches():
    cursor = changes.start()
    papers = [add(100 + n, f"Batch paper {n}") for n in range(25)]
    Paper.objects.filter(pk=papers[3].pk).update(title="Edited")
    read, rounds = [], []
    while True:
        batch = changes.read(cursor, kinds="p", limit=10)
        read += batch.paper_ids
        rounds.append(batch.more)
        cursor = changes.Cursor.from_json(batch.cursor.as_json())  # as stored with an index
        if not batch.more:
            break
    assert rounds == [True, True, False]
    assert sorted(read) == sorted([p.pk for p in papers] + [papers[3].pk])
    assert changes.read(cursor, kinds="p").changes == []
    assert changes.backlog(cursor, "p")[0] == 0


@pytest.mark.django_db
def test_an_index_that_cannot_follow_the_log_is_rebuilt():
    add(6, "Graph neural networks")
    fulltext.rebuild()
    add(7, "Graph rewriting")
    # Another database (a restore): the epoch changed.
    changes.new_epoch()
    assert indexer.lag().rebuild == "made from another database"
    fulltext.catch_up()
    assert found("graph") == ["2607.00006", "2607.00007"]
    assert indexer.lag().rebuild == ""
    # Behind the log's retention: what it missed was pruned.
    add(8, "Graph coloring")
    PaperChange.objects.update(at=timezone.now() - timedelta(days=30))
    assert changes.prune() >= 1
    assert indexer.lag().rebuild == "behind the change log's retention"
    fulltext.catch_up()
    assert "2607.00008" in found("graph")
    # An index of an older schema (or none at all) is rebuilt too.
    meta = json.loads((fulltext.index_dir() / "dailypapers.json").read_text())
    meta["schema"] = 2
    (fulltext.index_dir() / "dailypapers.json").write_text(json.dumps(meta))
    fulltext.FullTextIndex.forget()
    fulltext.catch_up()
    meta = json.loads((fulltext.index_dir() / "dailypapers.json").read_text())
    assert meta["schema"] == fulltext.SCHEMA_VERSION


@pytest.mark.django_db
def test_an_import_is_searchable_when_the_command_returns(
    write_jsonl, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from tests.conftest import arxiv_row

    add(9, "Seed paper")
    fulltext.rebuild()
    path = write_jsonl("shard.jsonl", [arxiv_row("2607.00010", title="Quasicrystal growth")])
    other = write_jsonl("other.jsonl", [arxiv_row("2607.00011", title="Quasicrystal melting")])
    calls = []
    changes.papers_changed.connect(lambda **kwargs: calls.append(1), weak=False, dispatch_uid="n")
    try:
        with django_capture_on_commit_callbacks(execute=True):  # as if the import committed
            call_command(
                "import", "arxiv", str(path), str(other), "--no-progress", stdout=io.StringIO()
            )
    finally:
        changes.papers_changed.disconnect(dispatch_uid="n")
    assert calls == [1]  # two files, several batches: the index is brought up to date once
    assert found("quasicrystal") == ["2607.00010", "2607.00011"]


@pytest.mark.skipif(not POSTGRES, reason="SQLite writers take turns: the race cannot happen")
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_later_one_is_not_lost():
    """Transaction A changes a paper and commits only after transaction B, which started and
    committed later, has been applied: a wall-clock or id cursor would skip A for good."""
    slow_paper, fast_paper = add(11, "Old title"), add(12, "Other paper")
    fulltext.rebuild()
    first = connections.create_connection("default")
    second = connections.create_connection("default")
    try:
        first.set_autocommit(False)
        with first.cursor() as cursor:  # A: takes its transaction id, stamps, does not commit
            cursor.execute(
                "UPDATE papers_paper SET title = 'Zebrafish regeneration', updated_at = now() "
                "WHERE id = %s",
                [slow_paper.pk],
            )
        with second.cursor() as cursor:  # B: starts later, commits first
            cursor.execute(
                "UPDATE papers_paper SET title = 'Okapi behaviour' WHERE id = %s", [fast_paper.pk]
            )
        with second.cursor() as cursor:  # more of B's kind, to read in several batches
            for n in range(7):
                cursor.execute(
                    "INSERT INTO papers_paper (arxiv_id, title, abstract, authors, affiliations, "
                    "categories, primary_category, latest_version, comment, journal_ref, doi, "
                    "code_url, project_url, organization, ai_summary, ai_keywords, withdrawn, "
                    "created_at, updated_at) VALUES (%s, %s, '', '[]', '[]', '[]', '', 1, '', "
                    "'', '', '', '', '', '', '[]', false, now(), now())",
                    [f"2607.0{n + 20:04d}", f"Okapi herd {n}"],
                )
        cursor = fulltext.cursor()
        while True:  # in batches of two, as a long backlog is read
            batch = changes.read(cursor, kinds="p", limit=2)
            assert "2607.00011" not in set(
                Paper.objects.filter(pk__in=batch.paper_ids).values_list("arxiv_id", flat=True)
            )
            cursor = batch.cursor
            if not batch.more:
                break
        assert fulltext.catch_up() == 8
        assert found("okapi") == ["2607.00012"] + [f"2607.0{n + 20:04d}" for n in range(7)]
        assert found("zebrafish") == []
        first.commit()  # A commits after all of B was applied
        assert fulltext.catch_up() == 1
        assert found("zebrafish") == ["2607.00011"]
        assert fulltext.catch_up() == 0
    finally:
        first.close()
        second.close()


# --- leases ---


@pytest.mark.django_db
def test_a_lease_refuses_a_second_holder_and_expires_by_itself():
    held = leases.Lease("digests", seconds=60)
    assert held.acquire()
    assert not leases.Lease("digests", seconds=60).acquire()
    # The holder died or could not release it (a full disk): the row stays until it expires.
    TaskLease.objects.filter(name="digests").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    successor = leases.Lease("digests", seconds=60)
    assert successor.acquire()
    assert not held.renew()  # the old holder learns it lost the lease
    assert successor.renew()
    successor.release()
    assert not TaskLease.objects.exists()


@pytest.mark.django_db
def test_a_leased_task_skips_while_held_and_releases_after_an_error():
    runs = []

    @leases.leased_task("job", seconds=60)
    def job(fail: bool = False) -> str:
        runs.append(1)
        if fail:
            raise ValueError("boom")
        return "done"

    with leases.lease("job", 60):
        assert job() is None  # held elsewhere: skipped quietly
    assert job() == "done"
    with pytest.raises(ValueError):
        job(fail=True)
    assert job() == "done" and len(runs) == 3  # the failed run released its lease


# --- behind a proxy ---


def _through(peer: str, forwarded: str = "", proto: str = "") -> dict:
    request = RequestFactory().get("/", REMOTE_ADDR=peer)
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    if proto:
        request.META["HTTP_X_FORWARDED_PROTO"] = proto
    seen = {}

    def view(req):  # type: ignore[no-untyped-def]
        seen.update(address=req.META["REMOTE_ADDR"], secure=req.is_secure())
        return None

    ClientAddress(view)(request)
    return seen


@override_settings(TRUSTED_PROXIES=conf.parse_networks("10.0.0.0/8, 2001:db8::/32"))
def test_the_client_address_is_the_rightmost_untrusted_hop():
    # Directly from a visitor: their own headers prove nothing.
    assert _through("203.0.113.9", "1.2.3.4", "https") == {
        "address": "203.0.113.9",
        "secure": False,
    }
    # Through a trusted proxy: the hop it saw, not what the client wrote to its left.
    assert _through("10.0.0.2", "6.6.6.6, 198.51.100.7", "https") == {
        "address": "198.51.100.7",
        "secure": True,
    }
    # Through two trusted proxies.
    assert _through("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.1.2.3")["address"] == "198.51.100.7"
    assert _through("2001:db8::1", "198.51.100.7:5123")["address"] == "198.51.100.7"
    assert _through("10.0.0.2", "[2001:db9::5]:80")["address"] == "2001:db9::5"
    # Garbage in the header stops the walk at the last real hop.
    assert _through("10.0.0.2", "<script>, 10.1.2.3")["address"] == "10.1.2.3"
    assert _through("10.0.0.2")["address"] == "10.0.0.2"


def test_the_trusted_proxies_setting_is_checked():
    with pytest.raises(conf.ConfigError, match="DAILYPAPERS_TRUSTED_PROXIES"):
        conf.load({"DAILYPAPERS_TRUSTED_PROXIES": "10.0.0.0/8, nginx"})


@pytest.mark.django_db
def test_rate_limits_count_per_visitor_behind_a_proxy(client, settings):
    settings.TRUSTED_PROXIES = conf.parse_networks("10.0.0.5")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": (5, 3600)}

    def sign_up(n: int, peer: str, forwarded: str) -> int:
        return client.post(
            "/accounts/signup",
            {
                "username": f"reader{n}",
                "email": f"reader{n}@example.org",
                "password1": "a long passphrase 1234",
                "password2": "a long passphrase 1234",
            },
            REMOTE_ADDR=peer,
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # Seven people through one trusted proxy: each has their own allowance.
    assert [sign_up(n, "10.0.0.5", f"198.51.100.{n}") for n in range(7)] == [200] * 7
    # One untrusted client forging a new X-Forwarded-For each time: one allowance.
    codes = [sign_up(n, "203.0.113.50", f"198.51.100.{n}") for n in range(10, 17)]
    assert codes == [200] * 5 + [429, 429]


# --- processes: nodes, a stopped database, slow clients ---


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    """A machine of its own: the data directory, no demo, full text only (faster to start)."""
    return crash_env(
        data_dir,
        DAILYPAPERS_SEMANTIC="false",
        DAILYPAPERS_SECRET_KEY="scale-out-test-secret-key-0123456789-abcdefghijklmnopqrstuv",
        **extra,
    )


def serve(env: dict[str, str], port: int, *flags: str) -> subprocess.Popen:
    command = [*CLI, "serve", "--no-migrate", "--bind", f"127.0.0.1:{port}", *flags]
    data_dir = Path(env["DAILYPAPERS_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "serve.log", "ab") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def searched(url: str, query: str) -> set[str]:
    answer = httpx.get(url + "/api/papers/search", params={"q": query}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {item["paper"]["id"] for item in answer.json()}


def eventually(check, seconds: float = 30) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, "not within the time allowed"
        time.sleep(0.5)
    return time.monotonic() - started


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def fresh_postgres_database():
    """A database of its own on the PostgreSQL server the suite uses (dropped after)."""
    base = os.environ["DATABASE_URL"]
    name = f"dp_nodes_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    yield base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES, reason="several machines share PostgreSQL")
@pytest.mark.skipif(not redis_up(), reason="needs Redis at 127.0.0.1:6379")
def test_two_web_nodes_and_a_worker_serve_what_the_database_holds(
    tmp_path, fresh_postgres_database, write_jsonl
):
    from tests.conftest import arxiv_row

    shared = {
        "DATABASE_URL": fresh_postgres_database,
        "DAILYPAPERS_QUEUE_URL": "redis://127.0.0.1:6379/7",
    }
    worker_env = env_for(tmp_path / "worker", **shared)
    subprocess.run([*CLI, "migrate", "-v0"], env=worker_env, check=True)
    seed = write_jsonl("seed.jsonl", [arxiv_row("2607.01000", title="Seed paper on lattices")])
    subprocess.run(
        [*CLI, "import", "arxiv", str(seed), "--no-progress"], env=worker_env, check=True
    )
    worker = subprocess.Popen(
        [*CLI, "worker"], env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    nodes = {}
    for name in ("a", "b"):
        env = env_for(tmp_path / name, **shared)
        port = free_port()
        nodes[name] = (env, port, serve(env, port, "--no-worker"))
    try:
        for _, port, process in nodes.values():
            wait_for(f"http://127.0.0.1:{port}", process)
        # A paper imported on the worker's machine: each node finds it by its words, its
        # author and its category, from its own index.
        shard = write_jsonl(
            "new.jsonl",
            [
                arxiv_row(
                    "2607.01001",
                    title="Holographic entanglement of axion strings",
                    authors=["Mirela Quintanilla", "Bo Zhang"],
                    categories=["hep-th", "gr-qc"],
                    primary_category="hep-th",
                )
            ],
        )
        subprocess.run(
            [*CLI, "import", "arxiv", str(shard), "--no-progress"], env=worker_env, check=True
        )
        for query in ("axion entanglement", 'author:"Mirela Quintanilla"', "cat:gr-qc"):
            for _, port, _ in nodes.values():
                url = f"http://127.0.0.1:{port}"
                took = eventually(lambda url=url, query=query: "2607.01001" in searched(url, query))
                assert took < 30
        for _, port, _ in nodes.values():
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()
            assert ready["ready"] and ready["checks"]["search_index"]["pending_changes"] == 0
        # Node b stops; papers arrive; the log is pruned past b's cursor; b comes back and
        # catches up (here by rebuilding, as its cursor can no longer be followed).
        env_b, port_b, process_b = nodes["b"]
        stop(process_b)
        late = write_jsonl("late.jsonl", [arxiv_row("2607.01002", title="Magnetar glitches")])
        subprocess.run(
            [*CLI, "import", "arxiv", str(late), "--no-progress"], env=worker_env, check=True
        )
        prune = (
            "from datetime import timedelta; from django.utils import timezone; "
            "from dailypapers.papers import changes; "
            "from dailypapers.papers.models import PaperChange; "
            "PaperChange.objects.update(at=timezone.now() - timedelta(days=60)); "
            "print(changes.prune())"
        )
        subprocess.run(
            [*CLI, "shell", "-c", prune], env=worker_env, check=True, capture_output=True
        )
        process_b = serve(env_b, port_b, "--no-worker")
        nodes["b"] = (env_b, port_b, process_b)
        wait_for(f"http://127.0.0.1:{port_b}", process_b)
        for _, port, _ in nodes.values():
            url = f"http://127.0.0.1:{port}"
            eventually(lambda url=url: "2607.01002" in searched(url, "magnetar"))
        status = subprocess.run(
            [*CLI, "index", "status"], env=env_b, check=True, capture_output=True, text=True
        ).stdout
        assert "up to date with the change log" in status
        # Both nodes acknowledged; the worker's machine keeps no index (it searches nothing).
        assert status.count("fulltext@") == 2 and "0 pending" in status
    finally:
        stop(worker, *(process for _, _, process in nodes.values()))


@pytest.fixture
def own_postgres(tmp_path):
    """A PostgreSQL server of the test's own, on another port, that the test can stop."""
    bindir = Path("/usr/lib/postgresql/15/bin")
    if not (bindir / "initdb").exists():
        pytest.skip("PostgreSQL 15's server binaries are not installed")
    # Its own directory under /tmp: pytest's are private to root, and PostgreSQL refuses to
    # run as root, so the server runs as the postgres user there.
    data = Path(tempfile.mkdtemp(prefix="dailypapers-pg-")) / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data.parent, "postgres")
    port = free_port()
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )

    def pg_ctl(*args: str) -> None:
        subprocess.run(
            [
                *run_as,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-l",
                str(data / "log"),
                *args,
            ],
            check=True,
            capture_output=True,
        )

    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    pg_ctl("-o", options, "start")
    yield (
        f"postgresql://postgres@127.0.0.1:{port}/postgres",
        lambda *args: pg_ctl(*[options if arg == "OPTIONS" else arg for arg in args]),
    )
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
        capture_output=True,
    )
    shutil.rmtree(data.parent, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES, reason="run once, in the PostgreSQL pass")
def test_a_stopped_database_answers_503_with_retry_after(tmp_path, own_postgres):
    url, pg_ctl = own_postgres
    env = env_for(tmp_path / "node", DATABASE_URL=url, DAILYPAPERS_PAGE_CACHE_SECONDS="0")
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*CLI, "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = serve(env, port, "--no-worker")
    site = f"http://127.0.0.1:{port}"
    try:
        wait_for(site, server)
        assert httpx.get(site + "/", timeout=10).status_code == 200
        pg_ctl("-m", "fast", "stop")
        for path in ("/", "/papers/2405.00001", "/api/daily_papers", "/search?q=diffusion"):
            answer = httpx.get(site + path, timeout=30)
            assert answer.status_code == 503, (path, answer.status_code)
            assert answer.headers["Retry-After"] == "30"
            if path.startswith("/api/"):
                assert "database" in answer.json()["error"]
            else:
                assert "Back in a moment" in answer.text and "Try again" in answer.text
        assert httpx.get(site + "/healthz", timeout=10).status_code == 200
        ready = httpx.get(site + "/readyz", timeout=30)
        assert ready.status_code == 503 and not ready.json()["checks"]["database"]["ok"]
        pg_ctl("-o", "OPTIONS", "start")
        eventually(lambda: httpx.get(site + "/", timeout=10).status_code == 200)
    finally:
        stop(server)


@pytest.mark.slow
def test_slow_clients_do_not_stop_the_site(tmp_path):
    """100 connections sending their headers one line every 3 s, while visitors keep getting
    pages (gunicorn's gthread gave each slow client a thread: 8 of them stopped the site)."""
    env = env_for(tmp_path / "node")
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*CLI, "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = serve(env, port, "--no-worker")
    stop_slow = threading.Event()

    def slow() -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                n = 0
                while not stop_slow.wait(3):
                    n += 1
                    sock.sendall(f"X-Slow-{n}: x\r\n".encode())
        except OSError:
            pass

    try:
        wait_for(f"http://127.0.0.1:{port}", server)
        threads = [threading.Thread(target=slow, daemon=True) for _ in range(100)]
        for thread in threads:
            thread.start()
        time.sleep(4)  # every slow client is connected and dribbling
        codes = []
        for _ in range(20):
            codes.append(httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code)
            time.sleep(0.25)
        assert codes == [200] * 20
    finally:
        stop_slow.set()
        stop(server)


@pytest.mark.django_db
def test_a_starting_worker_releases_the_leases_of_dead_processes_of_its_machine():
    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    until = timezone.now() + timedelta(minutes=5)
    TaskLease.objects.create(name="digests", holder=f"{host}:{dead.pid}:ab", expires_at=until)
    TaskLease.objects.create(name="ingest-due", holder=f"{host}:{os.getpid()}:cd", expires_at=until)
    TaskLease.objects.create(
        name="vector-sync", holder=f"elsewhere:{dead.pid}:ef", expires_at=until
    )
    assert leases.release_dead() == 1
    assert set(TaskLease.objects.values_list("name", flat=True)) == {"ingest-due", "vector-sync"}


@pytest.mark.django_db(transaction=True)
def test_a_long_task_keeps_its_lease_alive():
    with leases.lease("slow-job", seconds=0.6) as held:
        time.sleep(1.5)  # longer than the lease: the heartbeat renewed it
        assert not leases.Lease("slow-job", seconds=0.6).acquire()
        assert TaskLease.objects.get(name="slow-job").holder == held.holder
    assert not TaskLease.objects.exists()


# --- shared cache, read replicas ---


@pytest.mark.skipif(not redis_up(), reason="needs Redis at 127.0.0.1:6379")
@pytest.mark.django_db
def test_signed_out_pages_are_cached_in_redis_for_every_node(client, settings):
    """With DAILYPAPERS_CACHE_URL, the page cache is Django's Redis backend: what one node
    rendered, another serves."""
    import redis

    url = "redis://127.0.0.1:6379/9"
    redis.Redis.from_url(url).flushdb()
    settings.CACHES = {  # what DAILYPAPERS_CACHE_URL=redis://... sets (checked below)
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "dailypapers",
        }
    }
    settings.PAGE_CACHE_SECONDS = 30
    try:
        first = client.get("/papers/trending")
        assert first.status_code == 200
        assert "public" in first["Cache-Control"] and "max-age=30" in first["Cache-Control"]
        keys = redis.Redis.from_url(url).keys("dailypapers:*page:*")
        assert keys  # in Redis, where every node reads
    finally:
        redis.Redis.from_url(url).flushdb()


def test_the_cache_and_replica_settings_are_checked(monkeypatch):
    assert conf.load({"DAILYPAPERS_CACHE_URL": "redis://cache:6379/1"})["DAILYPAPERS_CACHE_URL"]
    assert conf.load({"DATABASE_REPLICA_URLS": "postgresql://r1/db, postgresql://r2/db"})[
        "DATABASE_REPLICA_URLS"
    ] == ["postgresql://r1/db", "postgresql://r2/db"]
    code = (
        "import dailypapers.settings as s; print(sorted(s.DATABASES), s.DATABASE_ROUTERS, "
        "s.MIDDLEWARE[2], s.CACHES['default']['BACKEND'])"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://primary/db",
        "DATABASE_REPLICA_URLS": "postgresql://r1/db",
        "DAILYPAPERS_CACHE_URL": "redis://127.0.0.1:6379/9",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "['default', 'replica_0']" in out and "ReplicaRouter" in out
    assert "ReadYourWrites" in out and "RedisCache" in out
    env["DATABASE_URL"] = ""
    bad = subprocess.run([*CLI, "check"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "DATABASE_REPLICA_URLS needs DATABASE_URL" in bad.stderr
    env["DAILYPAPERS_CACHE_URL"] = "memcached://x"
    env.pop("DATABASE_REPLICA_URLS")
    bad = subprocess.run([*CLI, "check"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "DAILYPAPERS_CACHE_URL" in bad.stderr


def test_reads_go_to_a_replica_until_the_visitor_writes(monkeypatch):
    from dailypapers.core import replicas

    monkeypatch.setattr(replicas, "replicas", lambda: ["replica_0"])
    router = replicas.ReplicaRouter()
    seen = {}

    def view(request):  # type: ignore[no-untyped-def]
        from django.http import HttpResponse

        seen["before"] = router.db_for_read(Paper)
        if request.GET.get("write"):
            router.db_for_write(Paper)
        seen["after"] = router.db_for_read(Paper)
        return HttpResponse("ok")

    middleware = replicas.ReadYourWrites(view)
    factory = RequestFactory()
    response = middleware(factory.get("/"))
    assert seen == {"before": "replica_0", "after": "replica_0"}
    assert replicas.COOKIE not in response.cookies
    response = middleware(factory.get("/", {"write": "1"}))
    assert seen == {"before": "replica_0", "after": "default"}  # read your own write
    assert response.cookies[replicas.COOKIE]["max-age"] == replicas.READ_YOUR_WRITES_SECONDS
    middleware(factory.post("/"))
    assert seen["before"] == "default"  # a form post reads the primary from the start
    pinned = factory.get("/")
    pinned.COOKIES[replicas.COOKIE] = "1"  # the redirect after the write
    middleware(pinned)
    assert seen["before"] == "default"
    middleware(factory.get("/"))
    assert seen["before"] == "replica_0"  # another visitor, or later: the replica
    assert router.allow_migrate("replica_0", "papers") is False


@given(
    peer=st.sampled_from(["10.0.0.2", "203.0.113.9", "", "::1", "garbage"]),
    forwarded=st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
    | st.lists(st.ip_addresses().map(str), max_size=6).map(", ".join),
)
@hypothesis_settings(max_examples=200, deadline=None)
def test_any_forwarded_header_gives_an_address_or_the_peer(peer, forwarded):
    with override_settings(TRUSTED_PROXIES=conf.parse_networks("10.0.0.0/8")):
        seen = _through(peer, forwarded) if forwarded else _through(peer)
    address = seen["address"]
    assert address == peer or ipaddress.ip_address(address)
    if peer != "10.0.0.2":
        assert address == peer  # only a trusted proxy's header is read


@pytest.mark.django_db
def test_a_forged_forwarded_header_never_breaks_a_page(client, settings):
    settings.TRUSTED_PROXIES = conf.parse_networks("127.0.0.1")
    for forwarded in ("\x00", "1.2.3.4, \ud800", "[::1", "999.1.1.1", ", , ,", "a" * 5000):
        response = client.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code == 200


@pytest.mark.django_db
def test_readyz_reports_the_index_lag_and_healthz_only_the_process(client, settings):
    add(30, "Ready paper")
    fulltext.rebuild()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready["Cache-Control"] == "no-store"
    body = ready.json()
    assert body["ready"] and body["checks"]["database"]["ok"] and body["checks"]["queue"]["ok"]
    assert body["checks"]["search_index"] == {"ok": True, "pending_changes": 0, "lag_seconds": 0}
    # A change made five minutes ago that this node has not applied: not ready.
    late = add(31, "Late paper")
    PaperChange.objects.filter(paper_id=late.pk).update(at=timezone.now() - timedelta(minutes=5))
    settings.READY_MAX_LAG = 60
    lagging = client.get("/readyz")
    assert lagging.status_code == 503 and lagging["Retry-After"] == "30"
    index = lagging.json()["checks"]["search_index"]
    assert not index["ok"] and index["pending_changes"] == 1 and index["lag_seconds"] >= 300
    fulltext.catch_up()
    assert client.get("/readyz").status_code == 200
    # No index at all (a new node): not ready, and it says why.
    shutil.rmtree(fulltext.index_dir())
    fulltext.FullTextIndex.forget()
    missing = client.get("/readyz").json()["checks"]["search_index"]
    assert missing["rebuild"] == "no index yet" and not missing["ok"]
    assert client.get("/healthz").content == b"ok\n"
