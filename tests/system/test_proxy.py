"""The reverse-proxy example of the docs (docs/deploy/nginx.conf), run as written: nginx in front
of two `dailypapers serve` nodes, visitors coming from several addresses.

Visitors connect from 127.0.0.2-127.0.0.9 (the loopback network is a /8); nginx reaches the
nodes from 127.0.0.1, the only trusted proxy. A visitor forging X-Forwarded-For gains nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.system.test_scale_out import CLI, env_for, free_port, serve, stop, wait_for

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (apt: nginx)"),
]


@pytest.fixture
def site(tmp_path):
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"  # two nodes of one machine share it
    nodes = []
    ports = [free_port(), free_port()]
    first = env_for(tmp_path / "node1", DATABASE_URL=database)
    subprocess.run([*CLI, "migrate", "-v0"], env=first, check=True)
    subprocess.run([*CLI, "demo"], env=first, check=True, capture_output=True)
    for number, port in enumerate(ports, start=1):
        env = env_for(
            tmp_path / f"node{number}",
            DATABASE_URL=database,
            DAILYPAPERS_TRUSTED_PROXIES="127.0.0.1",
            DAILYPAPERS_PAGE_CACHE_SECONDS="0",
        )
        nodes.append(serve(env, port, "--no-worker"))
    prefix = tmp_path / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    prefix.chmod(0o755)
    listen = free_port()
    config = EXAMPLE.read_text()
    config = config.replace("127.0.0.1:8001", f"127.0.0.1:{ports[0]}")
    config = config.replace("127.0.0.1:8002", f"127.0.0.1:{ports[1]}")
    config = re.sub(r"listen 8080;", f"listen 127.0.0.1:{listen};", config)
    (prefix / "nginx.conf").write_text(config)
    try:
        for process, port in zip(nodes, ports, strict=True):
            wait_for(f"http://127.0.0.1:{port}", process)
        proxy = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"http://127.0.0.1:{listen}", proxy, seconds=20)
        yield f"http://127.0.0.1:{listen}"
    finally:
        stop(*nodes)
        if "proxy" in locals():
            stop(proxy)


def sign_up(site: str, source: str, n: int, forged: str = "") -> int:
    """Sign up as a visitor connecting from `source`, with the form's CSRF token."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, base_url=site, timeout=30) as visitor:
        form = visitor.get("/accounts/signup")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        headers = {"X-Forwarded-For": forged} if forged else {}
        return visitor.post(
            "/accounts/signup",
            data={
                "csrfmiddlewaretoken": token,
                "username": f"reader{n}",
                "email": f"reader{n}@example.org",
                "password1": "a long passphrase 1234",
                "password2": "a long passphrase 1234",
            },
            headers={**headers, "Referer": f"{site}/accounts/signup"},
        ).status_code


def test_the_documented_nginx_proxy_counts_each_visitor(site):
    assert httpx.get(site + "/", timeout=30).status_code == 200
    ready = httpx.get(site + "/readyz", timeout=30).json()
    assert ready["ready"]
    # Seven people behind the proxy sign up: each has their own allowance (5 an hour).
    assert [sign_up(site, f"127.0.0.{n}", n) for n in range(2, 9)] == [200] * 7
    # One visitor forging a new X-Forwarded-For each time is still one visitor.
    codes = [sign_up(site, "127.0.0.9", n, forged=f"198.51.100.{n}") for n in range(20, 27)]
    assert codes == [200] * 5 + [429, 429]
