"""A Markdown summary fit for a pull-request or merge-request comment: the gate verdict, a table of policies,
and per policy the gaps that fail the gate (with citation and where), the other gaps, waived gaps and red
flags folded away. Every piece of policy text is escaped (no HTML, no table breaks) and clipped, and the whole
stays under the 65,536 characters a GitHub comment may hold."""
from __future__ import annotations

import re

from ..model import MODEL_CLAUSE_LABEL, Finding, Report, Result
from .locations import locate

MAX_CHARS = 60_000
QUOTE_CHARS = 200
STATUS = {"met": "\u2705 met", "partial": "\U0001f7e1 partial", "missing": "\u274c missing", "not_applicable": "n/a"}


def _esc(text: str) -> str:
    """Inline Markdown from untrusted text: one line, no HTML, no table or emphasis syntax."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", text)


def _clip(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _where(report: Report, f: Finding, expected_in: str) -> str:
    loc = locate(report, f, expected_in)
    if loc.kind == "passage":
        return f"line {loc.line}: \u201c{_esc(_clip(loc.snippet, 120))}\u201d"
    if loc.kind == "section":
        return f"expected in \u201c{_esc(_clip(loc.section or '', 60))}\u201d (line {loc.line})"
    return "nothing found"


def _gap_table(report: Report, findings: list[Finding], expected: dict[str, str]) -> list[str]:
    rows = ["| Status | Severity | Requirement | Citation | Where |", "|---|---|---|---|---|"]
    for f in findings:
        rows.append(f"| {STATUS[f.status]} | {f.severity} | {_esc(f.title)} (`{f.id}`) | {_esc(f.citation)} | "
                    f"{_where(report, f, expected.get(f.id, ''))} |")
    return rows


def _size(lines: list[str]) -> int:
    return sum(map(len, lines)) + len(lines)


def _what_to_write(gaps: list[Finding], flags) -> list[str]:
    """Per gap and red flag: what a compliant passage states, and the model clause, labelled as such."""
    items = [(f.title, f.id, f.remediation, f.model_clause) for f in gaps]
    items += [(fl.title, fl.id, fl.remediation, fl.model_clause) for fl in flags]
    items = [i for i in items if i[2] or i[3]]
    if not items:
        return []
    out = ["", f"<details><summary>What to write ({len(items)})</summary>", "",
           f"_{_esc(MODEL_CLAUSE_LABEL)}._", ""]
    for title, rid, remediation, clause in items:
        line = f"- **{_esc(title)}** (`{rid}`): {_esc(remediation)}"
        if clause:
            line += f"<br>Model clause: \u201c{_esc(clause)}\u201d"
        out.append(line)
    return out + ["", "</details>"]


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def render(result: Result, **_options) -> str:
    expected = {r.id: r.expected_in or "" for p in result.packs for r in p.requirements}
    failed = [r for r in result.reports if r.gate_failures(result.gate)]
    n = len(result.reports)
    if failed:
        verdict = f"\u274c gate failed" + (f" for {len(failed)} of {n} policies" if n > 1 else "")
    else:
        verdict = "\u2705 gate passed" + (f" for all {n} policies" if n > 1 else "")
    out = [f"## gapcheck: {verdict}", "", f"_The gate: {_esc(result.gate.describe())}._"
           + (f" Check date {result.as_of.isoformat()}." if result.as_of else ""), ""]
    regimes = [p.regime for p in result.packs]
    out.append("| Policy | Score | " + " | ".join(r.upper() for r in regimes) + " | Met | Partial | Missing | Waived | Gate |")
    out.append("|---|---|" + "---|" * len(regimes) + "---|---|---|---|---|")
    for report in result.reports:
        c = {s: sum(1 for f in report.findings if f.status == s) for s in ("met", "partial", "missing")}
        waived = sum(1 for f in report.findings if f.waiver is not None and f.waiver.active)
        gate = "\u274c" if report.gate_failures(result.gate) else "\u2705"
        out.append(f"| {_esc(report.document.path)} | {_score(report.score_overall)} | "
                   + " | ".join(_score(report.score_by_regime.get(r)) for r in regimes)
                   + f" | {c['met']} | {c['partial']} | {c['missing']} | {waived} | {gate} |")
    for notice in result.waiver_notices:
        out += ["", f"> \u26a0\ufe0f {_esc(notice.source)}: {_esc(notice.message)}"]
    body: list[str] = []
    for report in result.reports:
        failures = report.gate_failures(result.gate)
        blocking = [f for f in report.findings if result.gate.fails(f)]
        others = [f for f in report.findings if f.is_gap and f not in blocking
                  and not (f.waiver is not None and f.waiver.active)]
        waived = [f for f in report.findings if f.is_gap and f.waiver is not None and f.waiver.active]
        if not (failures or others or waived or report.flags):
            continue
        section = ["", f"### {_esc(report.document.path)} \u2014 {'gate failed' if failures else 'gate passed'}", ""]
        for g in failures:
            if g.kind == "score":
                section.append(f"- {_esc(g.message)}")
        if blocking:
            section += [f"**Gaps failing the gate ({len(blocking)})**", ""] + _gap_table(report, blocking, expected)
        if others:
            section += ["", f"<details><summary>Other gaps ({len(others)})</summary>", ""]
            section += _gap_table(report, others, expected) + ["", "</details>"]
        if waived:
            section += ["", f"<details><summary>Waived gaps ({len(waived)})</summary>", ""]
            section += [f"- `{f.id}` ({f.status}): {_esc(f.waiver.reason)} \u2014 {_esc(f.waiver.source)}" for f in waived]
            section += ["", "</details>"]
        if report.flags:
            section += ["", f"<details><summary>Red flags ({len(report.flags)})</summary>", ""]
            for fl in report.flags:
                quotes = " / ".join(f"line {ev.line}: \u201c{_esc(_clip(ev.quote))}\u201d" for ev in fl.evidence)
                section.append(f"- **{_esc(fl.title)}** (`{fl.id}`, {fl.severity}, {_esc(fl.citation)}): {quotes}")
            section += ["", "</details>"]
        if report.readability is not None and report.readability.sentences:
            section += ["", f"_Readability (GDPR Art. 12(1), informational): {_esc(report.readability.summary())}_"]
        guidance = _what_to_write(blocking + others, report.flags)
        if guidance and _size(out + body + section + guidance) <= MAX_CHARS:
            section += guidance
        elif guidance:
            section += ["", "_What to write for each gap, with a model clause, is in the HTML or PDF report._"]
        if _size(out + body + section) > MAX_CHARS:
            body += ["", f"_\u2026 and more: the rest is left out to keep this comment within size limits; see the "
                     f"full report._"]
            break
        body += section
    return "\n".join(out + body) + "\n\n"  # a blank line: Markdown appended after it starts a new block
