"""Evidence -> status per requirement -> score per regime."""
from __future__ import annotations

import re

from .matcher import Doc, Span, find
from .model import SEVERITY_WEIGHT, STATUS_CREDIT, Evidence, Finding
from .packs import Requirement

MAX_EVIDENCE = 3
MAX_QUOTE_SENTENCES = 3


def _evidence(doc: Doc, anchor: int, spans: list[Span], element: str, scope: str = "sentence") -> Evidence:
    """The passage that backs a match: the sentence for sentence-scoped matches; for wider scopes, the
    sentences holding the matched words (at most MAX_QUOTE_SENTENCES of them, else the first)."""
    d = doc.document
    if scope != "sentence" and spans:
        first = doc.sentence_at(min(s for s, _ in spans))
        last = doc.sentence_at(max(s for s, _ in spans))
        if last - first >= MAX_QUOTE_SENTENCES:
            last = first
    else:
        first = last = anchor
    start, end = d.sentences[first].start, d.sentences[last].end
    highlights = tuple(sorted({sp for sp in spans if start <= sp[0] and sp[1] <= end}))
    sec = d.sections[d.sentences[first].section]
    return Evidence(
        quote=d.text[start:end],
        start=start,
        end=end,
        line=d.sentences[first].line,
        section=sec.heading or None,
        element=element,
        highlights=highlights,
    )


def _join(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _lines(evs: list[Evidence]) -> str:
    lines = sorted({e.line for e in evs})
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(str(n) for n in lines)


def assess(req: Requirement, doc: Doc) -> Finding:
    base = dict(id=req.id, regime=req.regime, title=req.title, citation=req.citation,
                severity=req.severity, remediation=req.remediation)
    applies_why = ""
    if req.when is not None:
        applies, why = _condition(req, doc)
        if not applies:
            return Finding(status="not_applicable", explanation=why, **base)
        applies_why = why
    found: dict[str, list[Evidence]] = {}
    for el in req.elements:
        hits = find(el.node, doc, el.scope)
        if hits:
            found[el.name] = [_evidence(doc, idx, spans, el.name, el.scope) for idx, spans in hits]
    required = [e for e in req.elements if e.required]
    have = [e for e in req.elements if e.name in found]
    have_required = [e for e in required if e.name in found]
    lacking = [e for e in required if e.name not in found]
    status = element_status(req, set(found))
    if status == "missing":
        where = f" {req.expected_in}" if req.expected_in else ""
        explanation = f"Nothing in the policy states {_join([e.label for e in required])}.{where}".rstrip()
    elif status == "met":
        explanation = "The policy states " + _join(
            [f"{e.label} ({_lines(found[e.name])})" for e in have_required]) + "."
    else:
        explanation = ("The policy mentions " + _join([f"{e.label} ({_lines(found[e.name])})" for e in have])
                       + ", but does not state " + _join([e.label for e in lacking]) + ".")
    if status != "met" and applies_why:
        explanation += " " + applies_why
    # evidence: the first passage of each element found (required first), then more, in document order;
    # body sentences before bare headings, and no passage that overlaps one already chosen
    chosen: list[Evidence] = []
    ordered = [e for e in req.elements if e.required] + [e for e in req.elements if not e.required]
    # strongest first: a passage under a heading that names the requirement ("8.1 Access" for the right of
    # access), then the one where more of the pattern's words matched, then document order
    topic = _stems(req.title)
    pools = {name: sorted([ev for ev in evs if not _is_heading(doc, ev)] or evs,
                          key=lambda ev: (not (topic & _stems(ev.section or "")), -len(ev.highlights), ev.start))
             for name, evs in found.items()}
    for rnd in range(MAX_EVIDENCE):
        for e in ordered:
            evs = pools.get(e.name, [])
            if rnd < len(evs) and len(chosen) < MAX_EVIDENCE:
                ev = evs[rnd]
                if not any(ev.start < c.end and c.start < ev.end for c in chosen):
                    chosen.append(ev)
    chosen.sort(key=lambda e: (e.start, e.end))
    return Finding(status=status, explanation=explanation, evidence=tuple(chosen),
                   elements=tuple((e.name, e.name in found) for e in req.elements), **base)


_STOP = frozenset("right rights your data personal information with from that this their about under".split())


def _stems(text: str) -> set[str]:
    """Content words cut to five letters, so 'Recipients' meets 'recipient' and 'Retention' meets 'retain'."""
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOP}


def element_status(req: Requirement, found: set[str]) -> str:
    """met = every required element found; partial = some element found; missing = none."""
    if not any(e.name in found for e in req.elements):
        return "missing"
    return "met" if all(e.name in found for e in req.elements if e.required) else "partial"


def _is_heading(doc: Doc, ev: Evidence) -> bool:
    return doc.document.sentences[doc.sentence_at(ev.start)].is_heading


def _cited(doc: Doc, hit: tuple[int, list[Span]], scope: str) -> str:
    ev = _evidence(doc, hit[0], hit[1], "condition", scope)
    quote = " ".join(ev.quote.split())
    quote = quote if len(quote) <= 160 else quote[:159].rstrip() + "\u2026"
    return f"line {ev.line}: \u201c{quote}\u201d"


def _condition(req: Requirement, doc: Doc) -> tuple[bool, str]:
    """Whether a conditional requirement applies, and why, in a sentence: `unless` rules the condition out
    (not applicable); else `match` shows it holds (applies); else the policy is silent, and `if_silent` decides
    (by default: not applicable when a `match` was given, applicable otherwise)."""
    cond = req.when
    assert cond is not None
    if cond.unless is not None:
        hits = find(cond.unless, doc, cond.scope)
        if hits:
            return False, f"Not applicable: the policy rules out that {cond.label} ({_cited(doc, hits[0], cond.scope)})."
    if cond.match is not None:
        shown = find(cond.match, doc, cond.scope)
        if shown:
            return True, f"It applies because the policy indicates that {cond.label} ({_cited(doc, shown[0], cond.scope)})."
    if cond.applies_if_silent:
        return True, f"It applies because nothing in the policy rules out that {cond.label}."
    return False, f"Not applicable: nothing in the policy indicates that {cond.label}."


def score(findings: list[Finding] | tuple[Finding, ...]) -> float | None:
    """0-100, weighted by severity; not_applicable findings do not count. None when nothing applies."""
    total = got = 0.0
    for f in findings:
        if f.status == "not_applicable":
            continue
        w = SEVERITY_WEIGHT[f.severity]
        total += w
        got += w * STATUS_CREDIT[f.status]
    return round(100.0 * got / total, 1) if total else None
