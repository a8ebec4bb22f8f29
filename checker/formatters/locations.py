"""Where a finding is shown in tools that need one place per finding (SARIF, JUnit, Markdown): the passage for
a partly met requirement, and for a missing one the section where such a statement usually sits (from the
requirement's `expected_in`, e.g. a heading holding "rights" for 'a "Your rights" section'), else line 1."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from ..model import Finding, Report

_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{2,60})[\"\u201d]")
_FILLER = {"a", "an", "and", "how", "i", "in", "my", "of", "on", "or", "our", "the", "to", "we", "what", "where",
           "who", "you", "your"}


@dataclass(frozen=True)
class Location:
    line: int
    end_line: int
    start_column: int  # 1-based, in characters
    end_column: int  # 1-based, exclusive
    snippet: str  # the passage, or the heading
    kind: str  # "passage" | "section" | "document"
    section: str | None = None


def locate(report: Report, finding: Finding, expected_in: str = "") -> Location:
    doc = report.document
    if finding.evidence:
        ev = finding.evidence[0]
        return _span(report, ev.start, ev.end, "passage", ev.section)
    for name in _QUOTED.findall(expected_in or ""):
        words = [w for w in re.findall(r"[a-z]+", name.lower()) if w not in _FILLER]
        if not words:
            continue
        for sec in doc.sections:
            heading = sec.heading.lower()
            if sec.heading and all(re.search(rf"\b{re.escape(w)}", heading) for w in words):
                end = doc.text.find("\n", sec.start)
                return _span(report, sec.start, len(doc.text) if end < 0 else end, "section", sec.heading)
    end = doc.text.find("\n")
    return _span(report, 0, len(doc.text) if end < 0 else end, "document", None)


def _span(report: Report, start: int, end: int, kind: str, section: str | None) -> Location:
    doc = report.document
    line, end_line = doc.line_of(start), doc.line_of(max(start, end - 1))
    col = start - doc.line_starts[line - 1] + 1
    end_col = end - doc.line_starts[end_line - 1] + 1
    return Location(line=line, end_line=end_line, start_column=col, end_column=max(end_col, 1),
                    snippet=doc.text[start:end], kind=kind, section=section)


def artifact_uri(path: str) -> tuple[str, bool]:
    """A URI reference for a document path, and whether it is relative (to the run's working folder)."""
    from pathlib import Path

    if path in ("-", "<stdin>"):
        return "stdin", True
    p = Path(path)
    if p.is_absolute():
        return p.as_uri(), False
    posix = p.as_posix()
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix, safe="/-_.~"), True
