"""JUnit XML (the test-report format CI systems show: GitLab merge requests, Jenkins, Azure DevOps, CircleCI).

One <testsuite> per policy and one <testcase> per requirement checked (classname "gapcheck.REGIME", name the
requirement id and title, file and line of the passage or the expected section). A gap (missing or partial)
is a <failure> whose type is its status; the message says whether it fails the gate. A waived gap and a
requirement that does not apply are <skipped> with the reason. With --min-score, each regime's score is one
more testcase. Red flags are listed in the suite's <system-out>. No timestamps, so the output is
deterministic.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..model import MODEL_CLAUSE_LABEL, Finding, Report, Result
from .locations import locate

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    """Text safe for XML 1.0: characters it cannot hold (most control characters) become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _testcase(result: Result, report: Report, f: Finding, expected_in: str) -> ET.Element:
    loc = locate(report, f, expected_in)
    case = ET.Element("testcase", {"classname": f"gapcheck.{f.regime}", "name": _x(f"{f.id}: {f.title}"),
                                   "file": _x(report.document.path), "line": str(loc.line)})
    if f.status == "not_applicable":
        ET.SubElement(case, "skipped", {"message": _x(_one_line(f.explanation))})
    elif f.is_gap and f.waiver is not None and f.waiver.active:
        ET.SubElement(case, "skipped", {"message": _x(_one_line(f"waived: {f.waiver.reason} ({f.waiver.source})"))})
    elif f.is_gap:
        gate = "fails the gate" if result.gate.fails(f) else "does not fail the gate"
        failure = ET.SubElement(case, "failure", {
            "type": f.status, "message": _x(_one_line(f"{f.severity} requirement {f.status} ({gate}): {f.explanation}"))})
        body = [f"{f.title} ({f.citation}), severity {f.severity}: {f.status}.", _one_line(f.explanation)]
        for ev in f.evidence:
            body.append(f"line {ev.line}: \u201c{_one_line(ev.quote)}\u201d")
        if f.waiver is not None and f.waiver.expired:
            body.append(f"Waiver expired on {f.waiver.expires.isoformat()}: {f.waiver.reason} ({f.waiver.source})")
        if f.remediation:
            body.append("What to write: " + _one_line(f.remediation))
        if f.model_clause:
            body.append(f"{MODEL_CLAUSE_LABEL}: \u201c{_one_line(f.model_clause)}\u201d")
        failure.text = _x("\n".join(body))
    return case


def render(result: Result, **_options) -> str:
    expected = {r.id: r.expected_in or "" for p in result.packs for r in p.requirements}
    root = ET.Element("testsuites", {"name": "gapcheck"})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for report in result.reports:
        suite = ET.SubElement(root, "testsuite", {"name": _x(report.document.path)})
        props = ET.SubElement(suite, "properties")
        for name, value in (("sha256", report.document.sha256), ("words", str(report.document.words)),
                            ("score", "n/a" if report.score_overall is None else f"{report.score_overall:.1f}"),
                            ("check_date", result.as_of.isoformat() if result.as_of else "")):
            ET.SubElement(props, "property", {"name": name, "value": value})
        cases = [_testcase(result, report, f, expected.get(f.id, "")) for f in report.findings]
        for regime in report.regimes:
            minimum = result.gate.min_score_for(regime)
            got = report.score_by_regime.get(regime)
            if minimum is None:
                continue
            case = ET.Element("testcase", {"classname": f"gapcheck.{regime}", "name": f"{regime} score \u2265 {minimum:g}",
                                           "file": _x(report.document.path)})
            if got is not None and got < minimum:
                ET.SubElement(case, "failure", {"type": "score", "message": f"{regime} score {got:.1f} is below {minimum:g}"})
            cases.append(case)
        counts = {"tests": len(cases), "failures": sum(1 for c in cases if c.find("failure") is not None),
                  "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        suite.attrib.update({k: str(v) for k, v in counts.items()})
        suite.set("errors", "0")
        suite.extend(cases)
        if report.flags:
            out = ET.SubElement(suite, "system-out")
            out.text = _x("\n".join(
                f"red flag {fl.id} ({fl.severity}, {fl.citation}): {fl.title}. "
                + " / ".join(f"line {ev.line}: \u201c{_one_line(ev.quote)}\u201d" for ev in fl.evidence)
                for fl in report.flags))
        for k in totals:
            totals[k] += counts[k]
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("errors", "0")
    first = root.find("testsuite")
    if result.waiver_notices and first is not None:  # <testsuites> has no output element of its own
        note = ET.SubElement(first, "system-err")
        note.text = _x("\n".join(f"warning: {n.source}: {n.message}" for n in result.waiver_notices))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
