"""Backups and restores, round trip, on SQLite and PostgreSQL."""

import io
import sqlite3

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from dailypapers.community import services
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest.demo import load_demo
from dailypapers.papers.models import Paper


def snapshot():
    return (
        Paper.objects.count(),
        DailyEntry.objects.count(),
        sorted(DailyEntry.objects.values_list("paper__title", "paper__upvotes")),
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_exactly_what_was_there(tmp_path):
    load_demo()
    user = User.objects.create_user("ada")
    paper = Paper.objects.filter(entry__isnull=False).first()
    services.set_vote(user, paper, True)
    before = snapshot()
    out = io.StringIO()
    call_command("backup", str(tmp_path / "dp.backup"), "--no-progress", stdout=out)
    assert "Backed up to" in out.getvalue()
    assert not (tmp_path / "dp.backup.partial").exists()
    if connection.vendor == "sqlite":
        with sqlite3.connect(tmp_path / "dp.backup") as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    Paper.objects.filter(pk__in=list(Paper.objects.values_list("pk", flat=True)[:100])).delete()
    assert snapshot() != before
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "dp.backup"))
    call_command("restore", str(tmp_path / "dp.backup"), "--yes", stdout=io.StringIO())
    assert snapshot() == before
    assert Paper.objects.get(title=paper.title).upvotes_local == 1


@pytest.mark.django_db(transaction=True)
def test_bad_backup_files_are_refused_and_change_nothing(tmp_path):
    load_demo()
    before = snapshot()
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"this is not a backup" * 100)
    with pytest.raises(CommandError):
        call_command("restore", str(garbage), "--yes")
    with pytest.raises(CommandError, match="no such backup"):
        call_command("restore", str(tmp_path / "missing"), "--yes")
    with pytest.raises(CommandError, match="directory"):
        call_command("backup", str(tmp_path), "--no-progress")
    assert snapshot() == before
