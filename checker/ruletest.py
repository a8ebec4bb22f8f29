"""Rule tests (Semgrep's idea, for prose): every requirement's example passages, and annotated `*.test.md`
files beside the rule files, run through the same engine.

In a test file, an HTML comment names the expectation for the paragraph that follows it:

    <!-- match: gdpr.right_to_erasure -->          some element of the requirement matches in the paragraph
    <!-- match: gdpr.right_to_erasure met -->      every required element matches in the paragraph
    <!-- match: gdpr.right_to_erasure partial -->  some element matches, not every required one
    <!-- no-match: gdpr.right_to_erasure -->       nothing of the requirement matches in the paragraph

Headings in the test file give the paragraphs their section context, as in a real policy. A comment
`<!-- as-of: 2026-06-30 -->` anywhere in the file fixes the check date for rules about how recent a date is.
Flags (red-flag wording, contradictions) are tested by their examples: each `match` text raises the flag.
A model clause (the illustrative wording the reports suggest) is a test too: a requirement's must meet it in
full, a flag's must not raise the flag.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable

from .api import read_document
from .matcher import Doc
from .model import GapcheckError
from .packs import Flag, Pack, Requirement
from .scoring import assess, assess_flag, element_hits, element_status

ANNOTATION = re.compile(r"<!--\s*(match|no-match)\s*:\s*([^>]*?)\s*-->")
AS_OF = re.compile(r"<!--\s*as-of\s*:\s*(\S+)\s*-->")


@dataclass
class Case:
    requirement: str
    expect: str  # "match" | "met" | "partial" | "no_match"
    got: str  # what the engine said
    ok: bool
    where: str  # file:line
    passage: str


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    tn: int = 0
    fp: int = 0
    failures: list[Case] = field(default_factory=list)

    def add(self, case: Case) -> None:
        positive = case.expect != "no_match"
        if positive:
            self.tp += case.ok
            self.fn += not case.ok
        else:
            self.tn += case.ok
            self.fp += not case.ok
        if not case.ok:
            self.failures.append(case)


def _passage_status(req: Requirement, text: str, as_of: date | None = None) -> str:
    doc = read_document("example.md", data=text.encode("utf-8"))
    finding = assess(_unconditional(req), Doc(doc, as_of))
    return finding.status


def _unconditional(req: Requirement) -> Requirement:
    from dataclasses import replace

    return replace(req, when=None) if req.when is not None else req


def _ok(expect: str, got: str) -> bool:
    if expect == "match":
        return got in ("met", "partial")
    if expect == "no_match":
        return got in ("missing", "not_applicable")
    return got == expect


def example_cases(req: Requirement) -> Iterable[Case]:
    for text, status, where, as_of in req.examples_match:
        expect = status or "match"
        got = _passage_status(req, text, as_of)
        yield Case(req.id, expect, got, _ok(expect, got), where, text)
    for text, where in req.examples_no_match:
        got = _passage_status(req, text)
        yield Case(req.id, "no_match", got, _ok("no_match", got), where, text)
    if req.model_clause:  # the wording the reports suggest must itself satisfy the requirement in full
        got = _passage_status(req, req.model_clause)
        yield Case(req.id, "met", got, _ok("met", got), req.model_clause_at, req.model_clause)


def flag_cases(flag: Flag) -> Iterable[Case]:
    for text, where in flag.examples_match:
        got = "raised" if assess_flag(flag, Doc(read_document("example.md", data=text.encode("utf-8")))) else "none"
        yield Case(flag.id, "match", got, got == "raised", where, text)
    no_match = list(flag.examples_no_match)
    if flag.model_clause:  # the wording the reports suggest instead must not raise the flag
        no_match.append((flag.model_clause, flag.model_clause_at))
    for text, where in no_match:
        got = "raised" if assess_flag(flag, Doc(read_document("example.md", data=text.encode("utf-8")))) else "none"
        yield Case(flag.id, "no_match", got, got == "none", where, text)


def test_file_cases(path: Path, requirements: dict[str, Requirement]) -> Iterable[Case]:
    label = str(path)
    doc = read_document(str(path))
    text = doc.text
    found_as_of = AS_OF.search(text)
    try:
        as_of = date.fromisoformat(found_as_of.group(1)) if found_as_of else None
    except ValueError:
        raise GapcheckError(f"{label}:{doc.line_of(found_as_of.start())}: as-of needs a date (YYYY-MM-DD)") from None
    prepared = Doc(doc, as_of)
    cache: dict[str, dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]]] = {}
    for m in ANNOTATION.finditer(text):
        kind, body = m.group(1), m.group(2).split()
        line = doc.line_of(m.start())
        where = f"{label}:{line}"
        if not body:
            raise GapcheckError(f"{where}: annotation names no requirement")
        rid, expect = body[0].rstrip(","), (body[1] if len(body) > 1 else None)
        if rid not in requirements:
            raise GapcheckError(f"{where}: unknown requirement '{rid}'")
        if kind == "no-match":
            expect = "no_match"
        elif expect not in (None, "met", "partial"):
            raise GapcheckError(f"{where}: expected 'met' or 'partial' after the id, got '{expect}'")
        # the annotated passage: from the first sentence after the comment to the end of its paragraph (a list
        # item after a lead-in belongs to the lead-in's paragraph, which starts before the comment)
        first = next((s for s in doc.sentences if s.start >= m.end() and not s.is_heading), None)
        if first is None:
            raise GapcheckError(f"{where}: annotation is not followed by a paragraph")
        whole = doc.paragraphs[first.paragraph]
        para = type(whole)(whole.index, first.start, whole.end, whole.section)
        req = requirements[rid]
        if rid not in cache:
            cache[rid] = {}
            for e in req.elements:
                hits, weak = element_hits(e, prepared)
                cache[rid][e.name] = ([_unit(prepared, i, sp) for i, sp in hits], [_unit(prepared, i, sp) for i, sp in weak])
        inside, weak = set(), set()
        for name, (units, weak_units) in cache[rid].items():
            if any(s < para.end and e > para.start for s, e in units):
                inside.add(name)
            elif any(s < para.end and e > para.start for s, e in weak_units):
                weak.add(name)
        got = element_status(req, inside, weak)
        yield Case(rid, expect or "match", got, _ok(expect or "match", got), where, text[para.start:para.end])


def _unit(doc: Doc, idx: int, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """Where a match lies, for comparing with an annotated paragraph: its matched words within the anchor
    sentence's paragraph (words matched further away, by a document-scoped confirmation, do not count)."""
    d = doc.document
    s = d.sentences[idx]
    para = d.paragraphs[s.paragraph]
    near = [sp for sp in spans if para.start <= sp[0] and sp[1] <= para.end]
    if near:
        return min(a for a, _ in near), max(b for _, b in near)
    return s.start, s.end


def run(packs: Iterable[Pack], test_dirs: Iterable[Path] = ()) -> dict[str, Tally]:
    """Run every example and every `*.test.md` in the packs' folders (and `test_dirs`)."""
    packs = list(packs)
    tallies: dict[str, Tally] = {}
    requirements = {r.id: r for p in packs for r in p.requirements}
    for req in requirements.values():
        tally = tallies.setdefault(req.id, Tally())
        for case in example_cases(req):
            tally.add(case)
    for flag in (f for p in packs for f in p.flags):
        tally = tallies.setdefault(flag.id, Tally())
        for case in flag_cases(flag):
            tally.add(case)
    dirs: list[Path] = []
    for p in packs:
        for part in p.dirs:
            if Path(part) not in dirs:
                dirs.append(Path(part))
    dirs += [Path(d) for d in test_dirs]
    for d in dirs:
        for path in sorted(d.glob("*.test.md")):
            for case in test_file_cases(path, requirements):
                tallies.setdefault(case.requirement, Tally()).add(case)
    return tallies
