"""The `dailypapers` command: the project's manage.py."""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line

from dailypapers.core.conf import ConfigError


def main(argv: list[str] | None = None) -> None:
    # Files made by dailypapers (the database, the queue, the indexes, backups) are readable by
    # their owner and group only, not by every user of the machine.
    os.umask(0o027)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    try:
        execute_from_command_line(["dailypapers", *(sys.argv[1:] if argv is None else argv)])
    except ConfigError as exc:
        sys.stderr.write(f"dailypapers: configuration error: {exc}\n")
        sys.exit(2)
