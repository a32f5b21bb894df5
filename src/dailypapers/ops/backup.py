"""Backups of the database, and restoring them.

- SQLite: SQLite's online backup API copies the live database page by page (readers and writers
  carry on), into `PATH.partial`; the copy is checked (`PRAGMA integrity_check`), synced to disk,
  then renamed to PATH, so PATH is always a whole, checked backup. Restoring copies it back through
  the same API, after checking it.
- PostgreSQL: `pg_dump --format=custom` into `PATH.partial`, renamed when complete;
  `pg_restore --clean --if-exists` to restore.
The search index and the job queue are not included: the index is rebuilt from the database
(`dailypapers index rebuild`), and the queue holds only scheduled work.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from django.db import connection


class BackupError(Exception):
    """The backup or the restore did not happen; the database is as it was."""


def _check(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            db.execute("SELECT count(*) FROM papers_paper").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a dailypapers SQLite database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} failed its integrity check: {result}")


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = dict(os.environ)
    for key, name in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if s.get(key):
            env[name] = str(s[key])
    env["PGDATABASE"] = s["NAME"]
    return env


def _run(command: list[str]) -> None:
    try:
        result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def backup(
    target: str | Path, progress: Callable[[int, int], None] = lambda done, total: None
) -> Path:
    """Write a complete backup to `target`; returns its path."""
    target = Path(target).expanduser()
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(partial) as copy:
                connection.connection.backup(
                    copy,
                    pages=1024,
                    progress=lambda status, remaining, total: progress(total - remaining, total),
                )
            copy.close()
            _check(partial)
            with open(partial, "rb") as written:
                os.fsync(written.fileno())
        elif connection.vendor == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"])
        else:
            raise BackupError(f"backups of {connection.vendor} are not supported")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def restore(source: str | Path) -> None:
    """Replace the database's content with the backup's."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if connection.vendor == "sqlite":
        _check(source)
        connection.ensure_connection()
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup_db:
            backup_db.backup(connection.connection, pages=1024)
    elif connection.vendor == "postgresql":
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                connection.settings_dict["NAME"],
                str(source),
            ]
        )
    else:
        raise BackupError(f"restoring {connection.vendor} is not supported")
