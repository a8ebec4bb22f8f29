"""Immutable data passed between the pipeline stages (read -> segment -> match -> score -> render)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

STATUSES = ("met", "partial", "missing", "not_applicable")
SEVERITIES = ("critical", "major", "minor")
GATE_SEVERITIES = ("critical", "major")  # a missing requirement of these severities fails the gate (exit 1)
SEVERITY_WEIGHT = {"critical": 3, "major": 2, "minor": 1}
STATUS_CREDIT = {"met": 1.0, "partial": 0.5, "missing": 0.0}


class GapcheckError(Exception):
    """An error the user can act on; the CLI prints it on one line and exits 2."""


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
        }


@dataclass(frozen=True)
class Report:
    document: Document
    regimes: tuple[str, ...]
    findings: tuple[Finding, ...]
    score_overall: float | None
    score_by_regime: dict[str, float | None]
    flags: tuple[RaisedFlag, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = self.document
        return {
            "document": {"path": d.path, "sha256": d.sha256, "words": d.words, "format": d.format},
            "regimes": list(self.regimes),
            "score": {"overall": self.score_overall, "by_regime": dict(self.score_by_regime)},
            "findings": [f.to_dict() for f in self.findings],
            "flags": [f.to_dict() for f in self.flags],
        }


@dataclass(frozen=True)
class Result:
    """Everything one run produced; one result feeds every output format and the exit code."""

    reports: tuple[Report, ...]
    packs: tuple[Any, ...]  # checker.packs.Pack
    as_of: date | None = None  # the check date the policies were judged against; the audit report prints it

    def exit_code(self, fail_severities: tuple[str, ...] = GATE_SEVERITIES) -> int:
        for report in self.reports:
            for f in report.findings:
                if f.status == "missing" and f.severity in fail_severities:
                    return 1
        return 0
