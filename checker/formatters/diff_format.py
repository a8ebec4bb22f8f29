"""Output of `gapcheck diff`: text, json, markdown, sarif (one result per regression, located in NEW) and junit
(one testcase per requirement, a failure per regression)."""
from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

from ..diff import Change, Diff
from ..model import GapcheckError
from .junit_format import _x
from .markdown_format import _clip, _esc
from .sarif_format import FINGERPRINT_KEY, SARIF_SCHEMA

DIFF_FORMATS = ("text", "json", "markdown", "sarif", "junit")
LABEL = {"regressed": "worse", "evidence_lost": "evidence lost", "improved": "better",
         "evidence_gained": "evidence added", "changed": "changed", "one_sided": "not compared"}


def _status(s: str | None) -> str:
    return "not checked" if s is None else s.replace("_", " ")


def _what(c: Change) -> str:
    text = f"{_status(c.old_status)} \u2192 {_status(c.new_status)}"
    if c.lost:
        text += f"; no longer found: {', '.join(c.lost)}"
    if c.gained:
        text += f"; now found: {', '.join(c.gained)}"
    return text


def render_text(d: Diff, width: int = 100, **_options) -> str:
    width = max(40, min(width, 120))
    wrap = lambda t, ind: textwrap.fill(t, width=width, initial_indent=ind, subsequent_indent=ind,  # noqa: E731
                                        break_on_hyphens=False)
    out = [wrap(f"{d.old.path} \u2192 {d.new.path}", "")]
    scores = [f"{r} {_score(d.old.scores.get(r))} \u2192 {_score(d.new.scores.get(r))}"
              for r in dict.fromkeys(list(d.old.scores) + list(d.new.scores))]
    if scores:
        out.append(wrap("score: " + " \u00b7 ".join(scores), "  "))
    for title, items in (("Regressions", d.regressions), ("Improvements", d.improvements),
                         ("Other changes", [c for c in d.changes if c.kind == "changed"])):
        if not items:
            continue
        out += ["", f"{title} ({len(items)})"]
        for c in items:
            out.append(wrap(f"{LABEL[c.kind]:<15} {c.severity:<8} {c.id}", "  "))
            out.append(wrap(f"{c.title} \u2014 {c.citation}: {_what(c)}", "      "))
            if c.is_regression and c.old_quote:
                out.append(wrap(f"was: \u201c{_clip(c.old_quote)}\u201d", "      > "))
    if d.new_flags:
        out += ["", f"New red flags ({len(d.new_flags)})"]
        for fl in d.new_flags:
            ev = (fl.get("evidence") or [{}])[0]
            out.append(wrap(f"{fl['id']} ({fl.get('severity', '')}): {fl.get('title', '')}", "  "))
            if ev.get("quote"):
                out.append(wrap(f"line {ev.get('line')}: \u201c{_clip(ev['quote'])}\u201d", "      > "))
    if d.resolved_flags:
        out += ["", f"Red flags gone ({len(d.resolved_flags)}): " + ", ".join(fl["id"] for fl in d.resolved_flags)]
    if d.one_sided:
        out += ["", f"Not compared ({len(d.one_sided)}, checked in one version only): "
                + ", ".join(c.id for c in d.one_sided)]
    n_reg = len(d.regressions) + len(d.new_flags)
    out += ["", (f"REGRESSED: {n_reg} change{'s' if n_reg != 1 else ''} for the worse, "
                 f"{len(d.improvements)} for the better") if d.regressed else
            f"No regression; {len(d.improvements)} change{'s' if len(d.improvements) != 1 else ''} for the better"]
    return "\n".join(out) + "\n"


def _score(v) -> str:
    return "n/a" if v is None else f"{v:.1f}"


def render_markdown(d: Diff, **_options) -> str:
    head = ("\u274c **regressed**" if d.regressed else "\u2705 no regression")
    out = [f"## gapcheck diff: {head}", "", f"`{_esc(d.old.path)}` \u2192 `{_esc(d.new.path)}`", ""]
    rows = [c for c in d.changes if c.kind not in ("unchanged", "one_sided")]
    if rows:
        out += ["| Change | Severity | Requirement | Citation | Status |", "|---|---|---|---|---|"]
        order = {"regressed": 0, "evidence_lost": 1, "changed": 2, "improved": 3, "evidence_gained": 4}
        for c in sorted(rows, key=lambda c: order[c.kind]):
            mark = "\u274c" if c.is_regression else ("\u2705" if c.kind in ("improved", "evidence_gained") else "\u2022")
            out.append(f"| {mark} {LABEL[c.kind]} | {c.severity} | {_esc(c.title)} (`{c.id}`) | {_esc(c.citation)} | "
                       f"{_esc(_what(c))} |")
    else:
        out.append("No requirement changed status.")
    if d.one_sided:
        out += ["", f"_{len(d.one_sided)} requirements were checked in one version only and are not compared._"]
    if d.new_flags:
        out += ["", "**New red flags**", ""]
        for fl in d.new_flags:
            ev = (fl.get("evidence") or [{}])[0]
            out.append(f"- `{fl['id']}` ({fl.get('severity', '')}): {_esc(fl.get('title', ''))}"
                       + (f" \u2014 line {ev.get('line')}: \u201c{_esc(_clip(ev['quote']))}\u201d" if ev.get("quote") else ""))
    return "\n".join(out) + "\n\n"


def render_sarif(d: Diff, **_options) -> str:
    from .. import __version__
    from .locations import artifact_uri

    uri, relative = artifact_uri(d.new.path)
    artifact = {"uri": uri, **({"uriBaseId": "%SRCROOT%"} if relative else {})}
    rules, index, results = [], {}, []
    for c in d.regressions:
        if c.id not in index:
            index[c.id] = len(rules)
            rules.append({"id": c.id, "shortDescription": {"text": c.title},
                          "properties": {"citation": c.citation, "severity": c.severity}})
        loc = {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": c.new_line or 1}}}
        results.append({"ruleId": c.id, "ruleIndex": index[c.id], "level": "error", "kind": "fail",
                        "message": {"text": f"{c.title} ({c.citation}) got worse: {_what(c)}"},
                        "locations": [loc], "partialFingerprints": {FINGERPRINT_KEY: c.fingerprint},
                        "properties": {"change": c.kind, "old_status": c.old_status, "new_status": c.new_status}})
    for fl in d.new_flags:
        if fl["id"] not in index:
            index[fl["id"]] = len(rules)
            rules.append({"id": fl["id"], "shortDescription": {"text": fl.get("title", fl["id"])},
                          "properties": {"citation": fl.get("citation", ""), "severity": fl.get("severity", "")}})
        ev = (fl.get("evidence") or [{}])[0]
        loc = {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": ev.get("line") or 1}}}
        results.append({"ruleId": fl["id"], "ruleIndex": index[fl["id"]], "level": "warning", "kind": "fail",
                        "message": {"text": f"New red flag: {fl.get('title', fl['id'])}"}, "locations": [loc]})
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "gapcheck", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "invocations": [{"executionSuccessful": True, "exitCode": d.exit_code()}],
        "columnKind": "unicodeCodePoints", "results": results,
        "properties": {"kind": "diff", "old": d.old.path, "new": d.new.path}}]}
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def render_junit(d: Diff, **_options) -> str:
    root = ET.Element("testsuites", {"name": "gapcheck diff"})
    suite = ET.SubElement(root, "testsuite", {"name": _x(f"{d.old.path} -> {d.new.path}")})
    cases = []
    for c in d.changes:
        case = ET.Element("testcase", {"classname": f"gapcheck.diff.{c.regime}", "name": _x(f"{c.id}: {c.title}"),
                                       "file": _x(d.new.path), **({"line": str(c.new_line)} if c.new_line else {})})
        if c.kind == "one_sided":
            ET.SubElement(case, "skipped", {"message": "checked in one version only"})
        elif c.is_regression:
            f = ET.SubElement(case, "failure", {"type": c.kind, "message": _x(f"got worse: {_what(c)}")})
            f.text = _x(f"{c.title} ({c.citation}): {_what(c)}" + (f"\nwas: \u201c{c.old_quote}\u201d" if c.old_quote else ""))
        cases.append(case)
    for fl in d.new_flags:
        case = ET.Element("testcase", {"classname": "gapcheck.diff.flags", "name": _x(f"{fl['id']}: no new red flag"),
                                       "file": _x(d.new.path)})
        ET.SubElement(case, "failure", {"type": "new_flag", "message": _x(f"new red flag: {fl.get('title', '')}")})
        cases.append(case)
    suite.attrib.update({"tests": str(len(cases)), "failures": str(sum(1 for c in cases if c.find("failure") is not None)),
                         "errors": "0", "skipped": str(sum(1 for c in cases if c.find("skipped") is not None))})
    suite.extend(cases)
    root.attrib.update({k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(fmt: str, d: Diff, **options) -> str:
    renderers = {"text": render_text, "json": lambda d, **_: json.dumps(d.to_dict(), ensure_ascii=False, indent=2) + "\n",
                 "markdown": render_markdown, "sarif": render_sarif, "junit": render_junit}
    if fmt not in renderers:
        raise GapcheckError(f"gapcheck diff cannot write {fmt} (use one of {', '.join(DIFF_FORMATS)})")
    return renderers[fmt](d, **options)
