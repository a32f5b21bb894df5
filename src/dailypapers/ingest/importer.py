"""Import files of paper records: read, parse, and upsert by arXiv id in batches.

Each file is imported in one transaction: a file that cannot be read (not gzip, truncated, not
JSON at all) raises ImportFileError and leaves the database as it was. A malformed record is
reported with its file and line, skipped, and nothing else is lost.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.db import transaction

from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import catalogue
from dailypapers.ingest.formats import PARSERS
from dailypapers.papers import store
from dailypapers.papers.records import PaperRecord, RecordError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

BATCH_SIZE = 2000


class ImportFileError(Exception):
    """A whole file cannot be imported; nothing from it was written."""


@dataclass
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ImportResult:
    files: int = 0
    records: int = 0
    counts: store.UpsertCounts = field(default_factory=store.UpsertCounts)
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the `*.json*` files inside any directory, sorted."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and ".json" in p.name))
        elif path.is_file():
            files.append(path)
        else:
            raise ImportFileError(f"{path}: no such file or directory")
    return files


class _CountingReader(io.RawIOBase):
    """Wraps a binary file and reports bytes read, for a progress bar over compressed input."""

    def __init__(self, raw: io.BufferedIOBase, on_read: Callable[[int], None]) -> None:
        self.raw = raw
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.on_read(n)
        return n


@contextmanager
def _open_text(path: Path, on_read: Callable[[int], None]) -> Iterator[IO[str]]:
    """The file as text, gunzipped when it starts with gzip's magic bytes."""
    with open(path, "rb") as raw:
        counted = io.BufferedReader(_CountingReader(raw, on_read), buffer_size=1 << 16)
        if counted.peek(2)[:2] == b"\x1f\x8b":
            stream: gzip.GzipFile | io.BufferedReader[_CountingReader] = gzip.GzipFile(
                fileobj=counted
            )
        else:
            stream = counted
        yield io.TextIOWrapper(stream, encoding="utf-8", errors="strict")


def iter_json_records(text: IO[str]) -> Iterator[tuple[int, object | Exception]]:
    """(line number, decoded object or the error) for JSONL, or for one JSON array of objects."""
    decoder = json.JSONDecoder()
    first = text.read(1)
    while first and first.isspace():
        first = text.read(1)
    if first == "[":
        yield from _iter_json_array(first + text.read(), decoder)
        return
    lineno = 0
    for lineno, line in enumerate(_prepend(first, text), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            yield lineno, json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield lineno, RecordError(f"invalid JSON: {exc.msg} at column {exc.colno}")


def _prepend(first: str, text: IO[str]) -> Iterator[str]:
    rest = text.readline()
    yield first + rest
    yield from text


def _iter_json_array(data: str, decoder: json.JSONDecoder) -> Iterator[tuple[int, object]]:
    pos = 1
    end = len(data)
    while True:
        while pos < end and data[pos] in " \t\r\n,":
            pos += 1
        if pos >= end:
            raise ImportFileError("the JSON array is not closed")
        if data[pos] == "]":
            return
        try:
            obj, new_pos = decoder.raw_decode(data, pos)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        yield data.count("\n", 0, pos) + 1, obj
        pos = new_pos


def import_files(
    fmt: str,
    paths: Iterable[str | Path],
    *,
    feed: bool | None = None,
    on_bytes: Callable[[int], None] = lambda n: None,
    on_problem: Callable[[Problem], None] = lambda p: None,
    on_file_error: Callable[[Path, ImportFileError], None] | None = None,
) -> ImportResult:
    """Import every file, each in one transaction.

    `feed`: None lets each format decide (a curated source's records enter the Daily feed, `hf`;
    an arXiv dump's fill the catalogue only); True puts every record in the feed (on its listing
    day), False none. A file that cannot be read raises ImportFileError, unless on_file_error is
    given.
    """
    if fmt not in PARSERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(sorted(PARSERS))}")
    result = ImportResult()
    for path in expand_paths(paths):
        try:
            file_result = import_file(fmt, path, feed=feed, on_bytes=on_bytes)
        except ImportFileError as exc:
            if on_file_error is None:
                raise
            on_file_error(path, exc)
            continue
        result.files += 1
        result.records += file_result.records
        result.counts += file_result.counts
        for problem in file_result.problems:
            on_problem(problem)
        result.problems.extend(file_result.problems)
    return result


def _apply_feed_choice(record: PaperRecord, feed: bool | None) -> None:
    if feed is False:
        record.feed_day = None
    elif feed is True and record.feed_day is None:
        published = record.published_at.date() if record.published_at else None
        record.feed_day = record.listed_on or published
        record.feed_source = DailyEntry.IMPORT


def import_file(
    fmt: str,
    path: Path,
    *,
    feed: bool | None = None,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> ImportResult:
    parse = PARSERS[fmt]
    result = ImportResult(files=1)
    batch: list[PaperRecord] = []
    try:
        with _open_text(path, on_bytes) as text, transaction.atomic():
            for lineno, obj in iter_json_records(text):
                try:
                    if isinstance(obj, Exception):
                        raise obj
                    record = parse(obj)
                except RecordError as exc:
                    result.problems.append(Problem(str(path), lineno, str(exc)))
                    continue
                _apply_feed_choice(record, feed)
                batch.append(record)
                if len(batch) >= BATCH_SIZE:
                    result.counts += catalogue.upsert(batch)
                    result.records += len(batch)
                    batch = []
            if batch:
                result.counts += catalogue.upsert(batch)
                result.records += len(batch)
            if result.records == 0 and result.problems:
                first = result.problems[0]
                raise ImportFileError(
                    f"{path}: no valid {fmt} record (line {first.line}: {first.message})"
                )
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot be read: {exc}") from None
    except ImportFileError as exc:
        message = str(exc)
        if not message.startswith(str(path)):
            message = f"{path}: {message}"
        raise ImportFileError(message) from None
    return result
