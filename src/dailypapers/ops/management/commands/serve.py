"""`dailypapers serve`: migrate, load the demo on an empty database, and serve.

Beside the web server it runs this machine's index follower (`dailypapers index follow`: the
change log into the local search indexes, every second) and, unless `--no-worker`, the job
worker. The server is granian by default: it reads requests in Rust and hands Python only whole
ones, so slow clients hold no Python thread (benchmarks/slow_clients.py); gunicorn (gthread)
stays available with DAILYPAPERS_SERVER=gunicorn.

The processes it starts count their figures for `/metrics` in one directory (`metrics` in the
data directory, emptied at each start: prometheus-client's multiprocess mode), so a scrape
answered by any web worker adds up all of them and the job worker's task runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication
from prometheus_client import values

from dailypapers.authors.models import AuthorIndex
from dailypapers.authors.tasks import catch_up_author_index
from dailypapers.core import embedding
from dailypapers.ingest.demo import database_is_empty, load_demo
from dailypapers.search import fulltext, semantic
from dailypapers.search.tasks import sync_vectors

HEADER_TIMEOUT_SECONDS = 10  # a client has this long to send its request's headers
# Stopping (Ctrl-C, or SIGTERM from a service manager) takes at most about this long: web
# workers finish their requests within it, and the job worker, which hears the stop between
# batches of about a second, is waited for that long before it is killed.
STOP_SECONDS = 8


class GunicornServer(BaseApplication):
    """gunicorn configured from Python rather than its command line (its documented custom app)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the oldest supported gunicorn
                self.cfg.set(key, value)

    def load(self) -> Any:
        # Kept here: importing wsgi builds the application and starts its model-loading thread,
        # which must happen in each worker (gunicorn calls load() after the fork), not here.
        from dailypapers.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve the web site (granian or gunicorn), after migrating the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="Address (127.0.0.1:8000).")
        parser.add_argument("--workers", type=int, default=None, help="Web worker processes.")
        parser.add_argument("--no-migrate", action="store_true", help="Skip migrations.")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the background worker (run `dailypapers worker` elsewhere).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if settings.AUTO_DEMO and database_is_empty():
            result = load_demo()
            self.stdout.write(f"Empty database: loaded {result.counts.new} demo papers.")
        if fulltext.ensure():
            self.stdout.write("Built the search index.")
        self._embed()
        self._authors()
        workers = options["workers"] or settings.WEB_WORKERS
        warning = site_url_warning(options["bind"])
        if warning:
            self.stderr.write(warning)
        self.stdout.write(
            f"Serving dailypapers on http://{options['bind']} ({workers} workers, "
            f"{settings.SERVER})"
        )
        self.stdout.flush()
        share_metrics()
        children = [_start("index", "follow")]
        if not options["no_worker"]:
            children.append(_start("worker"))
        # The web processes inherit this: one BLAS thread each (wsgi.py sets it too, but a
        # granian worker may load numpy before it runs).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("MKL_NUM_THREADS", "1")
        try:
            if settings.SERVER == "granian":
                _granian(options["bind"], workers)
            else:
                _gunicorn(options["bind"], workers)
        finally:
            _stop(children)

    def _authors(self) -> None:
        """Ask the worker to build the author index now when there is none yet (a new or
        upgraded database), not at the next minute."""
        if not AuthorIndex.objects.filter(cursor__isnull=False).exists():
            catch_up_author_index()  # enqueued: the worker runs it
            self.stdout.write(
                "The author index is being built by the worker (author pages follow; "
                "`dailypapers authors sync` does it in the foreground)."
            )

    def _embed(self) -> None:
        """Ask the worker to embed the papers without a vector now, not at the next minute."""
        if not semantic.enabled():
            reason = semantic.unavailable_reason()
            if reason:
                self.stdout.write(reason)
            return
        # The model file is built once, here, before the web workers and the job worker start:
        # each would build it otherwise (three builds on the same cores), and a web worker
        # building it does not stop when asked (the quantizer holds the GIL for seconds).
        started = time.monotonic()
        embedding.build_model()
        if time.monotonic() - started > 1:
            self.stdout.write(
                f"Built the semantic search model ({time.monotonic() - started:.0f} s, once)."
            )
        stale = semantic.count_stale()
        if stale:
            sync_vectors()  # enqueued: the worker runs it
            self.stdout.write(
                f"{stale:,} papers have no vector yet: the worker embeds them for semantic search "
                "(about 30 per second; `dailypapers index sync` does it in the foreground)."
            )


def site_url_warning(bind: str) -> str:
    """A warning when mail and feed links (DAILYPAPERS_SITE_URL) cannot reach this server: the
    setting is left at its default while the server listens elsewhere."""
    if os.environ.get("DAILYPAPERS_SITE_URL"):
        return ""
    host, _, port = bind.rpartition(":")
    site = urlsplit(settings.SITE_URL)
    if site.port == int(port or 0) and site.hostname in (
        host.strip("[]"),
        "127.0.0.1",
        "localhost",
    ):
        return ""
    return (
        f"warning: DAILYPAPERS_SITE_URL is not set, so links in mails and feeds point to "
        f"{settings.SITE_URL} while this server listens on {bind}: set it to the address people "
        "use (e.g. https://papers.example.org)."
    )


def share_metrics() -> None:
    """Point every process started from here at one empty directory for their counters."""
    directory = settings.DATA_DIR / "metrics"
    shutil.rmtree(directory, ignore_errors=True)  # the counters of the last run's processes
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    # prometheus-client chose how to store values when it was imported (the URLs are loaded by
    # the system checks before this runs); the web workers are forked from this process and
    # inherit that choice, so it is made again now that the directory is set.
    values.ValueClass = values.get_value_class()


def _start(*command: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dailypapers", *command])


def _stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM to the follower and the worker (after a Ctrl-C they have had SIGINT already),
    then SIGKILL to any still running after STOP_SECONDS."""
    for process in children:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in children:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _granian(bind: str, workers: int) -> None:
    # ~25 ms to import, and not needed with DAILYPAPERS_SERVER=gunicorn.
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    host, _, port = bind.rpartition(":")
    Granian(
        "dailypapers.ops.webapp:application",
        address=host.strip("[]") or "127.0.0.1",
        port=int(port),
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=4,  # Python threads per worker: each runs one whole request
        backlog=2048,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_TIMEOUT_SECONDS * 1000),
        log_access=settings.ACCESS_LOG,
        respawn_failed_workers=True,
        workers_kill_timeout=STOP_SECONDS,
    ).serve()


def _gunicorn(bind: str, workers: int) -> None:
    GunicornServer(
        {
            "bind": bind,
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": "-" if settings.ACCESS_LOG else None,
            "timeout": 60,
            "control_socket_disable": True,  # gunicorn 27's control socket: unused here
        }
    ).run()
