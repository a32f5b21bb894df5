"""`dailypapers doctor`: everything an operator should know is wrong, each with its fix.

The configuration (the `dailypapers` system checks, `ops/checks.py`), the database, the job
queue, free disk under the data directory, this machine's search index lag, and the last run of
every scheduled task against its schedule (`core/runs.py`), and the newest scheduled backup
against DAILYPAPERS_BACKUP_SCHEDULE. Each check gives one `Finding`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks as django_checks
from django.db import DatabaseError
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

from dailypapers.chat.models import Channel
from dailypapers.core import health, runs
from dailypapers.core.models import TaskRun
from dailypapers.ops import scheduled
from dailypapers.search import fulltext, indexer

OK, WARN, FAIL = "ok", "warn", "FAIL"
GIB = 1024**3
WORKER_FIX = (
    "is the worker running? `dailypapers worker` (or `dailypapers serve` without --no-worker)"
)


@dataclass
class Finding:
    check: str
    status: str  # ok, warn, FAIL
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.check}: {self.detail}"
        return f"{text}\n      fix: {self.fix}" if self.fix else text

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def configuration() -> Iterator[Finding]:
    messages = django_checks.run_checks(tags=["dailypapers"], include_deployment_checks=True)
    for message in messages:
        status = FAIL if message.level >= django_checks.ERROR else WARN
        yield Finding(f"config {message.id}", status, message.msg, message.hint or "")
    if not messages:
        yield Finding("config", OK, "secret key, site URL, mail, HTTPS and proxies")


def database() -> Finding:
    probe = health.database()
    if probe.ok:
        return Finding("database", OK, probe.detail)
    return Finding(
        "database", FAIL, probe.detail, "check DATABASE_URL and that the database server runs"
    )


def queue() -> Finding:
    probe = health.queue()
    if probe.ok:
        return Finding("queue", OK, probe.detail)
    return Finding(
        "queue", FAIL, probe.detail, "check DAILYPAPERS_QUEUE_URL (Redis runs? the data dir?)"
    )


def disk(warn_gib: float, fail_gib: float, path: Path | None = None) -> Finding:
    path = path or Path(settings.DATA_DIR)
    usage = shutil.disk_usage(path)
    free = usage.free / GIB
    detail = f"{free:.1f} GiB free of {usage.total / GIB:.1f} GiB at {path}"
    fix = "free space on that filesystem or move DAILYPAPERS_DATA_DIR to a larger one"
    if free < fail_gib:
        return Finding("disk", FAIL, f"{detail} (under {fail_gib:g} GiB)", fix)
    if free < warn_gib:
        return Finding("disk", WARN, f"{detail} (under {warn_gib:g} GiB)", fix)
    return Finding("disk", OK, detail)


def index_lag(max_lag: float | None = None) -> Finding:
    max_lag = settings.READY_MAX_LAG if max_lag is None else max_lag
    if not fulltext.index_dir().exists():
        return Finding(
            "search index",
            WARN,
            f"no full-text index on this machine ({fulltext.index_dir()})",
            "`dailypapers index rebuild`, then keep `dailypapers serve` (or `index follow`) "
            "running",
        )
    lag = indexer.lag()
    if lag.rebuild:
        return Finding("search index", FAIL, lag.rebuild, "`dailypapers index rebuild`")
    detail = f"{lag.pending} changes pending, the oldest {lag.seconds:.0f} s old"
    if lag.seconds > max_lag:
        return Finding(
            "search index",
            FAIL,
            f"{detail} (over {max_lag:g} s)",
            "is the follower running? `dailypapers serve` runs it (`dailypapers index follow` "
            "alone); `dailypapers index status` tells more",
        )
    return Finding("search index", OK, detail)


def period(task: Any, start: dt.datetime | None = None) -> dt.timedelta:
    """The longest gap between two runs of a periodic task over two days of its schedule
    (huey's crontab is a predicate on the minute)."""
    start = (start or dt.datetime(2025, 1, 6)).replace(second=0, microsecond=0)
    times = [
        minute
        for step in range(2 * 24 * 60)
        if task.validate_datetime(minute := start + dt.timedelta(minutes=step))
    ]
    if len(times) < 2:
        return dt.timedelta(days=1)
    return max(b - a for a, b in itertools.pairwise(times))


def tasks(now: dt.datetime | None = None) -> Iterator[Finding]:
    now = now or timezone.now()
    autodiscover_modules("tasks")
    known = {row.name: row for row in TaskRun.objects.all()}
    # The first run of any task: a task may not have been due since (the daily one).
    first = min((row.started_at for row in known.values() if row.started_at), default=None)
    for task in sorted(HUEY._registry.periodic_tasks, key=runs.task_name):
        every = period(task)
        check = f"task {task.name}"
        row = known.get(runs.task_name(task))
        last = (row.finished_at or row.started_at) if row else None
        if row is None or last is None:
            if first is not None and now - first <= 2 * every:
                yield Finding(check, OK, f"not due yet (every {_span(every)})")
            else:
                yield Finding(check, FAIL, f"has never run (every {_span(every)})", WORKER_FIX)
            continue
        ago = now - last
        if ago > 2 * every:
            yield Finding(
                check,
                FAIL,
                f"last ran {_span(ago)} ago ({row.outcome}), expected every {_span(every)}",
                WORKER_FIX,
            )
        elif row.outcome == "error":
            since = (
                f"; last success {_span(now - row.succeeded_at)} ago" if row.succeeded_at else ""
            )
            yield Finding(
                check,
                FAIL if not row.succeeded_at or now - row.succeeded_at > 2 * every else WARN,
                f"failed {_span(ago)} ago: {row.error}{since}",
                "see the worker's log for the traceback",
            )
        else:
            yield Finding(check, OK, f"{row.outcome} {_span(ago)} ago (every {_span(every)})")


def backups(now: dt.datetime | None = None) -> Finding:
    """The newest scheduled backup is no older than the schedule's time before the last one (a
    time may pass while its backup is being taken, not two)."""
    schedule = settings.BACKUP_SCHEDULE
    if not schedule:
        return Finding("backups", OK, "not scheduled (DAILYPAPERS_BACKUP_SCHEDULE=off)")
    now = now or timezone.now()
    taken = scheduled.archives()
    times = scheduled.previous_times(schedule, now, count=2)
    fix = (
        f"see `task take_backup` and the worker's log; `dailypapers backup --with-content "
        f"{settings.BACKUP_DIR}/dailypapers-<time>.tar` takes one by hand"
    )
    if not taken:  # the worker takes the first within 5 minutes; its failures: `task ...`
        return Finding("backups", WARN, f"no backup yet in {settings.BACKUP_DIR}", fix)
    when, path = taken[-1]
    detail = f"newest {path.name}, {_span(now - when)} old ({len(taken)} kept)"
    if len(times) == 2 and when < times[1]:
        return Finding("backups", FAIL, f"{detail}: two scheduled times missed", fix)
    return Finding("backups", OK, detail)


def chat() -> Finding:
    """Site-wide chat channels whose last message failed (a personal channel's error is its
    owner's to see on their settings page: counted, not a warning)."""
    failing = Channel.objects.filter(enabled=True).exclude(last_error="")
    site_wide = list(failing.filter(owner__isnull=True).values_list("pk", "masked")[:5])
    personal = failing.filter(owner__isnull=False).count()
    others = f"; {personal} personal channels with errors" if personal else ""
    if site_wide:
        shown = ", ".join(f"{pk} ({masked})" for pk, masked in site_wide)
        return Finding(
            "chat",
            WARN,
            f"site-wide channels failing: {shown}{others}",
            "`dailypapers chat list` shows each error; `dailypapers chat test ID` tries again",
        )
    total = Channel.objects.filter(enabled=True).count()
    return Finding("chat", OK, f"{total} channels enabled{others}")


def _span(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def run(*, disk_warn_gib: float, disk_fail_gib: float) -> list[Finding]:
    findings = [*configuration(), database(), queue(), disk(disk_warn_gib, disk_fail_gib)]
    if findings[-3].status == OK:  # the database answers: what is read from it
        try:
            findings.append(index_lag())
            findings.extend(tasks())
            findings.append(backups())
            findings.append(chat())
        except DatabaseError as exc:
            findings.append(Finding("database", FAIL, str(exc)[:200], "`dailypapers migrate`"))
    return findings
