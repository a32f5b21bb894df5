"""`dailypapers doctor`: what is wrong with this installation, each with its fix; exit 1 on
a failure (and with --strict on a warning), for monitoring."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dailypapers.ops import doctor


class Command(BaseCommand):
    help = (
        "Check the configuration, database, queue, free disk, search index lag and the last run "
        "of every scheduled task; print what is wrong with its fix; exit 1 on a failure."
    )
    requires_system_checks: list[str] = []  # doctor reports them itself

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="One JSON object, for machines.")
        parser.add_argument(
            "--strict", action="store_true", help="Exit 1 on warnings too, not only failures."
        )
        parser.add_argument(
            "--disk-warn",
            type=float,
            default=5.0,
            metavar="GIB",
            help="Warn under this much free disk in the data directory (5 GiB).",
        )
        parser.add_argument(
            "--disk-fail",
            type=float,
            default=1.0,
            metavar="GIB",
            help="Fail under this much free disk (1 GiB).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        findings = doctor.run(
            disk_warn_gib=options["disk_warn"], disk_fail_gib=options["disk_fail"]
        )
        failing = {doctor.FAIL, doctor.WARN} if options["strict"] else {doctor.FAIL}
        healthy = not any(finding.status in failing for finding in findings)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"healthy": healthy, "checks": [f.as_dict() for f in findings]}, indent=2
                )
            )
        else:
            for finding in findings:
                self.stdout.write(finding.line())
            counts = {
                s: sum(f.status == s for f in findings)
                for s in (doctor.OK, doctor.WARN, doctor.FAIL)
            }
            self.stdout.write(
                f"{counts[doctor.OK]} ok, {counts[doctor.WARN]} warnings, "
                f"{counts[doctor.FAIL]} failures"
            )
        if not healthy:
            raise SystemExit(1)
