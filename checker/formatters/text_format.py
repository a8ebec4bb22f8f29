"""The terminal report: grouped by regime, a symbol per status, quotes with line numbers, wrapped to the
terminal width; colour only when asked (the CLI asks when stdout is a tty and NO_COLOR is unset)."""
from __future__ import annotations

import textwrap

from ..model import Finding, Gate, RaisedFlag, Result
from ..readability import word_count

SYMBOLS = {"met": "\u2713", "partial": "\u25d0", "missing": "\u2717", "not_applicable": "\u2013"}
ASCII_SYMBOLS = {"met": "+", "partial": "~", "missing": "x", "not_applicable": "-"}
LABELS = {"met": "met", "partial": "partial", "missing": "MISSING", "not_applicable": "n/a"}
COLOURS = {"met": "32", "partial": "33", "missing": "31", "not_applicable": "2"}
QUOTE_CHARS = 220
REGIME_TITLES = {"gdpr": "GDPR", "ccpa": "California (CCPA/CPRA, 1798.83, CalOPPA)", "coppa": "COPPA (minimum age)"}


def _c(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int = QUOTE_CHARS) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def render(result: Result, colour: bool = False, width: int = 100, unicode: bool = True, verbose: bool = False,
           **_options) -> str:
    width = max(40, min(width, 120))
    sym = SYMBOLS if unicode else ASCII_SYMBOLS
    out: list[str] = []
    wrap = lambda text, indent: textwrap.fill(  # noqa: E731 - ASCII first: "\u2026" -> "..." must not overflow
        text if unicode else _ascii(text), width=width, initial_indent=indent, subsequent_indent=indent, break_long_words=True,
        break_on_hyphens=False)
    titles = {p.regime: p.title for p in result.packs}
    for report in result.reports:
        d = report.document
        out.append(_c(wrap(d.path, ""), "1", colour))
        out.append(wrap(f"{d.format}, {d.words:,} words, sha256 {d.sha256[:12]}", "  "))
        scores = [f"overall {_fmt(report.score_overall)}"] + [
            f"{r} {_fmt(s)}" for r, s in report.score_by_regime.items()]
        out.append(wrap("score: " + " \u00b7 ".join(scores), "  "))
        for regime in report.regimes:
            findings = [f for f in report.findings if f.regime == regime]
            out.append("")
            title = titles.get(regime) or REGIME_TITLES.get(regime, regime.upper())
            out.append(_c(wrap(f"{title} \u2014 score {_fmt(report.score_by_regime.get(regime))}", ""), "1", colour))
            for f in findings:
                out.extend(_finding(f, sym, colour, wrap, verbose))
        if report.flags:
            out.append("")
            out.append(_c(wrap(f"Red flags ({len(report.flags)})", ""), "1", colour))
            for fl in report.flags:
                out.extend(_flag(fl, unicode, colour, wrap))
        if report.readability is not None and report.readability.sentences:
            out.append("")
            out.extend(_readability(report.readability, colour, wrap, verbose))
        out.append("")
        out.append(wrap(_summary(report, result.gate), ""))
        out.append("")
    if len(result.reports) + len(result.errors) > 1:
        out += summary_table(result, width) + [""]
    if result.profile is not None:
        declared = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                             for k, v in sorted(result.profile.facts.items())) or "no facts declared"
        org = f" ({result.profile.organisation})" if result.profile.organisation else ""
        out += [wrap(f"Organisation profile {result.profile.source}{org}: {declared}", ""), ""]
    if result.config:
        out += [wrap(f"Configuration: {result.config}", ""), ""]
    for notice in result.waiver_notices:
        out.append(_c(wrap(f"warning: {notice.source}: {notice.message}", ""), "33", colour))
    if result.waiver_notices:
        out.append("")
    failed = [r for r in result.reports if r.gate_failures(result.gate)]
    verdict = (f"Gate FAILED for {len(failed)} of {len(result.reports)} policies" if failed and len(result.reports) > 1
               else "Gate FAILED" if failed else "Gate passed")
    for report in failed:
        ids = [g.id for g in report.gate_failures(result.gate) if g.kind == "finding"]
        scores = [g.message for g in report.gate_failures(result.gate) if g.kind == "score"]
        prefix = f"{report.document.path}: " if len(result.reports) > 1 else ""
        if ids:
            out.append(wrap(f"{prefix}failing the gate: {', '.join(ids)}", ""))
        for message in scores:
            out.append(wrap(f"{prefix}{message}", ""))
    out.append(_c(wrap(f"{verdict} (the gate: {result.gate.describe()})", ""), "1;31" if failed else "1;32", colour))
    text = "\n".join(out).rstrip("\n") + "\n"
    return text if unicode else _ascii(text)


def summary_table(result: Result, width: int = 100) -> list[str]:
    """One line per policy: score, counts and the gate; then the policies that could not be read."""
    rows = [("policy", "score", "met", "partial", "missing", "n/a", "gate")]
    for r in result.reports:
        c = {s: sum(1 for f in r.findings if f.status == s) for s in ("met", "partial", "missing", "not_applicable")}
        rows.append((r.document.path, _fmt(r.score_overall), str(c["met"]), str(c["partial"]), str(c["missing"]),
                     str(c["not_applicable"]), "FAILED" if r.gate_failures(result.gate) else "passed"))
    for e in result.errors:
        rows.append((e.path, "-", "-", "-", "-", "-", "ERROR"))
    nums = [max(len(row[i]) for row in rows) for i in range(1, 7)]
    room = max(12, min(width, 120) - 2 - sum(n + 2 for n in nums))
    out = [f"Summary ({len(result.reports)} checked" + (f", {len(result.errors)} could not be read)" if result.errors
                                                        else ")")]
    for row in rows:
        name = row[0] if len(row[0]) <= room else "\u2026" + row[0][-(room - 1):]
        out.append("  " + name.ljust(room) + "".join("  " + v.rjust(n) for v, n in zip(row[1:], nums)))
    return out


_ASCII = str.maketrans({"\u2014": "-", "\u2013": "-", "\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'",
                        "\u00b7": "|", "\u2026": "...", "\u00a0": " "})


def _ascii(text: str) -> str:
    """For a terminal that cannot show Unicode: typographic marks become ASCII, anything else '?'."""
    return text.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def _fmt(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}"


def _finding(f: Finding, sym: dict, colour: bool, wrap, verbose: bool) -> list[str]:
    waived = f.waiver is not None and f.waiver.active
    head = f"{sym[f.status]} {LABELS[f.status]:<7} {f.severity:<8} {f.id}" + ("  (waived)" if waived else "")
    lines = [_c(wrap(head, "  "), "2" if waived else COLOURS[f.status], colour)]
    lines.append(wrap(f"{f.title} \u2014 {f.citation}", "      "))
    if f.status != "met" or verbose:
        lines.append(wrap(f.explanation, "      "))
    if f.waiver is not None:
        w = f.waiver
        state = f"Waiver expired on {w.expires.isoformat()}: the gap counts again." if w.expired else "Waived:"
        extra = (f" Approved by {w.approved_by}." if w.approved_by else "") + (
            f" Until {w.expires.isoformat()}." if w.expires and not w.expired else "")
        reason = w.reason if w.reason[-1:] in ".!?" else w.reason + "."
        lines.append(wrap(f"{state} {reason}{extra} ({w.source})", "      "))
    for ev in f.evidence if verbose or f.status != "met" else _one_per_element(f):
        where = f"line {ev.line}" + (f", \u201c{_clip(ev.section, 60)}\u201d" if ev.section else "")
        lines.append(wrap(f"{where}: \u201c{_clip(ev.quote)}\u201d", "      > "))
    return lines


def _readability(r, colour: bool, wrap, verbose: bool) -> list[str]:
    """Informational: the summary and the hardest sections; with --verbose, the worst passages quoted."""
    lines = [_c(wrap("Readability (GDPR Art. 12(1) clear and plain language; informational)", ""), "1", colour),
             wrap(r.summary(), "  ")]
    hardest = r.hardest()
    if hardest:
        lines.append(wrap("Hardest to read: " + "; ".join(
            f"\u201c{_clip(s.heading or '(before the first heading)', 50)}\u201d (line {s.line}): {s.reading_ease:.0f}"
            for s in hardest), "  "))
    if verbose:
        for title, quotes in (("Longest sentences", r.longest), ("Most hedged sentences", r.hedged)):
            if quotes:
                lines.append(wrap(f"{title}:", "  "))
                for ev in quotes:
                    lines.append(wrap(f"line {ev.line} ({word_count(ev.quote)} words): \u201c{_clip(ev.quote)}\u201d",
                                      "      > "))
    return lines


def _flag(fl: RaisedFlag, unicode: bool, colour: bool, wrap) -> list[str]:
    mark = "\u26a0" if unicode else "!"
    head = f"{mark} {'flag':<7} {fl.severity:<8} {fl.id}"
    lines = [_c(wrap(head, "  "), "35", colour), wrap(f"{fl.title} \u2014 {fl.citation}", "      "),
             wrap(fl.explanation, "      ")]
    for ev in fl.evidence:
        where = f"line {ev.line}" + (f", \u201c{_clip(ev.section, 60)}\u201d" if ev.section else "")
        lines.append(wrap(f"{where}: \u201c{_clip(ev.quote)}\u201d", "      > "))
    return lines


def _one_per_element(f: Finding) -> list:
    """For a met requirement the terminal shows one passage per part found (all of them with -v)."""
    seen: set = set()
    out = []
    for ev in f.evidence:
        if ev.element not in seen:
            seen.add(ev.element)
            out.append(ev)
    return out


def _summary(report, gate: Gate) -> str:
    findings = report.findings
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("met", "partial", "missing", "not_applicable")}
    text = (f"{counts['met']} met, {counts['partial']} partial, {counts['missing']} missing, "
            f"{counts['not_applicable']} not applicable")
    waived = sum(1 for f in findings if f.waiver is not None and f.waiver.active)
    if waived:
        text += f", {waived} waived"
    failures = report.gate_failures(gate)
    blocking = sum(1 for g in failures if g.kind == "finding")
    if blocking:
        text += f"; {blocking} gap{'s' if blocking != 1 else ''} failing the gate"
    for g in failures:
        if g.kind == "score":
            text += f"; {g.message}"
    return text
