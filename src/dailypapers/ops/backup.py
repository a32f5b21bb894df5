"""Backups of the database, and restoring them.

- SQLite: SQLite's online backup API copies the live database page by page (readers and writers
  carry on), into `PATH.partial`; the copy is checked (`PRAGMA integrity_check`), synced to disk,
  then renamed to PATH, so PATH is always a whole, checked backup. Restoring copies it back through
  the same API, after checking it.
- PostgreSQL: `pg_dump --format=custom` into `PATH.partial`, renamed when complete;
  `pg_restore --clean --if-exists` to restore.
- An archive (`archive`, what the worker's scheduled backups write, and `dailypapers backup
  --with-content`): one uncompressed tar holding the database's backup as above
  (`database.sqlite3` or `database.pgdump`), the content files (thumbnails, kept PDFs) when they
  live in the data directory (not in an S3 bucket: the bucket keeps them), and `manifest.json`.
  Written to `PATH.partial`, synced, renamed. `restore` recognises it, restores the database,
  then swaps the content directory for the archive's. The database is copied first: a file it
  names was written before it, so the archive holds it.
The search index and the job queue are not included: the index is rebuilt from the database
(`dailypapers index rebuild`), and the queue holds only scheduled work.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.utils import timezone


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


def local_content_dir() -> Path | None:
    """Where the content files are, when they are in this machine's file system."""
    storage = storages["content"]
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def _database_member() -> str:
    return "database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def archive(target: str | Path) -> Path:
    """Write the database and the local content files to one tar archive at `target`."""
    target = Path(target).expanduser()
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=target.parent))
    try:
        member = _database_member()
        backup(work / member)
        content = local_content_dir()
        files = 0
        with tarfile.open(partial, "w") as tar:
            tar.add(work / member, arcname=member)
            if content is not None and content.is_dir():
                tar.add(content, arcname="content")
                files = sum(1 for path in content.rglob("*") if path.is_file())
            manifest = {
                "format": 1,
                "database": connection.vendor,
                "content_files": files if content is not None else None,
                "created": timezone.now().isoformat(),
            }
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        _sync(partial)
        partial.replace(target)
        _sync(target.parent)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return target


def restore_any(source: str | Path) -> str:
    """Restore a database backup or an archive; says what was restored."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if not tarfile.is_tarfile(source):
        restore(source)
        return "the database"
    # Unpacked beside the content directory, so that putting it in place is a rename.
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=settings.DATA_DIR) as work:
        with tarfile.open(source) as tar:
            try:
                tar.extractall(work, filter="data")
            except (tarfile.TarError, OSError) as exc:
                raise BackupError(f"{source}: not a readable archive: {exc}") from None
        unpacked = Path(work)
        member = _database_member()
        if not (unpacked / member).is_file():
            other = "database.pgdump" if member == "database.sqlite3" else "database.sqlite3"
            if (unpacked / other).is_file():
                raise BackupError(f"{source} was taken from another kind of database")
            raise BackupError(f"{source} holds no dailypapers database backup")
        restore(unpacked / member)
        if not (unpacked / "content").is_dir():
            return "the database (the archive holds no content files)"
        content = local_content_dir()
        if content is None:
            return "the database (content files are in the bucket: the archive's were left)"
        _replace_dir(content, unpacked / "content")
        return "the database and the content files"


def _replace_dir(current: Path, new: Path) -> None:
    """Put `new` where `current` is, the old one removed only once the new one is in place."""
    current.parent.mkdir(parents=True, exist_ok=True)
    staged = current.with_name(current.name + ".restoring")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.move(new, staged)
    old = current.with_name(current.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        current.rename(old)
    staged.rename(current)
    shutil.rmtree(old, ignore_errors=True)
