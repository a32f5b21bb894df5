"""Scheduled backups (due, not due, keep N, doctor) and the restore drill: back up with the
worker's task, destroy the database and the content files, restore with `dailypapers restore`,
and the site serves the same pages."""

import datetime as dt
import io
import re
import shutil
import tarfile

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from dailypapers.community import services
from dailypapers.content import services as content
from dailypapers.content.models import PaperContent
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest.demo import load_demo
from dailypapers.library import collections
from dailypapers.ops import doctor, scheduled
from dailypapers.ops.backup import local_content_dir
from dailypapers.ops.tasks import take_backup
from dailypapers.papers.models import Paper

UTC = dt.UTC


@pytest.fixture
def backups(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_SCHEDULE = "0 3 * * *"
    settings.BACKUP_KEEP = 3
    settings.TIME_ZONE = "UTC"
    settings.BACKUP_DIR.mkdir()
    return settings.BACKUP_DIR


def touch(directory, when: str):
    path = directory / f"dailypapers-{when}.tar"
    path.write_bytes(b"")
    return path


def test_a_backup_is_due_once_a_scheduled_time_passed_since_the_newest(backups):
    now = dt.datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert scheduled.due(now)  # none yet: the first is taken at once
    touch(backups, "20260503T030100Z")
    assert scheduled.due(now)  # today's 03:00 passed since
    assert not scheduled.due(dt.datetime(2026, 5, 4, 2, 59, tzinfo=UTC))
    touch(backups, "20260504T030200Z")
    assert not scheduled.due(now)
    assert scheduled.due(dt.datetime(2026, 5, 5, 3, 0, tzinfo=UTC))
    assert not scheduled.due(now, schedule="")  # off


def test_the_schedule_is_read_in_the_sites_time_zone(backups, settings):
    settings.TIME_ZONE = "America/New_York"  # 03:00 there is 07:00 UTC in May
    touch(backups, "20260503T080000Z")
    assert not scheduled.due(dt.datetime(2026, 5, 4, 6, 59, tzinfo=UTC))
    assert scheduled.due(dt.datetime(2026, 5, 4, 7, 0, tzinfo=UTC))


def test_only_the_newest_keep_backups_stay(backups):
    made = [touch(backups, f"2026050{day}T030000Z") for day in range(1, 6)]
    other = backups / "notes.txt"
    other.write_text("mine")
    partial = backups / "dailypapers-20260506T030000Z.tar.partial"
    partial.write_bytes(b"")
    assert scheduled.prune() == made[:2]
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [p.name for p in made[2:]] + ["notes.txt", partial.name]
    )


@pytest.mark.django_db
def test_doctor_fails_when_two_scheduled_times_passed_without_a_backup(backups, settings):
    now = dt.datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert doctor.backups(now).status == doctor.WARN  # none yet
    touch(backups, "20260503T030000Z")
    assert doctor.backups(now).status == doctor.OK  # today's is due, yesterday's was taken
    assert doctor.backups(now + dt.timedelta(days=1)).status == doctor.FAIL
    settings.BACKUP_SCHEDULE = ""
    assert "not scheduled" in doctor.backups(now).detail


@pytest.mark.django_db(transaction=True)
def test_the_task_takes_a_backup_when_due_and_keeps_keep(backups):
    load_demo()
    for day in range(1, 4):
        touch(backups, f"2026040{day}T030000Z")
    assert take_backup.call_local().startswith("dailypapers-")
    kept = scheduled.archives()
    assert len(kept) == 3 and kept[0][1].name == "dailypapers-20260402T030000Z.tar"
    assert take_backup.call_local() == "not due"
    with tarfile.open(kept[-1][1]) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert ("database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump") in names


# --- the restore drill ---

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'<meta name="csrf-token" content="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
]


def pages(client, urls):
    seen = {}
    for url in urls:
        response = client.get(url)
        body = response.content.decode(errors="replace") if response.content else ""
        for pattern in VOLATILE:
            body = pattern.sub("", body)
        seen[url] = (response.status_code, body)
    return seen


@pytest.mark.django_db(transaction=True)
def test_restore_drill_the_site_serves_the_same_pages(backups, client):
    load_demo()
    paper = Paper.objects.filter(entry__isnull=False).first()
    ada = User.objects.create_user("ada", password="x" * 12)
    services.set_vote(ada, paper, True)
    shelf = collections.create(ada, "Reading list", public=True, first=paper, note="first")
    name = "thumbs/ab/" + "ab" * 16 + ".png"
    content.storage().save(name, ContentFile(PNG))
    PaperContent.objects.create(paper=paper, status="ok", card_name=name, text="# Text")
    Paper.objects.filter(pk=paper.pk).update(thumbnail=name)
    urls = [
        "/",
        paper.get_absolute_url(),
        shelf.get_absolute_url(),
        f"/content/{name}",
        "/api/daily_papers",
        f"/api/papers/{paper.key}",
    ]
    before = pages(client, urls)
    assert all(status == 200 for status, _ in before.values()), before
    assert paper.title in before[paper.get_absolute_url()][1]

    assert take_backup.call_local().startswith("dailypapers-")
    ((_when, archive),) = scheduled.archives()

    # Destroyed: every row, every content file.
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(local_content_dir())
    assert not Paper.objects.exists() and not User.objects.exists()
    gone = pages(client, urls[1:4])
    assert all(status == 404 for status, _ in gone.values())

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)
    assert "the database and the content files" in out.getvalue()
    after = pages(client, urls)
    for url in urls:
        assert after[url] == before[url], url
    assert DailyEntry.objects.count() and Paper.objects.get(pk=paper.pk).upvotes_local == 1
