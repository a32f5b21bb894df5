"""`dailypapers serve`: migrate, load the demo on an empty database, and serve with gunicorn."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication

from dailypapers.papers.demo import database_is_empty, load_demo


class GunicornServer(BaseApplication):
    """gunicorn configured from Python rather than its command line (its documented custom app)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
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

    def handle(self, *args: object, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if settings.AUTO_DEMO and database_is_empty():
            result = load_demo()
            self.stdout.write(f"Empty database: loaded {result.records} demo papers.")
        workers = options["workers"] or settings.WEB_WORKERS
        self.stdout.write(f"Serving dailypapers on http://{options['bind']} ({workers} workers)")
        self.stdout.flush()
        GunicornServer(
            {
                "bind": options["bind"],
                "workers": workers,
                "worker_class": "gthread",
                "threads": 4,
                "accesslog": "-",
                "timeout": 60,
            }
        ).run()
