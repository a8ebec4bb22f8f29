"""Evidence -> status per requirement -> score per regime."""
from __future__ import annotations

import re
from dataclasses import replace

from .dates import fmt, months_before, parse_date
from .matcher import Doc, Span, find
from .model import SEVERITY_WEIGHT, STATUS_CREDIT, Evidence, Finding, RaisedFlag
from .packs import Element, Flag, Requirement

MAX_EVIDENCE = 3
MAX_QUOTE_SENTENCES = 3
MAX_LINES, FIRST_LINES = 10, 6  # an explanation lists up to 10 line numbers, else the first 6 and how many more


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
    highlights = tuple(sorted({_whole_words(d.text, sp, start, end) for sp in spans if start <= sp[0] and sp[1] <= end}))
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


def _whole_words(text: str, span: Span, lo: int, hi: int) -> Span:
    """A highlight widened to whole words, within [lo, hi): a pattern may match part of a word ("gracht 221" in
    "Keizersgracht 221", "collect" in "collected"), and a reader should see the word it found."""
    a, b = span
    while a > lo and text[a - 1].isalnum() and text[a].isalnum():
        a -= 1
    while b < hi and text[b].isalnum() and text[b - 1].isalnum():
        b += 1
    return a, b


def _join(labels: list[str], word: str = "and") -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + f" {word} " + labels[-1]


Hits = list[tuple[int, list[Span]]]


def element_hits(el: Element, doc: Doc) -> tuple[Hits, Hits]:
    """An element's matches, split into those that count and those that only earn partial credit (used when
    nothing counts): for an element with `max_age_months`, a passage counts only when a date in it is that
    recent (see dates.py)."""
    hits = find(el.node, doc, el.scope)
    if el.max_age_months is None or not hits:
        return hits, []
    oldest = months_before(doc.as_of, el.max_age_months)
    fresh, stale = [], []
    for h in hits:
        (fresh if any(oldest <= d <= doc.as_of for d in _dates(doc, h[1])) else stale).append(h)
    return fresh, stale


def _dates(doc: Doc, spans: list[Span]) -> list:
    return [d for s, e in spans for d in [parse_date(doc.text[s:e])] if d is not None]


def _stale_note(el: Element, doc: Doc, hits: Hits, evs: list[Evidence]) -> str:
    dates = sorted({d for _, spans in hits for d in _dates(doc, spans)})
    past = [d for d in dates if d <= doc.as_of]
    check = f"the check date ({fmt(doc.as_of)})"
    if past:
        return (f"The most recent date the policy gives, {fmt(past[-1])} ({_lines(evs)}), is more than "
                f"{el.max_age_months} months before {check}.")
    if dates:
        return f"The policy's date, {fmt(dates[0])} ({_lines(evs)}), is later than {check}."
    return f"The passage ({_lines(evs)}) gives no date that can be read."


def _lines(evs: list[Evidence]) -> str:
    """'line 4', 'lines 4, 9, 12': every line a passage starts on, in order; beyond MAX_LINES the first
    FIRST_LINES and how many more ('lines 4, 9, 12, 20, 31, 40 and 35 more'): a pointer for a reader."""
    lines = sorted({e.line for e in evs})
    shown = lines if len(lines) <= MAX_LINES else lines[:FIRST_LINES]
    more = f" and {len(lines) - len(shown)} more" if len(shown) < len(lines) else ""
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(str(n) for n in shown) + more


def assess(req: Requirement, doc: Doc) -> Finding:
    base = dict(id=req.id, regime=req.regime, title=req.title, citation=req.citation,
                severity=req.severity, remediation=req.remediation, model_clause=req.model_clause)
    applies_why, by_profile = "", False
    if req.when is not None:
        applies, why, by_profile = _condition(req, doc)
        if not applies:
            return Finding(status="not_applicable", explanation=why, **base)
        applies_why = why
    fewer_why = ""
    profile = getattr(doc, "profile", None)
    if req.relaxed_when is not None and profile is not None:
        terms, need, label = req.relaxed_when
        decided = profile.decide(terms)
        if decided is not None and decided[0]:  # only the named elements are needed now
            req = replace(req, min_elements=None,
                          elements=tuple(replace(e, required=e.name in need) for e in req.elements))
            shown = _join([e.label for e in req.elements if e.required])
            fewer_why = f"Only {shown} is needed because {decided[1]}: {label}."
    found: dict[str, list[Evidence]] = {}
    notes: list[str] = []
    stale: set[str] = set()
    for el in req.elements:
        hits, weak = element_hits(el, doc)
        if hits or weak:
            found[el.name] = [_evidence(doc, idx, spans, el.name, el.scope) for idx, spans in hits or weak]
        if weak and not hits:
            stale.add(el.name)
            notes.append(_stale_note(el, doc, weak, found[el.name]))
    counted = set(found) - stale
    status = element_status(req, counted, stale)
    required = [e for e in req.elements if e.required]
    have = [e for e in req.elements if e.name in counted]
    if status == "missing":
        where = f" {req.expected_in}" if req.expected_in else ""
        if req.min_elements:
            needed = f"any of {_join([e.label for e in req.elements], 'or')}"
        else:
            needed = _join([e.label for e in required])
        explanation = f"Nothing in the policy states {needed}.{where}".rstrip()
    elif status == "met":
        shown = have if req.min_elements else [e for e in required if e.name in counted]
        explanation = "The policy states " + _join([f"{e.label} ({_lines(found[e.name])})" for e in shown]) + "."
    elif req.min_elements:
        others = [e.label for e in req.elements if e.name not in counted]
        explanation = (("The policy states " + _join([f"{e.label} ({_lines(found[e.name])})" for e in have]) + "; "
                        if have else "")
                       + f"{req.min_elements} or more are needed, for example {_join(others, 'or')}.")
        explanation = explanation[0].upper() + explanation[1:]
    else:
        lacking = [e for e in required if e.name not in counted]
        mentioned = [e for e in req.elements if e.name in found and e.name not in stale]
        # an optional part found only in lines a required part already stands on adds nothing to say
        shown_lines = {ev.line for e in mentioned if e.required for ev in found[e.name]}
        mentioned = [e for e in mentioned if e.required or not {ev.line for ev in found[e.name]} <= shown_lines]
        if lacking and all(e.name in stale for e in lacking):
            # what is missing was found but is too old (or undated): say that, not the other parts found
            explanation = "The policy does not state " + _join([e.label for e in lacking]) + "."
        else:
            explanation = ("The policy mentions " + _join([f"{e.label} ({_lines(found[e.name])})" for e in mentioned])
                           + ", but does not state " if mentioned else "The policy does not state ")
            explanation += _join([e.label for e in lacking]) + "."
    if notes:
        explanation += " " + " ".join(notes)
    if fewer_why:
        explanation += " " + fewer_why
    if applies_why and (status != "met" or by_profile):
        explanation += " " + applies_why  # for a met requirement, only when the profile (not the text) decided
    # evidence: the first passage of each element found (required first), then more, in document order;
    # body sentences before bare headings, and no passage that overlaps one already chosen
    # a met requirement is quoted by the passages that make it met: an optional element ("a right stated only for
    # another state's residents", "recipients named only as third parties") explains a partial finding, and quoted
    # beside a met one it would read as what satisfies it
    chosen: list[Evidence] = []
    ordered = [e for e in req.elements if e.required] + [e for e in req.elements if not e.required]
    if status == "met":
        ordered = [e for e in ordered if e.name in counted and (e.required or req.min_elements)]
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
                   elements=tuple((e.name, e.name in counted) for e in req.elements), **base)


_STOP = frozenset("right rights your data personal information with from that this their about under".split())


def _stems(text: str) -> set[str]:
    """Content words cut to five letters, so 'Recipients' meets 'recipient' and 'Retention' meets 'retain'."""
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOP}


def element_status(req: Requirement, found: set[str], weak: set[str] | frozenset[str] = frozenset()) -> str:
    """met = every required element found (or, with `min_elements`, that many of any); partial = some element
    found, or only `weak` ones (an out-of-date passage); missing = none."""
    if not any(e.name in found or e.name in weak for e in req.elements):
        return "missing"
    if req.min_elements:
        return "met" if sum(e.name in found for e in req.elements) >= req.min_elements else "partial"
    return "met" if all(e.name in found for e in req.elements if e.required) else "partial"


def assess_flag(flag: Flag, doc: Doc) -> RaisedFlag | None:
    """A passage flag: every passage where its pattern matches (at most MAX_EVIDENCE quoted). A contradiction:
    the first statement of each side, from different sentences; None when the policy does not raise it."""
    sides = [find(node, doc, flag.scope) for _, node in flag.sides]
    if not all(sides):
        return None
    base = dict(id=flag.id, regime=flag.regime, title=flag.title, citation=flag.citation, severity=flag.severity,
                remediation=flag.remediation, model_clause=flag.model_clause)
    if not flag.is_contradiction:
        evs = [_evidence(doc, idx, spans, "passage", flag.scope) for idx, spans in sides[0][:MAX_EVIDENCE]]
        more = len(sides[0]) - len(evs)
        where = _lines(evs) + (f" and {more} more" if more > 0 else "")
        return RaisedFlag(explanation=f"{flag.summary.strip()} ({where}.)", evidence=tuple(evs), **base)
    seconds = [_evidence(doc, b[0], b[1], "second", flag.scope) for b in sides[1]]
    for a in sides[0]:
        ev_a = _evidence(doc, a[0], a[1], "first", flag.scope)
        for ev_b in seconds:
            if ev_a.end <= ev_b.start or ev_b.end <= ev_a.start:
                (label_a, _), (label_b, _) = flag.sides
                explanation = (f"The policy gives {label_a} (line {ev_a.line}) and also {label_b} (line {ev_b.line}). "
                               f"{flag.summary.strip()}")
                evs = tuple(sorted((ev_a, ev_b), key=lambda e: e.start))
                return RaisedFlag(explanation=explanation, evidence=evs, **base)
    return None


def _is_heading(doc: Doc, ev: Evidence) -> bool:
    return doc.document.sentences[doc.sentence_at(ev.start)].is_heading


def _cited(doc: Doc, hit: tuple[int, list[Span]], scope: str) -> str:
    ev = _evidence(doc, hit[0], hit[1], "condition", scope)
    quote = " ".join(ev.quote.split())
    quote = quote if len(quote) <= 160 else quote[:159].rstrip() + "\u2026"
    return f"line {ev.line}: \u201c{quote}\u201d"


def _condition(req: Requirement, doc: Doc) -> tuple[bool, str, bool]:
    """Whether a conditional requirement applies, why (a sentence), and whether an organisation profile decided
    it: declared facts first; then `unless` rules the condition out (not applicable); else `match` shows it holds
    (applies); else the policy is silent, and `if_silent` decides (by default: not applicable when a `match` was
    given, applicable otherwise)."""
    cond = req.when
    assert cond is not None
    profile = getattr(doc, "profile", None)
    if profile is not None and cond.facts:
        decided = profile.decide(cond.facts)
        if decided is not None:
            applies, why = decided
            return applies, (f"It applies because {why}." if applies else f"Not applicable: {why}.") + _disagreement(
                cond, doc, applies), True
    if cond.match is None and cond.unless is None:  # decided by profile facts only: without them it applies
        return True, "", False
    if cond.unless is not None:
        hits = find(cond.unless, doc, cond.scope)
        if hits:
            return False, (f"Not applicable: the policy rules out that {cond.label} "
                           f"({_cited(doc, hits[0], cond.scope)})."), False
    if cond.match is not None:
        shown = find(cond.match, doc, cond.scope)
        if shown:
            return True, (f"It applies because the policy indicates that {cond.label} "
                          f"({_cited(doc, shown[0], cond.scope)})."), False
    if cond.applies_if_silent:
        return True, f"It applies because nothing in the policy rules out that {cond.label}.", False
    return False, f"Not applicable: nothing in the policy indicates that {cond.label}.", False


def _disagreement(cond, doc: Doc, applies: bool) -> str:
    """When the profile decides a condition the policy text states the other way ("has_dpo: true" beside "we have
    not appointed a data protection officer"), a sentence quoting the text: one of the two is wrong, and a policy
    that misstates the organisation's practice is the worse gap."""
    if cond.facts_decide_part:
        return ""
    if applies and cond.unless is not None:
        hits = find(cond.unless, doc, cond.scope)
        if hits:
            return (f" The policy itself rules this out ({_cited(doc, hits[0], cond.scope)}): if the profile is right, "
                    f"that statement is wrong and should be corrected.")
    if not applies and cond.match is not None:
        ruled_out = cond.unless is not None and find(cond.unless, doc, cond.scope)
        shown = not ruled_out and find(cond.match, doc, cond.scope)
        if shown:
            return (f" Yet the policy indicates that {cond.label} ({_cited(doc, shown[0], cond.scope)}): if the "
                    f"profile is right, that passage is wrong and should be corrected.")
    return ""


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
