"""`/metrics`: the site's figures in Prometheus's text format (prometheus-client).

Two kinds of figures:
- **Counted as they happen**, in each process: requests and their latency by route (the URL
  pattern's name, never the raw path, so the labels stay few), method and status class (`5xx`
  among them), counted by `RequestMetrics` (`web/middleware.py`); task runs by task and outcome,
  counted by the worker (`core/runs.py`). `dailypapers serve` runs several web processes and the
  worker, so it gives them a shared `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess
  mode: each process writes its counters to its own memory-mapped file, and a scrape, answered
  by any web process, adds up every file). Without it (one process, tests) they are the
  process's own.
- **State**, read from the database at each scrape by `StateCollector`: the queue's length, this
  machine's index lag, each source's last success, each scheduled task's last run and success,
  digest deliveries and paper contents by status. These are the same on every node and need no
  process to have seen them happen. A scrape costs about 7 small queries (two `GROUP BY status`
  counts, three small tables, the change log's backlog), a few milliseconds.

Who may read it: a client sending the bearer token `DAILYPAPERS_METRICS_TOKEN`; without a token,
only this machine or a trusted proxy's own address (the client address `ClientAddress` decided,
so a visitor forwarded by the proxy is not let in). Anyone else gets 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dailypapers.content.models import PaperContent
from dailypapers.core.models import TaskRun
from dailypapers.digests.models import Delivery
from dailypapers.ingest.models import IngestState
from dailypapers.search import fulltext, indexer

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "dailypapers_http_requests",
    "HTTP requests answered, by route (the URL pattern's name), method and status class.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "dailypapers_http_request_duration_seconds",
    "Time from the request reaching Django to its answer, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route(request: HttpRequest) -> str:
    """The route's bounded name: the URL pattern's name (`papers:paper`), the view's dotted
    path for an unnamed one, `static` for WhiteNoise's files, `unmatched` for the rest."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    if request.path.startswith(settings.STATIC_URL or "/static/"):
        return "static"
    return "unmatched"


def observe(request: HttpRequest, status: int, seconds: float) -> None:
    name = route(request)
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(name, method, f"{status // 100}xx").inc()
    LATENCY.labels(name).observe(seconds)


def _gauge(name: str, doc: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"dailypapers_{name}", doc, labels=list(labels))


def _seconds(moment: object) -> float:
    return moment.timestamp() if moment is not None else float("nan")  # type: ignore[attr-defined]


class StateCollector(Collector):
    """Figures read from the database and the queue at each scrape; a part that fails (the
    database is down) is left out and counted in `dailypapers_metrics_errors`."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.perf_counter()
        errors = _gauge("metrics_errors", "Parts of this scrape that could not be read.", ["part"])
        for part in (self.queue, self.index, self.sources, self.tasks, self.statuses):
            try:
                yield from part()
            except Exception as exc:  # one part failing leaves the others
                log.warning("metrics: %s failed: %s", part.__name__, exc)
                errors.add_metric([part.__name__], 1)
        yield errors
        took = _gauge("metrics_collect_seconds", "Time this scrape took to read the state.")
        took.add_metric([], time.perf_counter() - started)
        yield took

    def queue(self) -> Iterator[GaugeMetricFamily]:
        pending = _gauge("queue_pending", "Jobs waiting in the job queue.")
        pending.add_metric([], HUEY.pending_count())
        yield pending

    def index(self) -> Iterator[GaugeMetricFamily]:
        if not fulltext.index_dir().exists():
            return
        lag = indexer.lag()
        changes = _gauge("index_lag_changes", "Change-log entries this machine's index lacks.")
        changes.add_metric([], lag.pending)
        seconds = _gauge("index_lag_seconds", "Age of the oldest change this index lacks.")
        seconds.add_metric([], lag.seconds)
        rebuild = _gauge("index_needs_rebuild", "1 when this machine's index must be rebuilt.")
        rebuild.add_metric([], 1 if lag.rebuild else 0)
        yield from (changes, seconds, rebuild)

    def sources(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        success = _gauge(
            "source_last_success_timestamp_seconds", "Last successful run of a source.", ["source"]
        )
        lag = _gauge("source_lag_seconds", "Seconds since a source's last success.", ["source"])
        failures = _gauge(
            "source_consecutive_failures",
            "Failed runs of a source since its last success.",
            ["source"],
        )
        rows = IngestState.objects.values_list("name", "last_success_at", "failures")
        for name, last, failed in rows:
            success.add_metric([name], _seconds(last))
            if last is not None:
                lag.add_metric([name], (now - last).total_seconds())
            failures.add_metric([name], failed)
        yield from (success, lag, failures)

    def tasks(self) -> Iterator[GaugeMetricFamily]:
        ran = _gauge("task_last_run_timestamp_seconds", "End of a task's last run.", ["task"])
        ok = _gauge(
            "task_last_success_timestamp_seconds", "End of a task's last success.", ["task"]
        )
        failed = _gauge("task_last_run_failed", "1 when a task's last run failed.", ["task"])
        for row in TaskRun.objects.all():
            ran.add_metric([row.name], _seconds(row.finished_at or row.started_at))
            ok.add_metric([row.name], _seconds(row.succeeded_at))
            failed.add_metric([row.name], 1 if row.outcome == "error" else 0)
        yield from (ran, ok, failed)

    def statuses(self) -> Iterator[GaugeMetricFamily]:
        for name, doc, model, statuses in (
            ("digest_deliveries", "Digest deliveries by status.", Delivery, Delivery.STATUSES),
            ("content_papers", "Papers' content by status.", PaperContent, PaperContent.STATUSES),
        ):
            gauge = _gauge(name, doc, ["status"])
            counts = dict.fromkeys((value for value, _ in statuses), 0)
            counts.update(model.objects.values_list("status").annotate(n=Count("pk")).order_by())
            for status, count in counts.items():
                gauge.add_metric([status], count)
            yield gauge


class ThisProcess(Collector):
    """The default registry's figures: this process's counters, when it is the only one."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


STATE = StateCollector()


def registry() -> CollectorRegistry:
    """What a scrape reads: every process's counters (multiprocess mode, decided per scrape:
    `serve` sets the directory after this module may have been imported) or this process's
    own, and the state."""
    combined = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(combined)
    else:
        combined.register(ThisProcess())
    combined.register(STATE)
    return combined


LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in (*LOOPBACK, *settings.TRUSTED_PROXIES))


def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404("Not found.")  # not advertised
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
