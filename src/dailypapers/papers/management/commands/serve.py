"""`dailypapers serve`: migrate, load the demo on an empty database, and serve with gunicorn."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication

from dailypapers.papers.demo import database_is_empty, load_demo
from dailypapers.search import fulltext, semantic


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
        from dailypapers.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve the web site with gunicorn, after migrating the database."

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
        workers = options["workers"] or settings.WEB_WORKERS
        warning = site_url_warning(options["bind"])
        if warning:
            self.stderr.write(warning)
        self.stdout.write(f"Serving dailypapers on http://{options['bind']} ({workers} workers)")
        self.stdout.flush()
        config = {
            "bind": options["bind"],
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": "-" if settings.ACCESS_LOG else None,
            "timeout": 60,
            "control_socket_disable": True,  # gunicorn 27's control socket: unused here
        }
        if not options["no_worker"]:
            config.update(on_starting=_start_worker, on_exit=_stop_worker)
        GunicornServer(config).run()

    def _embed(self) -> None:
        """Ask the worker to embed the papers without a vector now, not at the next minute."""
        if not semantic.enabled():
            reason = semantic.unavailable_reason()
            if reason:
                self.stdout.write(reason)
            return
        stale = semantic.count_stale()
        if stale:
            from dailypapers.search.tasks import sync_vectors

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


_worker: list[subprocess.Popen] = []


def _start_worker(arbiter: object) -> None:
    """The embedded default: the job worker runs beside the web server, and stops with it."""
    _worker.append(subprocess.Popen([sys.executable, "-m", "dailypapers", "worker"]))


def _stop_worker(arbiter: object) -> None:
    for process in _worker:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
