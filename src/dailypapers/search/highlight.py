"""Where a result matched: a short passage of its abstract, or of its full text when only the
body matched, with the query's words marked (Hugging Face's `highlightedSummary`).

Words are compared as the index compares them (stemmed: "routing" matches "routed"), so the
marks agree with why the paper was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dailypapers.content.models import PaperContent
from dailypapers.search import fulltext
from dailypapers.search.grammar import Query

WORD = re.compile(r"\w+", re.UNICODE)
WINDOW = 260  # characters of a passage
MAX_SCAN = 400_000  # characters of a body looked at


@dataclass
class Passage:
    source: str  # "abstract" or "full text"
    parts: list[tuple[str, bool]]  # (text, marked)


def _stems(query: Query) -> set[str]:
    words = [*query.words, *query.phrases, *query.body]
    return {
        token
        for word in words
        for token in fulltext._analyzer.analyze(word)
        if token not in fulltext.STOPWORDS
    }


def _matches(text: str, stems: set[str]) -> list[tuple[int, int]]:
    prefixes = {stem[:3] for stem in stems}
    found = []
    for match in WORD.finditer(text[:MAX_SCAN]):
        word = match.group().lower()
        if word[:3] not in prefixes:  # cheap test first: most words share no prefix
            continue
        if any(token in stems for token in fulltext._analyzer.analyze(word)):
            found.append(match.span())
    return found


def _phrase_at(text: str, query: Query) -> int | None:
    """Where the first of the query's phrases appears as written (case aside), if one does."""
    for phrase in [*query.body, *query.phrases]:
        words = WORD.findall(phrase)
        if len(words) > 1:
            found = re.search(r"\W+".join(map(re.escape, words)), text[:MAX_SCAN], re.I)
            if found:
                return found.start()
    return None


def _window(
    text: str, spans: list[tuple[int, int]], anchor: int | None = None
) -> list[tuple[str, bool]]:
    """The WINDOW-long passage around `anchor` (a phrase), else the one holding the most
    matches, cut at word boundaries."""
    best, best_count = 0, 0
    for i, (start, _) in enumerate(spans):
        count = sum(1 for s, _ in spans[i:] if s < start + WINDOW)
        if count > best_count:
            best, best_count = i, count
    start = max(0, (spans[best][0] if anchor is None else anchor) - 60)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + WINDOW)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    parts: list[tuple[str, bool]] = [("…" if start else "", False)]
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        parts += [(text[cursor:s], False), (text[s:e], True)]
        cursor = e
    parts += [(text[cursor:end], False), ("…" if end < len(text) else "", False)]
    return [(text, marked) for text, marked in parts if text]


def passage(query: Query, abstract: str, body: str = "") -> Passage | None:
    """The passage to show under a result, or None when nothing in it names the query's words
    (a result found by meaning only shows its summary as usual)."""
    stems = _stems(query)
    if not stems:
        return None
    if not query.body:
        spans = _matches(abstract, stems)
        if spans:
            return Passage("abstract", _window(abstract, spans, _phrase_at(abstract, query)))
    if body:
        flat = " ".join(re.sub(r"^#+ |^- ", "", line) for line in body.splitlines())
        spans = _matches(flat, stems)
        if spans:
            return Passage("full text", _window(flat, spans, _phrase_at(flat, query)))
    return None


def annotate(query: Query, papers: list) -> None:
    """Set `passage` on each paper (None where none is worth showing); bodies are read only
    for the papers whose abstract does not hold the words."""
    missing = []
    for paper in papers:
        paper.passage = None if query.body else passage(query, paper.abstract)
        if paper.passage is None:
            missing.append(paper)
    if not missing or not _stems(query):
        return
    bodies = dict(
        PaperContent.objects.filter(paper__in=missing)
        .exclude(text="")
        .values_list("paper_id", "text")
    )
    for paper in missing:
        if paper.pk in bodies:
            paper.passage = passage(query, "", bodies[paper.pk])
