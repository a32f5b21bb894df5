"""Keywords and a one-line summary for papers that lack Hugging Face's, computed here.

- **Keywords**, as KeyBERT does: candidate phrases are runs of one to three words of the title
  and abstract without stop words; each is embedded with the model search already ships, ranked
  by similarity to the paper, and picked with maximal marginal relevance (each next keyword is
  close to the paper and far from those already picked), so the list is not five spellings of
  one idea. Without the model, phrases are ranked by frequency and presence in the title.
- **Summary**: the abstract's most central sentence (the one closest to the whole abstract),
  extractive and so never wrong about the paper; or, when `DAILYPAPERS_LLM_URL` names an
  OpenAI-compatible server, one sentence written by that model from the title and abstract.

Both are stored apart from Hugging Face's (`PaperContent.keywords`, `.summary`) and shown as
generated; Hugging Face's win where a paper has them.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

import httpx
import numpy as np
from django.conf import settings
from django.utils import timezone

from dailypapers.content.models import PaperContent
from dailypapers.core import embedding

log = logging.getLogger(__name__)

KEYWORDS = 6
STOP = frozenset(
    """a about above across after again against all almost along also although always am among
    an and another any are around as at be because been before being below between both but by
    can cannot could did do does doing done down due during each either else enough especially
    etc even ever every few for from further furthermore given had has have having here how
    however i if in into is it its itself just large less like made make makes making many may
    might more moreover most much must new not novel of often on once one only or other our ours
    out over paper per perform performance previous propose proposed provide provides rather
    recent recently respectively result results same several should show shows shown significant
    significantly since so some such than that the their them then there these they this those
    three through thus to two under until up upon us use used uses using various very via was we
    well were what when where whether which while who whose why will with within without work
    works would yet you approach approaches method methods based demonstrate existing first
    second state art address achieve achieves achieving task tasks extensive experiments
    introduce present presents study studies model models data beyond across toward towards
    requires require required utilizes utilize utilized supports support supported evaluate
    evaluates evaluated enables enable enabled leverages leverage leveraged remains remain
    allows allow allowed improves improve improved outperforms outperform reformulates
    encodes encode achieves reduces reduce reduced yields yield obtains obtain introduces
    proposes demonstrates shows reveals reveal finds find lead leads leading""".split()  # noqa: SIM905
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z]")
CONTRIBUTION = re.compile(
    r"\b(we|this paper|this work|our (?:method|approach|framework|model))\s+"
    r"(?:\w+\s+){0,2}?(propose|present|introduce|develop|show|demonstrate|design|build|release)",
    re.I,
)
CONTRIBUTION_BONUS = 0.15
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")


def _filler(word: str) -> bool:
    """A number, or an adverb ("fundamentally"): never part of a keyword."""
    return word.isdigit() or (word.endswith("ly") and len(word) > 5)


def candidates(title: str, abstract: str) -> list[str]:
    """Runs of 1-3 consecutive words without stop words, in order of first appearance."""
    found: dict[str, str] = {}  # lowercase: as first written (the abstract's casing wins)
    for text in (abstract, title):
        for clause in re.split(r"[.,;:()\[\]!?\"]|\s-\s", text):
            run: list[str] = []
            for token in [*WORD.findall(clause), ""]:
                word = token.lower()
                if word and word not in STOP and len(word) > 2 and not _filler(word):
                    run.append(token)
                    continue
                for size in (1, 2, 3):
                    for start in range(len(run) - size + 1):
                        phrase = " ".join(run[start : start + size])
                        found.setdefault(phrase.lower(), phrase)
                run = []
    return list(found.values())


def _mmr(similarity: list[float], between: np.ndarray, count: int, diversity: float) -> list[int]:
    picked: list[int] = [int(np.argmax(similarity))]
    scores = np.asarray(similarity)
    while len(picked) < min(count, len(scores)):
        redundancy = between[:, picked].max(axis=1)
        mmr = (1 - diversity) * scores - diversity * redundancy
        mmr[picked] = -np.inf
        picked.append(int(np.argmax(mmr)))
    return picked


def keywords(title: str, abstract: str, count: int = KEYWORDS) -> list[str]:
    phrases = candidates(title, abstract)
    if not phrases:
        return []
    if embedding.available():
        encoder = embedding.Encoder.get(bulk=True)
        vectors = encoder.encode([f"{title}. {abstract}", *phrases[:300]])
        paper, phrase_vectors = vectors[0], vectors[1:]
        similarity = (phrase_vectors @ paper).tolist()
        chosen = _mmr(similarity, phrase_vectors @ phrase_vectors.T, count, diversity=0.5)
        picked = [phrases[i] for i in chosen]
    else:
        text = f"{title} {title} {abstract}".lower()
        frequency = Counter(
            {phrase: text.count(phrase) * len(phrase.split()) for phrase in phrases}
        )
        picked = [phrase for phrase, _ in frequency.most_common(count)]
    # A phrase inside a longer one picked too says the same thing twice.
    lower = [p.lower() for p in picked]
    return [
        p for p in picked if not any(p.lower() != q and f" {p.lower()} " in f" {q} " for q in lower)
    ]


def sentences(abstract: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(" ".join(abstract.split())) if s.strip()]


def extractive_summary(title: str, abstract: str) -> str:
    """The abstract's sentence closest to the whole abstract (ties: the earlier one)."""
    found = [s for s in sentences(abstract) if 40 <= len(s) <= 400] or sentences(abstract)
    if len(found) <= 1:
        return found[0] if found else ""
    if not embedding.available():
        return found[0]
    vectors = embedding.Encoder.get(bulk=True).encode([f"{title}. {abstract}", *found])
    similarity = vectors[1:] @ vectors[0]
    # A sentence that says what the paper does ("we propose...") is what a one-line summary
    # is for; the opening sentence of an abstract is often only the field's motivation.
    scores = [
        float(score) + CONTRIBUTION_BONUS * bool(CONTRIBUTION.search(sentence))
        for score, sentence in zip(similarity, found, strict=True)
    ]
    return tidy(found[scores.index(max(scores))])


LEAD = re.compile(
    r"^(?:hence|thus|therefore|consequently|finally|moreover|furthermore|in addition|"
    r"here|to this end|in this (?:paper|work|study)|to (?:address|tackle|overcome|solve|bridge) "
    r"(?:this|these|the)(?: \w+){0,3}),\s+",
    re.I,
)


def tidy(sentence: str) -> str:
    """A sentence lifted out of its abstract, without the link words that tied it there
    ("Hence, we introduce X" -> "We introduce X") or TeX's group braces (`14{,}056`)."""
    sentence = sentence.replace("{,}", ",").replace("~", " ")
    stripped = LEAD.sub("", sentence, count=1)
    if stripped != sentence and stripped:
        sentence = stripped[0].upper() + stripped[1:]
    return sentence


def llm_summary(title: str, abstract: str) -> str:
    """One sentence from the OpenAI-compatible server at DAILYPAPERS_LLM_URL."""
    response = httpx.post(
        f"{settings.LLM_URL}/chat/completions",
        json={
            "model": settings.LLM_MODEL,
            "temperature": 0,
            "max_tokens": 80,
            "messages": [
                {
                    "role": "system",
                    "content": "Summarise the research paper in one plain sentence of at most "
                    "30 words, saying what it contributes. No preamble.",
                },
                {"role": "user", "content": f"Title: {title}\n\nAbstract: {abstract}"},
            ],
        },
        timeout=httpx.Timeout(10.0, read=120.0),
    )
    response.raise_for_status()
    text = response.json()["choices"][0]["message"]["content"]
    return " ".join(str(text).split())[:400]


def describe(row: PaperContent) -> None:
    """Make a paper's keywords and one-line summary where Hugging Face gave none."""
    paper = row.paper
    if not paper.abstract:
        return
    fields = []
    if not paper.ai_keywords:
        paper.keywords_generated = keywords(paper.title, paper.abstract)
        fields.append("keywords_generated")
    if not paper.ai_summary:
        summary, method = "", "extractive"
        if settings.LLM_URL:
            try:
                summary = llm_summary(paper.title, paper.abstract)
                method = f"llm:{settings.LLM_MODEL}"
            except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
                log.warning("the summary server failed for %s: %s", paper.key, exc)
        paper.summary_generated = summary or extractive_summary(paper.title, paper.abstract)
        row.summary_method = method if summary else "extractive"
        fields.append("summary_generated")
    if fields:
        paper.save(update_fields=fields)
    row.described_at = timezone.now()
    row.save(update_fields=["summary_method", "described_at"])
