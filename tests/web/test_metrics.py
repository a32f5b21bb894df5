"""`/metrics`: Prometheus's text format, requests by route (never the raw path), 5xx, the state
read from the database, who may read it, and counters added up across processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import resolve
from prometheus_client.parser import text_string_to_metric_families

from dailypapers.core import runs
from dailypapers.ingest.demo import load_demo
from dailypapers.ingest.models import IngestState
from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_requests_are_counted_by_route_name_not_by_path(client):
    load_demo()
    papers = list(Paper.objects.all()[:2])
    before = scrape(client)
    for paper in papers:
        assert client.get(paper.get_absolute_url()).status_code == 200
    client.get("/no/such/page")
    after = scrape(client)
    route = resolve(papers[0].get_absolute_url()).view_name
    key = {"route": route, "method": "GET", "status": "2xx"}
    assert (
        value(after, "dailypapers_http_requests_total", **key)
        - value(before, "dailypapers_http_requests_total", **key)
        == 2
    )
    assert (
        value(
            after, "dailypapers_http_requests_total", route="unmatched", method="GET", status="4xx"
        )
        >= 1
    )
    assert value(after, "dailypapers_http_request_duration_seconds_count", route=route) >= 2
    routes = {dict(labels).get("route") for (name, labels) in after if "http" in name}
    assert not any(papers[0].key in (r or "") for r in routes)  # no raw paths


@pytest.mark.urls("tests.web.metrics_urls")
def test_a_server_error_is_counted_as_5xx():
    client = Client(raise_request_exception=False)
    assert client.get("/boom").status_code == 500
    samples = scrape(client)
    assert (
        value(samples, "dailypapers_http_requests_total", route="boom", method="GET", status="5xx")
        == 1
    )


def test_the_state_is_read_from_the_database(client):
    IngestState.objects.create(
        name="arxiv-api:cs.LG", kind="arxiv-api", last_success_at="2026-01-01T00:00:00Z", failures=2
    )
    runs.write("dailypapers.ops.tasks.take_backup", "running")
    runs.write("dailypapers.ops.tasks.take_backup", "error", "OSError: disk full")
    samples = scrape(client)
    assert value(samples, "dailypapers_source_consecutive_failures", source="arxiv-api:cs.LG") == 2
    assert value(samples, "dailypapers_source_lag_seconds", source="arxiv-api:cs.LG") > 86400
    assert (
        value(samples, "dailypapers_task_last_run_failed", task="dailypapers.ops.tasks.take_backup")
        == 1
    )
    assert ("dailypapers_queue_pending", ()) in samples
    for status in ("pending", "sent", "failed"):
        assert ("dailypapers_digest_deliveries", (("status", status),)) in samples
    assert ("dailypapers_content_papers", (("status", "pending"),)) in samples
    assert not any(name == "dailypapers_metrics_errors" for name, _ in samples)
    assert value(samples, "dailypapers_metrics_collect_seconds") < 1


def test_without_a_token_only_this_machine_and_the_proxies_read_it(client):
    scrape(client)  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    # A visitor forwarded by the (trusted, local) proxy is the visitor, not the proxy.
    forwarded = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert forwarded.status_code == 404


def test_with_a_token_only_the_token_reads_it(client, settings):
    settings.METRICS_TOKEN = "a-long-random-scrape-token"
    assert client.get("/metrics").status_code == 404
    bad = client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert bad.status_code == 404
    scrape(
        client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer a-long-random-scrape-token"
    )


CHILD = """
import django
django.setup()
from django.test import RequestFactory
from django.urls import resolve
from dailypapers.core import runs
from dailypapers.web import metrics
request = RequestFactory().get("/")
request.resolver_match = resolve("/")
for _ in range(3):
    metrics.observe(request, 200, 0.01)
runs.RUNS.labels("dailypapers.ops.tasks.take_backup", "ok").inc()
"""


def test_counters_of_several_processes_are_added_up(client, tmp_path, monkeypatch):
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    for _ in range(2):  # two web workers, one after the other (each its own pid and file)
        subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, check=True)
    assert len(list(tmp_path.glob("*.db"))) >= 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    home = resolve("/").view_name
    assert (
        value(samples, "dailypapers_http_requests_total", route=home, method="GET", status="2xx")
        == 6
    )
    assert (
        value(
            samples,
            "dailypapers_task_runs_total",
            task="dailypapers.ops.tasks.take_backup",
            outcome="ok",
        )
        == 2
    )
    assert ("dailypapers_queue_pending", ()) in samples  # the state too
