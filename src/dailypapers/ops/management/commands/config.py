"""`dailypapers config reference`: the configuration reference in Markdown, written from the
declarations of `core/conf.py` (`> docs/configuration.md` refreshes the docs site's page)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dailypapers.core import conf


class Command(BaseCommand):
    help = "Print the configuration reference (Markdown) from the settings' declarations."
    requires_system_checks: list[str] = []  # it reads no database and no setting

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["reference"])

    def handle(self, *args: object, **options: Any) -> None:
        self.stdout.write(conf.reference(), ending="")
