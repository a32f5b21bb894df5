"""The full-text leg: a tantivy index of every paper, derived from the database.

- Title and abstract are stemmed English, indexed together (`text`) and the title once more
  for a boost; authors are matched without stemming; categories and the submission year are
  exact filters.
- The index lives in `<data dir>/search/fulltext`: each machine has its own. It can always be
  rebuilt from the database (`dailypapers index rebuild`), is rebuilt when missing, unreadable,
  of an older schema, made from another database or behind the change log's retention, and is
  kept current by `catch_up()`, which applies the change log (`papers/changes.py`) from the
  cursor stored in the index's metadata: every second in `dailypapers index follow` (started by
  every `serve`), and at once after this process's own imports, ingestion and submissions.
- One process writes at a time (tantivy's lock); readers reload to see new commits.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import tantivy
from django.conf import settings
from django.db.models import F, QuerySet

from dailypapers.papers import changes
from dailypapers.papers.models import Paper
from dailypapers.search.grammar import Query

log = logging.getLogger(__name__)
SCHEMA_VERSION = 5  # 3: the change log's cursor in the metadata; 4: the body text; 5: day
# Scoring is a flat sum of BM25 term scores, one per query word in `text` (title and abstract
# together) and a boosted one in `title`: a query of term queries only, the cheapest shape for
# tantivy. Tuned on the SciFact *train* split (benchmarks/search_fulltext.py): a title match adds
# a fifth of an abstract match (0.1: 0.701, 0.2: 0.702, 0.3: 0.700, 0.5: 0.694 nDCG@10). It
# replaced a per-word max over title and abstract (0.691 train, same test), 2-3x slower.
TITLE_BOOST = 0.2
# The paper's full text (content app), for papers whose PDF was fetched: a word found there adds
# a quarter of what it adds in the abstract (BM25 already scales a match in a long body down).
# Not tuned: SciFact has no bodies, so on it this field matches nothing and its scores are the
# same as without it (benchmarks/search_fulltext.py gives the same figures; see the README).
BODY_BOOST = 0.25
# A word found in more than this share of papers ("model", "using" on arXiv) is matched in
# titles only when the query has a rarer word: its abstract postings were most of the work of
# a search at 1M papers, for no measured gain (SciFact train 0.702 either way, at 0.1: 0.688).
COMMON = 0.3
COVERED_PAPERS = 3  # `covered`: this many papers with every word of the query
# Lucene's English stopword list (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET).
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
})  # fmt: skip
BATCH = 5000
EPOCH = dt.date(1970, 1, 1)
BODY_BATCH = 500  # rows read at a time: a few hold a whole paper's text
RELOAD_SECONDS = 1.0
_analyzer = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
_plain = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .build()
)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pk", stored=True, indexed=True, fast=True)
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("text", tokenizer_name="en_stem")  # title and abstract
    builder.add_text_field("authors", tokenizer_name="default")
    builder.add_text_field("body", tokenizer_name="en_stem")  # the PDF's text, when fetched
    builder.add_text_field("category", tokenizer_name="raw")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("day", indexed=True, fast=True)  # days since 1970-01-01
    return builder.build()


SCHEMA = _schema()


def index_dir() -> Path:
    return Path(settings.DATA_DIR) / "search" / "fulltext"


class IndexMissing(Exception):
    """The index does not exist (yet) or cannot be read."""


@dataclass
class Hits:
    ids: list[int]  # paper primary keys, best first
    scores: list[float]
    total: int


def _document(paper: Paper) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_integer("pk", paper.pk)
    doc.add_text("title", paper.title)
    doc.add_text("text", paper.title)
    doc.add_text("text", paper.abstract)
    doc.add_text("authors", " ; ".join(paper.authors))
    body = getattr(paper, "body", None)
    if body:
        doc.add_text("body", body)
    for code in paper.categories:
        doc.add_text("category", code)
    when = paper.published_at or paper.created_at
    if when:
        doc.add_integer("year", when.year)
        doc.add_integer("day", (when.date() - EPOCH).days)
    return doc


_FIELDS = ("pk", "title", "abstract", "authors", "categories", "published_at", "created_at")


class FullTextIndex:
    """One process's handle on the index: open once, reload before searching."""

    _lock = threading.Lock()
    _instance: FullTextIndex | None = None

    def __init__(self, path: Path) -> None:
        self.path = path
        meta = self._meta()
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexMissing(f"no index of schema {SCHEMA_VERSION} at {path}")
        self._reloaded = time.monotonic()
        try:
            self.index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
            self.index.reload()
            self.index.searcher()
        except (ValueError, OSError) as exc:
            raise IndexMissing(f"the index at {path} cannot be read: {exc}") from None

    @classmethod
    def get(cls) -> FullTextIndex:
        with cls._lock:
            path = index_dir()
            if cls._instance is None or cls._instance.path != path:
                cls._instance = cls(path)
            return cls._instance

    @classmethod
    def forget(cls) -> None:
        with cls._lock:
            cls._instance = None

    def _meta(self) -> dict:
        try:
            return json.loads((self.path / "dailypapers.json").read_text())
        except (OSError, ValueError):
            return {}

    # --- searching ---

    def search(self, query: Query, limit: int, offset: int = 0, *, count: bool = True) -> Hits:
        """The best `limit` matches after `offset`; `total` counts every match (which costs
        a walk over all of them) only when `count` is true, else it is a lower bound."""
        searcher = self._searcher()
        compiled = compile_query(query, searcher)
        if compiled is None:
            return Hits([], [], 0)
        result = searcher.search(compiled, limit=limit, offset=offset, count=count)
        ids = _pks(searcher, result.hits)
        scores = [score for score, _ in result.hits]
        # `count` is there (tantivy 0.27), but missing from the package's stub.
        total = result.count if count else offset + len(ids)  # type: ignore[attr-defined]
        return Hits(ids, scores, total)

    def _searcher(self) -> tantivy.Searcher:
        now = time.monotonic()
        if now - self._reloaded > RELOAD_SECONDS:  # see other processes' commits, not too often
            self.index.reload()
            self._reloaded = now
            _MEMO.clear()  # the terms may have changed
        return self.index.searcher()

    def suggest(self, query: Query) -> dict[str, str]:
        """The query's words that no paper has, each with the spelling one edit away that the
        most papers have ("did you mean")."""
        searcher = self._searcher()
        found: dict[str, str] = {}
        for word in query.words:
            if len(found) == FUZZY_MAX:
                break  # as many as the search corrects
            if ":" not in word and unknown(word, searcher):
                better = correction(word, searcher)
                if better:
                    found[word] = better
        return found

    def covered(self, query: Query, papers: int = COVERED_PAPERS) -> bool:
        """Whether at least `papers` papers have every word of the query in their title or
        abstract (stopwords aside, a misspelt word by its nearest spelling): the sign that full
        text found what was asked, which search uses to weigh the legs (see service)."""
        words = [word for word in query.words if not _stopword(word)]
        if not words:
            return False
        searcher = self._searcher()
        clauses = []
        for word in words:
            for token in _analyzer.analyze(word):
                if searcher.doc_freq("text", token) == 0:
                    near = nearest_term(token, searcher, word) if token.isalpha() else None
                    if near is None:
                        return False
                    token = near
                clauses.append((tantivy.Occur.Must, _term("text", token)))
        if not clauses:
            return False
        found = searcher.search(tantivy.Query.boolean_query(clauses), limit=papers, count=False)
        return len(found.hits) >= papers

    def satisfying(self, ids: list[int], query: Query) -> set[int]:
        """Which of these papers satisfy the query's constraints (words are not required)."""
        constraints = _constraints(query)
        if not constraints:
            return set(ids)
        if not ids:
            return set()
        clauses = [(tantivy.Occur.Must, tantivy.Query.term_set_query(SCHEMA, "pk", ids))]
        searcher = self._searcher()
        result = searcher.search(tantivy.Query.boolean_query(clauses + constraints), limit=len(ids))
        return set(_pks(searcher, result.hits))


def _stopword(word: str) -> bool:
    tokens = _plain.analyze(word)
    return bool(tokens) and all(token in STOPWORDS for token in tokens)


def _term(field_name: str, token: str, boost: float = 1.0) -> tantivy.Query:
    query = tantivy.Query.term_query(SCHEMA, field_name, token)
    return tantivy.Query.boost_query(query, boost) if boost != 1.0 else query


def _pks(searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]]) -> list[int]:
    """The paper ids of these hits (`pk` is an integer fast field)."""
    return cast("list[int]", searcher.fast_field_values("pk", [address for _, address in hits]))


def _phrase(field_name: str, tokens: list[str]) -> tantivy.Query:
    # The stub types the words as a list of `str | (position, str)`: a list[str] is one.
    words = cast("list[str | tuple[int, str]]", tokens)
    return tantivy.Query.phrase_query(SCHEMA, field_name, words)


def _phrase_query(text: str) -> tantivy.Query | None:
    """The words of `text` in this order, in the title or the abstract (a title match ranks
    higher), analyzed as the index analyzes them."""
    tokens = _analyzer.analyze(text)
    if not tokens:
        return None
    parts = []
    for field_name, boost in (("text", 1.0), ("title", TITLE_BOOST)):
        if len(tokens) == 1:
            part = _term(field_name, tokens[0], boost)
        else:
            part = _phrase(field_name, tokens)
            part = tantivy.Query.boost_query(part, boost) if boost != 1.0 else part
        parts.append((tantivy.Occur.Should, part))
    return tantivy.Query.boolean_query(parts)  # in the title implies in the text


def _body_query(text: str) -> tantivy.Query | None:
    """The words of `text` in this order in the paper's full text (`body:"..."`)."""
    tokens = _analyzer.analyze(text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return _term("body", tokens[0])
    return _phrase("body", tokens)


def _constraints(query: Query) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """The clauses every result must satisfy: phrases, exclusions, authors, categories, years."""
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for text in query.body:
        compiled = _body_query(text)
        if compiled is not None:
            clauses.append((tantivy.Occur.Must, compiled))
    for phrase in query.phrases:
        compiled = _phrase_query(phrase)
        if compiled is not None:
            clauses.append((tantivy.Occur.Must, compiled))
    for excluded in query.excluded:
        compiled = _phrase_query(excluded)
        if compiled is not None:
            clauses.append((tantivy.Occur.MustNot, compiled))
    for author in query.authors:
        tokens = _plain.analyze(author)
        if tokens:
            clauses.append(
                (
                    tantivy.Occur.Must,
                    _phrase("authors", tokens) if len(tokens) > 1 else _term("authors", tokens[0]),
                )
            )
    for category in query.categories:
        clauses.append((tantivy.Occur.Must, _term("category", category.strip())))
    if query.since is not None:
        clauses.append(
            (
                tantivy.Occur.Must,
                tantivy.Query.range_query(
                    SCHEMA, "day", tantivy.FieldType.Integer, (query.since - EPOCH).days, None
                ),
            )
        )
    if query.year_from is not None or query.year_to is not None:
        clauses.append(
            (
                tantivy.Occur.Must,
                tantivy.Query.range_query(
                    SCHEMA, "year", tantivy.FieldType.Integer, query.year_from, query.year_to
                ),
            )
        )
    return clauses


def has_constraints(query: Query) -> bool:
    return bool(_constraints(query))


FUZZY_MIN = 4  # a word shorter than this is never taken for a misspelling
FUZZY_BOOST = 0.6  # a near spelling counts less than the word itself
FUZZY_MAX = 3  # misspelt words corrected per query
LETTERS = "abcdefghijklmnopqrstuvwxyz"


_MEMO: dict[tuple, str | None] = {}
MEMO_SIZE = 4096


def _memo(kind: str, searcher: tantivy.Searcher, *key: str, compute) -> str | None:
    """One search asks for a misspelt word's nearest term up to four times (its clauses,
    `covered`, the semantic leg's text, "did you mean"): computed once. Forgotten when this
    process writes the index or reloads it (every RELOAD_SECONDS), and keyed by the number of
    papers too."""
    full = (kind, searcher.num_docs, *key)
    if full not in _MEMO:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        _MEMO[full] = compute()
    return _MEMO[full]


def nearest_term(token: str, searcher: tantivy.Searcher, word: str = "") -> str | None:
    """`_nearest_term`, remembered."""
    return _memo(
        "near", searcher, token, word, compute=lambda: _nearest_term(token, searcher, word)
    )


def _nearest_term(token: str, searcher: tantivy.Searcher, word: str = "") -> str | None:
    """The indexed term that the most papers have among the stems one edit from `token` (the
    misspelt word's stem), a swap counting one, and the stems of the one-edit spellings of
    `word` itself: the stem of a typo is not always one edit from the right stem
    ("reinforcemnt" keeps its ending; "predicton" is one edit from the stem "predictor" but
    from the word "prediction", whose stem "predict" many more papers have).

    Each of the ~54n edits is one lookup in the term dictionary (about a millisecond for a long
    word; tantivy's fuzzy query, a Levenshtein automaton over the whole dictionary, made the
    p95 of long queries five times slower at 145k papers)."""
    best, best_count = None, 0
    for candidate in sorted(_edits(token)):
        found = searcher.doc_freq("text", candidate)
        if found > best_count:
            best, best_count = candidate, found
    if word and len(word) <= 20:
        for candidate in sorted(_edits(word.lower())):
            stems = _analyzer.analyze(candidate)
            found = searcher.doc_freq("text", stems[0]) if len(stems) == 1 else 0
            if found > best_count:
                best, best_count = stems[0], found
    return best


def _edits(word: str) -> set[str]:
    """Every word one deletion, swap, replacement or insertion away (Norvig's edits1)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in LETTERS),
        *(a + c + b for a, b in splits for c in LETTERS),
    }


def unknown(word: str, searcher: tantivy.Searcher) -> bool:
    """A word of letters that no paper's title or abstract has (as the index analyzes it)."""
    if len(word) < FUZZY_MIN or not word.isascii() or not word.isalpha():
        return False
    tokens = _analyzer.analyze(word)
    return bool(tokens) and all(searcher.doc_freq("text", t) == 0 for t in tokens)


def correction(word: str, searcher: tantivy.Searcher) -> str | None:
    """`_correction`, remembered."""
    return _memo("correct", searcher, word, compute=lambda: _correction(word, searcher))


def _correction(word: str, searcher: tantivy.Searcher) -> str | None:
    """The spelling one edit away that the most papers have, as those papers write it, or None.

    Edits are compared by their indexed (stemmed) form, which several spellings share
    ("reinforcement", "reinforceant"): the word shown is the one the papers with that form
    use most, among the edits."""
    word = word.lower()
    edits = _edits(word)
    tokens = _analyzer.analyze(word)
    best = nearest_term(tokens[0], searcher, word) if len(tokens) == 1 else None
    if best is None:
        return None
    hits = searcher.search(_term("text", best), limit=20).hits
    pks = _pks(searcher, hits)
    seen: dict[str, int] = {}
    for title, abstract in Paper.objects.filter(pk__in=pks).values_list("title", "abstract"):
        for written in re.findall(r"[A-Za-z]+", f"{title} {abstract}"):
            lower = written.lower()
            if lower in seen or _analyzer.analyze(lower) == [best]:
                seen[lower] = seen.get(lower, 0) + 1
    # The closest spelling of that stem (one edit first), then the most written.
    return min(
        sorted(seen), key=lambda w: (w not in edits, _distance(w, word), -seen[w]), default=None
    )


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short words only)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _word_clauses(query: Query, searcher: tantivy.Searcher) -> list[tantivy.Query]:
    """One term query per word in `text`, one in `title` (boosted); common words in titles
    only when a rarer word is there (see COMMON)."""
    # Stopwords rank nothing (BM25 gives them almost no weight) but their postings hold nearly
    # every paper: leaving them out of the words (not of phrases) makes long queries several
    # times faster, and measured a little better (SciFact train 0.689 -> 0.690).
    words = [word for word in query.words if not _stopword(word)] or query.words
    pairs = [(token, word) for word in words for token in _analyzer.analyze(word)]
    tokens = [token for token, _ in pairs]
    common_above = COMMON * searcher.num_docs
    found_in = {token: searcher.doc_freq("text", token) for token in tokens}
    common = {token for token, papers in found_in.items() if papers > common_above}
    if not any(0 < papers <= common_above for papers in found_in.values()):
        common = set()  # no rarer word that any paper has (a typo is not one): all count
    clauses = []
    fuzzy = 0
    for token, word in pairs:
        if token not in common:
            clauses.append(_term("text", token))
            clauses.append(_term("body", token, BODY_BOOST))
        clauses.append(_term("title", token, TITLE_BOOST))
        if found_in[token] == 0 and len(token) >= FUZZY_MIN and token.isalpha():
            near = nearest_term(token, searcher, word) if fuzzy < FUZZY_MAX else None
            if near:  # no paper has the word: a misspelling, most likely
                clauses.append(_term("text", near, FUZZY_BOOST))
                clauses.append(_term("title", near, TITLE_BOOST * FUZZY_BOOST))
                fuzzy += 1
    return clauses


def compile_query(query: Query, searcher: tantivy.Searcher) -> tantivy.Query | None:
    """Our query, as tantivy Query objects: no string ever goes through a query parser. The
    searcher's statistics tell which words are common."""
    clauses = [(tantivy.Occur.Should, clause) for clause in _word_clauses(query, searcher)]
    clauses += _constraints(query)
    if all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
        return None  # nothing to look for (only exclusions, or nothing at all)
    # Must clauses filter; Should clauses (the words) rank, and at least one must match when
    # there is no Must clause.
    return tantivy.Query.boolean_query(clauses)


# --- writing ---


def _write(index: tantivy.Index, papers: Iterable[Paper], *, replace: bool) -> int:
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    count = 0
    try:
        for paper in papers:
            if replace:
                writer.delete_documents_by_term("pk", paper.pk)
            writer.add_document(_document(paper))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        _MEMO.clear()
    except BaseException:
        writer.rollback()
        raise
    return count


def _papers(qs: QuerySet[Paper]) -> Iterable[Paper]:
    """Papers with what the index holds of them, their full text (`body`) included."""
    return (
        qs.only(*_FIELDS)
        .annotate(body=F("content__text"))
        .order_by("pk")
        .iterator(chunk_size=BODY_BATCH)
    )


def write_meta(path: Path, meta: dict) -> None:
    """Replace the metadata file whole (a full disk leaves the old one, never half of one)."""
    partial = path / "dailypapers.json.partial"
    partial.write_text(json.dumps(meta))
    os.replace(partial, path / "dailypapers.json")


@contextmanager
def building_lock() -> Iterator[None]:
    """One rebuild at a time on this machine (the follower and web processes may all find the
    index missing at once); released by the kernel if the process dies."""
    lock_path = index_dir().with_name("fulltext.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rebuild(progress: Callable[[int, int], None] = lambda done, total: None) -> int:
    """Build a new index from every paper, then swap it in; returns how many were indexed."""
    target = index_dir()
    building = target.with_name("fulltext.new")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    cursor = changes.start()  # before reading: what commits meanwhile is applied after
    total = Paper.objects.count()
    index = tantivy.Index(SCHEMA, path=str(building))
    done = 0
    batch: list[Paper] = []
    for paper in _papers(Paper.objects.all()):
        batch.append(paper)
        if len(batch) == BATCH:
            done += _write(index, batch, replace=False)
            batch = []
            progress(done, total)
    done += _write(index, batch, replace=False)
    progress(done, total)
    write_meta(building, {"schema": SCHEMA_VERSION, "cursor": cursor.as_json(), "papers": done})
    swap_in(building, target)
    FullTextIndex.forget()
    changes.acknowledge("fulltext", cursor, rebuilt=True, kinds=KINDS)
    return done


def swap_in(built: Path, target: Path) -> None:
    """Put a directory built beside `target` in its place (two renames; readers see the old
    one or the new one, never a half-written one)."""
    old = target.with_name(f"{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    built.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def ensure() -> bool:
    """Open the index, rebuilding it first if it is missing or unreadable; True if rebuilt."""
    try:
        FullTextIndex.get()
        return False
    except IndexMissing:
        pass
    with building_lock():
        try:  # another process may have built it while this one waited
            FullTextIndex.get()
            return False
        except IndexMissing as exc:
            if index_dir().exists():  # there was one: worth a warning
                log.warning("rebuilding the search index: %s", exc)
            else:  # a new data directory
                log.info("building the search index at %s", index_dir())
            rebuild()
            return True


KINDS = changes.PaperChange.PAPER
_acknowledged = [0.0]
ACK_SECONDS = 30.0  # with nothing to apply, tell the database this node is alive this often


def catch_up() -> int:
    """Apply the change log to the index (building it if it is missing, or rebuilding it when
    its cursor cannot be followed); returns how many papers were (re)indexed. Another process
    writing the index (tantivy's lock) makes this a no-op: that one is catching up."""
    if ensure():
        return Paper.objects.count()
    handle = FullTextIndex.get()
    meta = handle._meta()
    cursor = changes.Cursor.from_json(meta.get("cursor"))
    applied = 0
    while True:
        batch = changes.read(cursor, kinds=KINDS)
        if batch.stale:
            with building_lock():
                current = changes.Cursor.from_json(handle._meta().get("cursor"))
                if current == cursor or changes.unfollowable(current):
                    log.warning("rebuilding the search index: %s", batch.reason)
                    return rebuild()
            return catch_up()  # another process rebuilt it while this one waited
        ids = batch.paper_ids
        if ids:
            present = {paper.pk: paper for paper in _papers(Paper.objects.filter(pk__in=ids))}
            try:
                _apply(handle.index, ids, present)
            except ValueError as exc:  # another process holds the writer lock: it catches up
                log.debug("search index busy, skipped: %s", exc)
                return applied
            handle.index.reload()  # this process sees its own writes at once
            handle._reloaded = time.monotonic()
            applied += len(ids)
        if ids or batch.cursor != cursor:
            meta["cursor"] = batch.cursor.as_json()
            write_meta(handle.path, meta)  # each batch is kept: a crash resumes after it
        cursor = batch.cursor
        if ids or time.monotonic() - _acknowledged[0] > ACK_SECONDS:
            changes.acknowledge("fulltext", cursor, kinds=KINDS)
            _acknowledged[0] = time.monotonic()
        if not batch.more:
            return applied


def _apply(index: tantivy.Index, ids: list[int], present: dict[int, Paper]) -> None:
    """Replace these papers' documents (deleting those of papers that are gone), one commit."""
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    try:
        for pk in ids:
            writer.delete_documents_by_term("pk", pk)
            if pk in present:
                writer.add_document(_document(present[pk]))
        writer.commit()
        writer.wait_merging_threads()
        _MEMO.clear()
    except BaseException:
        writer.rollback()
        raise


def cursor() -> changes.Cursor | None:
    """The change-log cursor of this machine's index (None: no readable index)."""
    try:
        meta = FullTextIndex.get()._meta()
    except IndexMissing:
        return None
    return changes.Cursor.from_json(meta.get("cursor"))
