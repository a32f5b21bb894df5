"""`dailypapers worker`: the job queue's consumer (ingestion, digests, vectors, the log)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dailypapers.core import leases


class Command(BaseCommand):
    help = "Run the background worker: the huey consumer with its periodic tasks."

    def handle(self, *args: object, **options: object) -> None:
        # A worker of this machine killed mid-task left its leases: they go now, not when they
        # expire. Those of other machines' workers are theirs (or expire by themselves).
        leases.release_dead()
        call_command("run_huey")
