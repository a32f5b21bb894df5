"""The change log of the catalogue, and how its consumers follow it.

Every derived structure (each node's full-text index, each web process's vector graph) is fed
from `PaperChange` rows that database triggers write in the same transaction as the change:

- a change that commits is in the log, one that rolls back is not, whatever wrote it;
- a consumer keeps a `Cursor` of what it has applied, stores it with what it built (the index's
  own metadata), and acknowledges it in `ChangeConsumer` for `index status` and `/readyz`;
- nothing depends on a clock. On SQLite writers take turns, so row ids are commit order and the
  cursor is the next id. On PostgreSQL transactions commit out of order: a row's position is
  its transaction's id, a reader takes as final only what lies below the oldest transaction still
  running (`pg_snapshot_xmin`), and remembers the few rows above it that it has already applied.
  A transaction that stamped its change before a sync and committed after it is read then.

Code that changes papers outside a request's normal flow (imports, ingestion, submissions)
calls `announce()`: after the commit, `papers_changed` is sent, and the search app applies the
log to this machine's indexes at once rather than at its next poll (replaces the `sync()`
calls the apps made into search).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from dailypapers.papers.models import ChangeConsumer, ChangeLog, PaperChange

# Sent after the commit of a change to papers made by this process (see `announce`).
papers_changed = Signal()

# The columns a derived structure holds of a paper (full text: title, abstract, authors,
# categories, dates; vectors: title and abstract). A change to anything else (votes, links,
# counters) is not logged, so a vote never re-indexes a paper.
WATCHED = ("title", "abstract", "authors", "categories", "published_at", "created_at")
RETENTION_DAYS = 14


_held: ContextVar[list[bool] | None] = ContextVar("changes_held", default=None)


def announce() -> None:
    """Papers changed in the current transaction: tell this process's listeners after commit
    (or at the end of the enclosing `batched()` block)."""
    held = _held.get()
    if held is not None:
        held[0] = True
        return
    transaction.on_commit(lambda: papers_changed.send(sender=PaperChange))


@contextmanager
def batched() -> Iterator[None]:
    """Announce the changes made inside once, at the end: an import of 3,000 batches updates
    the search index once rather than after each batch."""
    token = _held.set([False])
    try:
        yield
    finally:
        changed = _held.get()
        _held.reset(token)
        if changed and changed[0]:
            announce()


# --- the triggers ---

_SQLITE_ROW = (
    "INSERT INTO papers_paperchange (paper_id, kind, position, at) "
    "VALUES ({row}, '{kind}', NULL, strftime('%Y-%m-%d %H:%M:%f', 'now'))"
)


@dataclass(frozen=True)
class Logged:
    """A table whose changes are logged: the paper it is about (`key`), the kind of change,
    the columns watched on update, and the operations logged."""

    table: str
    prefix: str  # the SQLite triggers' and PostgreSQL function's name
    kind: str
    key: str
    columns: tuple[str, ...]
    operations: tuple[str, ...]

    @property
    def definition(self) -> tuple[str, str, tuple[str, ...]]:
        return self.kind, self.key, self.columns


LOGGED = (
    Logged("papers_paper", "papers_paper", "p", "id", WATCHED, ("insert", "delete", "update")),
    Logged(
        "search_papervector",
        "search_vector",
        "v",
        "paper_id",
        ("vector", "model"),
        ("insert", "update"),
    ),
    # A paper's full text (content app): the full-text index holds it as the `body` field.
    Logged(
        "content_papercontent",
        "content_text",
        "p",
        "paper_id",
        ("text",),
        ("insert", "delete", "update"),
    ),
)
_PG_FUNCTIONS = {
    "papers_paper": "papers_log_paper_rows",
    "search_papervector": "papers_log_vector_rows",
    "content_papercontent": "papers_log_content_rows",
}


def _sqlite_triggers() -> dict[str, tuple[str, str]]:
    """Trigger name: (table, body)."""
    triggers = {}
    for logged in LOGGED:
        for operation in logged.operations:
            row = "OLD" if operation == "delete" else "NEW"
            insert = _SQLITE_ROW.format(row=f"{row}.{logged.key}", kind=logged.kind)
            if operation == "update":
                changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in logged.columns)
                head = (
                    f"AFTER UPDATE OF {', '.join(logged.columns)} ON {logged.table} WHEN {changed}"
                )
            else:
                head = f"AFTER {operation.upper()} ON {logged.table}"
            triggers[f"{logged.prefix}_logged_{operation}"] = (
                logged.table,
                f"{head} BEGIN {insert}; END",
            )
    return triggers


_PG_POSITION = "pg_current_xact_id()::text::bigint"


def _pg_function(name: str, kind: str, key: str, columns: tuple[str, ...]) -> str:
    """A statement-level trigger function over transition tables: one INSERT ... SELECT per
    statement, so a bulk import of 5,000 papers is logged by one statement, not 5,000."""
    changed = " OR ".join(f"o.{column} IS DISTINCT FROM n.{column}" for column in columns)
    log = f"INSERT INTO papers_paperchange (paper_id, kind, position, at) SELECT {{}}, '{kind}', "
    log += f"{_PG_POSITION}, now() FROM "
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        {log.format(key)} old_rows;
      ELSIF TG_OP = 'INSERT' THEN
        {log.format(key)} new_rows;
      ELSE
        {log.format("n." + key)} new_rows n JOIN old_rows o ON o.{key} = n.{key} WHERE {changed};
      END IF;
      RETURN NULL;
    END $$"""


def _pg_statements() -> list[tuple[str, str]]:
    """(table, statement) pairs: functions first, then triggers (CREATE OR REPLACE: idempotent)."""
    statements = [
        (logged.table, _pg_function(_PG_FUNCTIONS[logged.table], *logged.definition))
        for logged in LOGGED
    ]
    for logged in LOGGED:
        for operation in logged.operations:
            transition = {
                "insert": "NEW TABLE AS new_rows",
                "delete": "OLD TABLE AS old_rows",
                "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            }[operation]
            statements.append(
                (
                    logged.table,
                    f"CREATE OR REPLACE TRIGGER {logged.table}_logged_{operation} AFTER "
                    f"{operation.upper()} ON {logged.table} REFERENCING {transition} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTIONS[logged.table]}()",
                )
            )
    return statements


def install_triggers(conn: BaseDatabaseWrapper = connection) -> list[str]:
    """Create the triggers of the tables that exist (idempotent); returns the tables covered."""
    tables = set(conn.introspection.table_names())
    covered = [logged.table for logged in LOGGED if logged.table in tables]
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for name, (table, body) in _sqlite_triggers().items():
                if table in tables:
                    cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        elif conn.vendor == "postgresql":
            for table, statement in _pg_statements():
                if table in tables:
                    cursor.execute(statement)
    return covered


def remove_triggers(conn: BaseDatabaseWrapper = connection) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for name in _sqlite_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif conn.vendor == "postgresql":
            tables = set(conn.introspection.table_names())
            for logged in LOGGED:
                if logged.table in tables:
                    for operation in logged.operations:
                        cursor.execute(
                            f"DROP TRIGGER IF EXISTS {logged.table}_logged_{operation} "
                            f"ON {logged.table}"
                        )
            for function in _PG_FUNCTIONS.values():
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")


def installed_triggers(conn: BaseDatabaseWrapper = connection) -> set[str]:
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


# --- reading the log ---


def identity() -> ChangeLog:
    """The log's one row, made on first use (a new or flushed database gets a new epoch)."""
    row = ChangeLog.objects.filter(pk=1).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return ChangeLog.objects.create(pk=1, epoch=uuid.uuid4().hex)
    except IntegrityError:  # another process made it first
        return ChangeLog.objects.get(pk=1)


def new_epoch() -> None:
    """After a restore: every index made before it is rebuilt rather than trusted."""
    ChangeLog.objects.update_or_create(pk=1, defaults={"epoch": uuid.uuid4().hex})


@dataclass
class Cursor:
    """What a consumer has applied. SQLite: every change with an id below `position`.
    PostgreSQL: every change below `position`, those at `position` up to id `after`, and the
    ones above listed in `seen` (change id -> position: the few read while transactions older
    than them were still running)."""

    epoch: str
    position: int
    seen: dict[int, int] = field(default_factory=dict)
    after: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "position": self.position,
            "after": self.after,
            "seen": [[pk, where] for pk, where in self.seen.items()],
        }

    @classmethod
    def from_json(cls, data: Any) -> Cursor | None:
        try:
            return cls(
                str(data["epoch"]),
                int(data["position"]),
                {int(pk): int(where) for pk, where in data.get("seen", [])},
                int(data.get("after", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _horizon() -> int:
    """Every change below this position is final: committed (and visible to the next
    statement) or rolled back."""
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        else:
            cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM papers_paperchange")
        return int(cursor.fetchone()[0])


def start() -> Cursor:
    """The cursor of a structure about to be built from the whole catalogue: taken *before*
    the papers are read, so changes committed while it reads are applied again after."""
    epoch, horizon = identity().epoch, _horizon()
    if not _postgres():
        return Cursor(epoch, horizon)
    # Rows above the horizon that are visible now are read by the build too: seen already.
    visible = PaperChange.objects.filter(position__gte=horizon).values_list("id", "position")
    return Cursor(epoch, horizon, {pk: at for pk, at in visible if at is not None})


@dataclass
class Batch:
    changes: list[tuple[int, str]]  # (paper id, kind), in log order
    cursor: Cursor  # where the consumer is once it has applied them
    stale: bool = False  # the cursor cannot be followed: rebuild from the catalogue
    reason: str = ""
    more: bool = False  # more changes wait after these: read again

    @property
    def paper_ids(self) -> list[int]:
        return list(dict.fromkeys(pk for pk, _ in self.changes))


def _of_kinds(kinds: str) -> Any:
    rows = PaperChange.objects.all()
    return rows.filter(kind__in=list(kinds)) if kinds != "pv" else rows


def _unapplied(cursor: Cursor, kinds: str) -> Any:
    if not _postgres():
        return _of_kinds(kinds).filter(id__gte=cursor.position)
    later = Q(position__gt=cursor.position) | Q(position=cursor.position, id__gt=cursor.after)
    return _of_kinds(kinds).filter(later).exclude(id__in=list(cursor.seen))


_ROW = ("id", "paper_id", "kind", "position")


def unfollowable(cursor: Cursor | None) -> str:
    """Why the log cannot bring this cursor up to date ("" when it can)."""
    log = identity()
    if cursor is None:
        return "no index yet"
    if cursor.epoch != log.epoch:
        return "made from another database"
    if cursor.position < log.pruned_below:
        return "behind the change log's retention"
    return ""


def read(cursor: Cursor | None, *, kinds: str = "pv", limit: int = 10_000) -> Batch:
    """The next changes of these kinds (at most `limit`, in an order that is safe to resume
    from) that `cursor` has not applied; `more` when others wait after them. A batch is `stale`
    when the cursor cannot be followed (missing, from another database, behind what the log
    retains): rebuild."""
    reason = unfollowable(cursor)
    if reason or cursor is None:
        return Batch([], start(), stale=True, reason=reason)
    epoch = identity().epoch
    horizon = _horizon()  # before reading: every change below it is final and visible below
    if not _postgres():
        # Writers take turns on SQLite: ids below the horizon are committed, in commit order.
        unapplied = _unapplied(cursor, kinds).filter(id__lt=horizon).order_by("id")
        rows = list(unapplied.values_list(*_ROW)[:limit])
        more = len(rows) == limit
        following = Cursor(epoch, rows[-1][0] + 1 if more else max(cursor.position, horizon))
        return Batch([(paper, kind) for _, paper, kind, _ in rows], following, more=more)
    pending = _unapplied(cursor, kinds).order_by("position", "id")
    # Below the horizon every change is final: read in (position, id) order, resumable.
    rows = list(pending.filter(position__lt=horizon).values_list(*_ROW)[:limit])
    if len(rows) == limit:
        last_id, _, _, last_position = rows[-1]
        seen = {pk: where for pk, where in cursor.seen.items() if where >= last_position}
        following = Cursor(epoch, last_position, seen, after=last_id)
        return Batch([(paper, kind) for _, paper, kind, _ in rows], following, more=True)
    # At and above it, transactions may still commit rows between those read now: remember
    # the ones read (`seen`) and move the position only to the horizon.
    fresh = list(pending.filter(position__gte=horizon).values_list(*_ROW)[: limit - len(rows)])
    rows += fresh
    seen = {pk: where for pk, where in cursor.seen.items() if where >= horizon}
    seen.update({pk: where for pk, _, _, where in fresh})
    following = Cursor(epoch, max(cursor.position, horizon), seen)
    more = len(rows) == limit
    return Batch([(paper, kind) for _, paper, kind, _ in rows], following, more=more)


def backlog(cursor: Cursor | None, kinds: str = "pv") -> tuple[int, datetime | None]:
    """How many changes the cursor has not applied, and when the oldest of them was made."""
    if cursor is None:
        return 0, None
    rows = _unapplied(cursor, kinds)
    oldest = rows.order_by("id").values_list("at", flat=True).first()
    return rows.count(), oldest


def consumer_name(kind: str) -> str:
    return f"{kind}@{socket.gethostname()}:{settings.DATA_DIR}"


def acknowledge(kind: str, cursor: Cursor, *, rebuilt: bool = False, kinds: str = "pv") -> None:
    """Record what this node's consumer has applied, for `index status` and `/readyz`."""
    pending, oldest = backlog(cursor, kinds)
    now = timezone.now()
    values: dict[str, Any] = {
        "position": cursor.position,
        "pending": pending,
        "oldest_pending_at": oldest,
        "applied_at": now,
    }
    if rebuilt:
        values["rebuilt_at"] = now
    ChangeConsumer.objects.update_or_create(name=consumer_name(kind), defaults=values)


def prune(days: int = RETENTION_DAYS) -> int:
    """Delete the changes older than `days`; a consumer still behind them rebuilds."""
    cutoff = timezone.now() - timedelta(days=days)
    old = PaperChange.objects.filter(at__lt=cutoff)
    column = "position" if _postgres() else "id"
    with transaction.atomic():
        newest = old.order_by(f"-{column}").values_list(column, flat=True).first()
        if newest is None:
            return 0
        deleted, _ = old.filter(**{f"{column}__lte": newest}).delete()
        log = identity()
        ChangeLog.objects.filter(pk=log.pk).update(pruned_below=max(log.pruned_below, newest + 1))
    return deleted
