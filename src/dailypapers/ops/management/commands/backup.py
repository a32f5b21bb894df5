"""`dailypapers backup PATH`: a complete, checked copy of the database; with `--with-content`,
an archive of it and the content files (what the worker's scheduled backups write)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from dailypapers.ops.backup import BackupError, archive, backup


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup, or pg_dump) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--with-content",
            action="store_true",
            help="Write a tar archive of the database and the content files in the data "
            "directory (thumbnails, kept PDFs), as scheduled backups are.",
        )

    def handle(self, *args: object, **options: Any) -> None:
        bar = tqdm(
            unit="page",
            desc="backup",
            disable=options["no_progress"] or options["with_content"],
            file=self.stderr._out,
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            if options["with_content"]:
                path = archive(options["path"])
            else:
                with bar:
                    path = backup(options["path"], progress)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Backed up to {path} ({path.stat().st_size / 1e6:.1f} MB).")
