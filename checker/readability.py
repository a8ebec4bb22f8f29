"""How plainly a policy is written (GDPR Art. 12(1): "concise, transparent, intelligible and easily accessible
form, using clear and plain language"): reading ease per section, very long sentences, and hedged wording.

Informational: these figures never change a status, a score or the gate. They are estimates for prose in
English and are stated as such in every report:

- Reading ease is the Flesch formula, 206.835 - 1.015 * (words / sentences) - 84.6 * (syllables / words), with
  syllables counted by a spelling heuristic (vowel groups, silent final "e", "-ed", "-es"). 60-70 is plain
  English; below 30 reads like an academic paper. Headings are not sentences; a section needs MIN_SECTION_WORDS
  words of prose to be scored.
- A very long sentence has more than LONG_SENTENCE words (a list item or table row without full stops counts
  as one sentence, as a reader meets it).
- Hedged wording is the company leaving its own practice open: "we may share", "might", "could", "from time to
  time", "at our discretion", "where appropriate", "in certain cases". "You may ask us ..." grants the reader a
  right and is not a hedge; nor is the month of May. The ratio is the share of sentences holding at least one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .model import Document, Evidence

LONG_SENTENCE = 40  # words
MIN_SECTION_WORDS = 60  # a section shorter than this is not scored on its own
WORST = 5  # passages quoted per list

# not words a reader reads: URLs, e-mail addresses, and Markdown link targets ("[Rights](#your-rights)")
_URLISH = re.compile(r"\]\([^)\s]*\)|\S+://\S+|\bwww\.\S+|\S+@\S+\.\w+")
_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['\u2019.-][A-Za-z0-9\u00c0-\u024f]+)*")
_HEDGE = re.compile(
    r"(?<![\w'\u2019])(?=[acfgimoptw])(?:"  # (the look-ahead: what every hedge starts with, so most places fail fast)
    # a modal verb not addressed to the reader ("you may ask") and not the month ("May 2025", "25 May")
    r"(?<!you )(?<!\d )(?:may|might|could)\b(?!\s+\d)(?!,?\s+(?:19|20)\d\d)"
    r"|from\s+time\s+to\s+time"
    r"|at\s+(?:our|its|their)\s+(?:sole\s+|absolute\s+|own\s+)?discretion"
    r"|(?:where|when|as|if)\s+(?:we\s+(?:deem|consider|think)\s+(?:it\s+)?)?(?:appropriate|necessary)(?=\W|$)"
    r"|in\s+(?:certain|some|limited)\s+(?:cases|circumstances|situations|instances)"
    r"|(?:periodically|occasionally|potentially|possibly|generally|typically)"
    r")",
    re.IGNORECASE,
)
# "May" the month in a date, capitalised mid-sentence before a day or year ("on May 25", "May 2025")
_MONTH = re.compile(r"(?<![.!?]\s)(?<!^)\bMay\s+\d")


@dataclass(frozen=True)
class SectionReadability:
    heading: str  # "" for text before the first heading
    line: int
    words: int
    sentences: int
    reading_ease: float | None  # None when the section has too few words to score

    def to_dict(self) -> dict[str, Any]:
        return {"heading": self.heading, "line": self.line, "words": self.words, "sentences": self.sentences,
                "reading_ease": self.reading_ease}


@dataclass(frozen=True)
class Readability:
    words: int  # words of prose (headings, URLs and e-mail addresses left out)
    sentences: int
    reading_ease: float | None
    long_sentences: int  # how many have more than LONG_SENTENCE words
    longest: tuple[Evidence, ...]  # the longest of them, longest first (at most WORST)
    hedged_sentences: int
    hedged: tuple[Evidence, ...]  # the sentences with the most hedges (highlighted), at most WORST
    sections: tuple[SectionReadability, ...]  # every section with prose, in document order

    @property
    def hedge_ratio(self) -> float:
        return round(self.hedged_sentences / self.sentences, 3) if self.sentences else 0.0

    @property
    def band(self) -> str:
        return ease_band(self.reading_ease)

    def hardest(self, n: int = 3) -> list[SectionReadability]:
        scored = [s for s in self.sections if s.reading_ease is not None]
        return sorted(scored, key=lambda s: (s.reading_ease, s.line))[:n]

    def summary(self) -> str:
        """One sentence: the figures a reader needs first."""
        if not self.sentences:
            return "No prose to measure."
        ease = "not scored (too little prose)" if self.reading_ease is None else f"{self.reading_ease:.0f} ({self.band})"
        return (f"Reading ease {ease}; {self.long_sentences} of {self.sentences} sentences have more than "
                f"{LONG_SENTENCE} words; {self.hedge_ratio:.0%} of sentences hedge (\u201cmay\u201d, "
                f"\u201cfrom time to time\u201d, ...).")

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "sentences": self.sentences,
            "reading_ease": self.reading_ease,
            "band": self.band if self.reading_ease is not None else None,
            "long_sentence_words": LONG_SENTENCE,
            "long_sentences": self.long_sentences,
            "longest": [e.to_dict() for e in self.longest],
            "hedged_sentences": self.hedged_sentences,
            "hedge_ratio": self.hedge_ratio,
            "hedged": [e.to_dict() for e in self.hedged],
            "sections": [s.to_dict() for s in self.sections],
        }


def ease_band(score: float | None) -> str:
    if score is None:
        return "not scored"
    for floor, name in ((90, "very easy"), (80, "easy"), (70, "fairly easy"), (60, "plain English"),
                        (50, "fairly difficult"), (30, "difficult")):
        if score >= floor:
            return name
    return "very difficult"


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllables in an English word, estimated from its spelling (numbers and abbreviations count as one)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1
    # a silent final "e", "-es" (not after a sibilant: "services", "purposes", "matches") and "-ed"
    w = re.sub(r"(?:[^laeiouycszgxh]es|[^laeiouy]ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", w)))


def word_count(text: str) -> int:
    """Words as the measures count them (URLs and e-mail addresses left out)."""
    return len(_WORD.findall(_readable(text)))


def _flesch(words: int, sentences: int, syl: int) -> float | None:
    if not words or not sentences:
        return None
    return round(206.835 - 1.015 * (words / sentences) - 84.6 * (syl / words), 1)


def _hedges(text: str) -> list[tuple[int, int]]:
    months = {m.start() for m in _MONTH.finditer(text)} if "May" in text else ()
    return [m.span() for m in _HEDGE.finditer(text) if m.start() not in months]


def _readable(text: str) -> str:
    """The text without URLs, e-mail addresses and link targets (each needs one of the strings tested)."""
    if "@" in text or "://" in text or "www." in text or "](" in text:
        return _URLISH.sub(" ", text)
    return text


def measure(doc: Document) -> Readability:
    text = doc.text
    per_section: dict[int, list[int]] = {}  # section -> [words, sentences, syllables]
    long: list[tuple[int, int]] = []  # (words, sentence index)
    hedged: list[tuple[int, int, list[tuple[int, int]]]] = []  # (hedges, sentence index, spans)
    total_w = total_s = total_syl = 0
    for s in doc.sentences:
        if s.is_heading:
            continue
        body = _readable(text[s.start:s.end])
        words = _WORD.findall(body)
        if not words:
            continue
        n, syl = len(words), sum(syllables(w) for w in words)
        acc = per_section.setdefault(s.section, [0, 0, 0])
        acc[0] += n
        acc[1] += 1
        acc[2] += syl
        total_w, total_s, total_syl = total_w + n, total_s + 1, total_syl + syl
        if n > LONG_SENTENCE:
            long.append((n, s.index))
        spans = _hedges(text[s.start:s.end])
        if spans:
            hedged.append((len(spans), s.index, [(s.start + a, s.start + b) for a, b in spans]))
    long.sort(key=lambda x: (-x[0], x[1]))
    hedged.sort(key=lambda x: (-x[0], x[1]))
    sections = tuple(
        SectionReadability(doc.sections[i].heading, doc.line_of(doc.sections[i].start), w, n,
                           _flesch(w, n, syl) if w >= MIN_SECTION_WORDS else None)
        for i, (w, n, syl) in sorted(per_section.items()))
    return Readability(
        words=total_w, sentences=total_s,
        reading_ease=_flesch(total_w, total_s, total_syl) if total_w >= MIN_SECTION_WORDS else None,
        long_sentences=len(long),
        longest=tuple(_quote(doc, i) for _, i in long[:WORST]),
        hedged_sentences=len(hedged),
        hedged=tuple(_quote(doc, i, spans) for _, i, spans in hedged[:WORST]),
        sections=sections,
    )


def _quote(doc: Document, index: int, highlights: list[tuple[int, int]] = ()) -> Evidence:
    s = doc.sentences[index]
    return Evidence(quote=doc.text[s.start:s.end], start=s.start, end=s.end, line=s.line,
                    section=doc.sections[s.section].heading or None, element=None, highlights=tuple(highlights))
