"""The `dailypapers` command: the project's manage.py."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from dailypapers.conf import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["dailypapers", *(sys.argv[1:] if argv is None else argv)])
    except ConfigError as exc:
        sys.stderr.write(f"dailypapers: configuration error: {exc}\n")
        sys.exit(2)
