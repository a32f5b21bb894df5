"""`dailypapers worker`: the job queue's consumer (scheduled ingestion; digests later)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker: the huey consumer with its periodic tasks."

    def handle(self, *args: object, **options: object) -> None:
        call_command("run_huey")
