"""Scheduled backups: when one is due, taking it, keeping the newest few.

A backup is due when a time of `DAILYPAPERS_BACKUP_SCHEDULE` (a crontab, in the site's time
zone) has passed since the newest archive in `DAILYPAPERS_BACKUP_DIR` was taken. The archives'
names carry their UTC time (`dailypapers-20260504T030012Z.tar`), so the decision needs nothing
but the directory: a worker that was down catches up with one backup, not one per missed time,
and two workers cannot both take one (the task runs under a lease).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from huey import crontab

from dailypapers.ops.backup import archive

log = logging.getLogger(__name__)

NAME = re.compile(r"dailypapers-(\d{8}T\d{6}Z)\.tar")
LOOKBACK = dt.timedelta(days=32)  # a monthly schedule's longest gap, and a day


@dataclass
class Taken:
    path: Path
    bytes: int
    seconds: float
    pruned: list[Path]


def archives(directory: Path | None = None) -> list[tuple[dt.datetime, Path]]:
    """The scheduled backups in the directory, oldest first, with their time."""
    directory = directory or settings.BACKUP_DIR
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = NAME.fullmatch(path.name)
        if match and path.is_file():
            when = dt.datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            found.append((when, path))
    return sorted(found)


def previous_times(schedule: str, now: dt.datetime, count: int = 2) -> list[dt.datetime]:
    """The schedule's last `count` times at or before `now` (newest first), within LOOKBACK."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    matches = crontab(*schedule.split())
    minute = now.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    earliest = minute - LOOKBACK
    found: list[dt.datetime] = []
    while minute >= earliest and len(found) < count:
        if matches(minute):
            found.append(minute.replace(tzinfo=zone).astimezone(dt.UTC))
        minute -= dt.timedelta(minutes=1)
    return found


def due(now: dt.datetime | None = None, schedule: str | None = None) -> bool:
    schedule = settings.BACKUP_SCHEDULE if schedule is None else schedule
    if not schedule:
        return False
    now = now or timezone.now()
    times = previous_times(schedule, now, count=1)
    if not times:
        return False
    taken = archives()
    return not taken or taken[-1][0] < times[0]


def prune(keep: int | None = None) -> list[Path]:
    keep = settings.BACKUP_KEEP if keep is None else keep
    old = [path for _, path in archives()[:-keep]] if keep else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


def take(now: dt.datetime | None = None) -> Taken:
    """Take an archive now, then prune to DAILYPAPERS_BACKUP_KEEP."""
    now = now or timezone.now()
    started = time.monotonic()
    name = f"dailypapers-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.tar"
    path = archive(settings.BACKUP_DIR / name)
    pruned = prune()
    taken = Taken(path, path.stat().st_size, time.monotonic() - started, pruned)
    log.info(
        "backup %s: %.1f MB in %.1f s; %d old ones deleted",
        path,
        taken.bytes / 1e6,
        taken.seconds,
        len(pruned),
    )
    return taken


def run(now: dt.datetime | None = None) -> Taken | None:
    """The scheduled task's body: a backup if one is due, else nothing."""
    now = now or timezone.now()
    if not due(now):
        return None
    return take(now)
