"""SARIF 2.1.0 (the format code-scanning tools read: GitHub code scanning, GitLab, VS Code SARIF viewer).

One run; one rule per requirement and per red flag of the packs checked, with its citation and help text
(what the law requires and what to write). A result per gap (missing or partial requirement) and per red flag,
each with one location: the passage for a partial requirement or a flag, for a missing one the section where
such a statement usually sits or line 1. Level: "error" when the finding fails the gate, else "warning" for a
missing requirement or a major/critical flag, "note" otherwise. Waived gaps carry a SARIF suppression with the
waiver's reason; stale and expired waivers are tool notifications. partialFingerprints hold the finding's
stable fingerprint (requirement id + document). Deterministic: no timestamps.
"""
from __future__ import annotations

import json
from typing import Any

from ..model import MODEL_CLAUSE_LABEL, Finding, RaisedFlag, Report, Result, fingerprint
from .locations import Location, artifact_uri, locate

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "gapcheckFingerprint/v1"


def _rule(item: Any, regime: str, kind: str) -> dict[str, Any]:
    summary = " ".join((getattr(item, "summary", "") or item.title).split())
    remediation = " ".join((getattr(item, "remediation", "") or "").split())
    clause = " ".join((getattr(item, "model_clause", "") or "").split())
    help_text = (f"{item.title} ({item.citation}). {summary}"
                 + (f"\n\nWhat to write: {remediation}" if remediation else "")
                 + (f"\n\n{MODEL_CLAUSE_LABEL}: \u201c{clause}\u201d" if clause else ""))
    help_md = f"**{item.title}** ({item.citation})\n\n{summary}" + (
        f"\n\n**What to write:** {remediation}" if remediation else "") + (
        f"\n\n**{MODEL_CLAUSE_LABEL}:**\n\n> {clause}" if clause else "")
    level = "error" if kind == "requirement" and item.severity in ("critical", "major") else (
        "warning" if item.severity in ("critical", "major") else "note")
    return {
        "id": item.id,
        "name": "".join(part.capitalize() for part in item.id.split(".", 1)[-1].replace(".", "_").split("_")),
        "shortDescription": {"text": item.title},
        "fullDescription": {"text": summary},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["privacy", regime, kind, item.severity], "citation": item.citation,
                       "severity": item.severity, "regime": regime,
                       "conditional": bool(getattr(item, "when", None))},
    }


def _location(report: Report, loc: Location) -> dict[str, Any]:
    uri, relative = artifact_uri(report.document.path)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    region = {"startLine": loc.line, "startColumn": loc.start_column, "endLine": loc.end_line,
              "endColumn": loc.end_column, "snippet": {"text": loc.snippet}}
    out: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact, "region": region}}
    if loc.section:
        out["logicalLocations"] = [{"name": loc.section, "kind": "section"}]
    return out


def _finding_result(result: Result, report: Report, f: Finding, index: int, expected_in: str) -> dict[str, Any]:
    loc = locate(report, f, expected_in)
    where = {"passage": f"line {loc.line}", "section": f"expected in the section \u201c{loc.section}\u201d",
             "document": "no passage found"}[loc.kind]
    level = "error" if result.gate.fails(f) else ("warning" if f.status == "missing" else "note")
    out: dict[str, Any] = {
        "ruleId": f.id,
        "ruleIndex": index,
        "level": level,
        "kind": "fail",
        "message": {"text": f"{f.title} ({f.citation}) is {f.status.replace('_', ' ')} ({where}): {f.explanation}"},
        "locations": [_location(report, loc)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(report.document.path, f.id)},
        "properties": {"status": f.status, "severity": f.severity, "citation": f.citation,
                       "elements": {name: found for name, found in f.elements}},
    }
    if f.waiver is not None:
        if f.waiver.active:
            out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.waiver.reason,
                                    "location": _waiver_location(f.waiver.source)}]
        out["properties"]["waiver"] = f.waiver.to_dict()
    return out


def _flag_result(report: Report, fl: RaisedFlag, index: int) -> dict[str, Any]:
    ev = fl.evidence[0]
    loc = locate(report, Finding(id=fl.id, regime=fl.regime, title=fl.title, citation=fl.citation,
                                 severity=fl.severity, status="partial", explanation="", evidence=(ev,)))
    out: dict[str, Any] = {
        "ruleId": fl.id,
        "ruleIndex": index,
        "level": "warning" if fl.severity in ("critical", "major") else "note",
        "kind": "fail",
        "message": {"text": f"Red flag: {fl.title} ({fl.citation}): {fl.explanation}"},
        "locations": [_location(report, loc)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(report.document.path, fl.id)},
        "properties": {"severity": fl.severity, "citation": fl.citation, "red_flag": True},
    }
    if len(fl.evidence) > 1:  # a contradiction: the other statement too
        other = locate(report, Finding(id=fl.id, regime=fl.regime, title=fl.title, citation=fl.citation,
                                       severity=fl.severity, status="partial", explanation="",
                                       evidence=(fl.evidence[1],)))
        out["relatedLocations"] = [dict(_location(report, other), id=1,
                                        message={"text": "the statement it contradicts"})]
    return out


def _waiver_location(source: str) -> dict[str, Any]:
    path, _, line = source.rpartition(":")
    uri, relative = artifact_uri(path)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    region = {"startLine": int(line)} if line.isdigit() else {}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def as_dict(result: Result) -> dict[str, Any]:
    from .. import __version__

    rules: list[dict] = []
    index: dict[str, int] = {}
    expected: dict[str, str] = {}
    for pack in result.packs:
        for req in pack.requirements:
            index[req.id] = len(rules)
            expected[req.id] = req.expected_in or ""
            rules.append(_rule(req, pack.regime, "requirement"))
        for flag in getattr(pack, "flags", ()):
            index[flag.id] = len(rules)
            rules.append(_rule(flag, pack.regime, "red-flag"))
    results = []
    for report in result.reports:
        for f in report.findings:
            if f.is_gap:
                results.append(_finding_result(result, report, f, index[f.id], expected.get(f.id, "")))
        for fl in report.flags:
            if fl.id in index and fl.evidence:
                results.append(_flag_result(report, fl, index[fl.id]))
    notifications = [{"level": "warning", "message": {"text": n.message},
                      "locations": [_waiver_location(n.source)],
                      "descriptor": {"id": f"waiver-{n.kind}"}} for n in result.waiver_notices]
    invocation: dict[str, Any] = {"executionSuccessful": True, "exitCode": result.exit_code()}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "gapcheck", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "invocations": [invocation],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The folder gapcheck was run from."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"checkDate": result.as_of.isoformat() if result.as_of else None,
                       "rulePacks": [{"regime": p.regime, "version": p.version} for p in result.packs],
                       "gate": {"fail_on": result.gate.fail_on, "fail_severity": result.gate.fail_severity,
                                "passed": result.passed()}},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result: Result, **_options) -> str:
    return json.dumps(as_dict(result), ensure_ascii=False, indent=2) + "\n"
