"""Immutable data passed between the pipeline stages (read -> segment -> match -> score -> render)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

STATUSES = ("met", "partial", "missing", "not_applicable")
SEVERITIES = ("critical", "major", "minor")
GATE_SEVERITIES = ("critical", "major")  # by default a missing requirement of these severities fails the gate
FAIL_ON = ("missing", "partial", "never")  # --fail-on: which statuses fail the gate
SEVERITY_WEIGHT = {"critical": 3, "major": 2, "minor": 1}
STATUS_CREDIT = {"met": 1.0, "partial": 0.5, "missing": 0.0}


class GapcheckError(Exception):
    """An error the user can act on; the CLI prints it on one line and exits 2."""


def fingerprint(document_path: str, rule_id: str) -> str:
    """A finding's stable identity across runs and edits: the requirement (or flag) id and the document,
    never line numbers or wording, so a gap keeps its fingerprint when the text around it moves."""
    import hashlib

    path = document_path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return hashlib.sha256(f"{rule_id}\0{path}".encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass(frozen=True)
class Gate:
    """When a run fails (exit 1). fail_on: "missing" (the default), "partial" (partial or missing) or "never";
    fail_severity: the least severity that counts ("major": critical and major); min_score: (regime, minimum)
    pairs, regime None for every regime. Waived gaps never count; scores are not changed by waivers."""

    fail_on: str = "missing"
    fail_severity: str = "major"
    min_score: tuple[tuple[str | None, float], ...] = ()

    def statuses(self) -> tuple[str, ...]:
        return {"missing": ("missing",), "partial": ("missing", "partial"), "never": ()}[self.fail_on]

    def severities(self) -> tuple[str, ...]:
        return SEVERITIES[: SEVERITIES.index(self.fail_severity) + 1]

    def min_score_for(self, regime: str) -> float | None:
        """The minimum for this regime: its own setting, else the one for every regime (the last given wins)."""
        specific = [v for n, v in self.min_score if n == regime]
        return specific[-1] if specific else next((v for n, v in reversed(self.min_score) if n is None), None)

    def fails(self, finding: "Finding") -> bool:
        """Does this finding, on its own, fail the gate?"""
        if finding.waiver is not None and finding.waiver.active:
            return False
        return finding.status in self.statuses() and finding.severity in self.severities()

    def describe(self) -> str:
        """The rule in words: "missing requirements of critical or major severity fail it"."""
        if self.fail_on == "never":
            what = "no finding fails it"
        else:
            sev = " or ".join(self.severities()) + " severity" if self.fail_severity != "minor" else "any severity"
            what = f"{' or '.join(reversed(self.statuses()))} requirements of {sev} fail it"
        if self.min_score:
            what += "; minimum score " + ", ".join(
                f"{name or 'every regime'} {value:g}" for name, value in self.min_score)
        return what


@dataclass(frozen=True)
class AppliedWaiver:
    """A waiver (from a waivers file) that matched a gap: an accepted, reviewed reason not to fail on it."""

    reason: str
    source: str  # file:line of the waiver
    approved_by: str | None = None
    expires: date | None = None
    expired: bool = False  # past its expiry date on the check date: the gap counts again

    @property
    def active(self) -> bool:
        return not self.expired

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "approved_by": self.approved_by,
                "expires": self.expires.isoformat() if self.expires else None, "expired": self.expired,
                "source": self.source}


@dataclass(frozen=True)
class Block:
    """A structural unit produced by a reader: heading, paragraph or list item (offsets into the text)."""

    kind: str  # "heading" | "paragraph" | "item"
    start: int
    end: int
    level: int = 0  # heading level (1 = top) or list nesting depth


@dataclass(frozen=True)
class Section:
    index: int
    heading: str  # "" for text before the first heading
    level: int
    start: int  # offset of the heading (or 0)
    end: int
    parent: int | None  # index of the enclosing section
    path: tuple[str, ...]  # headings from the outermost to this one


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    line: int  # 1-based line of `start`
    section: int  # index into Document.sections
    paragraph: int  # index into Document.paragraphs
    is_heading: bool = False


@dataclass(frozen=True)
class Paragraph:
    index: int
    start: int
    end: int
    section: int


@dataclass(frozen=True)
class Document:
    path: str
    text: str  # exactly the decoded input; every offset refers to it
    format: str
    sha256: str
    words: int
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    sentences: tuple[Sentence, ...]
    line_starts: tuple[int, ...] = field(repr=False)
    norm: str = field(repr=False, default="")  # text normalised for matching, same length as text
    encoding: str | None = None  # how the bytes were decoded ("utf-8", "cp1252 (detected)"); None: a binary format

    def line_of(self, offset: int) -> int:
        from bisect import bisect_right

        return bisect_right(self.line_starts, offset)


@dataclass(frozen=True)
class Evidence:
    quote: str
    start: int
    end: int
    line: int
    section: str | None
    element: str | None = None
    highlights: tuple[tuple[int, int], ...] = ()  # matched words, as offsets into the text

    def to_dict(self) -> dict[str, Any]:
        return {
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "section": self.section,
            "element": self.element,
            "highlights": [list(h) for h in self.highlights],
        }


# How every report and `gapcheck explain` label a model clause (Finding.model_clause, RaisedFlag.model_clause)
MODEL_CLAUSE_NOTE = "illustrative wording written for gapcheck: a starting point for counsel, not legal advice"
MODEL_CLAUSE_LABEL = f"Model clause ({MODEL_CLAUSE_NOTE})"


@dataclass(frozen=True)
class Finding:
    id: str
    regime: str
    title: str
    citation: str
    severity: str
    status: str
    explanation: str
    evidence: tuple[Evidence, ...] = ()
    elements: tuple[tuple[str, bool], ...] = ()  # (element name, found)
    remediation: str = ""
    model_clause: str = ""
    waiver: AppliedWaiver | None = None

    @property
    def is_gap(self) -> bool:
        return self.status in ("missing", "partial")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "regime": self.regime,
            "title": self.title,
            "citation": self.citation,
            "severity": self.severity,
            "status": self.status,
            "explanation": self.explanation,
            "evidence": [e.to_dict() for e in self.evidence],
            "elements": {name: found for name, found in self.elements},
            "remediation": self.remediation,
            "model_clause": self.model_clause,
            "waiver": self.waiver.to_dict() if self.waiver else None,
        }


@dataclass(frozen=True)
class RaisedFlag:
    """A red flag found in a policy: risky wording, or two of its statements that contradict each other."""

    id: str
    regime: str
    title: str
    citation: str
    severity: str
    explanation: str
    evidence: tuple[Evidence, ...]
    remediation: str = ""
    model_clause: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "regime": self.regime,
            "title": self.title,
            "citation": self.citation,
            "severity": self.severity,
            "explanation": self.explanation,
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": self.remediation,
            "model_clause": self.model_clause,
        }


@dataclass(frozen=True)
class GateFailure:
    """One reason a report fails the gate: a finding (kind "finding", id = requirement id) or a regime score
    below its minimum (kind "score", id = regime)."""

    kind: str
    id: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "message": self.message}


@dataclass(frozen=True)
class Report:
    document: Document
    regimes: tuple[str, ...]
    findings: tuple[Finding, ...]
    score_overall: float | None
    score_by_regime: dict[str, float | None]
    flags: tuple[RaisedFlag, ...] = ()
    readability: Any = None  # checker.readability.Readability: informational, never a status or score

    def gate_failures(self, gate: Gate) -> list[GateFailure]:
        out = [GateFailure("finding", f.id, f"{f.id} ({f.severity}) is {f.status.replace('_', ' ')}")
               for f in self.findings if gate.fails(f)]
        for regime in self.regimes:
            minimum, got = gate.min_score_for(regime), self.score_by_regime.get(regime)
            if minimum is not None and got is not None and got < minimum:
                out.append(GateFailure("score", regime, f"{regime} score {got:.1f} is below the minimum {minimum:g}"))
        return out

    def to_dict(self, gate: Gate | None = None) -> dict[str, Any]:
        d = self.document
        findings = []
        for f in self.findings:
            item = f.to_dict()
            item["fingerprint"] = fingerprint(d.path, f.id)
            findings.append(item)
        out = {
            "document": {"path": d.path, "sha256": d.sha256, "words": d.words, "format": d.format,
                         "encoding": d.encoding},
            "regimes": list(self.regimes),
            "score": {"overall": self.score_overall, "by_regime": dict(self.score_by_regime)},
            "findings": findings,
            "flags": [f.to_dict() for f in self.flags],
        }
        if self.readability is not None:
            out["readability"] = self.readability.to_dict()
        if gate is not None:
            failures = self.gate_failures(gate)
            out["gate"] = {"passed": not failures, "failures": [g.to_dict() for g in failures]}
        return out


@dataclass(frozen=True)
class WaiverNotice:
    """A waiver that needs attention: "stale" (it matches no gap: remove it) or "expired" (its gap counts
    again)."""

    kind: str
    id: str
    source: str  # file:line
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "source": self.source, "message": self.message}


@dataclass(frozen=True)
class Result:
    """Everything one run produced; one result feeds every output format and the exit code."""

    reports: tuple[Report, ...]
    packs: tuple[Any, ...]  # checker.packs.Pack
    as_of: date | None = None  # the check date the policies were judged against; the audit report prints it
    gate: Gate = Gate()
    waiver_file: str | None = None  # the waivers file applied, if any
    waiver_notices: tuple[WaiverNotice, ...] = ()
    errors: tuple[Any, ...] = ()  # batch.Failure: policies of a batch that could not be checked (exit 2)
    profile: Any = None  # checker.profile.Profile given for the run, if any
    config: str | None = None  # the configuration file the run read, if any

    def passed(self) -> bool:
        return not any(r.gate_failures(self.gate) for r in self.reports)

    def exit_code(self) -> int:
        """0 when every report passes the gate, 1 when one fails it, 2 when a policy of the batch could not be
        checked (the others are still reported)."""
        if self.errors:
            return 2
        return 0 if self.passed() else 1
