"""The audit report's content (HTML and PDF): a Result turned into plain values for the Jinja2 template.

Everything taken from the policy stays plain text here; the template escapes it (autoescape is on). Quoted
passages are cut into (text, highlighted) segments from Evidence.highlights, which are absolute offsets into
the document text. Nothing here depends on the clock except the fallback check date (today, when the Result
does not carry one), so the same input and check date give the same report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..model import MODEL_CLAUSE_NOTE, SEVERITIES, Evidence, Finding, RaisedFlag, Report, Result
from ..readability import LONG_SENTENCE, MIN_SECTION_WORDS, ease_band, word_count

STATUS_LABELS = {"met": "Met", "partial": "Partial", "missing": "Missing", "not_applicable": "Not applicable"}
STATUS_SHORT = {"met": "Met", "partial": "Partial", "missing": "Missing", "not_applicable": "N/A"}
SEVERITY_LABELS = {"critical": "Critical", "major": "Major", "minor": "Minor"}
MAX_QUOTE_CHARS = 1200  # a longer passage is shown around its matched words, with the omission stated
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # not strftime: the report must not depend on the locale
QUOTE_CONTEXT = 360  # characters kept before the first matched word of a shortened passage


@dataclass(frozen=True)
class Quote:
    segments: tuple[tuple[str, bool], ...]  # (text, is a matched word)
    where: str  # "line 12" / "lines 12–14"
    section: str | None
    label: str | None  # which part of the requirement (or which side of a contradiction) it backs
    omitted: int = 0  # characters left out of a very long passage
    length: int = 0


@dataclass(frozen=True)
class FindingView:
    anchor: str
    id: str
    regime: str
    title: str
    citation: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    status_short: str
    explanation: str
    summary: str  # what the law requires (Requirement.summary)
    remediation: str
    model_clause: str
    conditional: bool
    quotes: tuple[Quote, ...]
    elements: tuple[tuple[str, bool, bool], ...]  # (label, found, required), when the requirement has several parts
    min_elements: int | None  # met with this many parts, any of them (instead of every required one)
    blocking: bool  # fails the gate (by default: a missing critical/major requirement, not waived)
    waiver: Any = None  # model.AppliedWaiver: shown as waived with its reason (or as an expired waiver)


@dataclass(frozen=True)
class FlagView:
    anchor: str
    id: str
    title: str
    citation: str
    severity: str
    severity_label: str
    explanation: str
    remediation: str
    model_clause: str
    contradiction: bool
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class SectionEase:
    heading: str
    line: int
    words: int
    ease: str  # "55"
    band: str
    hardest: bool  # among the three hardest sections


@dataclass(frozen=True)
class ReadabilityView:
    ease: str  # "55", or "not scored"
    band: str
    words: int
    sentences: int
    long_sentences: int
    long_words: int  # the threshold
    hedged_sentences: int
    hedge_percent: str  # "14%"
    sections: tuple[SectionEase, ...]  # scored sections, in document order
    unscored: int  # sections too short to score
    longest: tuple[Quote, ...]
    hedged: tuple[Quote, ...]
    min_section_words: int


@dataclass(frozen=True)
class RegimeView:
    regime: str
    title: str
    version: str
    score: float | None
    counts: dict[str, int]
    findings: tuple[FindingView, ...]


@dataclass
class ReportView:
    anchor: str
    path: str
    name: str  # the file name, for the running header
    sha256: str
    words: int
    format: str
    score: float | None
    gate_passed: bool
    blocking: int
    gate_text: str  # why the gate passed or failed, one sentence
    counts: dict[str, int]
    regimes: tuple[RegimeView, ...]
    gaps: tuple[FindingView, ...]  # missing and partial, most severe first
    flags: tuple[FlagView, ...]
    readability: ReadabilityView | None = None


def _anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "-", p) for p in parts)


def _counts(findings) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.status == s) for s in STATUS_LABELS}


def _segments(text: str, ev: Evidence) -> tuple[tuple[tuple[str, bool], ...], int]:
    """The quote as (text, highlighted) pieces; a passage longer than MAX_QUOTE_CHARS is cut to a window
    that starts a little before its first matched word. Returns the pieces and the number of characters left
    out."""
    start, end = ev.start, ev.end
    spans = sorted((max(s, start), min(e, end)) for s, e in ev.highlights if s < end and e > start)
    lo, hi = start, end
    if end - start > MAX_QUOTE_CHARS:
        first = spans[0][0] if spans else start
        lo = max(start, first - QUOTE_CONTEXT)
        hi = min(end, lo + MAX_QUOTE_CHARS)
        lo = max(start, hi - MAX_QUOTE_CHARS)
        # end on a word boundary where one is near, so the cut does not split a word
        cut = text.rfind(" ", lo + MAX_QUOTE_CHARS // 2, hi)
        if hi < end and cut > 0:
            hi = cut
        cut = text.find(" ", lo, lo + 40)
        if lo > start and cut >= 0:
            lo = cut + 1
    pieces: list[tuple[str, bool]] = []
    if lo > start:
        pieces.append(("\u2026 ", False))
    pos = lo
    for s, e in spans:
        s, e = max(s, pos), min(e, hi)
        if s >= e:
            continue
        if s > pos:
            pieces.append((text[pos:s], False))
        pieces.append((text[s:e], True))
        pos = e
    if pos < hi:
        pieces.append((text[pos:hi], False))
    if hi < end:
        pieces.append((" \u2026", False))
    return tuple(pieces), (end - start) - (hi - lo)


def _quote(report: Report, ev: Evidence, label: str | None) -> Quote:
    d = report.document
    last = d.line_of(max(ev.start, ev.end - 1)) if d.line_starts else ev.line
    where = f"line {ev.line}" if last <= ev.line else f"lines {ev.line}\u2013{last}"
    segments, omitted = _segments(d.text, ev)
    return Quote(segments=segments, where=where, section=ev.section, label=label, omitted=omitted,
                 length=ev.end - ev.start)


def _requirements(result: Result) -> dict[str, Any]:
    return {r.id: r for p in result.packs for r in p.requirements}


def _flags(result: Result) -> dict[str, Any]:
    return {fl.id: fl for p in result.packs for fl in getattr(p, "flags", ())}


def _finding(result: Result, report: Report, f: Finding, req: Any, prefix: str) -> FindingView:
    labels = {e.name: e.label for e in getattr(req, "elements", ())}
    required = {e.name: e.required for e in getattr(req, "elements", ())}
    counted = getattr(req, "min_elements", None)
    quotes = tuple(_quote(report, ev, labels.get(ev.element) if len(labels) > 1 else None) for ev in f.evidence)
    elements = tuple((labels.get(name, name), found, bool(required.get(name, True)) and not counted)
                     for name, found in f.elements) if len(f.elements) > 1 else ()
    return FindingView(
        anchor=_anchor(prefix, f.id), id=f.id, regime=f.regime, title=f.title, citation=f.citation,
        severity=f.severity, severity_label=SEVERITY_LABELS.get(f.severity, f.severity),
        status=f.status, status_label=STATUS_LABELS[f.status], status_short=STATUS_SHORT[f.status],
        explanation=f.explanation, summary=(getattr(req, "summary", "") or "").strip(),
        remediation=(f.remediation or "").strip(), model_clause=" ".join((f.model_clause or "").split()),
        conditional=getattr(req, "when", None) is not None,
        quotes=quotes, elements=elements, min_elements=counted if elements else None,
        blocking=result.gate.fails(f),
        waiver=f.waiver,
    )


def _flag(report: Report, fl: RaisedFlag, spec: Any, prefix: str) -> FlagView:
    sides = [label for label, _ in getattr(spec, "sides", ())]
    contradiction = len(sides) == 2 and len(fl.evidence) == 2
    quotes = []
    for ev in fl.evidence:
        label = None
        if contradiction:
            label = sides[0] if ev.element == "first" else sides[1] if ev.element == "second" else None
        quotes.append(_quote(report, ev, label))
    return FlagView(
        anchor=_anchor(prefix, "flag", fl.id), id=fl.id, title=fl.title, citation=fl.citation,
        severity=fl.severity, severity_label=SEVERITY_LABELS.get(fl.severity, fl.severity),
        explanation=fl.explanation, remediation=(fl.remediation or "").strip(),
        model_clause=" ".join((fl.model_clause or "").split()), contradiction=contradiction,
        quotes=tuple(quotes),
    )


def _readability(report: Report) -> ReadabilityView | None:
    r = report.readability
    if r is None or not r.sentences:
        return None
    hardest = {(s.line, s.heading) for s in r.hardest()}
    scored = tuple(SectionEase(s.heading or "(before the first heading)", s.line, s.words, f"{s.reading_ease:.0f}",
                               ease_band(s.reading_ease), (s.line, s.heading) in hardest)
                   for s in r.sections if s.reading_ease is not None)
    return ReadabilityView(
        ease="not scored" if r.reading_ease is None else f"{r.reading_ease:.0f}", band=r.band, words=r.words,
        sentences=r.sentences, long_sentences=r.long_sentences, long_words=LONG_SENTENCE,
        hedged_sentences=r.hedged_sentences, hedge_percent=f"{r.hedge_ratio:.0%}", sections=scored,
        unscored=len(r.sections) - len(scored),
        longest=tuple(_quote(report, ev, f"{word_count(ev.quote)} words") for ev in r.longest),
        hedged=tuple(_quote(report, ev, f"{len(ev.highlights)} {'hedge' if len(ev.highlights) == 1 else 'hedges'}")
                     for ev in r.hedged),
        min_section_words=MIN_SECTION_WORDS,
    )


def _gap_key(f: FindingView) -> tuple:
    return (SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 9, 0 if f.status == "missing" else 1)


def _report(result: Result, report: Report, n: int, multi: bool) -> ReportView:
    prefix = f"p{n}" if multi else "r"
    reqs, flag_specs = _requirements(result), _flags(result)
    titles = {p.regime: (p.title, p.version) for p in result.packs}
    regimes = []
    all_views: list[FindingView] = []
    for regime in report.regimes:
        views = tuple(_finding(result, report, f, reqs.get(f.id), prefix) for f in report.findings if f.regime == regime)
        all_views.extend(views)
        title, version = titles.get(regime, (regime.upper(), ""))
        regimes.append(RegimeView(regime=regime, title=title, version=version,
                                  score=report.score_by_regime.get(regime), counts=_counts(views), findings=views))
    gaps = tuple(sorted((f for f in all_views if f.status in ("missing", "partial")), key=_gap_key))
    d = report.document
    blocking = sum(1 for f in all_views if f.blocking)
    failures = report.gate_failures(result.gate)
    return ReportView(
        anchor=prefix, path=d.path, name=Path(d.path).name or d.path, sha256=d.sha256, words=d.words,
        format=d.format, score=report.score_overall, gate_passed=not failures, blocking=blocking,
        gate_text=_gate_text(result, report, failures, all_views),
        counts=_counts(all_views), regimes=tuple(regimes), gaps=gaps,
        flags=tuple(_flag(report, fl, flag_specs.get(fl.id), prefix) for fl in report.flags),
        readability=_readability(report),
    )


def _gate_text(result: Result, report: Report, failures, views) -> str:
    gate = result.gate
    waived = sum(1 for f in views if f.waiver is not None and not f.waiver.expired)
    waived_text = f" {waived} waived {'gap is' if waived == 1 else 'gaps are'} not counted." if waived else ""
    blocking = [g for g in failures if g.kind == "finding"]
    scores = [g.message for g in failures if g.kind == "score"]
    if gate.fail_on == "never":
        what = "Findings do not fail the gate in this run."
    elif gate.fail_on == "missing" and gate.fail_severity == "major":  # the default gate: the plainest words
        what = (f"{len(blocking)} critical or major {'requirement is' if len(blocking) == 1 else 'requirements are'} "
                f"not addressed at all." if blocking else "No critical or major requirement is missing.")
    else:
        what = (f"{len(blocking)} {'finding fails' if len(blocking) == 1 else 'findings fail'} the gate "
                f"(the gate: {gate.describe()})." if blocking else f"No finding fails the gate (the gate: {gate.describe()}).")
    if scores:
        what += " " + "; ".join(s[0].upper() + s[1:] for s in scores) + "."
    return what + waived_text


def _pack_source(pack: Any) -> str:
    from ..packs import builtin_rules_dir

    dirs = list(getattr(pack, "dirs", ()))
    builtin = builtin_rules_dir().resolve()
    out = []
    for d in dirs:
        try:
            is_builtin = Path(d).resolve().parent == builtin
        except OSError:  # pragma: no cover
            is_builtin = False
        out.append("built-in" if is_builtin else d)
    return ", ".join(out) or "built-in"


def build(result: Result, as_of: date | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values."""
    from .. import __version__

    check_date = as_of or getattr(result, "as_of", None) or date.today()
    multi = len(result.reports) > 1
    reports = [_report(result, r, n, multi) for n, r in enumerate(result.reports, 1)]
    packs = [{"regime": p.regime, "title": p.title, "version": p.version, "requirements": len(p.requirements),
              "flags": len(getattr(p, "flags", ())), "source": _pack_source(p)} for p in result.packs]
    requirements = [
        {"id": r.id, "title": r.title, "citation": r.citation, "severity": r.severity,
         "severity_label": SEVERITY_LABELS.get(r.severity, r.severity), "conditional": r.when is not None,
         "regime": p.regime}
        for p in result.packs for r in p.requirements]
    flag_specs = [{"id": fl.id, "title": fl.title, "citation": fl.citation, "severity": fl.severity,
                   "severity_label": SEVERITY_LABELS.get(fl.severity, fl.severity),
                   "contradiction": len(fl.sides) == 2, "regime": p.regime}
                  for p in result.packs for fl in getattr(p, "flags", ())]
    # each requirement's result in each policy, for the appendix
    statuses = {(rv.anchor, f.id): f for rv in reports for reg in rv.regimes for f in reg.findings}
    if len(reports) == 1:
        title = f"Privacy policy audit: {reports[0].name}"
    else:
        title = f"Privacy policy audit: {len(reports)} policies"
    regime_names = [p.title for p in result.packs]
    return {
        "title": title,
        "subject": "Check of a privacy policy against " + ", ".join(regime_names) if regime_names else title,
        "check_date": check_date.isoformat(),
        "check_date_long": f"{check_date.day} {MONTHS[check_date.month - 1]} {check_date.year}",
        "version": __version__,
        "multi": multi,
        "reports": reports,
        "packs": packs,
        "requirements": requirements,
        "flag_specs": flag_specs,
        "statuses": statuses,
        "status_labels": STATUS_LABELS,
        "model_clause_note": MODEL_CLAUSE_NOTE[0].upper() + MODEL_CLAUSE_NOTE[1:] + ".",
        "waivers": [{"id": f.id, "document": rv.path, "reason": f.waiver.reason, "approved_by": f.waiver.approved_by,
                     "expires": f.waiver.expires.isoformat() if f.waiver.expires else None,
                     "expired": f.waiver.expired, "source": f.waiver.source, "anchor": f.anchor}
                    for rv in reports for reg in rv.regimes for f in reg.findings if f.waiver is not None],
        "waiver_file": result.waiver_file,
        "waiver_notices": [n.message + f" ({n.source})" for n in result.waiver_notices],
        "gate_description": _gate_sentence(result),
        "profile": None if result.profile is None else {
            "source": result.profile.source, "organisation": result.profile.organisation,
            "facts": ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                               for k, v in sorted(result.profile.facts.items())) or "none declared"},
    }


def _gate_sentence(result: Result) -> str:
    g = result.gate
    if g.fail_on == "never":
        text = "is not failed by any finding in this run"
    else:
        statuses = "missing" if g.fail_on == "missing" else "missing or partly met"
        sev = {"critical": "critical", "major": "critical or major", "minor": "any"}[g.fail_severity]
        text = f"fails when a requirement of {sev} severity is {statuses} and not waived"
    if g.min_score:
        text += ", or when a score is below its minimum (" + ", ".join(
            f"{name or 'every regime'} {value:g}" for name, value in g.min_score) + ")"
    return text + "."
