"""Two real instances, one following the other (`DAILYPAPERS_UPSTREAMS`): the upstream serves the
demo's four days from `dailypapers serve`; the follower pulls them with `dailypapers ingest
upstream`, shows their origin, adds a local vote to the upstream's, and a re-pull counts the
upstream's new vote once and keeps the local one. With DATABASE_URL on PostgreSQL, the follower
runs on a fresh PostgreSQL database of that server (the upstream on SQLite)."""

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.system.test_crash import CLI, env_for, free_port, start_server

DAYS = ["2026-05-25", "2026-05-26", "2026-05-27", "2026-05-28"]
MAKE_VOTER = """
from django.contrib.auth.models import User
from dailypapers.api.models import ApiToken
print(ApiToken.create_for(User.objects.create_user("voter"), "follow test")[1])
"""
LOAD_DEMO = "from dailypapers.ingest.demo import load_demo; load_demo()\n" + MAKE_VOTER


@pytest.fixture
def follower_database():
    """The follower's DATABASE_URL: a fresh PostgreSQL database when the suite runs on
    PostgreSQL (dropped after), else none (SQLite in its data directory)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield {}
        return
    name, server = f"dp_follow_{os.getpid()}", base.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    yield {"DATABASE_URL": f"{server}/{name}"}
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def feed(base: str) -> dict[str, int]:
    """Every paper of the four days on an instance, with its upvotes (from its API)."""
    votes = {}
    for day in DAYS:
        for item in json.loads(get(f"{base}/api/daily_papers?date={day}&limit=100")):
            votes[item["paper"]["id"]] = item["paper"]["upvotes"]
    return votes


def vote(base: str, token: str, arxiv_id: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/votes/{arxiv_id}",
        data=b'{"vote": true}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["upvotes"]


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


@pytest.mark.slow
def test_an_instance_follows_another_with_origins_and_votes_kept_apart(
    tmp_path: Path, follower_database: dict[str, str]
) -> None:
    up_env = env_for(tmp_path / "upstream")
    up_port = free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    down_env = env_for(
        tmp_path / "follower",
        DAILYPAPERS_UPSTREAMS=upstream,
        DAILYPAPERS_ARXIV_DELAY="0",
        **follower_database,
    )
    servers = []
    try:
        subprocess.run([*CLI, "migrate", "-v0"], env=up_env, check=True)
        up_token = subprocess.run(
            [*CLI, "shell", "-c", LOAD_DEMO], env=up_env, check=True, capture_output=True,
            text=True,
        ).stdout.split()[-1]  # fmt: skip
        servers.append(start_server(up_env, up_port))
        subprocess.run([*CLI, "migrate", "-v0"], env=down_env, check=True)
        down_token = subprocess.run(
            [*CLI, "shell", "-c", MAKE_VOTER], env=down_env, check=True, capture_output=True,
            text=True,
        ).stdout.split()[-1]  # fmt: skip

        pull = [*CLI, "ingest", "upstream", "--from", DAYS[0], "--until", DAYS[-1]]
        out = subprocess.run(
            [*pull, "--no-progress"], env=down_env, check=True, capture_output=True, text=True
        ).stdout
        assert f"upstream:{upstream}: 147 papers" in out and "147 entered the Daily feed" in out

        down_port = free_port()
        follower = f"http://127.0.0.1:{down_port}"
        servers.append(start_server(down_env, down_port))
        upstream_votes = feed(upstream)
        assert len(upstream_votes) == 147
        assert feed(follower) == upstream_votes  # every entry, with the upstream's votes

        top = max(upstream_votes, key=lambda key: upstream_votes[key])
        day_page = get(f"{follower}/papers/date/{DAYS[-1]}").decode()
        assert f"via 127.0.0.1:{up_port}" in day_page

        # A local vote adds to the upstream's; an upstream vote arrives with the next pull,
        # counted once; two pulls add nothing more.
        assert vote(follower, down_token, top) == upstream_votes[top] + 1
        assert vote(upstream, up_token, top) == upstream_votes[top] + 1
        for _ in range(2):
            subprocess.run([*pull, "--no-progress"], env=down_env, check=True, capture_output=True)
        after = feed(follower)
        assert after[top] == upstream_votes[top] + 2
        assert {k: v for k, v in after.items() if k != top} == {
            k: v for k, v in upstream_votes.items() if k != top
        }
        page = get(f"{follower}/papers/{top}").decode()  # (first asked now: pages are cached)
        assert f'via <a href="{upstream}"' in page
        assert f"({upstream_votes[top] + 1} upvotes there, 1 here)" in page
    finally:
        for server in servers:
            stop(server)
